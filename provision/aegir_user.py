"""The aegir user: provision, the dispatcher and the panel run as it, never as root.

As in the original, a hosting system whose every step runs as root turns a wrong value into a
change anywhere on the machine, and leaves files that the aegir user can no longer change.
``contrib/stack/install.sh`` creates the user (its home is the aegir root, it belongs to the web
server's group) and the sudo rules it reloads the web servers with (``contrib/sudoers``).

The test suite's private web servers, roots and stores belong to root, so it sets
``HOSTMASTER_ALLOW_ROOT=1``; its tests of ``make run`` run everything as the aegir user.
"""

from __future__ import annotations

import os

#: The system user provision and the panel run as.
AEGIR_USER = "aegir"
#: ``1`` lets root run them anyway (the test suite's private stacks); nothing else sets it.
ALLOW_ROOT_VARIABLE = "HOSTMASTER_ALLOW_ROOT"


def root_allowed() -> bool:
    """True when ``HOSTMASTER_ALLOW_ROOT=1``."""
    return os.environ.get(ALLOW_ROOT_VARIABLE) == "1"


def refused_as_root() -> bool:
    """True when this process is root and root is not allowed."""
    return os.geteuid() == 0 and not root_allowed()


def provision_root_refusal() -> str:
    """Why provision does not run as root, and what to do instead."""
    return (
        f"provision does not run as root: what it wrote would belong to root, out of the "
        f"{AEGIR_USER} user's reach, and a wrong value could reach the whole machine. Run it as "
        f"the {AEGIR_USER} user: `runuser -u {AEGIR_USER} -- provision ...` "
        f"(contrib/stack/install.sh creates the user)."
    )
