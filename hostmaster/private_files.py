"""Files only the user that runs Hostmaster may read: the store, its folder and the keys.

Whoever runs Hostmaster (root for ``make run``, the ``aegir`` user under systemd) owns what it
creates here; nothing names an owner. Folders are 0700 and files 0600 from the moment they
exist, and ``make_private`` tightens one made earlier with looser modes.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600


def make_private_folder(path: Path) -> None:
    """Create ``path`` (and its missing parents) with mode 0700 when it does not exist."""
    if path.is_dir():
        return
    make_private_folder(path.parent)
    try:
        path.mkdir(mode=FOLDER_MODE)
    except FileExistsError:
        return  # another process made it at the same moment
    os.chmod(path, FOLDER_MODE)  # mkdir's mode is subject to the umask


def create_private_file(path: Path) -> bool:
    """Create an empty ``path`` with mode 0600 unless it exists; True when it was created."""
    make_private_folder(path.parent)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return False
    os.close(fd)
    return True


def make_private(path: Path, mode: int) -> str | None:
    """Take away what others may do with ``path`` beyond ``mode`` (0600 or 0700).

    Returns a sentence saying what was changed, or why it could not be; None when the path is
    missing or already private.
    """
    try:
        current = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    if current & ~mode & 0o077 == 0:
        return None
    try:
        os.chmod(path, current & mode)
    except PermissionError:
        return (f"{path} is readable by others (mode {current:04o}) and this user may not "
                f"change it; run `chmod {mode:o} {path}` as its owner.")
    return f"{path} was readable by others (mode {current:04o}); it is now {current & mode:04o}."
