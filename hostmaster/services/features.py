"""Features: optional parts of the panel, switched on and off by the administrator.

Built-in features are listed in ``BUILTIN``; every installed plugin adds its own (see
hostmaster/plugins.py). A feature with no row in the store has its default state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from ..extensions import db
from ..hookspecs import FeatureSpec
from ..models import Feature
from .errors import ValidationError
from .transaction import transaction

BUILTIN: tuple[FeatureSpec, ...] = (
    FeatureSpec("clients", "Clients", "Clients own sites; their users see only their sites.",
                enabled_by_default=True),
    FeatureSpec("site_aliases", "Site aliases",
                "More domain names for a site, each served or redirected.",
                enabled_by_default=True),
    FeatureSpec("signup", "Sign-up form",
                "Visitors sign up for a client account and a site of their own."),
    FeatureSpec("cron_queue", "Cron queue", "Run each site's cron on a schedule.",
                enabled_by_default=True),
    FeatureSpec("backup_queue", "Backup queue", "Back up every site on a schedule.",
                enabled_by_default=True),
    FeatureSpec("statistics", "Statistics",
                "Collect users, content and comments of every site on a schedule.",
                enabled_by_default=True),
    FeatureSpec("migrate", "Migrate", "Move sites to another platform or domain name.",
                enabled_by_default=True),
    FeatureSpec("clone", "Clone", "Copy a site under a new domain name.",
                enabled_by_default=True),
)

#: The feature each built-in batch queue belongs to (a queue of an off feature does not run).
QUEUE_FEATURES = {"cron": "cron_queue", "backup": "backup_queue", "statistics": "statistics"}


def known() -> dict[str, FeatureSpec]:
    """Every feature by name: the built-in ones, then the plugins'."""
    from ..plugins import plugin_features

    found = {spec.name: spec for spec in BUILTIN}
    for spec in plugin_features():
        found.setdefault(spec.name, spec)
    return found


def enabled(name: str) -> bool:
    """Whether feature ``name`` is on (its default when nobody switched it)."""
    switched = _switches()
    if name in switched:
        return switched[name]
    spec = known().get(name)
    return spec.enabled_by_default if spec is not None else False


#: Where a session keeps the switches it read (hostmaster/services/features.py).
_SWITCHES = "hostmaster.feature_switches"


def _switches() -> dict[str, bool]:
    """Every stored switch, read once per transaction: a page asks about several features,
    each several times, and the table holds a handful of rows. Kept as the session keeps the
    rows it loaded, until the transaction ends (``switch`` ends it: it commits)."""
    switches: dict[str, bool] | None = db.session.info.get(_SWITCHES)
    if switches is None:
        switches = {row.name: row.enabled for row in db.session.scalars(select(Feature))}
        db.session.info[_SWITCHES] = switches
    return switches


@event.listens_for(Session, "after_transaction_end")
def _forget_switches(session: Session, _transaction: Any) -> None:
    """The next transaction reads the switches again (another process may have changed
    them)."""
    session.info.pop(_SWITCHES, None)


def switch(name: str, on: bool) -> None:
    """Switch feature ``name`` on or off and commit; refuses a name no feature has."""
    if name not in known():
        names = ", ".join(sorted(known())) or "none"
        raise ValidationError.field(
            "feature", f"There is no feature called {name!r}; the features are: {names}.")
    with transaction(f"The feature {name} was switched by another request at the same moment; "
                     "look at the page again."):
        row = db.session.get(Feature, name)
        if row is None:
            db.session.add(Feature(name=name, enabled=on))
        else:
            row.enabled = on


def queue_enabled(queue_name: str) -> bool:
    """Whether the feature batch queue ``queue_name`` belongs to is on (queues of no feature
    always are)."""
    feature = QUEUE_FEATURES.get(queue_name)
    return feature is None or enabled(feature)
