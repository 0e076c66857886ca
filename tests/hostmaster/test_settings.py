"""Settings: one registry for every setting the code reads; the Settings page and
``hostmaster settings`` check values the same way, never show a secret, and store nothing
when one value is wrong; the panel's public address is never a loopback one."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster import store_secrets
from hostmaster.extensions import db
from hostmaster.models import MailStatus, OutgoingMail, Setting
from hostmaster.queues.retention import FIELDS
from hostmaster.services import dispatch_control, secret_keys, settings, site_https
from hostmaster.services.errors import ValidationError
from hostmaster.services.setting_registry import ENVIRONMENT, REGISTRY
from tests.fixtures.app import AuthActions
from tests.hostmaster.pages import field_error, part, rows, text
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox

__all__ = ["mailbox"]  # the fixture, imported for pytest

PROJECT = Path(__file__).resolve().parents[2]
#: settings.get("x"), settings.put("x", ...), settings.is_set("x"), settings.save({"x": ...})
READ = re.compile(r"""settings\.(?:get|put|is_set|forget|reset)\(\s*["']([a-z_]+)["']""")
SAVED = re.compile(r"""settings\.save\(\{\s*["']([a-z_]+)["']""")


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


def test_every_setting_the_code_reads_is_in_the_registry() -> None:
    named: set[str] = set()
    for path in [*PROJECT.glob("hostmaster/**/*.py"), *PROJECT.glob("provision/**/*.py")]:
        source = path.read_text()
        named |= set(READ.findall(source)) | set(SAVED.findall(source))
    # Names the code builds: the dispatcher's state and the backup retention fields.
    named |= {dispatch_control.PAUSED, dispatch_control.CONCURRENCY, dispatch_control.RETENTION}
    named |= {f"backup_keep_{name}" for name in FIELDS}
    assert "smtp_host" in named and "public_url" in named  # the scan finds real reads
    assert sorted(named - set(REGISTRY)) == []


def test_a_setting_reads_as_its_default_until_it_is_set_and_unknown_names_are_refused(
    app: Flask,
) -> None:
    with app.app_context():
        assert settings.get("smtp_port") == 25 and not settings.is_set("smtp_port")
        settings.save({"smtp_port": 2525})
        assert settings.get("smtp_port") == 2525 and settings.is_set("smtp_port")
        with pytest.raises(KeyError):
            settings.get("smtp_hots")
        with pytest.raises(ValidationError, match="There is no setting called 'smtp_hots'"):
            settings.save({"smtp_hots": "mail.example.com"})


def test_one_wrong_value_stores_none_of_the_values_and_each_gets_a_sentence(app: Flask) -> None:
    with app.app_context():
        with pytest.raises(ValidationError) as raised:
            settings.save({"smtp_host": "mail.example.com", "smtp_port": 0,
                           "mail_from": "not an address", "smtp_security": "ssl3",
                           "require_disable_before_delete": "yes"})
        assert raised.value.errors == {
            "smtp_port": ["Enter a whole number from 1 to 65535."],
            "mail_from": ["'not an address' is not an e-mail address; enter one like "
                          "jane@example.com."],
            "smtp_security": ["Choose one of: none, starttls, tls."],
            "require_disable_before_delete": ["Choose on or off."],
        }
        assert settings.get("smtp_host") == "localhost"
        with pytest.raises(ValidationError, match="set by commands"):
            settings.set_from_text("dispatch_paused", "now")


@pytest.mark.parametrize("address", [
    "http://127.0.0.1:5000", "http://localhost:5000", "https://panel.localhost",
    "http://[::1]/", "http://0.0.0.0:80", "http://127.8.9.10",
])
def test_the_public_address_is_never_a_loopback_one(app: Flask, address: str) -> None:
    with app.app_context():
        settings.forget("public_url")
        db.session.commit()
        with pytest.raises(ValidationError, match="loopback address"):
            settings.save({"public_url": address})
        assert settings.public_url() == ""


def test_the_public_address_takes_a_name_or_address_with_a_port_and_a_path(app: Flask) -> None:
    with app.app_context():
        for good in ("https://panel.example.com/", "http://192.0.2.7:8080/hostmaster"):
            settings.save({"public_url": good})
            assert settings.public_url() == good.rstrip("/")
        for bad, sentence in (("panel.example.com", "with http:// or https://"),
                              ("ftp://panel.example.com", "with http:// or https://"),
                              ("https://panel.example.com/?next=x", "no query"),
                              ("https://Pa nel.example.com", "not a valid host name")):
            with pytest.raises(ValidationError, match=re.escape(sentence)):
                settings.save({"public_url": bad})


def test_the_settings_page_saves_a_group_and_shows_errors_beside_the_fields(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    page = client.get("/admin/settings").get_data(as_text=True)
    for name in REGISTRY:  # every setting is on the page, by name or as a field
        assert name in page, name
    form = {"mail-smtp_host": "mail.example.com", "mail-smtp_port": "587",
            "mail-smtp_security": "starttls", "mail-smtp_username": "hostmaster",
            "mail-smtp_password": "s3cret-smtp-pass", "mail-mail_from": "panel@example.com"}
    response = logged_in.submit("/admin/settings", form, post_path="/admin/settings/mail")
    assert response.status_code == 302
    with app.app_context():
        assert (settings.get("smtp_host"), settings.get("smtp_port"),
                settings.get("smtp_security"), settings.get("smtp_password")) == (
            "mail.example.com", 587, "starttls", "s3cret-smtp-pass")
    bad = logged_in.submit("/admin/settings", {**form, "mail-smtp_port": "many"},
                           post_path="/admin/settings/mail")
    markup = bad.get_data(as_text=True)
    assert bad.status_code == 200
    assert field_error(markup, "mail-smtp_port") == "smtp_port takes whole numbers, not 'many'."
    with app.app_context():
        assert settings.get("smtp_port") == 587


def test_the_https_certificate_settings_are_a_form_of_the_settings_page(
    app: Flask, client: FlaskClient, logged_in: AuthActions, tmp_path: Path
) -> None:
    bundle = tmp_path / "ca.pem"
    bundle.write_text("")
    form = {"https-acme_ca": "custom", "https-acme_directory_url": "https://acme.example.com/dir",
            "https-acme_email": "admin@example.com", "https-acme_ca_bundle": str(bundle),
            "https-certificate_renew_days": "45"}
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'id="save-https"' in page and "settings.index" not in page

    saved = logged_in.submit("/admin/settings", form, post_path="/admin/settings/https")
    too_wide = logged_in.submit("/admin/settings", {**form, "https-certificate_renew_days": "400"},
                                post_path="/admin/settings/https")

    assert saved.status_code == 302
    assert too_wide.status_code == 200 and field_error(
        too_wide.get_data(as_text=True), "https-certificate_renew_days")
    with app.app_context():
        assert site_https.acme_properties() == {
            "acme_directory_url": "https://acme.example.com/dir",
            "acme_email": "admin@example.com", "acme_ca_bundle": str(bundle)}
        assert site_https.renew_days() == 45


def test_the_smtp_password_is_never_shown_and_a_blank_field_keeps_it(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        settings.save({"smtp_username": "hostmaster", "smtp_password": "s3cret-smtp-pass"})
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "s3cret-smtp-pass" not in page
    field = part(page, "mail-smtp_password", ">")
    assert 'placeholder="unchanged"' in field and 'value=""' in field
    form = {"mail-smtp_host": "localhost", "mail-smtp_port": "25", "mail-smtp_security": "none",
            "mail-smtp_username": "hostmaster", "mail-smtp_password": "",
            "mail-mail_from": "panel@example.com"}
    logged_in.submit("/admin/settings", form, post_path="/admin/settings/mail")
    with app.app_context():
        assert settings.get("smtp_password") == "s3cret-smtp-pass"
    logged_in.submit("/admin/settings", {**form, "mail-forget_smtp_password": "y"},
                     post_path="/admin/settings/mail")
    with app.app_context():
        assert settings.get("smtp_password") == ""


MAIL_FORM = {"mail-smtp_host": "mail.example.com", "mail-smtp_port": "587",
             "mail-smtp_security": "starttls", "mail-smtp_username": "hostmaster",
             "mail-smtp_password": "", "mail-mail_from": "panel@example.com"}


def stored_settings() -> list[tuple[str, Any]]:
    """Every stored setting as the store holds it (a secret as encrypted)."""
    return sorted((row.name, row.value) for row in db.session.scalars(select(Setting)))


def test_the_smtp_password_saved_on_the_page_is_kept_encrypted_and_read_back_for_mail(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    response = logged_in.submit("/admin/settings", {
        **MAIL_FORM, "mail-smtp_password": "s3cret-smtp-pass"}, post_path="/admin/settings/mail")
    assert response.status_code == 302
    with app.app_context():
        stored = db.session.get_one(Setting, "smtp_password").value
        assert stored.startswith(store_secrets.PREFIX) and "s3cret" not in stored
        assert settings.get("smtp_password") == "s3cret-smtp-pass"
        assert secret_keys.count().stored == 1  # checked and rotated with the store's others
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "s3cret-smtp-pass" not in page and stored not in page
    assert 'placeholder="unchanged"' in part(page, "mail-smtp_password", ">")


@pytest.mark.parametrize(("field", "value", "message"), [
    ("smtp_host", "mail server!", "'mail server!' is not a valid host name"),
    ("smtp_port", "0", "Enter a whole number from 1 to 65535."),
    ("smtp_security", "ssl3", "Choose one of: none, starttls, tls."),
    ("mail_from", "nobody", "'nobody' is not an e-mail address"),
])
def test_a_bad_mail_setting_on_the_page_is_refused_beside_its_field_and_nothing_changes(
    app: Flask, client: FlaskClient, logged_in: AuthActions, field: str, value: str,
    message: str,
) -> None:
    with app.app_context():
        settings.save({"smtp_host": "relay.example.com", "smtp_password": "old-pass"})
        before = stored_settings()
    response = logged_in.submit("/admin/settings", {
        **MAIL_FORM, f"mail-{field}": value, "mail-smtp_password": "typed-smtp-secret"},
        post_path="/admin/settings/mail")
    markup = response.get_data(as_text=True)
    assert response.status_code == 200
    assert message in field_error(markup, f"mail-{field}")
    assert "typed-smtp-secret" not in markup
    with app.app_context():
        assert stored_settings() == before
        assert settings.get("smtp_password") == "old-pass"


def test_the_page_and_the_cli_show_the_same_environment_settings(
    app: Flask, client: FlaskClient, logged_in: AuthActions, runner: Any
) -> None:
    page = text(client.get("/admin/settings").get_data(as_text=True))
    listed = runner.invoke(args=["settings", "list", "--group", "environment"])
    assert listed.exit_code == 0
    for name, variable, _ in ENVIRONMENT:
        assert variable in page and name in listed.output and variable in listed.output
    assert app.config["SECRETS_KEY_FILE"] in listed.output
    assert "SQLALCHEMY_DATABASE_URI" not in listed.output  # it may hold the store's password


def test_a_test_mail_goes_through_the_saved_settings_and_lands_in_the_outbox(
    app: Flask, client: FlaskClient, logged_in: AuthActions, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
    response = logged_in.submit("/admin/settings", {"to": "me@example.com"},
                                post_path="/admin/settings/test-mail")
    assert response.status_code == 302
    page = text(client.get(response.location).get_data(as_text=True))
    assert f"The test mail went to me@example.com through 127.0.0.1:{mailbox.port}." in page
    (received,) = mailbox.messages
    assert (received["To"], received["Subject"]) == ("me@example.com", "Hostmaster test mail")
    with app.app_context():
        (kept,) = db.session.query(OutgoingMail).all()
        assert (kept.status, kept.attempts, kept.purpose) == (MailStatus.SENT, 1, "test")


def test_a_test_mail_that_cannot_be_sent_says_why_on_the_page(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        settings.save({"smtp_host": "127.0.0.1", "smtp_port": 1})
    response = logged_in.submit("/admin/settings", {"to": "me@example.com"},
                                post_path="/admin/settings/test-mail")
    page = text(client.get(response.location).get_data(as_text=True))
    assert "The mail to me@example.com could not be sent: the SMTP server 127.0.0.1:1 could " \
           "not be reached" in page
    with app.app_context():
        (kept,) = db.session.query(OutgoingMail).all()
        assert kept.status == MailStatus.FAILED and "127.0.0.1:1" in kept.last_error


def test_a_test_mail_whose_smtp_password_cannot_be_decrypted_says_so_on_the_page(
    app: Flask, client: FlaskClient, logged_in: AuthActions, tmp_path: Path
) -> None:
    with app.app_context():
        settings.save({"smtp_host": "127.0.0.1", "smtp_port": 1, "smtp_username": "hostmaster",
                       "smtp_password": "s3cret-smtp-pass"})
    other_key = tmp_path / "other.key"  # the store's key file lost, another one in its place
    store_secrets.write_keys(other_key, [Fernet.generate_key()])
    app.config["SECRETS_KEY_FILE"] = str(other_key)
    response = logged_in.submit("/admin/settings", {"to": "me@example.com"},
                                post_path="/admin/settings/test-mail")
    page = text(client.get(response.location).get_data(as_text=True))
    assert ("The mail to me@example.com could not be sent: the password for the SMTP server "
            "127.0.0.1:1 cannot be read: A secret in the store was encrypted with a key that "
            f"is not in {other_key}") in page
    with app.app_context():
        (kept,) = db.session.query(OutgoingMail).all()
        assert kept.status == MailStatus.FAILED


def test_the_cli_lists_gets_and_sets_settings_with_the_same_checks(
    app: Flask, runner: Any
) -> None:
    listed = runner.invoke(args=["settings", "list"])
    assert listed.exit_code == 0 and "Mail:" in listed.output
    assert re.search(r"\s smtp_port\s+25$", listed.output, re.M)
    done = runner.invoke(args=["settings", "set", "smtp_port", "2525"])
    assert done.exit_code == 0 and "smtp_port is now 2525." in done.output
    assert runner.invoke(args=["settings", "get", "smtp_port"]).output.startswith("2525\n")
    refused = runner.invoke(args=["settings", "set", "smtp_port", "99999"])
    assert refused.exit_code == 1 and "Enter a whole number from 1 to 65535." in refused.output
    unknown = runner.invoke(args=["settings", "get", "smtp_hots"])
    assert unknown.exit_code == 1 and "There is no setting called 'smtp_hots'" in unknown.output
    assert runner.invoke(args=["settings", "set", "smtp_port", "--reset"]).exit_code == 0
    with app.app_context():
        assert settings.get("smtp_port") == 25 and not settings.is_set("smtp_port")


def test_the_cli_never_takes_or_prints_a_secret_on_the_command_line(
    app: Flask, runner: Any
) -> None:
    refused = runner.invoke(args=["settings", "set", "smtp_password", "on-the-line"])
    assert refused.exit_code == 1 and "do not put it on the command line" in refused.output
    with app.app_context():
        assert rows(app, Setting) and not settings.is_set("smtp_password")
    done = runner.invoke(args=["settings", "set", "smtp_password"],
                         env={"HOSTMASTER_SETTING_VALUE": "from-the-environment"})
    assert done.exit_code == 0 and "smtp_password is now (set)." in done.output
    shown = runner.invoke(args=["settings", "get", "smtp_password", "--json"])
    assert "from-the-environment" not in shown.output and "(set)" in shown.output
    with app.app_context():
        assert settings.get("smtp_password") == "from-the-environment"


def test_the_panel_group_saves_and_shows_what_hostmaster_publish_set_without_a_field(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        settings.put("panel_upstream", "127.0.0.1:8123")
        db.session.commit()
    page = client.get("/admin/settings").get_data(as_text=True)
    assert 'id="set-by-commands-panel"' in page and "127.0.0.1:8123" in page
    assert 'name="panel-panel_published"' not in page, "set by hostmaster publish only"

    saved = logged_in.submit("/admin/settings", {"panel-public_url": "https://panel.example.org"},
                             post_path="/admin/settings/panel")

    assert saved.status_code == 302
    with app.app_context():
        assert settings.public_url() == "https://panel.example.org"
        assert settings.get("panel_published") is False
