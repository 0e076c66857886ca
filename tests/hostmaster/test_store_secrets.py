"""Secrets at rest: a dump or a copy of the store holds no database admin password, cron
key, login link or secret plugin field in clear; only the key file opens them; provision still
gets them in clear, on standard input, and keeps them in private files.

The adversary: whoever reads a backup of the store (``sqlite3 .dump``, ``mysqldump``, a copy of
the SQLite file) without the key file.
"""

from __future__ import annotations

import secrets
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster import plugins, store_secrets
from hostmaster.dispatcher import dispatch_once
from hostmaster.dispatcher.runner import payload_for
from hostmaster.extensions import db
from hostmaster.hookspecs import EntityField, hookimpl
from hostmaster.models import Server, ServerService, Site, Task, TaskStatus, utcnow
from hostmaster.queues import Batch
from hostmaster.queues.cron import run_cron
from hostmaster.services import features, site_results
from hostmaster.services.servers import ServiceSpec, create_server
from hostmaster.store_secrets import SecretsUnreadable
from hostmaster.tasks import registry
from tests.fixtures.app import AuthActions, make_app
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.store_dumps import sqlite_file_bytes, store_dump
from tests.hostmaster.helpers import LOCAL, log_text
from tests.hostmaster.site_helpers import enabled_site, new_site, ready_platform, run_pending


def server_with_db_password(password: str, hostname: str = "db.example.com") -> Server:
    """A web and db server whose db admin password is ``password`` (nothing runs provision
    yet)."""
    return create_server(hostname, ip_addresses=LOCAL, services={
        "http": ServiceSpec("apache"),
        "db": ServiceSpec("mysql", db_user="aegir_root", db_password=password)})


def db_service() -> ServerService:
    """The one db service in the store."""
    return db.session.scalars(
        select(ServerService).where(ServerService.service == "db")).one()


