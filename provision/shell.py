"""The one way provision runs a command: an argument list, no shell, a readable error."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .errors import CommandFailed, ServiceError

#: Long enough for a graceful reload or a database dump of a small site, short enough that a
#: hung command does not hold a task (and its dispatcher slot) for ever.
DEFAULT_TIMEOUT = 120.0

#: How much of a failed command's error output goes into the message.
STDERR_TAIL_LINES = 15


@dataclass(frozen=True)
class Completed:
    """A command that ran to the end: its arguments, exit status and decoded output."""

    argv: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str

    @property
    def output(self) -> str:
        """Standard error and standard output together, as a person would want to read them."""
        return "\n".join(part for part in (self.stderr.strip(), self.stdout.strip()) if part)


def split_command(command: str | Sequence[str]) -> list[str]:
    """Turn a command given as one string (a restart command setting) into an argument list."""
    if isinstance(command, str):
        try:
            argv = shlex.split(command)
        except ValueError as error:
            raise ServiceError(
                f"The command {command!r} cannot be read ({error}); check its quotes."
            ) from None
    else:
        argv = list(command)
    if not argv:
        raise ServiceError(
            "An empty command cannot be run; set the command in the server's settings."
        )
    return argv


def tail(text: str, lines: int = STDERR_TAIL_LINES) -> str:
    """The last ``lines`` non-empty lines of ``text``."""
    kept = [line for line in text.strip().splitlines() if line.strip()]
    return "\n".join(kept[-lines:])


def _dies_with_provision() -> list[str]:
    """The prefix that makes a command die with provision: a SIGKILLed provision must not
    leave a mysqldump, mysql, php, rsync or tar running (setpriv sets the child's parent-death
    signal before it executes the command; util-linux has it on every Debian)."""
    global _SETPRIV
    if _SETPRIV is None:
        import shutil

        found = shutil.which("setpriv")
        _SETPRIV = [found, "--pdeathsig", "KILL", "--"] if found else []
    return _SETPRIV


_SETPRIV: list[str] | None = None


def _check_program(program: str, shown: str) -> None:
    """Refuse, with a sentence, a program that is missing or not executable."""
    import shutil

    if shutil.which(program) is not None:
        return
    if os.path.exists(program) or shutil.which(program, mode=os.F_OK) is not None:
        raise ServiceError(
            f"The command `{shown}` could not be started because {program} is not executable "
            "by this user; check its permissions."
        )
    raise ServiceError(
        f"The command `{shown}` could not be started because {program} was not found; "
        "install it or correct the command in the server's settings."
    )


def run(
    argv: str | Sequence[str],
    *,
    input: bytes | None = None,
    env: Mapping[str, str] | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    check: bool = True,
    pass_fds: Sequence[int] = (),
) -> Completed:
    """Run a command without a shell and wait for it.

    ``argv`` is an argument list; a single string is split with :func:`shlex.split` (so a
    setting such as ``env APACHE_CONFDIR=/x apache2ctl graceful`` works, ``env`` being a
    program). ``env`` adds variables to provision's own environment. With ``check`` (the
    default) a non-zero exit raises :class:`CommandFailed` whose message names the command and
    ends with the tail of its error output; secrets must therefore travel on ``input`` or on a
    pipe whose read end is in ``pass_fds`` (``--defaults-extra-file=/dev/fd/N``), never in
    ``argv``.
    """
    import subprocess  # here, not at the top: provision's start-up time counts per task

    args = split_command(argv)
    shown = shlex.join(args)
    environment = {**os.environ, **env} if env is not None else None
    _check_program(args[0], shown)
    try:
        process = subprocess.run(
            [*_dies_with_provision(), *args],
            input=input,
            capture_output=True,
            env=environment,
            timeout=timeout,
            check=False,
            pass_fds=tuple(pass_fds),
        )
    except FileNotFoundError:
        raise ServiceError(
            f"The command `{shown}` could not be started because {args[0]} was not found; "
            "install it or correct the command in the server's settings."
        ) from None
    except PermissionError:
        raise ServiceError(
            f"The command `{shown}` could not be started because {args[0]} is not executable "
            "by this user; check its permissions."
        ) from None
    except subprocess.TimeoutExpired:
        raise ServiceError(
            f"The command `{shown}` did not finish within {timeout:g} seconds and was stopped; "
            "check that the service responds, then try again."
        ) from None
    completed = Completed(
        argv=tuple(args),
        returncode=process.returncode,
        stdout=process.stdout.decode("utf-8", errors="replace"),
        stderr=process.stderr.decode("utf-8", errors="replace"),
    )
    if check and completed.returncode != 0:
        details = tail(completed.output)
        message = f"The command `{shown}` failed with exit status {completed.returncode}"
        raise CommandFailed(f"{message}: {details}" if details else f"{message}.", completed)
    return completed
