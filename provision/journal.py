"""The journal: every change a provision command makes is written to disk before it is made.

A command that changes anything runs inside a :class:`Journal`, a file of JSON lines under
``<aegir root>/journal/``. Before each reversible action (a file written or removed, a folder
made, moved or removed, a database or user created, a context changed, a web server's
configuration changed) the journal appends a line saying how to undo it, and fsyncs it. Then
the command declares what must happen once it has succeeded (the old database dropped, the old
folder removed) and reaches its one **commit point**: a ``commit`` line holding its result.

- Before the commit point, the original site is untouched (moved aside at most): a failure, in
  the process or by a SIGKILL found later, rolls every recorded action back, newest first.
- After it, the new state is complete and only the declared cleanup remains; every cleanup
  action is idempotent, so recovery simply runs the ones not yet done ("rolled forward").

The running provision holds an ``flock`` on its journal file: recovery (at the next provision
start for a context the journal touched, or ``provision recover`` run by a dispatcher) takes
only journals whose process is gone. Certbot's reverter is the model: checkpoints on disk, a
recovery routine run at start. Database names are reserved here too, with files created
``O_EXCL``, so that two installs can never pick, or drop, the same database.
"""

from __future__ import annotations

import base64
import fcntl
import json
import os
import secrets
import signal
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .errors import ProvisionError

if TYPE_CHECKING:
    from .contexts import Contexts
    from .log import Logger
    from .transport import Transport

FOLDER = "journal"
FOLDER_MODE = 0o700
FILE_MODE = 0o600
#: The suffix of a journal file between its creation and its lock (never recovered; one
#: left by a kill in that instant is removed after an hour).
OPENING = ".opening"
#: Outcomes of journals that ended by rollback or recovery, kept for the dispatcher this long.
OUTCOME_DAYS = 7
#: A test-only switch (fault injection): ``record:N`` (the N-th line), ``step:NAME``, ``step#N``
#: (the N-th step line, or the commit line of a command with fewer steps), ``commit`` or
#: ``cleaned#N`` (the N-th cleanup done) makes provision SIGKILL itself right after writing
#: that line, before acting on it.
KILL_SWITCH = "PROVISION_TEST_KILL_AT"

_current: Journal | None = None


class JournalError(ProvisionError):
    """An interrupted command could not be recovered, or the journal cannot be written."""


def current() -> Journal | None:
    """The journal of the command being run, while it still records undos (else None)."""
    journal = _current
    return journal if journal is not None and journal.writable else None


def folder_of(root: Path) -> Path:
    """``<root>/journal``, created 0700 when missing."""
    folder = Path(root) / FOLDER
    if not folder.is_dir():
        folder.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    return folder


def server_of(transport: Transport) -> str | None:
    """The server context a transport reaches (None: the master's own files)."""
    return (getattr(transport, "context", "") or None) if transport.remote else None


class Journal:
    """One command's journal: records undos and cleanups, commits, rolls back, finishes."""

    def __init__(self, contexts: Contexts, logger: Logger, path: Path, fd: int) -> None:
        self.contexts = contexts
        self.logger = logger
        self.path = path
        self.id = path.stem
        self._fd: int | None = fd
        self.records: list[dict[str, Any]] = []
        self.state = "open"
        self._noted: set[tuple[str, ...]] = set()
        self._steps = 0

    # Opening --------------------------------------------------------------------------

    @classmethod
    def begin(cls, contexts: Contexts, logger: Logger, command: str, context: str,
              task_id: int | None = None) -> Journal:
        """Start the journal of ``command`` on ``context`` and make it the current one."""
        global _current
        folder = folder_of(contexts.root)
        stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime())
        path = folder / f"{stamp}-{os.getpid()}-{secrets.token_hex(3)}.jsonl"
        # Locked before it gets the name recovery looks for: recovery never finds it unlocked
        # while its command lives.
        opening = path.with_suffix(OPENING)
        fd = os.open(opening, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_APPEND, FILE_MODE)
        fcntl.flock(fd, fcntl.LOCK_EX)
        os.rename(opening, path)
        _fsync_folder(folder)
        journal = cls(contexts, logger, path, fd)
        journal._append({"type": "begin", "command": command, "context": context,
                         "task_id": task_id, "pid": os.getpid(), "started": time.time()})
        _current = journal
        return journal

    @property
    def writable(self) -> bool:
        """Open, and its file still held: actions may be noted in it."""
        return self.state == "open" and self._fd is not None

    # What the record says --------------------------------------------------------------

    @property
    def begin_record(self) -> dict[str, Any]:
        """The first line: command, context, task id."""
        return self.records[0] if self.records else {}

    @property
    def command(self) -> str:
        """The command this journal belongs to."""
        return str(self.begin_record.get("command", ""))

    @property
    def task_id(self) -> int | None:
        """The dispatcher's task id, when the front end started the command."""
        value = self.begin_record.get("task_id")
        return int(value) if isinstance(value, int) else None

    @property
    def last_step(self) -> str:
        """The name of the last step begun ("" when none was)."""
        steps = [r["name"] for r in self.records if r["type"] == "step"]
        return steps[-1] if steps else ""

    @property
    def committed(self) -> bool:
        """Whether the commit point was reached."""
        return any(r["type"] == "commit" for r in self.records)

    def touched_contexts(self) -> set[str]:
        """Every context this journal changed or will change (its own included)."""
        names = {str(self.begin_record.get("context", ""))}
        for record in self.records:
            action = record.get("action") or {}
            if action.get("type") in ("context", "delete_context") and action.get("name"):
                names.add(str(action["name"]))
        names.discard("")
        return names

    # Recording ------------------------------------------------------------------------

    def step(self, name: str) -> None:
        """A named step begins (for the log of an interruption, and kill points)."""
        self._steps += 1
        self._append({"type": "step", "name": name, "number": self._steps})

    def undo(self, action: dict[str, Any], key: tuple[str, ...] | None = None) -> int:
        """Record how to undo what is about to be done; returns the line's number.

        ``key`` makes the record once-only (a file's original content is kept the first time).
        """
        if self.state != "open":
            return 0
        if key is not None:
            if key in self._noted:
                return 0
            self._noted.add(key)
        return self._append({"type": "undo", "action": action})

    def done(self, number: int) -> None:
        """The action recorded at line ``number`` happened (used where it matters: databases)."""
        if self.state == "open" and number:
            self._append({"type": "done", "of": number})

    def cancel(self, number: int) -> None:
        """The action recorded at line ``number`` did not happen and must never be undone
        (a CREATE DATABASE that found the name taken by someone else)."""
        if self.state == "open" and number:
            self._append({"type": "cancel", "of": number})

    def created(self, kind: str, server: str, name: str) -> bool:
        """Whether this command created the database or database user ``name`` on ``server``."""
        done = {r["of"] for r in self.records if r["type"] == "done"}
        return any(
            r["type"] == "undo" and r["n"] in done and r["action"]["type"] == kind
            and r["action"]["server"] == server
            and (r["action"].get("name") or r["action"].get("user")) == name
            for r in self.records)

    def after_commit(self, action: dict[str, Any]) -> None:
        """Declare a cleanup action, run once the command has reached its commit point."""
        if self.state != "open":
            raise JournalError("Cleanup actions are declared before the commit point.")
        self._append({"type": "cleanup", "action": action})

    def scratch(self) -> Path:
        """A private folder for this command's temporary files (removed when it ends)."""
        folder = self.path.with_suffix(".d")
        folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
        return folder

    # Ending -----------------------------------------------------------------------------

    def commit(self, result: dict[str, Any]) -> None:
        """The commit point: from here on the command's result stands."""
        self._append({"type": "commit", "result": result})
        self.state = "committed"

    def finish(self, result: dict[str, Any]) -> None:
        """Commit (if not yet), run the declared cleanup, and end the journal."""
        from .journal_actions import run_cleanup

        if self.state == "open":
            self.commit(result)
        self.state = "committed"
        done = {r["of"] for r in self.records if r["type"] == "cleaned"}
        for record in list(self.records):
            if record["type"] != "cleanup" or record["n"] in done:
                continue
            try:
                run_cleanup(record["action"], self.contexts, self.logger)
            except Exception as error:  # the command succeeded: what stays is for the doctor
                self.logger.warning(
                    f"Could not {describe(record['action'])}: {error}; `hostmaster doctor` "
                    "lists what is left behind.")
            self._append({"type": "cleaned", "of": record["n"]})
        self._end()

    def roll_back(self) -> None:
        """Undo every recorded action, newest first, and end the journal."""
        from .journal_actions import run_undo

        if self.state in ("ended", "rolling back"):
            return
        if self.committed:
            raise JournalError("A committed command is finished, not rolled back.")
        self.state = "rolling back"
        done = {r["of"] for r in self.records if r["type"] == "done"}
        cancelled = {r["of"] for r in self.records if r["type"] == "cancel"}
        deferred: list[dict[str, Any]] = []
        for record in reversed(self.records):
            if record["type"] != "undo" or record["n"] in cancelled:
                continue
            action = dict(record["action"], done=record["n"] in done)
            if action["type"] == "remote_copy" and action.get("existed"):
                deferred.append(action)  # once the master's copy is back as it was
                continue
            self._run_undo(run_undo, action)
        for action in deferred:
            self._run_undo(run_undo, action)
        self._end()

    def _run_undo(self, run_undo: Any, action: dict[str, Any]) -> None:
        try:
            said = run_undo(action, self.contexts, self.logger)
            if said:
                self.logger.info(f"Undone: {said}.")
        except Exception as failure:  # keep undoing: the site must end as it was
            self.logger.warning(f"Could not {describe(action, undo=True)} while rolling back "
                                f"{self.command}: {failure}")

    def _end(self) -> None:
        global _current
        import shutil

        release_all(self.contexts.root, self.id)
        shutil.rmtree(self.path.with_suffix(".d"), ignore_errors=True)
        self.path.unlink(missing_ok=True)
        _fsync_folder(self.path.parent)
        if self._fd is not None:
            os.close(self._fd)  # releases the lock
            self._fd = None
        self.state = "ended"
        if _current is self:
            _current = None

    def record_outcome(self, outcome: str, by: str) -> dict[str, Any]:
        """Say how the command ended ("rolled back", "completed") for its task; returns it."""
        commit = next((r for r in self.records if r["type"] == "commit"), {})
        found = {"journal": self.id, "command": self.command,
                 "context": self.begin_record.get("context"), "task_id": self.task_id,
                 "outcome": outcome, "by": by, "step": self.last_step,
                 "result": commit.get("result") or {}, "time": time.time()}
        if self.task_id is not None:
            folder = folder_of(self.contexts.root) / "outcomes"
            folder.mkdir(mode=FOLDER_MODE, exist_ok=True)
            from .files import write_atomic

            write_atomic(folder / f"{self.task_id}.json", json.dumps(found), FILE_MODE)
        return found

    def release(self) -> None:
        """Let go of a journal resumed but not recovered (its lock is released); it is no
        longer anyone's current journal."""
        global _current
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        if _current is self:
            _current = None

    # The file -----------------------------------------------------------------------------

    def _append(self, record: dict[str, Any]) -> int:
        if self._fd is None:
            raise JournalError(f"The journal {self.path} is closed.")
        record = {"n": len(self.records) + 1, **record}
        os.write(self._fd, (json.dumps(record) + "\n").encode("utf-8"))
        os.fsync(self._fd)
        self.records.append(record)
        _kill_if_asked(record, self._steps)
        return int(record["n"])

    @classmethod
    def resume(cls, contexts: Contexts, logger: Logger, path: Path) -> Journal | None:
        """The journal at ``path`` if its process is gone (its lock is free); else None."""
        try:
            fd = os.open(path, os.O_RDWR | os.O_APPEND)
        except FileNotFoundError:
            return None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            return None
        if os.fstat(fd).st_nlink == 0:  # its command ended it between our open and our lock
            os.close(fd)
            return None
        journal = cls(contexts, logger, path, fd)
        for line in _read_all(fd).decode("utf-8").splitlines():
            try:
                journal.records.append(json.loads(line))
            except ValueError:
                break  # a line cut by the kill: it was never fsynced, so never acted on
        journal.state = "committed" if journal.committed else "open"
        return journal


