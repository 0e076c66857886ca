"""What "stored normalised and harmless" means for the panel's store, checked after a hostile
run: every server, platform and site is one provision accepts exactly as the panel would send
it (nothing provision would refuse or store differently), and no single-line text in any
table holds a control character."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import String, select

from hostmaster.extensions import db
from hostmaster.models import (
    OutgoingMail,
    Platform,
    PlatformStatus,
    Server,
    ServerStatus,
    Setting,
    Site,
    SiteStatus,
    TaskLog,
)
from hostmaster.services import contexts
from provision.contexts import Contexts
from provision.errors import ProvisionError
from tests.fixtures.hostile import control_character

#: Text that is many lines by design: task logs, the outbox's mails (their bodies, and the
#: SMTP server's last answer), and the mail bodies typed in a text area (settings whose name
#: ends in _body). A mail's recipient and subject are headers: one line.
MULTI_LINE = {(TaskLog.__tablename__, "message"), (OutgoingMail.__tablename__, "body"),
              (OutgoingMail.__tablename__, "last_error")}


def stored_harm() -> list[str]:
    """Every harmful thing in the store (in an app context); empty when there is none."""
    return [*_refused_by_provision(), *_control_characters()]


def _refused_by_provision() -> list[str]:
    """Each entity whose contexts provision refuses, or would store otherwise than sent."""
    found: list[str] = []
    provision = Contexts(Path(current_app.config["AEGIR_ROOT"]))
    live = [
        *db.session.scalars(select(Server).where(Server.status != ServerStatus.DELETED)),
        *db.session.scalars(select(Platform).where(Platform.status != PlatformStatus.DELETED)),
        *db.session.scalars(select(Site).where(Site.status != SiteStatus.DELETED)),
    ]
    for entity in live:
        for context in contexts.contexts_for(entity):
            name, sent = context["name"], context["properties"]
            try:
                saved = provision.save(name, sent)
            except ProvisionError as refusal:
                found.append(f"{entity.entity_kind} {entity.id}: provision refuses what the "
                             f"panel stored: {refusal}")
                continue
            changed = {key for key, value in sent.items()
                       if key != "context_type" and value is not None
                       and saved.raw(key) != value}
            if changed:
                found.append(f"{entity.entity_kind} {entity.id}: provision stores "
                             f"{sorted(changed)} otherwise than the panel sent them")
    return found


def _control_characters() -> list[str]:
    """Each single-line text column value holding a control character."""
    found: list[str] = []
    for table in db.metadata.sorted_tables:
        columns = [column for column in table.columns if isinstance(column.type, String)
                   or column.type.__class__.__name__ == "JSON"]
        for row in db.session.execute(select(*columns)) if columns else []:
            for column, value in zip(columns, row, strict=True):
                if (table.name, column.name) in MULTI_LINE or (
                        table.name == Setting.__tablename__ and str(row[0]).endswith("_body")):
                    continue
                for text in _strings(value):
                    if control_character(text):
                        found.append(f"{table.name}.{column.name} holds {text[:60]!r}")
    return found


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []
