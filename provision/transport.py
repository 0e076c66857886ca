"""How services reach a server: run a command, read and write its files.

Services never call :mod:`subprocess` or touch files directly; they go through a transport, so
that a server reached over SSH only needs another transport class, not other services.
"""

from __future__ import annotations

import os
import shutil
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Protocol

from . import files, shell
from .errors import ServiceError
from .journal_actions import note_file, note_folder, note_rename, trash_for
from .shell import Completed


class Transport(Protocol):
    """What a service may do on its server."""

    def run(
        self,
        argv: str | Sequence[str],
        *,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = shell.DEFAULT_TIMEOUT,
        check: bool = True,
        pass_fds: Sequence[int] = (),
    ) -> Completed:
        """Run a command on the server (see :func:`provision.shell.run`)."""
        ...

    def write_file(self, path: Path, text: str | bytes, mode: int = 0o644) -> None:
        """Write a file atomically with ``mode``."""
        ...

    def read_file(self, path: Path) -> bytes:
        """A file's content; raises FileNotFoundError when it does not exist."""
        ...

    def exists(self, path: Path) -> bool:
        """Whether ``path`` exists."""
        ...

    def file_mode(self, path: Path) -> int | None:
        """The permission bits of ``path``, or None when it does not exist."""
        ...

    def makedirs(self, path: Path, mode: int = 0o755) -> None:
        """Create a folder and its parents; ``mode`` is set on the folder itself."""
        ...

    def remove(self, path: Path) -> None:
        """Remove a file or a folder tree; nothing happens when it is already gone."""
        ...

    def rename(self, source: Path, target: Path) -> None:
        """Rename ``source`` to ``target`` (same file system; ``target`` must not exist)."""
        ...

    def set_group(self, path: Path, group: str) -> None:
        """Give ``path`` to ``group`` (its owner stays); raises ServiceError when it cannot."""
        ...

    def chmod(self, path: Path, mode: int) -> None:
        """Set the permission bits of ``path``."""
        ...

    def push_folder(self, path: Path, *, exclude: Sequence[str] = ()) -> None:
        """Make the folder ``path`` on this server a copy of the master's ``path``.

        The spoke model: platforms and sites live on the master and every server keeps them
        at the same path. Files the master lacks are deleted there, except ``exclude`` (rsync
        patterns). Nothing happens on the master itself.
        """
        ...

    def pull_folder(self, path: Path, *, exclude: Sequence[str] = ()) -> None:
        """Make the master's folder ``path`` a copy of this server's ``path`` (the reverse)."""
        ...

    @property
    def remote(self) -> bool:
        """Whether the server is another machine than the one provision runs on."""
        ...

    @property
    def where(self) -> str:
        """The server for people: ``this machine`` or ``user@host:port over SSH``."""
        ...


class LocalTransport:
    """The transport for the machine provision runs on.

    Every change it makes is noted in the command's journal first (:mod:`provision.journal`);
    before the commit point a folder is moved aside rather than removed.
    """

    remote = False
    where = "this machine"

    def run(
        self,
        argv: str | Sequence[str],
        *,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        timeout: float = shell.DEFAULT_TIMEOUT,
        check: bool = True,
        pass_fds: Sequence[int] = (),
    ) -> Completed:
        """Run a command here (see :func:`provision.shell.run`)."""
        return shell.run(
            argv, input=input, env=env, timeout=timeout, check=check, pass_fds=pass_fds
        )

    def write_file(self, path: Path, text: str | bytes, mode: int = 0o644) -> None:
        """Write a file atomically with ``mode``."""
        note_file(self, path)
        files.write_atomic(path, text, mode)

    def read_file(self, path: Path) -> bytes:
        """A file's content; raises FileNotFoundError when it does not exist."""
        return Path(path).read_bytes()

    def exists(self, path: Path) -> bool:
        """Whether ``path`` exists (a dangling symbolic link counts as existing)."""
        return os.path.lexists(path)

    def file_mode(self, path: Path) -> int | None:
        """The permission bits of ``path``, or None when it does not exist."""
        try:
            return stat.S_IMODE(os.stat(path).st_mode)
        except FileNotFoundError:
            return None

    def makedirs(self, path: Path, mode: int = 0o755) -> None:
        """Create a folder and its parents; ``mode`` is set on the folder even if it existed.

        The mode is applied with chmod because ``mkdir`` is subject to the umask, and because
        verify must repair a folder whose mode was changed by hand.
        """
        note_folder(self, Path(path))
        Path(path).mkdir(parents=True, exist_ok=True)
        os.chmod(path, mode)

    def remove(self, path: Path) -> None:
        """Remove a file or a folder tree; nothing happens when it is already gone."""
        target = Path(path)
        if target.is_dir() and not target.is_symlink():
            trash = trash_for(self, target)
            if trash is not None:
                os.rename(target, trash)
            else:
                shutil.rmtree(target)
        elif os.path.lexists(target):
            note_file(self, target)
            target.unlink()

    def rename(self, source: Path, target: Path) -> None:
        """Rename ``source`` to ``target`` (same file system; ``target`` must not exist)."""
        if os.path.lexists(target):
            raise ServiceError(f"{target} exists already, so {source} was not moved there.")
        note_rename(self, Path(source), Path(target))
        os.rename(source, target)

    def set_group(self, path: Path, group: str) -> None:
        """Give ``path`` to ``group`` (its owner stays); raises ServiceError when it cannot."""
        import grp

        try:
            gid = grp.getgrnam(group).gr_gid
        except KeyError:
            raise ServiceError(
                f"The group {group} does not exist on this machine; create it or set the web "
                "server's web_group to the group its workers run as."
            ) from None
        try:
            os.chown(path, -1, gid)
        except PermissionError:
            raise ServiceError(
                f"provision may not give {path} to the group {group}; add the user running "
                f"provision to {group}, then verify again."
            ) from None

    def chmod(self, path: Path, mode: int) -> None:
        """Set the permission bits of ``path``."""
        os.chmod(path, mode)

    def push_folder(self, path: Path, *, exclude: Sequence[str] = ()) -> None:
        """Nothing to do: the master's folder is the folder."""

    def pull_folder(self, path: Path, *, exclude: Sequence[str] = ()) -> None:
        """Nothing to do: the master's folder is the folder."""
