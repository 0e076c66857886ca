"""The panel published over HTTPS (``hostmaster publish``): the master's real Apache answers
https://<public address>/ with a certificate from a real ACME CA (Pebble) and passes requests
to ``hostmaster serve``; log-in works over https://, the session cookie is Secure and HSTS is
sent; HTTP answers 301; bad input is refused and changes nothing; ``--off`` takes it all back.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import requests

from hostmaster.dispatcher import dispatch_once
from hostmaster.extensions import db
from hostmaster.models import Task, TaskStatus
from hostmaster.services import settings, users
from tests.fixtures import resolver_guard
from tests.fixtures.console import BIN, CONSOLE_STORE, Console
from tests.fixtures.live_server import Browser
from tests.fixtures.pebble import running_pebble
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_process import (
    child_pids,
    free_port,
    port_answers,
    stop_processes,
    wait_until,
)
from tests.fixtures.trusting_chromium import chromium_trusting, open_page
from tests.hostmaster.helpers import log_text
from tests.provision.sites_support import unique_uri
from tests.test_sites import fetch, master

pytestmark = CONSOLE_STORE

PASSWORD = "published-panel-password-7"


def _run_master_verify(console: Console) -> Task:
    """Run the queued verify of the master; it must succeed. (The test then asks the web
    server until it answers: Apache's workers from before the reload may still hold the
    CA's keep-alive connections for a while.)"""
    app = console.app()
    with app.app_context():
        dispatch_once(app)
        task = db.session.scalars(db.select(Task).where(Task.type == "verify")
                                  .order_by(Task.id.desc())).first()
        assert task is not None and task.status == TaskStatus.SUCCESS, log_text(
            task.id if task else 0)
        db.session.expunge(task)
        return task


def test_the_published_panel_logs_in_over_https_with_a_secure_cookie(
    console: Console, apache_instance: object, mariadb_admin: MariaDBAdmin, tmp_path: Path,
) -> None:
    instance = apache_instance
    name = unique_uri("panel")
    serve_port = free_port()
    app = console.app()
    with running_pebble(tmp_path, instance.port) as ca:  # type: ignore[attr-defined]
        with app.app_context():
            users.create_user("admin", "admin@example.com", PASSWORD, roles=["administrator"])
            settings.save({"public_url": f"https://{name}", "acme_ca": "custom",
                           "acme_directory_url": ca.directory_url,
                           "acme_ca_bundle": str(ca.ca_bundle)})
            master("apache", instance, mariadb_admin)
        _run_master_verify(console)

        # Bad input: an upstream off this machine, a public address that is not https://.
        refused = console.hostmaster("publish", "--upstream", "10.0.0.1:5000")
        assert refused.returncode == 1 and "loopback" in refused.stderr, refused.stderr
        with app.app_context():
            settings.save({"public_url": f"http://{name}"})
        refused = console.hostmaster("publish", "--upstream", f"127.0.0.1:{serve_port}")
        assert refused.returncode == 1 and "https://" in refused.stderr, refused.stderr
        with app.app_context():
            assert settings.get("panel_published") is False
            assert db.session.scalar(db.select(db.func.count(Task.id))) == 1, "nothing queued"
            settings.save({"public_url": f"https://{name}"})

        published = console.hostmaster("publish", "--upstream", f"127.0.0.1:{serve_port}")
        assert published.returncode == 0, published.stderr
        assert f"https://{name}/" in published.stdout
        verify = _run_master_verify(console)
        root = tmp_path / "pebble-root.pem"
        root.write_text(ca.root_pem())
    assert "BEGIN PRIVATE KEY" not in log_text_of(console, verify.id)
    with app.app_context():
        expires = settings.get("panel_certificate_expires")
        assert expires not in ("", "self-signed"), "the CA's certificate is recorded"

    # (The key of the store's secrets is where console.app() made it.)
    env = {**console.env, "HOSTMASTER_SECRET_KEY_FILE": str(console.root.parent / "secrets.key")}
    serve = subprocess.Popen([str(BIN / "hostmaster"), "serve", "--port", str(serve_port),
                              "--workers", "1", "--threads", "4"], env=env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    console.processes.append(serve)
    wait_until(lambda: port_answers(serve_port), "hostmaster serve did not start", 60)

    # The name answers 127.0.0.1 in this test only (the worker runs other files after it).
    with resolver_guard.name_mapped(name, "127.0.0.1"):
        https_port = instance.https_port  # type: ignore[attr-defined]
        browser = Browser(f"https://{name}:{https_port}", "127.0.0.3", verify=root)
        answers: list[requests.Response] = []

        def login_page() -> bool:
            try:
                answers[:] = [browser.get("/login")]
            except requests.exceptions.SSLError:
                return False  # a worker from before the CA's certificate
            return answers[0].status_code == 200

        wait_until(login_page, "the published panel did not answer over https://", 30)
        page = answers[0]
        assert 'name="csrf_token"' in page.text
        assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
        # The panel sees each client's own address through the proxy: a stranger who keeps
        # guessing at 127.0.0.2 is slowed down, the admin at 127.0.0.3 is not.
        stranger = Browser(browser.base_url, "127.0.0.2", verify=root)
        guesses = [stranger.login("admin", f"guess-{n}").text for n in range(5)]
        assert "Too many failed logins" in guesses[-1]
        logged_in = browser.login("admin", PASSWORD)
        assert logged_in.status_code == 302, logged_in.text
        assert logged_in.headers["Location"].startswith("/") or logged_in.headers[
            "Location"].startswith(f"https://{name}")
        cookie = logged_in.headers["Set-Cookie"]
        assert "session=" in cookie and "Secure" in cookie and "HttpOnly" in cookie
        assert browser.get("/").status_code == 200, "the session holds over https://"
        # A real browser that trusts the CA's root logs in with no certificate warning.
        with chromium_trusting(root.read_text(), tmp_path / "chromium-home",
                               f"MAP {name} 127.0.0.1") as chromium:
            page_in_chromium = chromium.new_page()
            opened = open_page(page_in_chromium, f"https://{name}:{https_port}/login")
            assert opened is not None and opened.ok
            details = opened.security_details() or {}
            assert "Pebble" in str(details.get("issuer")), details
            page_in_chromium.fill("input[name=username]", "admin")
            page_in_chromium.fill("input[name=password]", PASSWORD)
            page_in_chromium.click("button[type=submit], input[type=submit]")
            page_in_chromium.wait_for_url(f"https://{name}:{https_port}/**")
            cookies = {c["name"]: c for c in page_in_chromium.context.cookies()}
            assert cookies["session"]["secure"] is True
            assert "Log out" in page_in_chromium.content()
        # Without the CA's root the panel's certificate is not trusted (no self-signed fallback).
        try:
            requests.get(f"https://{name}:{https_port}/login", timeout=10)
            raise AssertionError("the certificate verified without Pebble's root")
        except requests.exceptions.SSLError:
            pass
        status, headers, _body = fetch(instance, "/login?next=%2F", name)
        assert status == 301 and headers["location"] == f"https://{name}:{https_port}/login?next=%2F"

        # Unpublished: the vhost, key and certificate go (run by this test's dispatcher).
        stop_processes([serve.pid], [serve.pid, *child_pids(serve.pid)])
        serve.wait(timeout=60)
        off = console.hostmaster("publish", "--off")
        assert off.returncode == 0, off.stderr
        _run_master_verify(console)
        assert not (console.root / "config" / "server_master" / "tls" / ".panel").joinpath(
            "privkey.pem").exists()
        wait_until(lambda: fetch(instance, "/login", name)[0] == 404,
                   "the web server still answers the panel's name", 15)


def log_text_of(console: Console, task_id: int) -> str:
    with console.app().app_context():
        return log_text(task_id)
