"""The key of the store's secrets over time: the revision that encrypts an older store's
secrets (and its downgrade), ``hostmaster secrets check`` and ``hostmaster secrets rotate-key``."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask_migrate import downgrade, upgrade
from sqlalchemy import event, select, text

from hostmaster import store_secrets
from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import ServerService, Setting, Site, User
from hostmaster.services import settings, users
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.app import make_app
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.store_dumps import sqlite_file_bytes, store_dump
from tests.hostmaster.helpers import LOCAL
from tests.hostmaster.site_helpers import new_site, ready_platform, run_pending

BEFORE = "c5e7a9b1d3f4"  # the revision before secrets were encrypted
BEFORE_SMTP_PASSWORD = "3c9f1a7b2d45"  # the revision before the SMTP password was encrypted


@pytest.fixture
def own_key_app(app: Flask, tmp_path: Path) -> Iterator[Flask]:
    """The test's store, with a key file of its own (so that rotating it touches no other
    test's key)."""
    own = make_app(app.config["SQLALCHEMY_DATABASE_URI"], Path(app.config["AEGIR_ROOT"]),
                   SECRETS_KEY_FILE=str(tmp_path / "keys" / "secrets.key"))
    yield own
    with own.app_context():
        db.session.remove()
        db.engine.dispose()


def stored_secrets() -> list[str]:
    """Every encrypted value in the store's secret columns, as stored."""
    services = db.session.scalars(select(ServerService.db_password_encrypted))
    cron_keys = db.session.scalars(select(Site.cron_key_encrypted))
    return [value for value in [*services, *cron_keys] if value]


def test_the_revision_encrypts_an_older_stores_secrets_and_its_downgrade_restores_them(
    scratch_store_url: str, tmp_path: Path
) -> None:
    password, cron_key = secrets.token_urlsafe(18), secrets.token_urlsafe(18)
    # Enough rows that SQLite would keep old values in its pages' free space.
    more = [secrets.token_urlsafe(18) for _ in range(100)]
    app = make_app(scratch_store_url, tmp_path / "aegir",
                   SECRETS_KEY_FILE=str(tmp_path / "secrets.key"))
    with app.app_context():
        upgrade()
        server = create_server("master.example.com", master=True, ip_addresses=LOCAL, services={
            "http": ServiceSpec("apache"),
            "db": ServiceSpec("mysql", db_user="aegir_root", db_password=password)})
        for number, other in enumerate(more):
            create_server(f"db{number}.example.com", ip_addresses=LOCAL, services={
                "db": ServiceSpec("mysql", db_user="aegir_root", db_password=other)})
        run_pending(new_site(ready_platform(server), server), "install", {"cron_key": cron_key})
        users.create_user("alice", "alice@example.com", "a long enough password")
        downgrade(revision=BEFORE)  # as an older version stored them: in clear
        connection = db.session.connection()
        assert connection.execute(text("SELECT db_password FROM server_service WHERE "
                                       "service = 'db' ORDER BY id")).scalars().all() == [
            password, *more]
        assert connection.execute(text("SELECT cron_key FROM site")).scalar() == cron_key
        connection.execute(text("UPDATE task SET result = :result"), {"result": json.dumps(
            {"db_name": "x", "login_link": "http://www.example.com/l/1", "cron_key": cron_key})})
        db.session.commit()
        db.session.remove()
        db.engine.dispose()  # the older store, as it lies on disk
        if scratch_store_url.startswith("sqlite"):  # as SQLite builds without it default to
            event.listen(db.engine, "connect", _without_secure_delete)
        upgrade()
        assert stored_secrets() and all(map(store_secrets.is_encrypted, stored_secrets()))
        kept = db.session.scalars(select(ServerService).where(ServerService.service == "db")
                                  .order_by(ServerService.id))
        assert [service.db_password for service in kept] == [password, *more]
        assert db.session.scalars(select(Site)).one().cron_key == cron_key
        tokens = list(db.session.scalars(select(User.session_token)))
        assert len(tokens) == len(set(tokens)) and all(len(token) > 20 for token in tokens)
        db.session.remove()
        db.engine.dispose()
    dump = store_dump(scratch_store_url)
    for secret in (password, *more, cron_key, "http://www.example.com/l/1"):
        assert secret not in dump
    if scratch_store_url.startswith("sqlite"):  # not even in the free space of its pages
        raw = sqlite_file_bytes(scratch_store_url)
        assert [secret for secret in (password, *more) if secret.encode() in raw] == []


