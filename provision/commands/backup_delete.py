"""``provision @site backup-delete --backup_files=a,b``: remove backup archives.

Only files in the aegir root's ``backups`` folder are removed; any other path is refused
before anything is deleted. A file already gone is a warning. The removals are the command's
cleanup, after its commit point: a kill never leaves a half-deleted list undone.
"""

from __future__ import annotations

from typing import Any

from ..errors import ProvisionError
from ..sites.moves import backup_in_root
from . import Invocation, finish

CONTEXT = "optional"


def run(invocation: Invocation) -> dict[str, Any]:
    """Delete the backups; the result lists those deleted and those already missing."""
    logger = invocation.logger
    given = invocation.options.get("backup_files") or invocation.args
    if isinstance(given, str):
        given = [part for part in given.split(",") if part.strip()]
    if not given:
        raise ProvisionError("Name the backups to delete: --backup_files=FILE,FILE.")
    files = [backup_in_root(invocation.contexts, name) for name in given]
    journal = invocation.journal
    assert journal is not None
    deleted, missing = [], []
    for path in files:
        if path.is_file():
            journal.after_commit({"type": "remove_tree", "server": None, "path": str(path)})
            deleted.append(str(path))
        else:
            missing.append(str(path))
            logger.warning(f"The backup {path} did not exist; nothing was deleted.")
    result = {"deleted": deleted, "missing": missing}
    finish(invocation, result)
    logger.success(f"Deleted {len(deleted)} backups.")
    return result
