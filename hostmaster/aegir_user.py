"""A ``hostmaster`` command started as root continues as the aegir user (provision/aegir_user.py).

``hostmaster bootstrap`` is the one exception: it needs root once, to make the MariaDB admin
account over root's socket, and then hands the panel's folder (``var/``: the store, its keys)
over to the aegir user. Every other command, ``serve`` and ``dispatch`` included, becomes the
aegir user before it opens the store, so that no file of the panel ever belongs to root.
"""

from __future__ import annotations

import os
import pwd
from pathlib import Path

from provision.aegir_user import AEGIR_USER, refused_as_root

from .console.output import Refused

SETUP = "run `make run` or `bash contrib/stack/install.sh run` as root first: it creates the user"


def aegir_account() -> pwd.struct_passwd:
    """The aegir user's account; Refused when the machine has none."""
    try:
        return pwd.getpwnam(AEGIR_USER)
    except KeyError:
        raise Refused(
            f"There is no {AEGIR_USER} user on this machine, and the panel does not run as "
            f"root: {SETUP}."
        ) from None


def hand_over(folder: Path) -> None:
    """Make ``folder`` and everything in it the aegir user's (when run as root)."""
    if not refused_as_root() or not folder.exists():
        return
    account = aegir_account()
    for path in [folder, *folder.rglob("*")]:
        if not path.is_symlink():
            os.chown(path, account.pw_uid, account.pw_gid)


def become_aegir(folder: Path) -> None:
    """As root: hand ``folder`` over, then continue as the aegir user (its groups, its home).
    Does nothing for anyone else, or where root is allowed (the test suite)."""
    if not refused_as_root():
        return
    account = aegir_account()
    hand_over(folder)
    os.setgroups(os.getgrouplist(account.pw_name, account.pw_gid))
    os.setgid(account.pw_gid)
    os.setuid(account.pw_uid)
    os.environ.update(HOME=account.pw_dir, USER=account.pw_name, LOGNAME=account.pw_name)


def is_aegir() -> bool:
    """True when this process runs as the aegir user."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name == AEGIR_USER
    except KeyError:
        return False