def describe(action: dict[str, Any], *, undo: bool = False) -> str:
    """An action in words, for the log."""
    kind = action.get("type", "?")
    where = action.get("path") or action.get("name") or action.get("user") or ""
    if undo:
        return f"undo the {kind} change of {where}"
    return f"{kind.replace('_', ' ')} {where}".strip()


def _read_all(fd: int) -> bytes:
    data = b""
    while chunk := os.pread(fd, 65536, len(data)):
        data += chunk
    return data


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _kill_if_asked(record: dict[str, Any], steps: int) -> None:
    """The test-only fault injection of :data:`KILL_SWITCH` (see there)."""
    wanted = os.environ.get(KILL_SWITCH, "")
    if not wanted:
        return
    kind = record["type"]
    cleaned = kind == "cleaned" and wanted.startswith("cleaned#")
    hit = (
        wanted == f"record:{record['n']}"
        or (kind == "step" and wanted in (f"step:{record['name']}", f"step#{steps}"))
        or (kind == "commit" and (wanted == "commit" or (
            wanted.startswith("step#") and steps < int(wanted[5:]))))
        or (cleaned and int(wanted[8:]) == sum(1 for _ in _cleaned_so_far(record)))
    )
    if hit:
        os.kill(os.getpid(), signal.SIGKILL)


