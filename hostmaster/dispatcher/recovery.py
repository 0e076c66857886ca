"""When provision dies in the middle of a task: its journal recovered, and the task told so.

provision journals every change (provision/journal.py). When the provision of a task ends
without a result (killed, timed out, its machine restarted) the dispatcher runs
``provision recover`` for the task's context at once, which rolls the command back (stopped
before its commit point) or finishes it (after), and reads how the task's command ended:

- rolled back: the task ends as ERROR, "interrupted at the step X; rolled back", and its result
  object carries ``recovery`` for the entity's page;
- completed: the command's own result (kept in its journal at the commit point) is applied as
  if provision had reported it, and the task ends as WARNING saying it was completed by
  recovery, so that the store and the contexts agree.

A dispatcher that starts recovers what dispatchers that died left (``recover_all``); ending a
task whose lease expired asks the same question first (``recover_task``).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import provision_process

log = logging.getLogger(__name__)

#: How long a recovery may take (it rolls back or finishes one command).
RECOVERY_TIMEOUT = 600.0


@dataclass
class Recovery:
    """What ``provision recover`` said about one task."""

    outcome: str = ""  # "rolled back", "completed", "running" or "" (nothing to recover)
    step: str = ""
    result: dict[str, Any] = field(default_factory=dict)
    lines: list[tuple[str, str, float | None]] = field(default_factory=list)
    error: str = ""

    def as_result(self) -> dict[str, Any] | None:
        """The result line the task's provision would have written, or None (a failure)."""
        recovery = {"outcome": self.outcome, "step": self.step}
        if self.outcome == "completed":
            return {"type": "result", "error_status": 0,
                    "object": {**self.result, "recovery": recovery}}
        if self.outcome == "rolled back":
            return {"type": "result", "error_status": 1, "object": {"recovery": recovery}}
        return None

    def sentence(self, what: str) -> tuple[str, str]:
        """The task log's line about the interruption: (level, message)."""
        at = f" at the step {self.step}" if self.step else ""
        if self.outcome == "completed":
            return ("warning", f"provision was interrupted{at}, after the point where {what} "
                               "could no longer be undone; recovery completed it.")
        if self.outcome == "rolled back":
            return ("error", f"provision was interrupted{at}; everything it had changed was "
                             f"rolled back, so {what} is as it was before the task.")
        if self.outcome == "running":
            return ("error", "provision is still running this task although its dispatcher "
                             "lost it; it is ended here and its own journal will undo it.")
        if self.error:
            return ("error", f"provision was interrupted, and its recovery failed: {self.error} "
                             "Run `provision recover` on the master once the cause is fixed.")
        return ("error", "provision was interrupted before it changed anything.")


def recover_task(argv: list[str], task_id: int, timeout: float = RECOVERY_TIMEOUT) -> Recovery:
    """Run ``provision ... @context recover`` for ``task_id``; ``argv`` is the task's own
    provision command line (its verb is replaced by ``recover``)."""
    found = Recovery()

    def keep(level: str, message: str, time: float | None) -> None:
        found.lines.append((level, message, time))

    try:
        ran = provision_process.run([*argv[:-1], "recover"], {"task_id": task_id}, keep,
                                    timeout)
    except OSError as error:
        found.error = f"provision could not be started ({error.strerror or error})."
        return found
    obj = (ran.result or {}).get("object") or {}
    if ran.result is None or ran.result.get("error_status"):
        errors = [message for level, message, _time in found.lines if level == "error"]
        found.error = errors[-1] if errors else f"provision exited with {ran.exit_status}."
        return found
    task = obj.get("task") or {}
    if task:
        found.outcome = str(task.get("outcome") or "")
        found.step = str(task.get("step") or "")
        found.result = dict(task.get("result") or {})
    elif obj.get("running"):
        found.outcome = "running"
    return found


def recover_all(argv_base: list[str], aegir_root: str) -> None:
    """At a dispatcher's start: recover every command left interrupted (when there is any)."""
    if not any((Path(aegir_root) / "journal").glob("*.jsonl")):
        return
    found = Recovery()
    ran = provision_process.run(
        [*argv_base, "--root", aegir_root, "--backend", "recover"], {},
        lambda level, message, _time: found.lines.append((level, message, None)),
        RECOVERY_TIMEOUT)
    for level, message, _time in found.lines:
        if level in ("notice", "ok", "warning", "error"):
            log.warning("recovery: %s", message)
    recovered = ((ran.result or {}).get("object") or {}).get("recovered") or []
    if recovered:
        log.warning("recovered %d interrupted provision commands", len(recovered))