@pytest.fixture
def keyless_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The same store, served by an app whose key file (HOSTMASTER_SECRET_KEY_FILE) is
    ``tmp_path/elsewhere/secrets.key``: missing until a test writes one."""
    other = make_app(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["AEGIR_ROOT"]),
                     SECRETS_KEY_FILE=str(tmp_path / "elsewhere" / "secrets.key"))
    yield other
    with other.app_context():
        db.session.remove()
        db.engine.dispose()


def test_a_dump_of_the_store_holds_no_secret_in_clear(app: Flask) -> None:
    password, cron_key = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    link = f"http://www.example.com/user/reset/1/{secrets.token_hex(12)}/login"
    with app.app_context():
        server = server_with_db_password(password, "master.example.com")
        site = new_site(ready_platform(server), server)
        run_pending(site, "install", {"db_name": "wwwexamplecom", "cron_key": cron_key,
                                      "login_link": link})
        install = db.session.scalars(select(Task).where(Task.type == "install")).one()
        assert install.result == {"db_name": "wwwexamplecom"}  # its secrets went to the site
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    with app.app_context():
        db.engine.dispose()  # SQLite writes its WAL back into the file
    dump = store_dump(url)
    for secret in (password, cron_key, link):
        assert secret not in dump
    assert dump.count(store_secrets.PREFIX) == 4  # the password, key, link, welcome mail
    if url.startswith("sqlite"):
        raw = sqlite_file_bytes(url)
        assert all(secret.encode() not in raw for secret in (password, cron_key, link))
    with app.app_context():  # the app reads them back with its key
        service = db_service()
        assert service.db_password == password
        site = db.session.scalars(select(Site)).one()
        assert site.cron_key == cron_key
        assert site_results.fresh_login_link(site) == link


def test_the_first_secret_makes_a_0600_key_file_in_a_0700_folder(
    app: Flask, tmp_path: Path
) -> None:
    key_file = tmp_path / "keys" / "secrets.key"
    own = make_app(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["AEGIR_ROOT"]),
                   SECRETS_KEY_FILE=str(key_file))
    with own.app_context():
        server_with_db_password("a db admin password")
        db.engine.dispose()
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(key_file.parent.stat().st_mode) == 0o700
    assert len(store_secrets.read_keys(key_file)) == 1
    assert "Back it up apart from the store" in key_file.read_text()


def test_a_server_verify_gets_the_admin_password_and_keeps_it_in_private_files_only(
    app: Flask, aegir_root: Path, mariadb_admin: MariaDBAdmin
) -> None:
    with app.app_context():
        server = create_server("db.example.com", ip_addresses=LOCAL, services={
            "db": ServiceSpec("mysql", port=mariadb_admin.port, db_user=mariadb_admin.user,
                              db_password=mariadb_admin.password,
                              options={"db_host": mariadb_admin.host})})
        assert dispatch_once(app) == 0
        task = db.session.scalars(select(Task)).one()
        assert task.status == TaskStatus.SUCCESS, log_text(task.id)  # it logged in with it
        assert mariadb_admin.password not in log_text(task.id)
        assert server.id
    holders = [path for path in aegir_root.rglob("*") if path.is_file()
               and mariadb_admin.password.encode() in path.read_bytes()]
    assert [path.name for path in holders] == ["server_dbexamplecom.json"]
    for path in holders:
        assert stat.S_IMODE(path.stat().st_mode) & 0o077 == 0, path
        assert stat.S_IMODE(path.parent.stat().st_mode) & 0o077 == 0, path.parent


def test_a_missing_key_file_fails_the_task_with_a_sentence_and_runs_no_provision(
    app: Flask, keyless_app: Flask, aegir_root: Path, admin: object
) -> None:
    with app.app_context():
        server_with_db_password("a db admin password")
    with keyless_app.app_context():
        service = db_service()
        with pytest.raises(SecretsUnreadable, match="secrets.key, which encrypts the secrets "
                                                    "in the store, is missing. Put back"):
            assert service.db_password != ""
        assert dispatch_once(keyless_app) == 0
        task = db.session.scalars(select(Task)).one()
        assert task.status == TaskStatus.ERROR
        assert "is missing. Put back the copy you backed up" in log_text(task.id)
    assert not (aegir_root / "contexts").exists()  # provision was never started
    client: FlaskClient = keyless_app.test_client()
    AuthActions(client).login()
    assert client.get("/servers").status_code == 200  # only what needs the secret fails


def test_without_the_key_a_site_page_opens_and_offers_no_login_link(
    app: Flask, keyless_app: Flask, admin: object
) -> None:
    link = "http://www.example.com/user/reset/1/2/3/login"
    with app.app_context():
        server = server_with_db_password("a db admin password", "master.example.com")
        site = new_site(ready_platform(server), server)
        run_pending(site, "install", {"db_name": "wwwexamplecom", "login_link": link})
        site_id = site.id
    client: FlaskClient = keyless_app.test_client()
    AuthActions(client).login()
    page = client.get(f"/sites/{site_id}")
    assert page.status_code == 200
    assert "www.example.com" in page.get_data(as_text=True)
    assert link not in page.get_data(as_text=True)


def test_without_the_key_the_cron_queue_names_the_site_it_could_not_run(
    app: Flask, keyless_app: Flask
) -> None:
    with app.app_context():
        server = server_with_db_password("a db admin password", "master.example.com")
        enabled_site(ready_platform(server), server)
    with keyless_app.app_context():
        summary = run_cron(Batch(keyless_app, utcnow(), items=10, frequency=3600))
    assert summary.startswith("Ran cron on 0 sites; 1 failed: www.example.com: The key file")


def test_a_wrong_key_file_says_the_secret_was_encrypted_with_another_key(
    app: Flask, keyless_app: Flask
) -> None:
    with app.app_context():
        server_with_db_password("a db admin password")
    with keyless_app.app_context():
        store_secrets.create_key_file(store_secrets.key_file())  # a new key, not the store's
        service = db_service()
        with pytest.raises(SecretsUnreadable, match="was encrypted with a key that is not in"):
            assert service.db_password != ""


def test_a_key_file_that_holds_no_key_says_so(app: Flask, keyless_app: Flask) -> None:
    with keyless_app.app_context():
        key_file = store_secrets.key_file()
        key_file.parent.mkdir(mode=0o700)
        key_file.write_text("not a key\n")
        with pytest.raises(SecretsUnreadable, match="holds no valid key"):
            server_with_db_password("a db admin password")


class VaultPlugin:
    """A plugin with a secret field on servers and sites, carried to provision."""

    @hookimpl
    def hostmaster_entity_fields(self, entity_kind: str) -> list[EntityField]:
        if entity_kind not in ("server", "site"):
            return []
        return [EntityField("vault_token", "Vault token", secret=True,
                            context_property="vault_token")]


@pytest.fixture
def vault(app: Flask) -> Iterator[None]:
    """VaultPlugin, registered and switched on."""
    plugin = VaultPlugin()
    plugins.plugin_manager().register(plugin, name="test_vault")
    with app.app_context():
        features.switch("test_vault", True)
    try:
        yield
    finally:
        plugins.plugin_manager().unregister(plugin)


def test_a_secret_plugin_field_is_kept_encrypted_and_reaches_provision_in_clear(
    app: Flask, vault: None
) -> None:
    token = secrets.token_urlsafe(18)
    with app.app_context():
        server = create_server("web.example.com", ip_addresses=LOCAL,
                               services={"http": ServiceSpec("apache")},
                               plugin_fields={"vault_token": token})
        stored = server.plugin_fields["vault_token"]
        assert store_secrets.is_encrypted(stored["encrypted"])
        task = db.session.scalars(select(Task)).one()
        payload = payload_for(task, server, registry.get("server", "verify"))
        assert payload["contexts"][0]["properties"]["vault_token"] == token
        db.engine.dispose()
    assert token not in store_dump(app.config["SQLALCHEMY_DATABASE_URI"])


def test_a_secret_plugin_field_is_never_shown_and_left_empty_keeps_its_value(
    app: Flask, client: FlaskClient, auth: AuthActions, vault: None
) -> None:
    with app.app_context():
        server = create_server("master.example.com", master=True, services={
            "http": ServiceSpec("apache"), "db": ServiceSpec("mysql", db_user="aegir_root")})
        site = new_site(ready_platform(server), server, plugin_fields={"vault_token": "first"})
        site_id = site.id
    auth.login()
    edit = f"/sites/{site_id}/edit"
    form = client.get(edit).get_data(as_text=True)
    assert 'type="password"' in form and 'name="plugin_vault_token"' in form
    assert "first" not in form
    for left_empty in ({"plugin_vault_token": ""}, {}):  # typed nothing; a form without it
        assert auth.submit(edit, {"aliases": "", **left_empty}).status_code == 302
        with app.app_context():
            kept = db.session.get_one(Site, site_id)
            assert plugins.context_properties(kept)["vault_token"] == "first"
    assert auth.submit(edit, {"aliases": "", "plugin_vault_token": "second"}).status_code == 302
    with app.app_context():
        changed = db.session.get_one(Site, site_id)
        assert plugins.context_properties(changed)["vault_token"] == "second"
