"""The noun commands of ``hostmaster``: ``site``, ``platform``, ``server``, ``client``,
``user``, ``backup``, ``task`` and ``feature``, each with ``list``, ``show`` and what the panel
does with it (add, edit, delete, and one command per task type), through the same services,
availability rules and argument checks as the panel and the REST API.

Every answer is a table or sentences, or with ``--json`` the REST API's object
(hostmaster/api/serialize.py); the exit codes are in ``output.py``.
"""

from __future__ import annotations

import click


def commands() -> list[click.Command]:
    """The noun groups, for hostmaster/cli.py's ``commands()``."""
    from .backups import backup_cli
    from .clients import client_cli
    from .features import feature_cli
    from .platforms import platform_cli
    from .servers import server_cli
    from .sites import site_cli
    from .tasks import task_cli
    from .users import user_cli

    return [site_cli, platform_cli, server_cli, client_cli, user_cli, backup_cli, task_cli,
            feature_cli]
