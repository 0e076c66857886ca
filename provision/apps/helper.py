"""Running the drivers' PHP helpers: a request as JSON on stdin, one result line on stdout.

Everything the helper needs, the database password included, travels on standard input, so no
process list ever shows a secret. The helper prints its answer as the last line starting with
``RESULT_MARK``; whatever the application itself prints before is kept only for the log.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import ApplicationError, ProvisionError
from ..shell import run

if TYPE_CHECKING:
    from ..log import Logger
    from .base import DatabaseCredentials

RESULT_MARK = "HOSTMASTER-RESULT "
#: An install of a standard Drupal 7 site takes ~2 s; leave room for slow disks.
HELPER_TIMEOUT = 300.0


def helper_path(app: str, name: str) -> Path:
    """The PHP helper ``name`` shipped with the ``app`` driver (``apps/<app>/php/<name>``)."""
    return Path(__file__).parent / app / "php" / name


def credentials_request(credentials: DatabaseCredentials) -> dict[str, Any]:
    """The database account as the helpers expect it (the ``db_*`` values of a credentials file,
    which the helper puts in ``$_SERVER``)."""
    return {
        "db_type": "mysql",
        "db_name": credentials.name,
        "db_user": credentials.user,
        "db_passwd": credentials.password,
        "db_host": credentials.host,
        "db_port": str(credentials.port),
    }


def run_helper(
    script: Path,
    request: dict[str, Any],
    logger: Logger,
    *,
    action: str,
    secrets: tuple[str, ...] = (),
) -> dict[str, Any]:
    """Run ``php script`` with ``request`` on stdin and return its result object.

    Raises ApplicationError carrying the helper's own message (with ``secrets`` masked) when
    it reports a failure or dies without a result.
    """
    for secret in secrets:
        logger.add_secret(secret)
    try:
        completed = run(
            ["php", "-d", "display_errors=stderr", "-d", "memory_limit=512M", str(script)],
            input=json.dumps(request).encode(),
            timeout=HELPER_TIMEOUT,
            check=False,
        )
    except ProvisionError as error:
        raise ApplicationError(f"The {action} could not run PHP: {error}") from None
    result: dict[str, Any] | None = None
    for line in completed.stdout.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK):])
    if result is None or result.get("error") or completed.returncode != 0:
        reason = (result or {}).get("error") or _last_lines(completed.output)
        message = logger.mask(str(reason or f"PHP exited with status {completed.returncode}"))
        for secret in secrets:
            message = message.replace(secret, "********")
        raise ApplicationError(
            f"The {action} failed: {message} Fix the cause (see the log above), then run the "
            "task again."
        )
    for line in result.pop("messages", []) or []:
        logger.info(str(line))
    return result


def _last_lines(text: str, count: int = 5) -> str:
    """The last lines of a helper's output, for an error that printed no result."""
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return " ".join(lines[-count:])
