"""The certificate renewal queue end to end: a site made in the web UI with required HTTPS gets a
certificate from a real ACME CA (Debian's Pebble) through the dispatcher and provision on the
private Apache or nginx; the dispatcher's pass runs the Certificates queue, which renews it once
``certificate_renew_days`` is wider than its remaining life (a new serial served, the new
expiry in the store); with the CA gone, the next renewal fails: the reason is on the site's
HTTPS tab and the dashboard, the site is backed off, and the old certificate keeps serving.

The Drupal platform is the generated Drupal 7 STAND-IN of tests/fixtures/platforms.py.
"""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import SiteHttps, utcnow
from hostmaster.queues import get as get_queue
from hostmaster.queues import state as queue_state
from tests.fixtures.app import AuthActions, one_store
from tests.fixtures.pebble import running_pebble
from tests.fixtures.platforms import make_drupal7_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_process import poll
from tests.hostmaster.pages import part, text
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox
from tests.hostmaster.test_queues_sites import delete_sites, get_queue_state, only_queue
from tests.test_sites import create_in_ui, fetch, ready, run_task

# These test provision and the real stack through the app, not the store (see conftest).
pytestmark = one_store

__all__ = ["mailbox"]  # the fixture, imported for pytest

#: Pebble's certificates here live 90 days, as Let's Encrypt's do: the default window (30 days)
#: leaves a new one alone, a window of 100 days renews it.
VALIDITY_DAYS = 90
WIDE_WINDOW = 100

Answer = tuple[int, str, x509.Certificate]


def https_get(instance: Any, host: str, root_pem: str,
              until: Callable[[x509.Certificate], bool] = lambda _certificate: True) -> Answer:
    """GET / over HTTPS from the instance with SNI ``host``, the chain verified against
    ``root_pem`` for ``host``: status, body and the certificate served. Asked again until a
    certificate that verifies and passes ``until`` has been served for a second (after a reload,
    nginx's old workers serve the certificate before for a moment)."""
    answers: list[Answer] = []
    refused: list[str] = []
    since: list[float] = []

    def served() -> bool:
        try:
            answers[:] = [_https_get(instance, host, root_pem)]
        except ssl.SSLCertVerificationError as error:
            answers.clear()
            refused[:] = [str(error)]
        if not answers or not until(answers[0][2]):
            since.clear()
            return False
        since[:] = since or [time.monotonic()]
        return time.monotonic() - since[0] >= 1.0

    poll(served, timeout=30)
    if not answers:
        pytest.fail(f"https://{host}/ served a certificate that does not verify: {refused}")
    return answers[0]


