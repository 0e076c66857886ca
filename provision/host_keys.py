"""Remote servers' SSH host keys: their fingerprints (SHA256, as OpenSSH prints them), the key a
server offers now, and recording a new one in the aegir root's ``.ssh/known_hosts``.

A changed key is refused when provision connects (provision/ssh.py) with the recorded and the
offered fingerprints; ``provision @server trust-key --fingerprint=...`` records the offered key
only when its fingerprint is the one the admin read on the server itself.
"""

from __future__ import annotations

import re
import socket
from pathlib import Path
from typing import Any

from .errors import ServiceError
from .files import write_atomic

#: ``SHA256:`` and 43 characters of unpadded base64, as ``ssh-keygen -lf`` prints it.
FINGERPRINT = re.compile(r"SHA256:[A-Za-z0-9+/]{43}")


def fingerprint(key: Any) -> str:
    """``SHA256:...`` of a paramiko key."""
    return str(key.fingerprint)


def key_file_hint(key_type: str) -> str:
    """The server's public key file for a key type, for the command that prints its
    fingerprint there."""
    for kind in ("ed25519", "ecdsa", "rsa"):
        if kind in key_type:
            return f"/etc/ssh/ssh_host_{kind}_key.pub"
    return "/etc/ssh/ssh_host_*_key.pub"


def known_name(address: str, port: int) -> str:
    """The name a server's keys are recorded under: ``address``, or ``[address]:port``."""
    return address if port == 22 else f"[{address}]:{port}"


def _matches(hostnames: list[str], name: str) -> bool:
    """Whether a known_hosts entry's host names include ``name`` (hashed names too)."""
    from paramiko.hostkeys import HostKeys

    for hostname in hostnames:
        if hostname == name:
            return True
        if hostname.startswith("|1|") and hostname.count("|") >= 3:
            salt = hostname.split("|")[2]
            if HostKeys.hash_host(name, salt) == hostname:
                return True
    return False


def recorded(known_hosts: Path, name: str) -> list[Any]:
    """The keys recorded for ``name``."""
    from paramiko.hostkeys import HostKeys

    if not known_hosts.is_file():
        return []
    found = HostKeys(str(known_hosts)).lookup(name)
    return list(found.values()) if found is not None else []


def offered(address: str, port: int, preferred_type: str | None, timeout: float) -> Any:
    """The host key the server's sshd offers now (of ``preferred_type`` when it has one, as
    provision's own connections ask for the recorded type first)."""
    import paramiko

    try:
        sock = socket.create_connection((address, port), timeout=timeout)
    except OSError as error:
        raise ServiceError(f"Could not reach {address}:{port} to read its SSH host key: "
                           f"{error.strerror or error}.") from None
    transport = paramiko.Transport(sock)
    try:
        transport.banner_timeout = timeout
        if preferred_type:
            options = transport.get_security_options()
            wanted = "rsa-sha2-512" if preferred_type == "ssh-rsa" else preferred_type
            if wanted in options.key_types:
                options.key_types = [wanted, *(t for t in options.key_types if t != wanted)]
        transport.start_client(timeout=timeout)
        return transport.get_remote_server_key()
    except (paramiko.SSHException, OSError, EOFError) as error:
        raise ServiceError(f"{address}:{port} did not show its SSH host key: {error}.") from None
    finally:
        transport.close()


def record(known_hosts: Path, name: str, key: Any) -> None:
    """Make ``key`` the only key recorded for ``name``; other hosts' lines stay as they are.
    The file is replaced atomically, mode 0600, in a 0700 folder."""
    from paramiko.hostkeys import HostKeyEntry

    known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    text = known_hosts.read_text() if known_hosts.is_file() else ""
    kept: list[str] = []
    for line in text.splitlines():
        stripped = line.strip()
        entry = (HostKeyEntry.from_line(stripped)
                 if stripped and not stripped.startswith("#") else None)
        if entry is None or not _matches(entry.hostnames, name):
            kept.append(line)
            continue
        others = [h for h in entry.hostnames if not _matches([h], name)]
        if others:  # a line naming this host among others keeps the others
            kept.append(HostKeyEntry(others, entry.key).to_line().rstrip("\n"))
    kept.append(HostKeyEntry([name], key).to_line().rstrip("\n"))
    write_atomic(known_hosts, "\n".join(kept) + "\n", mode=0o600)
