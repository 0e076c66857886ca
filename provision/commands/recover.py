"""``provision recover [@name] [--task_id=N]``: finish interrupted commands.

Every journal whose provision is gone (killed, or its machine restarted) is rolled back when it
stopped before its commit point, or rolled forward (its cleanup finished) after it; with a
context, only the journals that touched it. With ``--task_id`` the result also says how that
task's command ended, if it ended by a rollback or a recovery (the dispatcher asks this after a
provision it started died). Journals of commands still running are left alone and listed.
"""

from __future__ import annotations

from typing import Any

from ..journal import is_running, outcome_of, pending, recover
from . import Invocation

CONTEXT = "optional"


def run(invocation: Invocation) -> dict[str, Any]:
    """Recover; the result lists the recovered commands and, when asked, one task's outcome."""
    contexts = invocation.contexts
    logger = invocation.logger
    recovered = recover(contexts, logger, context=invocation.name or None)
    running = [path.stem for path in pending(contexts.root) if is_running(path)]
    task_id = invocation.task_id or _task_id(invocation.options.get("task_id"))
    task = outcome_of(contexts.root, task_id) if task_id is not None else None
    if not recovered:
        logger.info("No interrupted command needed recovering"
                    + (f" ({len(running)} still running)." if running else "."))
    return {"recovered": recovered, "running": running, "task": task}


def _task_id(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None
