"""``provision @server trust-key --fingerprint=SHA256:...``: record a remote server's new SSH
host key, once its fingerprint is the one given.

When a server is reinstalled or its keys are renewed, provision refuses to connect and names
both fingerprints. Read the new one on the server itself (``ssh-keygen -lf
/etc/ssh/ssh_host_ed25519_key.pub``) and give it here: provision reads the key the server's
sshd offers now and records it in the aegir root's ``.ssh/known_hosts`` only when the
fingerprints are equal; otherwise nothing changes.
"""

from __future__ import annotations

from typing import Any

from ..contexts import ServerContext
from ..errors import ProvisionError
from ..host_keys import FINGERPRINT, fingerprint, known_name, offered, record, recorded
from ..ssh import CONNECT_TIMEOUT, SshTransport
from . import Invocation

CONTEXT = "required"


def run(invocation: Invocation) -> dict[str, Any]:
    """Check the offered key against ``--fingerprint``, then record it."""
    server = invocation.context
    if not isinstance(server, ServerContext):
        raise ProvisionError(f"{invocation.name} is not a server: only a server has an SSH "
                             "host key.")
    given = str(invocation.options.get("fingerprint") or "").strip()
    if not FINGERPRINT.fullmatch(given):
        raise ProvisionError(
            "Give the new key's fingerprint as --fingerprint=SHA256:... (43 characters after "
            "the colon), as `ssh-keygen -lf` prints it on the server.")
    transport = server.transport
    if not isinstance(transport, SshTransport):
        raise ProvisionError(f"{server.name} is this machine: provision reaches it without "
                             "SSH, so it has no host key to trust.")
    name = known_name(transport.address, transport.port)
    before = recorded(transport.known_hosts, name)
    key = offered(transport.address, transport.port,
                  before[0].get_name() if before else None, CONNECT_TIMEOUT)
    now = fingerprint(key)
    if now != given:
        raise ProvisionError(
            f"{transport.name} ({transport.address}:{transport.port}) offers the key {now}, "
            f"not {given}: nothing was recorded. Check the fingerprint on the server itself; "
            "if it differs from what the connection shows, something may stand between this "
            "machine and the server.")
    record(transport.known_hosts, name, key)
    previous = [fingerprint(old) for old in before]
    was = f" in place of {', '.join(previous)}" if previous else ""
    invocation.logger.success(
        f"Recorded the SSH host key of {transport.name} ({key.get_name()} {now}){was}.")
    return {"host": name, "fingerprint": now, "replaced": previous}
