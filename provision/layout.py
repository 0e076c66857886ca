"""The aegir root's folders and their modes (see docs/protocol.md)."""

from __future__ import annotations

import hmac
import os
import secrets
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
#: ``config/<server>/credentials/<name>.json``: each site's database account, which PHP reads.
#: The folder belongs to the web server's group and is setgid, so that every file written in
#: it (a rewrite, or a rollback putting an old one back) gets that group from its first byte;
#: others may not even enter it. Every site's PHP runs in that group, so a file's name is not
#: its site's domain (which anyone knows) but a keyed hash of it (AegirRoot.credentials_name):
#: only the site's own vhost names it, and the folder cannot be listed.
CREDENTIALS_FOLDER = "credentials"
#: The key of those names, made once on the master (0600), never sent anywhere.
CREDENTIALS_NAME_KEY = "contexts/.credentials-names.key"
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

    def credentials_name(self, server: str, uri: str) -> str:
        """The name of the credentials file of ``uri`` on ``server``: an HMAC of both under
        this root's key (CREDENTIALS_NAME_KEY), the same on every run, guessable by no site."""
        message = f"{server.lstrip('@')}\0{uri}".encode()
        return hmac.new(self._credentials_key(), message, "sha256").hexdigest()[:32]

    def _credentials_key(self) -> bytes:
        """The key, made on first use (two provisions racing both end with the same one)."""
        key_file = self.path / CREDENTIALS_NAME_KEY
        if not key_file.exists():
            key_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            draft = key_file.with_name(f"{key_file.name}.{os.getpid()}.{secrets.token_hex(4)}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                handle.write(secrets.token_hex(32))
                handle.flush()
                os.fsync(handle.fileno())
            try:
                os.link(draft, key_file)  # fails when another run made it first: theirs wins
            except FileExistsError:
                pass
            finally:
                draft.unlink()
        return bytes.fromhex(key_file.read_text().strip())

    def ensure(self, transport: Transport, logger: Logger) -> None:
        """Create the root's folders, or repair their modes."""
        for relative, mode in ROOT_FOLDERS.items():
            folder = self.path / relative
            created = not transport.exists(folder)
            transport.makedirs(folder, mode)
            if created:
                logger.info(f"Created {folder}")
