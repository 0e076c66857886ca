"""Dumping a site's database to a file and loading a dump, with the password off every command line.

``mysqldump`` and ``mysql`` read the account from ``--defaults-extra-file=/dev/fd/N``, the read
end of a pipe that provision fills and closes before the program starts: the password is in
no file and in no process's arguments.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from ...errors import ServiceError
from .connection import Credentials, quote_identifier

if TYPE_CHECKING:
    from ...transport import Transport

#: A dump smaller than this is treated as failed: even an empty Drupal or WordPress is larger.
MINIMUM_DUMP_BYTES = 1024
DUMP_OPTIONS = ("--single-transaction", "--quick", "--no-tablespaces")
# `DEFINER=`user`@`host`` in views, triggers and routines: on another server that account
# does not exist, and loading the dump would fail or create objects nobody can use.
DEFINER = re.compile(rb"\s*DEFINER\s*=\s*(`[^`]*`|'[^']*'|\S+?)@(`[^`]*`|'[^']*'|[^\s*]+)")


def _option_value(value: str) -> str:
    """``value`` quoted for a MySQL option file."""
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


@contextlib.contextmanager
def defaults_pipe(credentials: Credentials) -> Iterator[int]:
    """The read end of a pipe holding a ``[client]`` option group for ``credentials``."""
    lines = ["[client]", f"user={_option_value(credentials.user)}",
             f"password={_option_value(credentials.password)}"]
    if credentials.socket:
        lines.append(f"socket={_option_value(credentials.socket)}")
    else:
        lines += [f"host={_option_value(credentials.host)}", f"port={credentials.port}"]
    data = ("\n".join(lines) + "\n").encode("utf-8")
    read_end, write_end = os.pipe()
    try:
        # A few hundred bytes fit the pipe's buffer: writing cannot block before the reader runs.
        os.write(write_end, data)
        os.close(write_end)
        write_end = -1
        yield read_end
    finally:
        if write_end >= 0:
            os.close(write_end)
        os.close(read_end)


def dump_database(
    transport: Transport, credentials: Credentials, database: str, target: Path
) -> int:
    """Dump ``database`` into ``target`` (created 0600), DEFINER clauses stripped; its size.

    Raises ServiceError when mysqldump fails, or the dump is under 1 KB or holds no table
    (then ``target`` is removed).
    """
    quote_identifier(database)  # refuse anything that is not a plain name
    target = Path(target)
    raw = target.with_name(f".{target.name}.raw")
    for path in (raw, target):
        path.unlink(missing_ok=True)
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        with defaults_pipe(credentials) as fd:
            transport.run(["mysqldump", f"--defaults-extra-file=/dev/fd/{fd}", *DUMP_OPTIONS,
                           f"--result-file={raw}", database], pass_fds=[fd], timeout=3600)
        has_table = False
        with raw.open("rb") as source, target.open("wb") as output:
            for line in source:
                has_table = has_table or line.startswith(b"CREATE TABLE")
                output.write(DEFINER.sub(b"", line) if b"DEFINER" in line else line)
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    finally:
        raw.unlink(missing_ok=True)
    size = target.stat().st_size
    # MariaDB's dump of an empty database is already over 1 KB: a dump without any table
    # cannot hold a site either.
    problem = (f"is only {size} bytes" if size < MINIMUM_DUMP_BYTES
               else None if has_table else "holds no table")
    if problem:
        target.unlink(missing_ok=True)
        raise ServiceError(
            f"The dump of the database {database} {problem}, so it cannot hold the site; "
            "check that the database has its tables, then back up again."
        )
    return size


def load_dump(transport: Transport, credentials: Credentials, database: str, dump: Path) -> None:
    """Load the SQL file ``dump`` into ``database`` with the ``mysql`` client."""
    quote_identifier(database)
    with defaults_pipe(credentials) as fd:
        transport.run(["mysql", f"--defaults-extra-file=/dev/fd/{fd}", database],
                      input=Path(dump).read_bytes(), pass_fds=[fd], timeout=3600)
