"""A renamed or cloned site's database rewritten from its old domain to its new one.

Every text column (char, text and blob types, found in information_schema: plugins and
modules add their own) of every table in the site's scope is read in batches by primary key,
only rows that name the old domain, and each changed value written back
(:class:`provision.apps.uri_rewrite.UriRewrite` says what changes). Cache tables are emptied
instead: they are rebuilt, and a rewritten cache entry could be a damaged one.

Rows are picked with ``LIKE '%<old domain>%'``, which ignores case in text columns (their
collations do) but not in blob columns: an old domain written in capitals in a blob (Drupal's
variables, config) is not found there.

Nothing here needs to be undone on its own: deploy runs it on the database it has just
created, which the command's journal drops when the command is rolled back.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .uri_rewrite import UriRewrite

if TYPE_CHECKING:
    import pymysql.connections

    from .base import DatabaseCredentials

#: Rows read and written per transaction: a big table is never held in memory at once.
BATCH_ROWS = 500
TEXT_TYPES = ("char", "varchar", "tinytext", "text", "mediumtext", "longtext",
              "binary", "varbinary", "tinyblob", "blob", "mediumblob", "longblob")


@dataclass(frozen=True)
class RewriteScope:
    """Which tables of a site's database hold its values: those starting with ``prefix``,
    except ``cache_tables`` (a full match empties the table), and never the ``kept`` columns
    (``table.column``, each with the reason it is kept)."""

    prefix: str = ""
    cache_tables: re.Pattern[str] | None = None
    kept: dict[str, str] = field(default_factory=dict)


@dataclass
class RewriteReport:
    """What a rewrite changed (values per table), kept as the scope says, left as they were
    because they could not be rewritten safely (values per where and why), and emptied."""

    old: str
    new: str
    changed: Counter[str] = field(default_factory=Counter)
    kept: Counter[str] = field(default_factory=Counter)
    left: Counter[str] = field(default_factory=Counter)
    cleared: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """One sentence for the task log."""
        changed = ", ".join(f"{table} {count}" for table, count in sorted(self.changed.items()))
        text = f"Rewrote {self.old} as {self.new}: {changed or 'no value named it'}."
        if +self.kept:
            text += f" Kept {_counted(self.kept)}."
        if self.cleared:
            text += f" Emptied the cache tables {', '.join(self.cleared)}."
        return text

    def problems(self) -> str:
        """A warning for the task log when values that name the old domain were left as they
        were; empty when none were."""
        if not +self.left:
            return ""
        return (f"Left {_counted(self.left)} as they were, though they name {self.old}: "
                "check those on the site and change them by hand.")


def _counted(counts: Counter[str]) -> str:
    """``3 values in x; 1 value in y``, for the counts above zero."""
    return "; ".join(f"{count} {'value' if count == 1 else 'values'} {where}"
                     for where, count in sorted((+counts).items()))


@dataclass(frozen=True)
class _Column:
    name: str
    max_chars: int
    max_bytes: int


@contextmanager
def site_connection(credentials: DatabaseCredentials) -> Iterator[pymysql.connections.Connection]:
    """A connection to the site's database as the site's own user."""
    from ..services.db.connection import Credentials, connect

    account = Credentials(credentials.host, int(credentials.port), credentials.user,
                          credentials.password)
    connection = connect(account, database=credentials.name)
    try:
        yield connection
    finally:
        connection.close()


def rewrite_database(
    credentials: DatabaseCredentials, rewrite: UriRewrite, scope: RewriteScope
) -> RewriteReport:
    """Rewrite the old domain as the new one in the site's database; what was done."""
    report = RewriteReport(rewrite.old, rewrite.new)
    with site_connection(credentials) as connection, connection.cursor() as cursor:
        columns, keys = _text_columns(cursor, credentials.name, scope.prefix)
        for table, table_columns in columns.items():
            if scope.cache_tables is not None and scope.cache_tables.fullmatch(table):
                cursor.execute(f"DELETE FROM {_quote(table)}")
                report.cleared.append(table)
                continue
            rewritten = []
            for column in table_columns:
                reason = scope.kept.get(f"{table}.{column.name}")
                if reason is None:
                    rewritten.append(column)
                else:
                    report.kept[f"in {table}.{column.name} ({reason})"] += _naming(
                        connection, table, [column], rewrite)
            if not rewritten:
                continue
            if not keys.get(table):
                report.left[f"in {table}, which has no primary key"] += _naming(
                    connection, table, rewritten, rewrite)
                continue
            _rewrite_table(connection, table, keys[table], rewritten, rewrite, report)
    return report


