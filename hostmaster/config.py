"""Configuration: defaults, overridden by ``HOSTMASTER_*`` environment variables."""

from __future__ import annotations

import os
import pwd
import secrets
from pathlib import Path
from typing import Any

from provision.aegir_user import AEGIR_USER

from .private_files import make_private_folder

PROJECT_ROOT = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("HOSTMASTER_VAR_DIR", PROJECT_ROOT / "var"))


def _secret_key() -> str:
    """The session signing key: from the environment, else a file in var/ made once (0600)."""
    if os.environ.get("HOSTMASTER_SECRET_KEY"):
        return os.environ["HOSTMASTER_SECRET_KEY"]
    key_file = VAR_DIR / "secret_key"
    if not key_file.exists():
        make_private_folder(VAR_DIR)
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(secrets.token_hex(32))
    return key_file.read_text().strip()


def default_aegir_root() -> str:
    """The aegir user's home when the panel runs as that user (contrib/stack/install.sh makes
    it /var/aegir, as the original); /var/aegir for root; var/aegir for anyone else."""
    account = _account()
    if account is not None and account.pw_name == AEGIR_USER:
        return account.pw_dir
    return "/var/aegir" if os.geteuid() == 0 else str(VAR_DIR / "aegir")


def _account() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwuid(os.geteuid())
    except KeyError:
        return None


def default_config() -> dict[str, Any]:
    """The settings an app starts from, before the caller's overrides."""
    return {
        "SECRET_KEY": None,  # filled lazily by create_app so tests never touch var/
        "SQLALCHEMY_DATABASE_URI": os.environ.get(
            "HOSTMASTER_DATABASE_URL", f"sqlite:///{VAR_DIR / 'hostmaster.db'}"
        ),
        "AEGIR_ROOT": os.environ.get("AEGIR_ROOT", default_aegir_root()),
        # The key that encrypts secrets in the store (hostmaster/store_secrets.py).
        "SECRETS_KEY_FILE": os.environ.get(
            "HOSTMASTER_SECRET_KEY_FILE", str(VAR_DIR / "secrets.key")
        ),
        # The folder every platform lies in; empty: <AEGIR_ROOT>/platforms.
        "PLATFORM_BASE_PATH": os.environ.get("HOSTMASTER_PLATFORM_BASE_PATH", ""),
        # How the dispatcher starts provision; the root and the context are appended.
        "PROVISION_COMMAND": os.environ.get("HOSTMASTER_PROVISION_COMMAND", ""),
        "DISPATCH_CONCURRENCY": int(os.environ.get("HOSTMASTER_DISPATCH_CONCURRENCY", "4")),
        "DISPATCH_LEASE_SECONDS": float(os.environ.get("HOSTMASTER_LEASE_SECONDS", "60")),
        "DISPATCH_POLL_SECONDS": float(os.environ.get("HOSTMASTER_POLL_SECONDS", "0.2")),
        # How long the dispatcher waits for the store to answer one statement before it
        # gives up and tries again (0: no limit); well under the lease, see store.limit_waits.
        "DISPATCH_STORE_TIMEOUT_SECONDS": float(os.environ.get("HOSTMASTER_STORE_TIMEOUT", "10")),
        "TASK_TIMEOUT_SECONDS": float(os.environ.get("HOSTMASTER_TASK_TIMEOUT", "3600")),
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Secure always when the front end's address is https; else on requests that came
        # over HTTPS (hostmaster/http_security.py).
        "SESSION_COOKIE_SECURE": os.environ.get("HOSTMASTER_URL", "").startswith("https://"),
        "REMEMBER_COOKIE_SECURE": os.environ.get("HOSTMASTER_URL", "").startswith("https://"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        # How many reverse proxies in front of the panel set X-Forwarded-For and
        # X-Forwarded-Proto; 0 (the default) trusts neither header.
        "PROXY_COUNT": int(os.environ.get("HOSTMASTER_PROXY_COUNT", "0")),
        "PAGE_SIZE": 50,
        # The front end's base URL as sites' visitors reach it (the "site disabled" page).
        "HOSTMASTER_URL": os.environ.get(
            "HOSTMASTER_URL",
            "http://{}:{}".format(
                os.environ.get("HOSTMASTER_HOST", "127.0.0.1"),
                os.environ.get("HOSTMASTER_PORT", "5000"),
            ),
        ),
    }


def secret_key() -> str:
    """The key used to sign sessions and CSRF tokens."""
    return _secret_key()
