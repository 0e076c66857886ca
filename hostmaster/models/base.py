"""The declarative base, shared column types and the status codes of the original Aegir."""

from __future__ import annotations

import enum
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer, MetaData
from sqlalchemy.dialects import mysql
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.types import TypeDecorator

# Stable constraint names, so that Alembic revisions name the same things on SQLite and MariaDB.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Base class of every hostmaster model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


#: The largest id a row can have: every id column is a 32-bit signed integer.
MAX_ID = 2**31 - 1


def store_id(value: object) -> int | None:
    """``value`` (a number, or its digits as typed) as the id of a stored row, or None when it
    cannot be one (not a whole number, or outside 1 to MAX_ID): looking such a value up would
    overflow the store's integer instead of finding nothing."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip() if value is not None else ""
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def utcnow() -> datetime:
    """The current time in UTC, without tzinfo (the store keeps naive UTC times)."""
    return datetime.now(UTC).replace(tzinfo=None)


# MySQL's DATETIME drops fractions of a second unless asked; task timing needs them.
Timestamp = DateTime().with_variant(mysql.DATETIME(fsp=6), "mysql", "mariadb")


class IntEnumType(TypeDecorator[enum.IntEnum]):
    """Stores an IntEnum as its integer and loads it back as the enum member."""

    impl = Integer
    cache_ok = True

    def __init__(self, enum_class: type[enum.IntEnum], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.enum_class = enum_class

    def process_bind_param(self, value: Any, dialect: Dialect) -> int | None:
        return None if value is None else int(value)

    def process_result_value(self, value: Any, dialect: Dialect) -> enum.IntEnum | None:
        return None if value is None else self.enum_class(value)


class SiteStatus(enum.IntEnum):
    """Site states, with the original's codes."""

    DELETED = -2
    DISABLED = -1
    QUEUED = 0
    ENABLED = 1


class ServerStatus(enum.IntEnum):
    """Server and platform states: LOCKED takes the place of disabled."""

    DELETED = -2
    LOCKED = -1
    QUEUED = 0
    ENABLED = 1


PlatformStatus = ServerStatus


class TaskStatus(enum.IntEnum):
    """Task states, with the original's codes."""

    PROCESSING = -1
    QUEUED = 0
    SUCCESS = 1
    ERROR = 2
    WARNING = 3

    @property
    def finished(self) -> bool:
        """True once the task has run to an end."""
        return self in (TaskStatus.SUCCESS, TaskStatus.ERROR, TaskStatus.WARNING)
