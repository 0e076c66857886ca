"""The crontab line that runs ``dispatch.py`` every minute: installing and removing it.

The line is recognised by its trailing marker comment, so installing twice leaves one line
(the newest), and removing it leaves every other line as it was. The crontab is edited through
the ``crontab`` command (``-l`` to read, ``-`` to write from stdin), of the current user or of
``--user``; ``HOSTMASTER_CRONTAB_COMMAND`` replaces the command, and a crontab *file* (e.g. one
for ``/etc/cron.d``) can be edited instead. There is no lock around the pass: claims are
exactly-once in the store, so two overlapping passes are harmless.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from ..config import PROJECT_ROOT
from .errors import ValidationError

MARKER = "# hostmaster dispatcher"
ENV_COMMAND = "HOSTMASTER_CRONTAB_COMMAND"
# Variables a dispatch pass needs that cron (with its empty environment) would not pass on.
STORE_VARIABLES = ("HOSTMASTER_DATABASE_URL", "AEGIR_ROOT", "HOSTMASTER_VAR_DIR",
                   "HOSTMASTER_SECRET_KEY_FILE")


@dataclass(frozen=True)
class Crontab:
    """Where the crontab lives: a user's crontab (through the command) or a file."""

    user: str | None = None
    file: Path | None = None

    def command(self) -> list[str]:
        """The crontab command, with ``-u user`` when a user is named."""
        argv = shlex.split(os.environ.get(ENV_COMMAND) or "crontab")
        return [*argv, "-u", self.user] if self.user else argv

    def read(self) -> str:
        """The crontab's text ("" when there is none yet)."""
        if self.file is not None:
            return self.file.read_text() if self.file.exists() else ""
        done = _run([*self.command(), "-l"])
        if done.returncode != 0:
            if "no crontab for" in done.stderr:
                return ""
            raise ValidationError(f"Reading the crontab failed: {done.stderr.strip()}")
        return done.stdout

    def write(self, text: str) -> None:
        """Replace the crontab with ``text``."""
        if self.file is not None:
            from provision.files import write_atomic

            write_atomic(self.file, text, mode=0o644)
            return
        done = _run([*self.command(), "-"], text)
        if done.returncode != 0:
            raise ValidationError(f"Writing the crontab failed: {done.stderr.strip()}")


def _run(argv: list[str], stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(argv, input=stdin, capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise ValidationError(
            f"The command '{argv[0]}' was not found. Install cron (apt-get install cron), or "
            f"set {ENV_COMMAND}, or edit a crontab file with --file."
        ) from None


def dispatch_line(env_file: Path | None = None, log_file: Path | None = None) -> str:
    """The crontab line: every minute, this venv's Python runs this checkout's dispatch.py.

    With ``env_file`` the pass first reads the variables in it (the store's URL and the like:
    kept in a file, never on the line, which every process listing shows).
    """
    script = PROJECT_ROOT / "dispatch.py"
    if not script.is_file():
        raise ValidationError(f"{script} does not exist: install the crontab from a checkout.")
    command = f"{shlex.quote(sys.executable)} {shlex.quote(str(script))}"
    if env_file is not None:
        if not env_file.is_file():
            raise ValidationError(f"The environment file {env_file} does not exist.")
        command = f"set -a && . {shlex.quote(str(env_file.resolve()))} && set +a && {command}"
    if log_file is not None:
        command += f" >> {shlex.quote(str(log_file))} 2>&1"
    if "%" in command:
        # cron turns % into a newline; the paths would have to be escaped, so refuse them.
        raise ValidationError("A path in the crontab line contains '%', which cron cannot take.")
    return f"* * * * * {command} {MARKER}"


def missing_variables(env_file: Path | None) -> list[str]:
    """Store variables set here that a cron pass would not see (no environment file given)."""
    if env_file is not None:
        return []
    return [name for name in STORE_VARIABLES if os.environ.get(name)]


def install(crontab: Crontab, line: str) -> bool:
    """Put ``line`` in the crontab in place of any older dispatcher line; False if unchanged."""
    before = crontab.read()
    kept = [row for row in before.splitlines() if not row.rstrip().endswith(MARKER)]
    after = "\n".join([*kept, line]) + "\n"
    if after == before:
        return False
    crontab.write(after)
    return True


def remove(crontab: Crontab) -> bool:
    """Remove the dispatcher line, leaving the other lines; False when there was none."""
    before = crontab.read()
    rows = before.splitlines()
    kept = [row for row in rows if not row.rstrip().endswith(MARKER)]
    if len(kept) == len(rows):
        return False
    crontab.write("\n".join(kept) + "\n" if kept else "")
    return True