def _cleaned_so_far(record: dict[str, Any]) -> Iterator[int]:
    """Counts cleanup lines for the kill switch (the current one is the last so far)."""
    journal = _current
    if journal is not None:
        yield from (r["n"] for r in journal.records if r["type"] == "cleaned")


# Database names --------------------------------------------------------------------------

def _reservation(root: Path, server: str, name: str) -> Path:
    return folder_of(root) / "reserved" / server.lstrip("@") / name


def reserve_name(root: Path, server: str, name: str, owner: str) -> bool:
    """Reserve database name ``name`` on ``server`` for journal ``owner``; False when taken.

    A reservation whose journal no longer exists is stale and is taken over.
    """
    path = _reservation(root, server, name)
    path.parent.mkdir(mode=FOLDER_MODE, parents=True, exist_ok=True)
    for _attempt in range(2):
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
        except FileExistsError:
            holder = path.read_text(encoding="utf-8").strip() if path.exists() else ""
            if holder and (folder_of(root) / f"{holder}.jsonl").exists():
                return False
            path.unlink(missing_ok=True)
            continue
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(owner)
            handle.flush()
            os.fsync(handle.fileno())
        return True
    return False


def release_name(root: Path, server: str, name: str, owner: str) -> None:
    """Release ``owner``'s reservation of ``name`` (another's is left alone)."""
    path = _reservation(root, server, name)
    try:
        if path.read_text(encoding="utf-8").strip() == owner:
            path.unlink()
    except FileNotFoundError:
        pass


def release_all(root: Path, owner: str) -> None:
    """Release every reservation of journal ``owner``."""
    for path in (Path(root) / FOLDER / "reserved").glob("*/*"):
        try:
            if path.read_text(encoding="utf-8").strip() == owner:
                path.unlink()
        except FileNotFoundError:
            pass


def reserved_by(root: Path, server: str, name: str) -> str:
    """The journal holding a reservation of ``name`` ("" when none)."""
    try:
        return _reservation(root, server, name).read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return ""


# Recovery --------------------------------------------------------------------------------

def pending(root: Path) -> list[Path]:
    """The journal files under ``root``, oldest first (running ones included)."""
    folder = Path(root) / FOLDER
    return sorted(folder.glob("*.jsonl")) if folder.is_dir() else []


