"""The panel's public address: `hostmaster bootstrap` takes it from HOSTMASTER_PUBLIC_URL or
makes it from the machine's name, and refuses a loopback one with a sentence; a site cannot be
disabled until it is set; server contexts carry it as ``master_url``; links in mails use it."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster.extensions import db
from hostmaster.services import bootstrap, contexts, settings, tasks
from tests.fixtures.app import PUBLIC_URL, AuthActions
from tests.hostmaster.site_helpers import (
    Mailbox,
    enabled_site,
    mailbox,
    master_server,
    ready_platform,
    use_mailbox,
)

__all__ = ["mailbox"]  # the fixture, imported for pytest


def unset(app: Flask) -> None:
    """A store where no public address was ever given."""
    with app.app_context():
        settings.forget("public_url")
        db.session.commit()


def test_a_site_cannot_be_disabled_until_the_public_address_is_set(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        assert contexts.server_properties(server)["master_url"] == PUBLIC_URL
        settings.forget("public_url")
        assert tasks.why_unavailable(site, "disable") == (
            "A disabled site sends its visitors to the panel's public address, which is not "
            "set: set it under Administration › Settings first.")
        assert "master_url" not in contexts.server_properties(server)
        settings.save({"public_url": "https://panel.example.org"})
        assert tasks.why_unavailable(site, "disable") is None
        assert contexts.server_properties(server)["master_url"] == "https://panel.example.org"


def test_bootstrap_takes_the_address_from_the_environment(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    unset(app)
    monkeypatch.setenv("HOSTMASTER_PUBLIC_URL", "https://panel.example.org/")
    with app.app_context():
        assert bootstrap.settle_public_url() == []
        assert settings.public_url() == "https://panel.example.org"
        monkeypatch.setenv("HOSTMASTER_PUBLIC_URL", "https://other.example.org")
        assert bootstrap.settle_public_url() == []  # once set, a restart keeps it
        assert settings.public_url() == "https://panel.example.org"


def test_an_address_a_command_was_given_goes_before_the_environment(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    unset(app)
    monkeypatch.setenv("HOSTMASTER_PUBLIC_URL", "https://other.example.org")
    with app.app_context():
        (sentence,) = bootstrap.settle_public_url("http://localhost")
        assert sentence.startswith("The address http://localhost cannot be the panel's public "
                                   "address: localhost is a loopback address")
        assert bootstrap.settle_public_url("https://panel.example.org") == []
        assert settings.public_url() == "https://panel.example.org"


def test_bootstrap_refuses_a_loopback_address_and_says_what_to_do(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    unset(app)
    monkeypatch.setenv("HOSTMASTER_PUBLIC_URL", "http://127.0.0.1:5000")
    with app.app_context():
        (sentence,) = bootstrap.settle_public_url()
        assert sentence.startswith("HOSTMASTER_PUBLIC_URL=http://127.0.0.1:5000 cannot be the "
                                   "panel's public address: 127.0.0.1 is a loopback address")
        assert "hostmaster settings set public_url" in sentence
        assert settings.public_url() == "" and not settings.is_set("public_url")


def test_without_an_address_bootstrap_uses_the_machines_name_or_says_it_has_none(
    app: Flask, monkeypatch: pytest.MonkeyPatch
) -> None:
    unset(app)
    monkeypatch.delenv("HOSTMASTER_PUBLIC_URL", raising=False)
    monkeypatch.delenv("HOSTMASTER_HOST", raising=False)
    # The machine's name cannot be changed by a test: its lookup is replaced (a fake).
    monkeypatch.setattr(bootstrap.socket, "getfqdn", lambda: "localhost")
    with app.app_context():
        (sentence,) = bootstrap.settle_public_url()
        assert "is not set: this machine's name (localhost) is not one visitors can reach" \
            in sentence and not settings.is_set("public_url")
        monkeypatch.setattr(bootstrap.socket, "getfqdn", lambda: "host1.example.net")
        (sentence,) = bootstrap.settle_public_url()
        assert settings.public_url() == "http://host1.example.net"
        assert "so it is http://host1.example.net, from this machine's name" in sentence
    unset(app)
    monkeypatch.setenv("HOSTMASTER_HOST", "0.0.0.0")
    monkeypatch.setenv("HOSTMASTER_PORT", "8080")
    with app.app_context():
        bootstrap.settle_public_url()
        assert settings.public_url() == "http://host1.example.net:8080"


def test_the_bootstrap_command_prints_why_it_refused_the_address(
    app: Flask, runner: Any, mariadb_admin: Any
) -> None:
    unset(app)
    admin_name = "hm_boot_" + secrets.token_hex(4)
    env = {"HOSTMASTER_DB_ADMIN": admin_name, "HOSTMASTER_PUBLIC_URL": "http://localhost:5000"}
    try:
        done = runner.invoke(args=["bootstrap"], env=env)
        assert done.exit_code == 0, done.output
        assert re.search(r"Missing: HOSTMASTER_PUBLIC_URL=http://localhost:5000 cannot be the "
                         r"panel's public address: localhost is a loopback address", done.output)
        env["HOSTMASTER_PUBLIC_URL"] = "https://panel.example.org"
        again = runner.invoke(args=["bootstrap"], env=env)
        assert again.exit_code == 0 and "Missing: HOSTMASTER_PUBLIC_URL" not in again.output
        with app.app_context():
            assert settings.public_url() == "https://panel.example.org"
    finally:
        connection = mariadb_admin.connect()
        with connection.cursor() as cursor:
            for host in ("localhost", "127.0.0.1"):
                cursor.execute("DROP USER IF EXISTS %s@%s", (admin_name, host))
        connection.close()


def test_links_in_mails_start_with_the_public_address(
    app: Flask, client: FlaskClient, auth: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
        settings.save({"public_url": "https://panel.example.org/hostmaster"})
    auth.submit("/account/reset", {"email": "admin@example.com"})
    (received,) = mailbox.messages
    assert re.search(r"^https://panel\.example\.org/hostmaster/account/set-password/\S+\r?$",
                     received.get_content(), re.M)
    unset(app)
    auth.submit("/account/reset", {"email": "admin@example.com"})
    assert "http://127.0.0.1:5000/account/set-password/" in mailbox.messages[-1].get_content()
