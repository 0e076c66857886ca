"""The SSH transport against a real remote host (a network namespace with its own sshd)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from provision.errors import CommandFailed, ServiceError
from provision.ssh import SshTransport, close_all, is_this_machine
from tests.fixtures.remote_hosts import RemoteHost, RemoteNetwork
from tests.fixtures.stack_process import make_traversable_dir, remove_tree


@pytest.fixture(scope="module")
def shared_root(stack_base_dir: Path) -> Iterator[Path]:
    """The aegir root path the master and the host share (each with its own files)."""
    root = make_traversable_dir(stack_base_dir, "ssh-root-")
    yield root
    remove_tree(root)


@pytest.fixture(scope="module")
def host(remote_network: RemoteNetwork, shared_root: Path) -> Iterator[RemoteHost]:
    with remote_network.host(11, shared_root) as made:
        yield made


@pytest.fixture
def transport(host: RemoteHost, shared_root: Path) -> Iterator[SshTransport]:
    yield SshTransport(host.address, user="root", key_file=host.key_file,
                       known_hosts=shared_root / ".ssh" / "known_hosts", name=host.hostname)
    close_all()


def test_commands_run_on_the_host_with_stdin_and_a_clear_failure(
        transport: SshTransport, host: RemoteHost) -> None:
    done = transport.run(["ip", "-4", "-o", "addr", "show"])
    assert host.address in done.stdout
    assert transport.run(["cat"], input=b"from the master\n").stdout == "from the master\n"
    with pytest.raises(CommandFailed) as failed:
        transport.run("ls /no/such/folder")
    assert host.hostname in str(failed.value) and "No such file" in str(failed.value)
    assert transport.run(["false"], check=False).returncode == 1
    with pytest.raises(ValueError):
        transport.run(["env"], env={"db_passwd": "secret"})


def test_files_and_folders_land_on_the_host_not_the_master(
        transport: SshTransport, host: RemoteHost, shared_root: Path) -> None:
    folder = shared_root / "made" / "deep"
    transport.makedirs(folder, 0o2750)
    assert transport.file_mode(folder) == 0o2750
    assert not folder.exists(), "the master's copy of the path must stay untouched"
    assert (host.own_root / "made" / "deep").is_dir()
    target = folder / "settings.php"
    transport.write_file(target, "<?php // one\n", 0o440)
    assert transport.read_file(target) == b"<?php // one\n"
    assert transport.file_mode(target) == 0o440
    assert transport.exists(target) and not transport.exists(folder / "other")
    transport.set_group(target, "www-data")
    assert host.run(f"stat -c %G {target}").stdout.strip() == "www-data"
    with pytest.raises(ServiceError, match="no-such-group"):
        transport.set_group(target, "no-such-group")
    with pytest.raises(FileNotFoundError):
        transport.read_file(folder / "missing")
    transport.remove(shared_root / "made")
    assert not transport.exists(shared_root / "made")


def test_folders_are_pushed_and_pulled_with_rsync(
        transport: SshTransport, host: RemoteHost, shared_root: Path) -> None:
    site = shared_root / "platforms" / "p1" / "sites" / "a.test"
    (site / "files").mkdir(parents=True)
    (site / "settings.php").write_text("settings")
    (site / "files" / "logo.png").write_bytes(b"png")
    transport.push_folder(site)
    remote = host.own_root / "platforms" / "p1" / "sites" / "a.test"
    assert (remote / "settings.php").read_text() == "settings"
    (remote / "files" / "upload.txt").write_text("uploaded on the host")
    (site / "settings.php").write_text("settings 2")
    transport.push_folder(site, exclude=["/files/"])
    assert (remote / "settings.php").read_text() == "settings 2"
    assert (remote / "files" / "upload.txt").is_file(), "an excluded folder is left alone"
    transport.pull_folder(site)
    assert (site / "files" / "upload.txt").read_text() == "uploaded on the host"
    remove_tree(shared_root / "platforms")
    transport.remove(shared_root / "platforms")


def test_an_unreachable_host_fails_quickly_with_the_reason(
        host: RemoteHost, shared_root: Path) -> None:
    host.stop_sshd()
    try:
        transport = SshTransport(host.address, user="root", key_file=host.key_file,
                                 known_hosts=shared_root / ".ssh" / "known_hosts",
                                 name=host.hostname)
        started = time.monotonic()
        with pytest.raises(ServiceError) as failed:
            transport.run(["true"])
        assert time.monotonic() - started < 15
        message = str(failed.value)
        assert host.hostname in message and f"{host.address}:22" in message
        assert "connection refused" in message
    finally:
        host.start_sshd()


def test_a_wrong_key_is_refused_with_a_sentence(host: RemoteHost, shared_root: Path,
                                               tmp_path: Path) -> None:
    import subprocess

    other_key = tmp_path / "other"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other_key)],
                   check=True)
    transport = SshTransport(host.address, user="root", key_file=other_key,
                             known_hosts=shared_root / ".ssh" / "known_hosts")
    with pytest.raises(ServiceError, match="authentication failed"):
        transport.exists(shared_root)


def test_this_machine_is_told_apart_from_remote_hosts(host: RemoteHost) -> None:
    assert is_this_machine("localhost") and is_this_machine("127.0.0.1")
    assert is_this_machine("10.99.0.1"), "the master's own address"
    assert not is_this_machine(host.address)
    assert not is_this_machine("web1.example.com")