def _without_secure_delete(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.execute("PRAGMA secure_delete = OFF")


def test_secrets_check_counts_what_the_key_file_decrypts(own_key_app: Flask) -> None:
    runner = own_key_app.test_cli_runner()
    with own_key_app.app_context():
        create_server("db.example.com", ip_addresses=LOCAL, services={
            "db": ServiceSpec("mysql", db_user="aegir_root", db_password="first password")})
    checked = runner.invoke(args=["secrets", "check"])
    assert checked.exit_code == 0
    assert "decrypts all 1 secrets in the store" in checked.output
    with own_key_app.app_context():
        store_secrets.write_keys(store_secrets.key_file(), [Fernet.generate_key()])
    lost = runner.invoke(args=["secrets", "check"])
    assert lost.exit_code != 0
    assert "1 of the 1 secrets in the store cannot be decrypted" in lost.output
    assert "was encrypted with a key that is not in" in lost.output


def test_rotating_the_key_encrypts_every_secret_again_and_keeps_old_backups_readable(
    own_key_app: Flask,
) -> None:
    runner = own_key_app.test_cli_runner()
    with own_key_app.app_context():
        server = create_server("master.example.com", master=True, ip_addresses=LOCAL,
                               services={"http": ServiceSpec("apache"), "db": ServiceSpec(
                                   "mysql", db_user="aegir_root", db_password="the password")})
        run_pending(new_site(ready_platform(server), server), "install", {"cron_key": "ck"})
        before = stored_secrets()
        key_file = store_secrets.key_file()
        (old_key,) = store_secrets.read_keys(key_file)
    rotated = runner.invoke(args=["secrets", "rotate-key"])
    assert rotated.exit_code == 0, rotated.output
    assert "Encrypted 2 secrets again with a new key" in rotated.output
    with own_key_app.app_context():
        db.session.expire_all()
        after = stored_secrets()
        keys = store_secrets.read_keys(key_file)
        assert len(keys) == 2 and keys[1] == old_key  # the new key first, the old one kept
        assert not set(before) & set(after)
        assert store_secrets.decrypt(before[0]) == "the password"  # an old backup's value
        assert db.session.scalars(select(Site)).one().cron_key == "ck"
    forgot = runner.invoke(args=["secrets", "rotate-key", "--forget-old"])
    assert forgot.exit_code == 0, forgot.output
    with own_key_app.app_context():
        assert len(store_secrets.read_keys(key_file)) == 1
        with pytest.raises(store_secrets.SecretsUnreadable):
            store_secrets.decrypt(before[0])
        db.session.expire_all()
        service: Any = db.session.scalars(
            select(ServerService).where(ServerService.service == "db")).one()
        assert service.db_password == "the password"


def test_a_rotation_refuses_while_a_secret_cannot_be_decrypted(own_key_app: Flask) -> None:
    with own_key_app.app_context():
        create_server("db.example.com", ip_addresses=LOCAL, services={
            "db": ServiceSpec("mysql", db_user="aegir_root", db_password="first password")})
        key_file = store_secrets.key_file()
        store_secrets.write_keys(key_file, [Fernet.generate_key()])
        kept = key_file.read_text()
    refused = own_key_app.test_cli_runner().invoke(args=["secrets", "rotate-key"])
    assert refused.exit_code != 0
    assert "cannot be decrypted, so the key is not rotated" in refused.output
    assert key_file.read_text() == kept


def test_after_a_lost_key_importing_a_servers_context_puts_its_password_back(
    own_key_app: Flask, mariadb_admin: MariaDBAdmin
) -> None:
    with own_key_app.app_context():
        create_server("db.example.com", ip_addresses=LOCAL, services={
            "db": ServiceSpec("mysql", port=mariadb_admin.port, db_user=mariadb_admin.user,
                              db_password=mariadb_admin.password,
                              options={"db_host": mariadb_admin.host})})
        assert dispatch_once(own_key_app) == 0  # provision keeps the context, 0600
        key_file = store_secrets.key_file()
    key_file.unlink()  # lost
    imported = own_key_app.test_cli_runner().invoke(
        args=["import", "@server_dbexamplecom", "--no-verify"])
    assert imported.exit_code == 0, imported.output
    with own_key_app.app_context():
        db.session.expire_all()
        service = db.session.scalars(
            select(ServerService).where(ServerService.service == "db")).one()
        assert service.db_password == mariadb_admin.password  # under a new key
    assert key_file.exists()


def test_the_smtp_password_revision_encrypts_a_stored_password_its_downgrade_restores_it(
    scratch_store_url: str, tmp_path: Path
) -> None:
    app = make_app(scratch_store_url, tmp_path / "aegir",
                   SECRETS_KEY_FILE=str(tmp_path / "secrets.key"))
    with app.app_context():
        upgrade(revision=BEFORE_SMTP_PASSWORD)
        db.session.execute(text("INSERT INTO setting (name, value) VALUES "
                                "('smtp_password', :value), ('smtp_host', :host)"),
                           {"value": json.dumps("older-smtp-pass"),
                            "host": json.dumps("mail.example.com")})
        db.session.commit()
        upgrade()
        stored = dict(db.session.execute(text("SELECT name, value FROM setting")).all())
        assert json.loads(stored["smtp_host"]) == "mail.example.com"
        assert store_secrets.is_encrypted(json.loads(stored["smtp_password"]))
        assert settings.get("smtp_password") == "older-smtp-pass"
        downgrade(revision=BEFORE_SMTP_PASSWORD)
        clear = db.session.execute(text("SELECT value FROM setting WHERE name = "
                                        "'smtp_password'")).scalar()
        assert json.loads(clear) == "older-smtp-pass"
        db.session.remove()
        db.engine.dispose()


def test_rotating_the_key_encrypts_the_smtp_password_again(own_key_app: Flask) -> None:
    with own_key_app.app_context():
        settings.save({"smtp_password": "the smtp password"})
        before = db.session.get_one(Setting, "smtp_password").value
    rotated = own_key_app.test_cli_runner().invoke(args=["secrets", "rotate-key"])
    assert "Encrypted 1 secrets again with a new key" in rotated.output
    with own_key_app.app_context():
        db.session.expire_all()
        after = db.session.get_one(Setting, "smtp_password").value
        assert after != before and store_secrets.is_encrypted(after)
        assert settings.get("smtp_password") == "the smtp password"
