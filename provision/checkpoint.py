"""Undoable file changes: remember what a change overwrote, put it back if the change fails.

A web server's configuration must never be left broken: a command writes its files through a
:class:`Checkpoint`, tests the configuration, and on failure calls :meth:`Checkpoint.rollback`,
which restores every file it overwrote and removes every file it created.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .transport import Transport


@dataclass(frozen=True)
class _Original:
    """A file as it was before the checkpoint first touched it (None: it did not exist)."""

    content: bytes | None
    mode: int | None


class Checkpoint:
    """The files one change wrote or removed, with what they held before."""

    def __init__(self, transport: Transport) -> None:
        self.transport = transport
        self._originals: dict[Path, _Original] = {}

    @property
    def changed(self) -> list[Path]:
        """The files written or removed so far, in order."""
        return list(self._originals)

    def _remember(self, path: Path, current: bytes | None) -> None:
        if path not in self._originals:
            mode = self.transport.file_mode(path) if current is not None else None
            self._originals[path] = _Original(current, mode)

    def _current(self, path: Path) -> bytes | None:
        try:
            return self.transport.read_file(path)
        except FileNotFoundError:
            return None

    def write(self, path: Path, text: str | bytes, mode: int = 0o644) -> bool:
        """Write ``path`` unless it already holds ``text``; True when it changed.

        An unchanged file still gets ``mode``, so that verify repairs permissions.
        """
        path = Path(path)
        data = text.encode("utf-8") if isinstance(text, str) else text
        current = self._current(path)
        if current == data:
            if self.transport.file_mode(path) != mode:
                self._remember(path, current)
                self.transport.write_file(path, data, mode)
            return False
        self._remember(path, current)
        self.transport.write_file(path, data, mode)
        return True

    def remove(self, path: Path) -> bool:
        """Remove the file ``path``; True when there was one."""
        path = Path(path)
        current = self._current(path)
        if current is None:
            return False
        self._remember(path, current)
        self.transport.remove(path)
        return True

    def rollback(self) -> list[Path]:
        """Put back every file as it was; returns the files restored or removed."""
        undone = []
        for path, original in reversed(list(self._originals.items())):
            if original.content is None:
                self.transport.remove(path)
            else:
                self.transport.write_file(path, original.content, original.mode or 0o644)
            undone.append(path)
        self._originals.clear()
        return undone

    def commit(self) -> None:
        """Keep the changes: forget the previous versions."""
        self._originals.clear()
