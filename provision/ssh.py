"""The transport for a server reached over SSH: Fabric for commands and files, rsync for folders.

A server is remote when neither its ``remote_host`` nor its address is this machine; it gets an
:class:`SshTransport`, which connects to :func:`provision.spoke.server_address` (the server's
first IP address, else its ``remote_host``) as ``ssh_user`` on ``ssh_port`` with
``ssh_key_file``. Host keys are accepted
the first time and kept in the aegir root's ``.ssh/known_hosts``; a changed key is refused with
both fingerprints, until ``provision @server trust-key`` records the new one (host_keys.py).

Every step has a time limit, so an unreachable server fails its task within seconds with a
sentence naming the host and the reason, and never holds a dispatcher. Environment variables
and inherited file descriptors are not sent over SSH: secrets must never reach a remote
command line, so commands that need them run on the master.
"""

from __future__ import annotations

import io
import ipaddress
import os
import shlex
import socket
import stat
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import shell
from .errors import CommandFailed, ServiceError
from .journal_actions import note_file, note_folder, note_remote_copy, note_rename, trash_for
from .shell import Completed
from .transport import LocalTransport, Transport

if TYPE_CHECKING:
    from .contexts.model import ServerContext

#: Seconds to open the TCP connection, to read the server's banner, and to authenticate.
CONNECT_TIMEOUT = 10.0
#: Seconds rsync waits for data before giving up on a stalled transfer.
RSYNC_IO_TIMEOUT = 60
LOCAL_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

_open: dict[tuple[str, str, int, str], Any] = {}


def is_this_machine(remote_host: str) -> bool:
    """Whether ``remote_host`` names the machine provision runs on."""
    host = remote_host.strip().lower()
    if not host or host in LOCAL_NAMES:
        return True
    if host in (socket.gethostname().lower(), socket.getfqdn().lower()):
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if address.is_loopback:
        return True
    # An address of this machine is one a socket can be bound to.
    family = socket.AF_INET6 if address.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_DGRAM) as probe:
        try:
            probe.bind((host, 0))
        except OSError:
            return False
    return True


def transport_for(server: ServerContext) -> Transport:
    """The transport that reaches ``server``."""
    from .spoke import server_address

    address = server_address(server)
    if is_this_machine(str(server.raw("remote_host") or "localhost")) or is_this_machine(address):
        return LocalTransport()
    key = server.raw("ssh_key_file")
    return SshTransport(
        address,
        user=str(server.raw("ssh_user") or server.raw("script_user")),
        port=int(server.raw("ssh_port") or 22),
        key_file=Path(str(key)) if key else None,
        known_hosts=server.contexts.root / ".ssh" / "known_hosts",
        name=str(server.raw("remote_host") or server.name),
        context=server.name,
    )


def close_all() -> None:
    """Close every SSH connection this process opened (at the end of a provision command)."""
    while _open:
        _key, connection = _open.popitem()
        connection.close()