def claimed_names(root: Path) -> set[str]:
    """Every database or user name, path and context name a running or interrupted command
    has reserved, made, moved or will remove (what a listing of orphans must leave alone)."""
    names = {path.name for path in (Path(root) / FOLDER / "reserved").glob("*/*")}
    for path in pending(root):
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except FileNotFoundError:
            continue
        for line in lines:
            try:
                action = json.loads(line).get("action") or {}
            except ValueError:
                continue
            for key in ("path", "from", "to", "name", "user"):
                if action.get(key):
                    names.add(str(action[key]))
    return names


def is_running(path: Path) -> bool:
    """Whether the provision that writes the journal ``path`` is still alive (holds its lock)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


def recover(contexts: Contexts, logger: Logger, *, context: str | None = None
            ) -> list[dict[str, Any]]:
    """Recover every journal whose process is gone (only those touching ``context`` when it
    is given): roll back before the commit point, roll forward after it. Returns outcomes.

    Raises JournalError when one cannot be recovered: nothing may run on a context whose last
    command is half done.
    """
    outcomes = []
    for path in pending(contexts.root):
        journal = Journal.resume(contexts, logger, path)
        if journal is None:
            continue
        if context is not None and context not in journal.touched_contexts():
            journal.release()
            continue
        outcomes.append(recover_one(journal))
    _prune_outcomes(contexts.root)
    _prune_openings(contexts.root)
    return outcomes


def recover_one(journal: Journal) -> dict[str, Any]:
    """Finish one interrupted journal and say how."""
    global _current
    logger = journal.logger
    begin = journal.begin_record
    what = f"{journal.command} of {begin.get('context')}"
    step = journal.last_step
    at = f" at the step {step}" if step else " before its first step"
    previous, _current = _current, None
    try:
        if journal.committed:
            logger.notice(f"Recovering the interrupted {what} (stopped{at}, after its commit "
                          "point): finishing its cleanup.")
            journal.finish({})
            outcome = journal.record_outcome("completed", "recovery")
            logger.ok(f"The interrupted {what} was completed by recovery.")
        else:
            logger.notice(f"Recovering the interrupted {what} (stopped{at}): rolling back "
                          "everything it changed.")
            journal.roll_back()
            outcome = journal.record_outcome("rolled back", "recovery")
            logger.ok(f"The interrupted {what} was rolled back: everything is as it was "
                      "before it started.")
    except Exception as error:
        raise JournalError(
            f"The interrupted {what} (stopped{at}) could not be recovered: {error}. Fix the "
            f"cause, then run `provision recover` (its journal is {journal.path})."
        ) from error
    finally:
        _current = previous
    return outcome


def outcome_of(root: Path, task_id: int) -> dict[str, Any] | None:
    """How the command of task ``task_id`` ended, when it ended by rollback or recovery."""
    path = folder_of(root) / "outcomes" / f"{task_id}.json"
    try:
        found: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    except (FileNotFoundError, ValueError):
        return None
    return found


def _prune_outcomes(root: Path) -> None:
    folder = Path(root) / FOLDER / "outcomes"
    if not folder.is_dir():
        return
    limit = time.time() - OUTCOME_DAYS * 86400
    for path in folder.glob("*.json"):
        if path.stat().st_mtime < limit:
            path.unlink(missing_ok=True)


def _prune_openings(root: Path) -> None:
    limit = time.time() - 3600
    for path in (Path(root) / FOLDER).glob(f"*{OPENING}"):
        try:
            if path.stat().st_mtime < limit and not is_running(path):
                path.unlink()
        except FileNotFoundError:
            pass


@contextmanager
def suspended() -> Iterator[None]:
    """Run the block with no current journal (recovery and cleanup act unrecorded)."""
    global _current
    previous, _current = _current, None
    try:
        yield
    finally:
        _current = previous


def encode(data: bytes | None) -> str | None:
    """File content for a journal line."""
    return None if data is None else base64.b64encode(data).decode("ascii")


def decode(text: str | None) -> bytes | None:
    """File content from a journal line."""
    return None if text is None else base64.b64decode(text)
