"""Context files: ``<root>/contexts/<name without @>.json``, one per context.

A file holds ``{"name": "@x", "context_type": "...", "properties": {...}}``. It is written
atomically, with mode 0600 when it holds a secret and 0640 otherwise; the folder is 0700.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import ContextError
from ..files import write_atomic
from .names import short_name, validate_name

FOLDER_MODE = 0o700
SECRET_MODE = 0o600
PLAIN_MODE = 0o640


@dataclass
class StoredContext:
    """A context as stored: its name, type and the properties that are set."""

    name: str
    context_type: str
    properties: dict[str, Any] = field(default_factory=dict)


class ContextStore:
    """Reads and writes the context files under one aegir root."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self.folder = self.root / "contexts"

    def path_for(self, name: str) -> Path:
        """The file of context ``name``."""
        return self.folder / f"{short_name(validate_name(name))}.json"

    def exists(self, name: str) -> bool:
        """Whether context ``name`` is stored."""
        return self.path_for(name).is_file()

    def read(self, name: str) -> StoredContext | None:
        """The stored context ``name``, or None when there is none."""
        path = self.path_for(name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise ContextError(
                f"The context file {path} cannot be read ({error}); fix or delete it, then "
                f"save {name} again."
            ) from None
        if not isinstance(data, dict) or not isinstance(data.get("properties"), dict):
            raise ContextError(
                f"The context file {path} is not a context; delete it and save {name} again."
            )
        return StoredContext(name, str(data.get("context_type", "")), data["properties"])

    def write(self, context: StoredContext, *, secret: bool) -> Path:
        """Store ``context``; ``secret`` says whether it holds a secret (mode 0600)."""
        document = {
            "name": context.name,
            "context_type": context.context_type,
            "properties": context.properties,
        }
        text = json.dumps(document, indent=2, sort_keys=True) + "\n"
        return self.write_text(context.name, text, SECRET_MODE if secret else PLAIN_MODE)

    def write_text(self, name: str, text: str, mode: int) -> Path:
        """Store the context file of ``name`` as ``text`` (noted in the journal first)."""
        from ..journal_actions import note_context

        self.ensure_folder()
        path = self.path_for(name)
        note_context(self, name)
        write_atomic(path, text, mode)
        return path

    def delete(self, name: str) -> bool:
        """Remove context ``name``; False when it was not stored."""
        from ..journal_actions import note_context

        path = self.path_for(name)
        if not path.is_file():
            return False
        note_context(self, name)
        try:
            path.unlink()
        except FileNotFoundError:
            return False
        return True

    def names(self) -> list[str]:
        """The names of every stored context, sorted."""
        if not self.folder.is_dir():
            return []
        return sorted("@" + path.stem for path in self.folder.glob("*.json"))

    def ensure_folder(self) -> None:
        """Create the contexts folder (mode 0700) when it is missing."""
        if not self.folder.is_dir():
            try:
                self.folder.mkdir(parents=True, exist_ok=True)
            except OSError as error:
                raise ContextError(
                    f"The contexts folder {self.folder} cannot be created ({error.strerror}); "
                    "check the aegir root (--root or AEGIR_ROOT)."
                ) from None
        if (self.folder.stat().st_mode & 0o777) != FOLDER_MODE:
            os.chmod(self.folder, FOLDER_MODE)