def _text_columns(
    cursor: Any, database: str, prefix: str
) -> tuple[dict[str, list[_Column]], dict[str, list[str]]]:
    """The text columns of each base table starting with ``prefix``, and each table's
    primary key columns."""
    like = _like(prefix) + "%"
    cursor.execute(
        "SELECT c.TABLE_NAME, c.COLUMN_NAME, c.CHARACTER_MAXIMUM_LENGTH, "
        "c.CHARACTER_OCTET_LENGTH FROM information_schema.COLUMNS c "
        "JOIN information_schema.TABLES t ON t.TABLE_SCHEMA = c.TABLE_SCHEMA "
        "AND t.TABLE_NAME = c.TABLE_NAME AND t.TABLE_TYPE = 'BASE TABLE' "
        "WHERE c.TABLE_SCHEMA = %s AND c.TABLE_NAME LIKE %s AND c.DATA_TYPE IN %s "
        "ORDER BY c.TABLE_NAME, c.ORDINAL_POSITION", (database, like, TEXT_TYPES))
    columns: dict[str, list[_Column]] = {}
    for table, name, max_chars, max_bytes in cursor.fetchall():
        columns.setdefault(table, []).append(_Column(name, int(max_chars), int(max_bytes)))
    cursor.execute(
        "SELECT TABLE_NAME, COLUMN_NAME FROM information_schema.KEY_COLUMN_USAGE "
        "WHERE TABLE_SCHEMA = %s AND TABLE_NAME LIKE %s AND CONSTRAINT_NAME = 'PRIMARY' "
        "ORDER BY TABLE_NAME, ORDINAL_POSITION", (database, like))
    keys: dict[str, list[str]] = {}
    for table, name in cursor.fetchall():
        keys.setdefault(table, []).append(name)
    return columns, keys


def _rewrite_table(connection: Any, table: str, keys: list[str], columns: list[_Column],
                   rewrite: UriRewrite, report: RewriteReport) -> None:
    """Rewrite ``columns`` of ``table``, BATCH_ROWS rows (in key order) per transaction."""
    key_list = ", ".join(_quote(key) for key in keys)
    naming = " OR ".join(f"{_quote(column.name)} LIKE %s" for column in columns)
    pattern = "%" + _like(rewrite.old) + "%"
    after: tuple[Any, ...] = ()
    while True:
        beyond, beyond_values = _beyond(keys, after)
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {key_list}, {', '.join(_quote(c.name) for c in columns)} "
                f"FROM {_quote(table)} WHERE ({naming}){beyond} ORDER BY {key_list} "
                f"LIMIT {BATCH_ROWS}", (*[pattern] * len(columns), *beyond_values))
            rows = cursor.fetchall()
            connection.begin()
            for row in rows:
                _rewrite_row(cursor, table, keys, columns, row, rewrite, report)
            connection.commit()
        if len(rows) < BATCH_ROWS:
            return
        after = tuple(rows[-1][:len(keys)])


def _beyond(keys: list[str], after: tuple[Any, ...]) -> tuple[str, list[Any]]:
    """The condition "the key comes after ``after``" (nothing for the first batch), spelt out
    column by column: MariaDB 10.11 reads a range of the primary key for it, but scans the
    whole index for a row comparison ``(a, b, c) > (x, y, z)`` (seen with EXPLAIN)."""
    if not after:
        return "", []
    alternatives, values = [], []
    for index, key in enumerate(keys):
        equal = [f"{_quote(previous)} = %s" for previous in keys[:index]]
        alternatives.append("(" + " AND ".join([*equal, f"{_quote(key)} > %s"]) + ")")
        values += [*after[:index], after[index]]
    return f" AND ({' OR '.join(alternatives)})", values


def _rewrite_row(cursor: Any, table: str, keys: list[str], columns: list[_Column],
                 row: tuple[Any, ...], rewrite: UriRewrite, report: RewriteReport) -> None:
    """Write back the values of one row that the rewrite changes."""
    key_values, stored = row[:len(keys)], row[len(keys):]
    changes: dict[str, Any] = {}
    for column, value in zip(columns, stored, strict=True):
        if value is None:
            continue
        data = value if isinstance(value, bytes) else str(value).encode()
        new = rewrite.value(data)
        if new is None:
            report.left[f"in {table}.{column.name} (serialized and unreadable)"] += 1
        elif new != data:
            written = new if isinstance(value, bytes) else new.decode()
            if len(written) > column.max_chars or len(new) > column.max_bytes:
                report.left[f"in {table}.{column.name} (too long for the column)"] += 1
                continue
            changes[column.name] = written
    if changes:
        assignments = ", ".join(f"{_quote(name)} = %s" for name in changes)
        where = " AND ".join(f"{_quote(key)} = %s" for key in keys)
        cursor.execute(f"UPDATE {_quote(table)} SET {assignments} WHERE {where}",
                       (*changes.values(), *key_values))
        report.changed[table] += len(changes)


def _naming(connection: Any, table: str, columns: list[_Column], rewrite: UriRewrite) -> int:
    """How many values of ``columns`` in ``table`` the rewrite would change (read as a
    stream: these are left alone, and may be many)."""
    import pymysql.cursors

    pattern = "%" + _like(rewrite.old) + "%"
    found = 0
    for column in columns:
        with connection.cursor(pymysql.cursors.SSCursor) as stream:
            stream.execute(f"SELECT {_quote(column.name)} FROM {_quote(table)} "
                           f"WHERE {_quote(column.name)} LIKE %s", (pattern,))
            for (value,) in stream:
                data = value if isinstance(value, bytes) else str(value).encode()
                found += rewrite.value(data) != data
    return found


def _quote(name: str) -> str:
    from ..services.db.connection import quote_identifier

    return quote_identifier(name)


def _like(text: str) -> str:
    """``text`` as a LIKE pattern matching only itself."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