class SshTransport:
    """A server reached over SSH."""

    remote = True

    def __init__(self, address: str, *, user: str, port: int = 22, key_file: Path | None = None,
                 known_hosts: Path, name: str | None = None, context: str = "") -> None:
        self.address = address
        self.user = user
        self.port = port
        self.key_file = key_file
        self.known_hosts = known_hosts
        self.name = name or address
        #: The server's context name (``@server_web1``): the journal names it to undo a change
        #: here, and error messages name it in the commands they suggest.
        self.context = context

    @property
    def where(self) -> str:
        """The server for people: ``web1.example.com (root@10.0.0.5:22) over SSH``."""
        login = f"{self.user}@{self.address}:{self.port}"
        return f"{self.name} ({login}) over SSH" if self.name != self.address else (
            f"{login} over SSH")

    # The connection ------------------------------------------------------------------------

    def _unreachable(self, reason: object) -> ServiceError:
        return ServiceError(
            f"Could not reach {self.name} ({self.address}:{self.port}) over SSH as {self.user}: "
            f"{reason}. Check that the server is up, that its sshd runs and that the key of "
            "the user running provision is in its authorized_keys."
        )

    def _changed_key(self, recorded: Any, offered: Any) -> ServiceError:
        from .host_keys import fingerprint, key_file_hint

        new = fingerprint(offered)
        return ServiceError(
            f"The SSH host key of {self.name} ({self.address}) has changed: "
            f"{self.known_hosts} records {recorded.get_name()} {fingerprint(recorded)}, the "
            f"server now offers {offered.get_name()} {new}. If the server was reinstalled or "
            "its keys renewed, check that fingerprint on the server itself (`ssh-keygen -lf "
            f"{key_file_hint(offered.get_name())}`), then record the new key: `hostmaster "
            f"server trust-key {self.name} --fingerprint {new}` (or the server page's Trust "
            f"host key task; provision alone: `provision {self.context or '@server'} trust-key "
            f"--fingerprint={new}`), and verify again. If you cannot tell why it changed, do "
            "not trust it: something may stand between this machine and the server."
        )

    @property
    def _key(self) -> tuple[str, str, int, str]:
        """What names this server's connection among the process's open ones."""
        return (self.address, self.user, self.port, str(self.key_file or ""))

    def _client(self) -> Any:
        """The open paramiko client of this server (one per process, reused)."""
        key = self._key
        connection = _open.get(key)
        if connection is not None and connection.is_connected:
            return connection.client
        import paramiko
        from fabric import Connection

        connect_kwargs: dict[str, Any] = {
            "banner_timeout": CONNECT_TIMEOUT,
            "auth_timeout": CONNECT_TIMEOUT,
            "allow_agent": False,
        }
        if self.key_file is not None:
            if not self.key_file.is_file():
                raise ServiceError(
                    f"The SSH key {self.key_file} of {self.name} does not exist; set ssh_key_file "
                    "to the private key whose public half the server accepts."
                )
            connect_kwargs.update(key_filename=[str(self.key_file)], look_for_keys=False)
        connection = Connection(self.address, user=self.user, port=self.port,
                                connect_timeout=CONNECT_TIMEOUT, connect_kwargs=connect_kwargs)
        self.known_hosts.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.known_hosts.touch(mode=0o600)
        connection.client.load_host_keys(str(self.known_hosts))
        try:
            connection.open()
        except paramiko.BadHostKeyException as changed:
            raise self._changed_key(changed.expected_key, changed.key) from None
        except paramiko.AuthenticationException as error:
            raise self._unreachable(f"authentication failed ({error})") from None
        except TimeoutError:
            raise self._unreachable(
                f"no answer within {CONNECT_TIMEOUT:g} seconds") from None
        except paramiko.ssh_exception.NoValidConnectionsError as error:
            # One error per address tried; they share the reason in practice.
            first = next(iter(error.errors.values()), error)
            refused = isinstance(first, ConnectionRefusedError)
            raise self._unreachable("connection refused" if refused else (
                getattr(first, "strerror", None) or first)) from None
        except ConnectionRefusedError:
            raise self._unreachable("connection refused") from None
        except (paramiko.SSHException, OSError, EOFError) as error:
            raise self._unreachable(error.strerror if isinstance(error, OSError)
                                    and error.strerror else error) from None
        connection.client.save_host_keys(str(self.known_hosts))
        os.chmod(self.known_hosts, 0o600)
        _open[key] = connection
        return connection.client

    def _sftp(self) -> Any:
        """The connection's SFTP session (one per connection, reused: each new one is a
        round trip and a process on the server)."""
        self._client()
        return _open[self._key].sftp()

    # Commands --------------------------------------------------------------------------------

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
        """Run a command on the server; like :func:`provision.shell.run`, without ``env`` and
        ``pass_fds``, which are refused (they would put secrets on a remote command line)."""
        if env or pass_fds:
            raise ValueError(
                "environment variables and file descriptors are not sent over SSH; run "
                "commands that need them on the master"
            )
        import paramiko

        args = shell.split_command(argv)
        shown = shlex.join(args)
        client = self._client()
        try:
            stdin, stdout, stderr = client.exec_command(shown, timeout=timeout)
            if input:
                stdin.write(input)
            stdin.channel.shutdown_write()
            out = stdout.read()
            err = stderr.read()
            status = stdout.channel.recv_exit_status()
        except TimeoutError:
            raise ServiceError(
                f"The command `{shown}` on {self.where} did not finish within {timeout:g} "
                "seconds and was abandoned; check that the service responds, then try again."
            ) from None
        except (OSError, EOFError, paramiko.SSHException) as error:
            raise ServiceError(
                f"The connection to {self.where} broke while running `{shown}`: {error}"
            ) from None
        completed = Completed(tuple(args), status, out.decode("utf-8", "replace"),
                              err.decode("utf-8", "replace"))
        if check and status != 0:
            details = shell.tail(completed.output)
            message = (f"The command `{shown}` failed on {self.name} with exit status "
                       f"{status}")
            raise CommandFailed(f"{message}: {details}" if details else f"{message}.", completed)
        return completed

    # Files -----------------------------------------------------------------------------------

    def write_file(self, path: Path, text: str | bytes, mode: int = 0o644) -> None:
        """Write a file atomically: a temporary file in the same folder, then a rename."""
        data = text.encode("utf-8") if isinstance(text, str) else text
        path = Path(path)
        note_file(self, path)
        temporary = path.with_name(f".{path.name}.provision-{os.getpid()}")
        sftp = self._sftp()
        try:
            sftp.putfo(io.BytesIO(data), str(temporary), confirm=False)
            sftp.chmod(str(temporary), mode)
            sftp.posix_rename(str(temporary), str(path))
        except OSError as error:
            self.run(["rm", "-f", str(temporary)], check=False)
            raise ServiceError(f"Could not write {path} on {self.where}: {error}") from None

    def read_file(self, path: Path) -> bytes:
        """A file's content; raises FileNotFoundError when it does not exist."""
        sftp = self._sftp()
        try:
            with sftp.open(str(path), "rb") as handle:
                return bytes(handle.read())
        except FileNotFoundError:
            raise
        except OSError as error:
            raise ServiceError(f"Could not read {path} on {self.where}: {error}") from None

    def _lstat(self, path: Path) -> Any:
        sftp = self._sftp()
        try:
            return sftp.lstat(str(path))
        except FileNotFoundError:
            return None

    def exists(self, path: Path) -> bool:
        """Whether ``path`` exists (a dangling symbolic link counts as existing)."""
        return self._lstat(path) is not None

    def file_mode(self, path: Path) -> int | None:
        """The permission bits of ``path``, or None when it does not exist."""
        sftp = self._sftp()
        try:
            return stat.S_IMODE(sftp.stat(str(path)).st_mode)
        except FileNotFoundError:
            return None

    def makedirs(self, path: Path, mode: int = 0o755) -> None:
        """Create a folder and its parents; ``mode`` is set on the folder even if it existed."""
        note_folder(self, Path(path))
        # One round trip: install -d makes the parents as mkdir -p does and sets the mode as
        # chmod does (a folder's setgid bit stays unless the mode clears it).
        self.run(["install", "-d", "-m", format(mode, "o"), "--", str(path)])

    def remove(self, path: Path) -> None:
        """Remove a file or a folder tree; nothing happens when it is already gone.

        Before a command's commit point a folder is moved aside instead (see
        :mod:`provision.journal`)."""
        if str(Path(path)) in ("/", ""):
            raise ServiceError("provision refuses to remove / on a remote server.")
        found = self._lstat(path)
        if found is None:
            return
        if stat.S_ISDIR(found.st_mode):
            trash = trash_for(self, Path(path))
            if trash is not None:
                self.run(["mv", "-T", "--", str(path), str(trash)])
                return
        else:
            note_file(self, Path(path))
        self.run(["rm", "-rf", "--", str(path)])

    def rename(self, source: Path, target: Path) -> None:
        """Rename ``source`` to ``target`` on the server (``target`` must not exist)."""
        if self.exists(target):
            raise ServiceError(f"{target} exists already on {self.name}, so {source} was not "
                               "moved there.")
        note_rename(self, Path(source), Path(target))
        self.run(["mv", "-T", "--", str(source), str(target)])

    def set_group(self, path: Path, group: str) -> None:
        """Give ``path`` to ``group`` (its owner stays); raises ServiceError when it cannot."""
        done = self.run(["chgrp", "--", group, str(path)], check=False)
        if done.returncode != 0:
            raise ServiceError(
                f"{path} on {self.name} could not be given to the group {group} "
                f"({shell.tail(done.output, 2)}); create the group there or set the web "
                "server's web_group to the group its workers run as."
            )

    def chmod(self, path: Path, mode: int) -> None:
        """Set the permission bits of ``path``."""
        self.run(["chmod", format(mode, "o"), "--", str(path)])

    # Folders (the spoke model) ---------------------------------------------------------------

    def _rsync(self, source: str, target: str, exclude: Sequence[str]) -> None:
        self._client()  # a clear sentence when the server cannot be reached at all
        ssh = ["ssh", "-p", str(self.port), "-o", "BatchMode=yes",
               "-o", f"ConnectTimeout={CONNECT_TIMEOUT:g}",
               "-o", "StrictHostKeyChecking=yes",
               "-o", f"UserKnownHostsFile={self.known_hosts}"]
        if self.key_file is not None:
            ssh += ["-i", str(self.key_file), "-o", "IdentitiesOnly=yes"]
        argv = ["rsync", "-a", "--delete", "--mkpath", f"--timeout={RSYNC_IO_TIMEOUT}",
                "-e", shlex.join(ssh), *(f"--exclude={pattern}" for pattern in exclude),
                source, target]
        shell.run(argv, timeout=3600)

    def push_folder(self, path: Path, *, exclude: Sequence[str] = ()) -> None:
        """Make ``path`` on the server a copy of the master's ``path`` (rsync over SSH)."""
        if not Path(path).is_dir():
            raise ServiceError(f"{path} is not a folder on the master, so it cannot be copied.")
        note_remote_copy(self, Path(path), exclude)
        self._rsync(f"{path}/", f"{self.user}@{self._rsync_host()}:{path}/", exclude)

    def pull_folder(self, path: Path, *, exclude: Sequence[str] = ()) -> None:
        """Make the master's ``path`` a copy of the server's ``path``."""
        self._rsync(f"{self.user}@{self._rsync_host()}:{path}/", f"{path}/", exclude)

    def _rsync_host(self) -> str:
        return f"[{self.address}]" if ":" in self.address else self.address