def _https_get(instance: Any, host: str, root_pem: str) -> Answer:
    context = ssl.create_default_context(cadata=root_pem)
    raw = socket.create_connection(("127.0.0.1", instance.https_port), timeout=10)
    with context.wrap_socket(raw, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        connection = http.client.HTTPConnection(host, instance.https_port, timeout=10)
        connection.sock = tls
        connection.request("GET", "/", headers={"Host": host})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
    return response.status, body, x509.load_der_x509_certificate(der)


def serial_of(certificate: x509.Certificate) -> str:
    """The serial as provision reports it and the store keeps it (hex)."""
    return format(certificate.serial_number, "x")


def https_row(site_id: int) -> SiteHttps:
    """The site's HTTPS row, read afresh from the store."""
    db.session.expire_all()
    return db.session.get_one(SiteHttps, site_id)


def run_certificates_queue(app: Flask) -> None:
    """One dispatcher pass as if the queue's frequency (an hour) had passed since its last run:
    the queue is due again, while the sites' times (expiry, back-off) stay the real ones."""
    state = queue_state.state_of(get_queue("certificates"))
    if state.last_run_at is not None:
        state.last_run_at -= timedelta(seconds=state.frequency)
        db.session.commit()
    dispatch_once(app)


def save_https_settings(auth: AuthActions, **values: str) -> None:
    """Save the HTTPS certificates group of the Settings page, as an admin does."""
    form = {"https-acme_ca": "none", "https-acme_directory_url": "", "https-acme_email": "",
            "https-acme_ca_bundle": "", "https-certificate_renew_days": "30",
            **{f"https-{name}": value for name, value in values.items()}}
    saved = auth.submit("/admin/settings", form, post_path="/admin/settings/https")
    assert saved.status_code == 302, text(saved.get_data(as_text=True))


@pytest.mark.parametrize("kind", ["apache", "nginx"])
def test_the_queue_renews_a_due_certificate_and_a_ca_that_is_gone_backs_the_site_off(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, mailbox: Mailbox, kind: str, request: pytest.FixtureRequest,
    tmp_path: Path,
) -> None:
    instance = request.getfixturevalue(f"{kind}_instance")
    uri = f"renew-{kind}.example.test"
    root = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    auth.login()
    with app.app_context():
        use_mailbox(mailbox)
        server_id, platform_id = ready(app, kind, instance, mariadb_admin, root)
        site_id = create_in_ui(auth, uri, server_id, platform_id, profile="standard")
        run_task(app, instance, site_id, "install")
    try:
        with running_pebble(tmp_path, instance.port, validity_days=VALIDITY_DAYS) as ca:
            settings = {"acme_ca": "custom", "acme_directory_url": ca.directory_url,
                        "acme_email": "admin@example.com", "acme_ca_bundle": str(ca.ca_bundle)}
            save_https_settings(auth, **settings)
            root_pem = ca.root_pem()
            first = check_the_cas_certificate(app, auth, instance, site_id, uri, root_pem)
            save_https_settings(auth, **settings, certificate_renew_days=str(WIDE_WINDOW))
            second = check_renewal(app, instance, site_id, uri, root_pem, first)
        check_failure(app, client, instance, site_id, uri, root_pem, second, ca.directory_url)
    finally:
        with app.app_context():
            delete_sites(app, auth, instance, {uri: site_id})


def check_the_cas_certificate(app: Flask, auth: AuthActions, instance: Any, site_id: int,
                              uri: str, root_pem: str) -> x509.Certificate:
    """HTTPS required on the site's HTTPS tab: its verify serves the CA's certificate, which the
    store records; a pass of the queue leaves it alone (90 days left, the window is 30)."""
    assert auth.submit(f"/sites/{site_id}/https", {"https": "required"}).status_code == 302
    with app.app_context():
        run_task(app, instance, site_id, "verify")
    status, body, first = https_get(instance, uri, root_pem)
    assert status == 200 and f"<title>{uri}</title>" in body
    assert "Pebble" in first.issuer.rfc4514_string()
    with app.app_context():
        row = https_row(site_id)
        assert (row.serial, row.self_signed) == (serial_of(first), False)
        assert row.expires_at == first.not_valid_after_utc.replace(tzinfo=None)

        app.config["DISPATCH_QUEUES"] = True  # from here on, dispatch passes run the queues
        only_queue("certificates")
        dispatch_once(app)
        assert get_queue_state("certificates").details["last_result"] == (
            "Checked the certificates of 0 sites.")
        assert https_row(site_id).serial == serial_of(first)
    return first


def check_renewal(app: Flask, instance: Any, site_id: int, uri: str, root_pem: str,
                  first: x509.Certificate) -> x509.Certificate:
    """With a window wider than the certificate's life the next pass renews it: a new serial
    served after a reload that went well, its expiry in the store."""
    with app.app_context(), instance.expect_reload():
        run_certificates_queue(app)
    status, body, second = https_get(
        instance, uri, root_pem, until=lambda cert: cert.serial_number != first.serial_number)
    assert second.serial_number != first.serial_number, "the queue renewed the certificate"
    assert status == 200 and f"<title>{uri}</title>" in body, "the web server serves the site"
    status, headers, _body = fetch(instance, "/a/page?q=1", uri)
    assert status == 301, "HTTP still answers with the https:// address"
    assert headers["location"] == f"https://{uri}:{instance.https_port}/a/page?q=1"
    with app.app_context():
        assert get_queue_state("certificates").details["last_result"] == (
            "Checked the certificates of 1 site.")
        row = https_row(site_id)
        assert row.serial == serial_of(second)
        assert row.expires_at == second.not_valid_after_utc.replace(tzinfo=None)
        assert row.expires_at > first.not_valid_after_utc.replace(tzinfo=None)
        assert (row.error, row.failures, row.retry_at) == ("", 0, None)
    return second


def check_failure(app: Flask, client: FlaskClient, instance: Any, site_id: int, uri: str,
                  root_pem: str, second: x509.Certificate, directory_url: str) -> None:
    """The CA is gone and the certificate is still within the window: the next pass fails to
    renew it, the certificate it has keeps serving, the reason is on the HTTPS tab and the
    dashboard, and the site is backed off."""
    with app.app_context():
        before = utcnow()
        run_certificates_queue(app)
        result = get_queue_state("certificates").details["last_result"]
        assert result.startswith(f"Checked the certificates of 0 sites; 1 failed: {uri}: "), (
            result)
    # Checked before the next pass: a dispatcher that starts recovers (rolls back) what an
    # interrupted provision left, which would hide a failure that changed the certificate.
    status, body, kept = https_get(instance, uri, root_pem)
    assert kept.serial_number == second.serial_number, "the old certificate keeps serving"
    assert status == 200 and f"<title>{uri}</title>" in body
    with app.app_context():
        row = https_row(site_id)
        reason = row.error
        assert f"The CA at {directory_url} could not be reached" in reason, reason
        assert row.failures == 1 and row.failed_at is not None and row.failed_at >= before
        assert row.retry_at == row.failed_at + timedelta(hours=1)
        assert row.retry_at > utcnow()
        assert row.serial == serial_of(second), "the store still names the one served"

        run_certificates_queue(app)  # an hour later for the queue, not for the site
        assert get_queue_state("certificates").details["last_result"] == (
            "Checked the certificates of 0 sites."), "backed off: the pass left it alone"
        assert https_row(site_id).failures == 1
    tab = client.get(f"/sites/{site_id}/https").get_data(as_text=True)
    assert text(reason) in text(part(tab, "certificate-error", "</p>"))
    dashboard = client.get("/").get_data(as_text=True)
    assert f"{uri}</a>: {escape(reason)}" in part(dashboard, "certificate-renewals-failed",
                                                  "</div>")
