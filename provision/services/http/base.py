"""What apache and nginx share: the config folders, the include file, test-then-reload.

Every configuration change goes through :meth:`HttpService.apply`: the files are written
through a :class:`~provision.checkpoint.Checkpoint`, the web server's configuration test runs,
and only if it passes is the server reloaded; otherwise the previous files are put back and
the web server keeps serving with the configuration it has.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from ... import validation
from ...checkpoint import Checkpoint
from ...contexts.properties import Property
from ...errors import CommandFailed, ServiceError
from ...layout import (
    CREDENTIALS_FOLDER,
    CREDENTIALS_FOLDER_MODE,
    HTTP_FOLDER_MODE,
    HTTP_FOLDERS,
    SERVER_CONFIG_MODE,
    AegirRoot,
)
from ...locks import ConfigLock
from ...tls.site_tls import CHALLENGE_FOLDER_MODE, challenge_folder
from ..base import Service
from .panel import PanelVhost
from .vhost import SiteVhosts

if TYPE_CHECKING:
    from ...contexts.model import PlatformContext
    from ...log import Logger

CONFIG_MODE = 0o644
DEFAULT_PAGE = "No site is configured for this address."


class HttpService(SiteVhosts, Service):
    """A web server whose configuration lives under ``<root>/config/<server>/``."""

    service = "http"
    default_restart_cmd: ClassVar[str] = ""
    default_configtest_cmd: ClassVar[str] = ""
    default_include_dir: ClassVar[str] = ""
    #: Seconds a configuration change waits after the previous reload (see provision.locks),
    #: unless the server's ``http_reload_settle`` says otherwise.
    default_reload_settle: ClassVar[float] = 0.0

    @classmethod
    def properties(cls) -> list[Property]:
        """Port, reload and test commands, include folder and web group."""
        return [
            Property("http_port", "the port the web server listens on", kind="port", default=80),
            Property("https_port", "the port sites' HTTPS is served on (Apache: the server's "
                     "own ports configuration listens on it)", kind="port", default=443),
            Property("http_restart_cmd", "the command that reloads the web server",
                     default=cls.default_restart_cmd, check=validation.command),
            Property("http_configtest_cmd", "the command that tests its configuration",
                     default=cls.default_configtest_cmd, check=validation.command),
            Property("http_include_dir", "the folder of the web server's configuration that "
                     "provision adds its one include file to", kind="path",
                     default=cls.default_include_dir),
            Property("web_group", "the group the web server runs as", default="www-data",
                     check=validation.system_user),
            Property("http_reload_settle", "seconds a configuration change waits after the "
                     "previous reload, so that the web server has re-read its configuration; "
                     "0 only where the restart command returns once the reload is complete",
                     kind="seconds", default=cls.default_reload_settle),
        ]

    # Paths -------------------------------------------------------------------------------

    @property
    def config_dir(self) -> Path:
        """``<root>/config/<server>``."""
        return AegirRoot(self.server.contexts.root).server_config(self.server.short_name)

    @property
    def config_file(self) -> Path:
        """The server's main file, ``<root>/config/<server>/<type>.conf``."""
        return self.config_dir / f"{self.type}.conf"

    def folder(self, name: str) -> Path:
        """One of the folders ``pre.d``, ``platform.d``, ``vhost.d``, ``post.d``."""
        return self.config_dir / self.type / name

    @property
    def include_file(self) -> Path:
        """The one file provision writes into the web server's own configuration."""
        return Path(self.setting("http_include_dir")) / f"aegir-{self.server.short_name}.conf"

    def platform_file(self, platform: PlatformContext) -> Path:
        """``platform.d/<platform>.conf``."""
        return self.folder("platform.d") / f"{platform.short_name}.conf"

    def config_lock(self) -> ConfigLock:
        """The lock every change of this server's web configuration holds (provision.locks).

        Taking it tells the command's journal that this web server must be tested and
        reloaded once its files are put back, should the command be undone."""
        from ...journal_actions import note_reload

        note_reload(self)
        settle = float(self.setting("http_reload_settle"))
        return ConfigLock(self.config_dir / ".config.lock", settle)

    #: Whether this command has made or repaired the folders already (every vhost written
    #: asks; on a remote server each look is a round trip).
    _folders_ensured = False

    def ensure_folders(self, logger: Logger) -> None:
        """Create the server's configuration folders and its sites' credentials folder (setgid,
        the web group's), or repair their modes and group; once per command."""
        if self._folders_ensured:
            return
        self.transport.makedirs(self.config_dir, SERVER_CONFIG_MODE)
        folders = {self.folder(name): HTTP_FOLDER_MODE for name in HTTP_FOLDERS}
        folders[self.config_dir / CREDENTIALS_FOLDER] = CREDENTIALS_FOLDER_MODE
        folders[challenge_folder(self)] = CHALLENGE_FOLDER_MODE
        for folder, mode in folders.items():
            created = not self.transport.exists(folder)
            self.transport.makedirs(folder, mode)
            if created:
                logger.info(f"Created {folder}")
        credentials = self.config_dir / CREDENTIALS_FOLDER
        self.transport.set_group(credentials, str(self.setting("web_group")))
        # An unprivileged chgrp may clear the setgid bit: set the mode again after it.
        self.transport.chmod(credentials, CREDENTIALS_FOLDER_MODE)
        self._folders_ensured = True

    # Verify ------------------------------------------------------------------------------

    def verify_server(self, logger: Logger) -> dict[str, Any]:
        """Write the server's configuration and its include file, test, reload."""
        self.ensure_folders(logger)
        include_dir = Path(self.setting("http_include_dir"))
        if not self.transport.exists(include_dir):
            raise ServiceError(
                f"The {self.type} include folder {include_dir} does not exist; set "
                f"http_include_dir of {self.server.name} to a folder {self.type} includes "
                f"(usually {self.default_include_dir})."
            )
        server_config = self.render(
            f"{self.type}/server.conf.j2",
            port=self.setting("http_port"),
            folders={name: self.folder(name) for name in HTTP_FOLDERS},
            default_page=DEFAULT_PAGE,
            include_file=self.include_file,
            panel_file=PanelVhost(self).file,
            extra=self.extra_config(self.server, "server"),
        )
        include = self.render(f"{self.type}/include.conf.j2", config_file=self.config_file)
        panel = PanelVhost(self)
        with self.config_lock() as lock:
            checkpoint = Checkpoint(self.transport)
            panel.write(checkpoint, logger)
            if checkpoint.write(self.config_file, server_config, CONFIG_MODE):
                logger.info(f"Wrote {self.config_file}")
            if checkpoint.write(self.include_file, include, CONFIG_MODE):
                logger.info(f"Wrote {self.include_file}")
            reloaded = self.apply(checkpoint, lock, logger)
        return {
            "type": self.type,
            "config_file": str(self.config_file),
            "include_file": str(self.include_file),
            "reloaded": reloaded,
            "panel": panel.certificate(logger),
        }

    def verify_platform(self, platform: PlatformContext, logger: Logger) -> dict[str, Any]:
        """Write ``platform.d/<platform>.conf`` for the platform's docroot, test, reload."""
        self.ensure_folders(logger)
        docroot = platform.docroot
        htaccess = docroot / ".htaccess"
        text = self.render(
            f"{self.type}/platform.conf.j2",
            platform=platform,
            docroot=docroot,
            htaccess=htaccess if self.transport.exists(htaccess) else None,
            extra=self.extra_config(platform, "platform"),
        )
        path = self.platform_file(platform)
        with self.config_lock() as lock:
            checkpoint = Checkpoint(self.transport)
            if checkpoint.write(path, text, CONFIG_MODE):
                logger.info(f"Wrote {path}")
            reloaded = self.apply(checkpoint, lock, logger)
        return {"config_file": str(path), "reloaded": reloaded}

    def remove_config_file(self, path: Path, logger: Logger) -> bool:
        """Remove one of this server's configuration files, test, reload; False when it was
        already gone (nothing is reloaded then)."""
        if not self.transport.exists(path):
            return False
        with self.config_lock() as lock:
            checkpoint = Checkpoint(self.transport)
            checkpoint.remove(path)
            logger.info(f"Removed {path}")
            self.apply(checkpoint, lock, logger)
        return True

    def test_and_reload(self) -> None:
        """Test the configuration as it is and reload (after files were put back by hand or by
        a journal); raises ServiceError when the test or the reload fails."""
        with self.config_lock() as lock:
            self.config_test()
            lock.reloaded()
            self.reload()

    # Test, reload, roll back -------------------------------------------------------------

    def config_test(self) -> None:
        """Run ``http_configtest_cmd``; raises CommandFailed when the configuration is broken."""
        self.transport.run(self.setting("http_configtest_cmd"))

    def reload(self) -> None:
        """Run ``http_restart_cmd``."""
        self.transport.run(self.setting("http_restart_cmd"))

    def apply(self, checkpoint: Checkpoint, lock: ConfigLock, logger: Logger) -> bool:
        """Test the configuration written through ``checkpoint``, then reload or roll back.

        Call it holding ``lock`` (:meth:`config_lock`). Returns True once the web server has
        been reloaded. On a failed test or reload the files are restored, the output is logged
        as an error, and a ServiceError is raised.
        """
        try:
            self.config_test()
        except ServiceError as failure:
            restored = checkpoint.rollback()
            output = failure.completed.output if isinstance(failure, CommandFailed) else failure
            logger.error(f"The {self.type} configuration test failed:\n{output}")
            raise ServiceError(
                f"The {self.type} configuration test failed, so {self._undone(restored)} and "
                f"{self.type} was not reloaded; fix the problem shown above, then verify again."
            ) from None
        logger.ok(f"The {self.type} configuration test passed.")
        try:
            lock.reloaded()
            self.reload()
        except ServiceError as failure:
            restored = checkpoint.rollback()
            raise ServiceError(
                f"{self.type} could not be reloaded, so {self._undone(restored)}: {failure}"
            ) from None
        checkpoint.commit()
        where = f" on {self.transport.where}" if self.transport.remote else ""
        logger.success(f"Reloaded {self.type}{where} with `{self.setting('http_restart_cmd')}`.")
        return True

    @staticmethod
    def _undone(restored: list[Path]) -> str:
        if not restored:
            return "no file written by provision needed to be put back"
        shown = ", ".join(str(path) for path in restored)
        return f"the files provision had changed were put back as they were ({shown})"
