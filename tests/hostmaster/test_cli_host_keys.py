"""A remote server's changed SSH host key, on a remote test host (a network namespace with its
own sshd): the verify is refused with the recorded and the offered fingerprints; a wrong
fingerprint records nothing; ``hostmaster server trust-key NAME --fingerprint FP`` records
the new key and the verify passes again. The server page offers the same as a dialog."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Task, TaskStatus
from hostmaster.services.servers import create_server
from tests.fixtures.app import AuthActions
from tests.fixtures.console import CONSOLE_STORE, Console
from tests.fixtures.remote_hosts import RemoteHost, RemoteNetwork
from tests.hostmaster.pages import field_error

FINGERPRINT_LIKE = "SHA256:" + "A" * 43


@pytest.fixture
def host(remote_network: RemoteNetwork, aegir_root: Path) -> Iterator[RemoteHost]:
    with remote_network.host(22, aegir_root) as made:
        yield made


def fingerprint_of(host: RemoteHost) -> str:
    """The fingerprint of the host's sshd key, read on the host as an admin would."""
    done = subprocess.run(["ssh-keygen", "-lf", str(host.folder / "ssh" / "host_key.pub")],
                          capture_output=True, text=True, check=True)
    return done.stdout.split()[1]


def new_host_key(host: RemoteHost) -> None:
    """The host is "reinstalled": its sshd gets a new key."""
    host.stop_sshd()
    key = host.folder / "ssh" / "host_key"
    key.unlink()
    Path(f"{key}.pub").unlink()
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(key)], check=True)
    host.start_sshd()


@CONSOLE_STORE
def test_a_changed_host_key_is_refused_with_both_fingerprints_until_trusted(
        console: Console, host: RemoteHost) -> None:
    added = console.json(
        "server", "add", host.hostname, "--ip", host.address, "--http", "apache",
        "--http-port", "80", "--http-restart-cmd", "apache2ctl graceful",
        "--http-configtest-cmd", "apache2ctl configtest", "--http-include-dir",
        host.include_dir, "--ssh-user", "root", "--ssh-key-file", str(host.key_file),
        "--dispatch")
    assert added["task"]["status"] == "success"
    known_hosts = console.root / ".ssh" / "known_hosts"
    old = fingerprint_of(host)
    new_host_key(host)
    new = fingerprint_of(host)
    assert new != old
    recorded = known_hosts.read_bytes()

    refused = console.hostmaster("server", "verify", host.hostname, "--dispatch")
    assert refused.returncode == 2
    assert f"records ssh-ed25519 {old}, the server now offers ssh-ed25519 {new}" in (
        refused.stdout)
    assert f"hostmaster server trust-key {host.hostname} --fingerprint {new}" in refused.stdout

    wrong = console.hostmaster("server", "trust-key", host.hostname, "--fingerprint", old,
                               "--dispatch")
    assert wrong.returncode == 2
    assert f"offers the key {new}, not {old}: nothing was recorded" in wrong.stderr
    assert known_hosts.read_bytes() == recorded

    trusted = console.json("server", "trust-key", host.hostname, "--fingerprint", new,
                           "--dispatch")
    assert (trusted["type"], trusted["status"]) == ("trust-key", "success")
    assert known_hosts.stat().st_mode & 0o777 == 0o600
    log = console.hostmaster("task", "log", str(trusted["id"])).stdout
    assert f"(ssh-ed25519 {new}) in place of {old}" in log

    # The trust-key queued the server's verify again: it passes over SSH with the new key.
    queued = console.json("task", "list", "--server", host.hostname, "--status", "queued")
    assert [t["type"] for t in queued["items"]] == ["verify"]
    verified = console.hostmaster("task", "follow", str(queued["items"][0]["id"]),
                                  "--dispatch", "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["status"] == "success"


def test_the_server_page_offers_trust_host_key_as_a_dialog_asking_for_the_fingerprint(
        app: Flask, client: FlaskClient, auth: AuthActions) -> None:
    with app.app_context():
        far = create_server("far.example.com", ip_addresses=["192.0.2.10"])
        local = create_server("local.example.com", ip_addresses=["127.0.0.1"])
        far_id, local_id = far.id, local.id
    auth.login()
    page = client.get(f"/servers/{far_id}").get_data(as_text=True)
    assert "Trust host key" in page
    dialog = f"/tasks/confirm/server/{far_id}/trust-key"
    form = client.get(dialog).get_data(as_text=True)
    assert 'name="fingerprint"' in form and "ssh-keygen -lf" in form
    bad = auth.submit(dialog, {"fingerprint": "MD5:12:34"}).get_data(as_text=True)
    assert "A fingerprint is SHA256:" in field_error(bad, "fingerprint")
    done = auth.submit(dialog, {"fingerprint": f"  {FINGERPRINT_LIKE} "})
    assert done.status_code == 302
    local_page = client.get(f"/servers/{local_id}").get_data(as_text=True)
    assert "local.example.com is this machine" in local_page
    with app.app_context():
        task = db.session.scalars(select(Task).where(Task.type == "trust-key")).one()
        assert task.arguments == {"fingerprint": FINGERPRINT_LIKE}
        assert (task.entity_id, task.status) == (far_id, TaskStatus.QUEUED)
