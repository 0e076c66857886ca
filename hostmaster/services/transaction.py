"""The one way a service ends its transaction: commit, or roll back and say why.

    with transaction(f"{uri} was taken by another request a moment ago.", field="uri"):
        db.session.add(site)
        ...

What the block changed is committed when it ends; any exception rolls everything back and
propagates. An IntegrityError (two requests saving the same unique name at the same moment,
when the checks before the block both found it free) becomes a :class:`Collision`, the
service's ValidationError with ``message`` on ``field``, so the person sees a sentence, never
a server error. A caller that chose the name itself (a free short name, a free user name) can
catch Collision and try again with the next free name.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .errors import ValidationError

#: What a collision says when the service has nothing more precise to say.
COLLISION = ("Another request saved the same name at the same moment, so nothing was saved; "
             "look at what is there now and send the form again.")


class Collision(ValidationError):
    """A unique value was taken by another request between the check and the commit."""


@contextmanager
def transaction(message: str = COLLISION, *, field: str = "") -> Iterator[None]:
    """Commit the changes made in the block; roll them back on any failure. An
    IntegrityError is raised again as a Collision carrying ``message`` on ``field``."""
    try:
        yield
        db.session.commit()
    except IntegrityError as error:
        db.session.rollback()
        raise Collision({field: [message]}) from error
    except BaseException:
        db.session.rollback()
        raise
