"""The aegir root's folders and their modes (see docs/protocol.md)."""

from __future__ import annotations

from pathlib import Path

from .log import Logger
from .transport import Transport

#: Folders every server verify makes sure of, relative to the root, with their modes.
ROOT_FOLDERS = {
    "contexts": 0o700,
    "config": 0o711,
    "config/includes": 0o711,
    "clients": 0o711,
    "backups": 0o700,
    "platforms": 0o755,
}

#: The folders of a web server's configuration, included in this order.
HTTP_FOLDERS = ("pre.d", "platform.d", "vhost.d", "post.d")
HTTP_FOLDER_MODE = 0o700
SERVER_CONFIG_MODE = 0o711
#: ``config/<server>/credentials/<uri>.json``: each site's database account, which PHP reads.
#: The folder belongs to the web server's group and is setgid, so that every file written in
#: it (a rewrite, or a rollback putting an old one back) gets that group from its first byte;
#: others may not even enter it.
CREDENTIALS_FOLDER = "credentials"
CREDENTIALS_FOLDER_MODE = 0o2710
CREDENTIALS_MODE = 0o640


class AegirRoot:
    """Paths under one aegir root."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    def __truediv__(self, relative: str) -> Path:
        return self.path / relative

    def server_config(self, server: str) -> Path:
        """``config/<server>``, the folder of a server's web server configuration."""
        return self.path / "config" / server.lstrip("@")

    def ensure(self, transport: Transport, logger: Logger) -> None:
        """Create the root's folders, or repair their modes."""
        for relative, mode in ROOT_FOLDERS.items():
            folder = self.path / relative
            created = not transport.exists(folder)
            transport.makedirs(folder, mode)
            if created:
                logger.info(f"Created {folder}")
