"""A site's HTTPS in the panel: the page that sets the mode and HSTS (a verify is queued), what
provision receives, certificate facts from results, the renewal task and the renewal queue's
choice of sites and back-off (results applied as the dispatcher applies them)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Site, SiteHttps, Task, TaskStatus, User, utcnow
from hostmaster.queues import certificates
from hostmaster.services import api_tokens, contexts, settings, site_https, tasks
from provision.tls import certificates as tls_certificates
from tests.fixtures.app import AuthActions
from tests.fixtures.certificates import private_ca
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform, run_pending

FACTS = {"names": ["www.example.com"], "not_after": "2027-03-01T10:00:00+00:00",
         "serial": "1f2e", "issuer": "CN=Pebble Intermediate CA", "self_signed": False}


def _site() -> Site:
    server = master_server()
    return enabled_site(ready_platform(server), server)


def _pending(site: Site, type_name: str) -> Task | None:
    return tasks.pending_task(site, type_name)


def test_the_https_page_sets_the_mode_and_hsts_and_queues_a_verify(
    app: Flask, client: FlaskClient, auth: AuthActions,
) -> None:
    with app.app_context():
        site_id = _site().id
    auth.login()
    page = f"/sites/{site_id}/https"

    saved = auth.submit(page, {"https": "required", "hsts": "y"})

    assert saved.status_code == 302
    with app.app_context():
        site = db.session.get(Site, site_id)
        assert site is not None
        row = site_https.https_of(site)
        assert (row.mode, row.hsts) == ("required", True)
        assert _pending(site, "verify") is not None
        properties = contexts.site_properties(site)
        assert (properties["https"], properties["hsts"]) == ("required", True)
    shown = client.get(f"/sites/{site_id}").get_data(as_text=True)
    assert 'id="site-https">required' in shown


def test_bad_https_input_is_refused_and_changes_nothing(
    app: Flask, client: FlaskClient, auth: AuthActions,
) -> None:
    with app.app_context():
        site_id = _site().id
    auth.login()
    page = f"/sites/{site_id}/https"

    unknown = auth.submit(page, {"https": "always"}).get_data(as_text=True)
    hsts_alone = auth.submit(page, {"https": "off", "hsts": "y"}).get_data(as_text=True)

    assert "Choose how the site answers HTTPS: off, enabled, required." in unknown
    assert "turn HTTPS on first" in hsts_alone
    with app.app_context():
        site = db.session.get(Site, site_id)
        assert site is not None
        assert db.session.get(SiteHttps, site_id) is None
        assert _pending(site, "verify") is None


def test_a_verify_result_records_the_certificate_shown_on_the_page(
    app: Flask, client: FlaskClient, auth: AuthActions,
) -> None:
    with app.app_context():
        site = _site()
        site_https.set_https(site, "enabled", False)
        db.session.commit()
        run_pending(site, "verify", {"certificate": FACTS})
        row = db.session.get(SiteHttps, site.id)
        assert row is not None and row.serial == "1f2e"
        assert row.expires_at is not None and row.expires_at.isoformat() == "2027-03-01T10:00:00"
        site_id = site.id
    auth.login()
    page = client.get(f"/sites/{site_id}/https").get_data(as_text=True)
    assert '<time datetime="2027-03-01T10:00:00Z"' in page and 'id="certificate-expires"' in page
    assert "CN=Pebble Intermediate CA" in page


def test_the_renew_task_is_offered_only_with_https_and_a_failure_backs_off(app: Flask) -> None:
    with app.app_context():
        site = _site()
        offered = {t.name for t, _last, reason in tasks.available_tasks(site) if reason is None}
        assert "certificate" not in offered
        site_https.set_https(site, "required", False)
        db.session.commit()
        offered = {t.name for t, _last, reason in tasks.available_tasks(site) if reason is None}
        assert "certificate" in offered

        task = tasks.queue(site, "certificate")
        tasks.add_log(task, "error", "The CA at https://ca.test/dir could not be reached.")
        status = run_pending(site, "certificate", failed=True)

        assert status == TaskStatus.ERROR
        row = db.session.get(SiteHttps, site.id)
        assert row is not None and row.failures == 1
        assert row.error == "The CA at https://ca.test/dir could not be reached."
        assert row.retry_at is not None and row.failed_at is not None
        assert row.retry_at - row.failed_at == timedelta(hours=1)
        site_https.renewal_failed(site, "again")
        assert row.retry_at - row.failed_at == timedelta(hours=2)

        tasks.queue(site, "certificate")
        run_pending(site, "certificate", {"certificate": FACTS})
        assert (row.error, row.failures, row.retry_at) == ("", 0, None)


def test_the_queue_picks_due_certificates_soonest_first_and_skips_backed_off_ones(
    app: Flask,
) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        now = utcnow()
        due_later, due_soon, fresh, waiting, plain = (
            enabled_site(platform, server, f"s{n}.example.com") for n in range(5))
        for site in (due_later, due_soon, fresh, waiting):
            site_https.set_https(site, "enabled", False)
        db.session.commit()
        rows = {site.uri: db.session.get(SiteHttps, site.id) for site in (
            due_later, due_soon, fresh, waiting)}
        rows[due_later.uri].expires_at = now + timedelta(days=20)
        rows[due_soon.uri].expires_at = now + timedelta(days=2)
        rows[fresh.uri].expires_at = now + timedelta(days=80)
        rows[waiting.uri].expires_at = now + timedelta(days=1)
        rows[waiting.uri].retry_at = now + timedelta(minutes=30)
        db.session.commit()
        assert certificates.sites_with_https() == 4

        picked = certificates.pick(now, 10)

        assert picked == [due_soon.id, due_later.id]
        # Claimed: the next pass leaves them alone while their renewal runs.
        assert certificates.pick(now, 10) == []
        settings.put("certificate_renew_days", 90)
        db.session.commit()
        assert certificates.pick(now, 10) == [fresh.id]
        assert plain.id not in picked


def test_the_sites_list_sorts_by_expiry_and_the_dashboard_names_failed_renewals(
    app: Flask, client: FlaskClient, auth: AuthActions,
) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        now = utcnow()
        later, sooner = (enabled_site(platform, server, f"{name}.example.com")
                         for name in ("a-later", "b-sooner"))
        enabled_site(platform, server, "c-plain.example.com")
        for site, days in ((later, 60), (sooner, 5)):
            site_https.set_https(site, "enabled", False)
            db.session.flush()
            row = db.session.get(SiteHttps, site.id)
            assert row is not None
            row.expires_at = now + timedelta(days=days)
        site_https.renewal_failed(sooner, "The CA could not validate b-sooner.example.com.")
        db.session.commit()
    auth.login()

    listed = client.get("/sites?sort=certificate&dir=asc").get_data(as_text=True)
    dashboard = client.get("/").get_data(as_text=True)

    assert listed.index("b-sooner.example.com") < listed.index("a-later.example.com")
    assert "renewal failed" in listed and "no HTTPS" in listed
    assert 'id="certificate-renewals-failed"' in dashboard
    assert "b-sooner.example.com</a>: The CA could not validate b-sooner.example.com." in dashboard


def test_the_api_sets_and_shows_a_sites_https_and_refuses_bad_input(
    app: Flask, client: FlaskClient, admin: User,
) -> None:
    with app.app_context():
        site_id = _site().id
        user = db.session.scalars(select(User).where(User.username == "admin")).one()
        token = api_tokens.create(user, "https")[1]
    headers = {"Authorization": f"Bearer {token}"}
    path = f"/api/v1/sites/{site_id}/https"

    bad_mode = client.put(path, json={"https": "always"}, headers=headers)
    bad_hsts = client.put(path, json={"https": "enabled", "hsts": "yes"}, headers=headers)
    saved = client.put(path, json={"https": "enabled", "hsts": True}, headers=headers)
    shown = client.get(f"/api/v1/sites/{site_id}", headers=headers).get_json()

    assert bad_mode.status_code == 400 and "https" in bad_mode.get_json()["fields"]
    assert bad_hsts.status_code == 400 and "hsts" in bad_hsts.get_json()["fields"]
    assert saved.status_code == 200
    assert saved.get_json()["https"] == "enabled" and saved.get_json()["hsts"] is True
    assert shown["https"]["https"] == "enabled"
    assert client.put("/api/v1/sites/999999/https", json={"https": "off"},
                      headers=headers).status_code == 404


def test_the_command_line_shows_and_sets_a_sites_https(app: Flask, runner: Any) -> None:
    with app.app_context():
        site = _site()
        uri, site_id = site.uri, site.id

    refused = runner.invoke(args=["site", "https", uri, "--hsts"])
    saved = runner.invoke(args=["site", "https", uri, "--mode", "required", "--hsts"])
    shown = runner.invoke(args=["site", "https", uri])

    assert refused.exit_code != 0 and "--hsts: HSTS tells browsers" in refused.output
    assert saved.exit_code == 0, saved.output
    assert "required" in shown.output and "hsts" in shown.output
    with app.app_context():
        row = db.session.get(SiteHttps, site_id)
        assert row is not None and (row.mode, row.hsts) == ("required", True)


def test_an_uploaded_certificate_is_checked_before_anything_changes_then_queued(
    app: Flask, client: FlaskClient, auth: AuthActions, aegir_root: Path,
) -> None:
    with app.app_context():
        site = _site()
        site_https.set_https(site, "enabled", False)
        db.session.commit()
        site_id, uri = site.id, site.uri
    auth.login()
    page = f"/sites/{site_id}/https"
    ca = private_ca()
    leaf, key = ca.leaf([uri])
    uploads = aegir_root / "config" / ".uploads"

    def post(certificate: str, private_key: str) -> Any:
        token = auth.csrf_token(page)
        return client.post(page, data={"upload-certificate": certificate,
                                        "upload-key": private_key, "upload-upload": "Upload",
                                        "upload-csrf_token": token})

    mismatched = post(leaf + ca.intermediate + ca.root, tls_certificates.new_key())
    uncovered = post(ca.leaf(["other.example.com"])[0] + ca.intermediate + ca.root, key)
    old_leaf, old_key = ca.leaf([uri], days=5, start_days_ago=10)
    expired = post(old_leaf + ca.intermediate + ca.root, old_key)

    assert "The key does not match the certificate" in mismatched.get_data(as_text=True)
    assert "does not cover www.example.com" in uncovered.get_data(as_text=True)
    assert "The certificate expired on" in expired.get_data(as_text=True)
    assert not uploads.exists() or list(uploads.iterdir()) == []
    with app.app_context():
        site = db.session.get(Site, site_id)
        assert site is not None and _pending(site, "certificate-upload") is None

    accepted = post(leaf + ca.intermediate + ca.root, key)

    assert accepted.status_code == 302
    with app.app_context():
        site = db.session.get(Site, site_id)
        assert site is not None
        task = _pending(site, "certificate-upload")
        assert task is not None and set(task.arguments) == {"certificate_file", "key_file"}
        assert "PRIVATE KEY" not in str(task.arguments)
        key_file = Path(task.arguments["key_file"])
        assert key_file.read_text() == key and key_file.stat().st_mode & 0o777 == 0o600
        assert contexts.site_properties(site)["https_certificate"] == "uploaded"
        assert certificates.sites_with_https() == 0  # the CA never replaces it
