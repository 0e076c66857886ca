"""The one way provision writes a file: atomically, with its final mode from the first byte."""

from __future__ import annotations

import os
from pathlib import Path


def write_atomic(path: str | os.PathLike[str], text: str | bytes, mode: int = 0o644) -> None:
    """Write ``text`` to ``path`` through a temporary file in the same folder and a rename.

    Readers see either the old file or the complete new one, never a partial write. The
    temporary file gets ``mode`` before any content is written, so a secret is never readable
    by others, not even for a moment. The folder must exist.
    """
    import tempfile  # here, not at the top: provision's start-up time counts per task

    target = Path(path)
    data = text.encode("utf-8") if isinstance(text, str) else text
    fd, temporary = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, target)
    except BaseException:
        # Leave no half-written temporary file behind, whatever stopped us.
        try:
            os.unlink(temporary)
        except FileNotFoundError:
            pass
        raise
