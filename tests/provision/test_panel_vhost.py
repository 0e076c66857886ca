"""The control panel published on the master's real Apache and nginx: ``panel_hostname`` and
``panel_upstream`` of @server_master make its verify write ``panel.conf``, which answers
https://<name>/ with a certificate from a real ACME CA (Pebble) and passes requests to the
upstream with the client's scheme and address; HTTP answers 301. The upstream here is a small
HTTP server of the test that echoes what it was sent (the panel itself behind the vhost is
tests/hostmaster/test_panel_published.py)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from provision.tls import certificates
from tests.fixtures.pebble import PebbleCA
from tests.fixtures.stack_process import poll
from tests.provision.sites_support import SiteStack, unique_uri
from tests.provision.test_site_https import from_ca, https_get, pebble

__all__ = ["pebble"]  # the fixture, imported for pytest


class _Echo(BaseHTTPRequestHandler):
    """Answers every GET with what it was sent, as JSON."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        body = json.dumps({"path": self.path, "headers": dict(self.headers.items())}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        """Quiet."""


@pytest.fixture
def upstream() -> Iterator[str]:
    """``127.0.0.1:<port>`` of an echoing HTTP server."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Echo)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


def _panel_folder(stack: SiteStack) -> Path:
    return stack.root / "config" / "server_master" / "tls" / ".panel"


def test_the_published_panel_answers_https_with_the_cas_certificate_and_passes_requests_on(
    site_stack: SiteStack, pebble: PebbleCA, upstream: str,
) -> None:
    name = unique_uri("panel")
    site_stack.must("save", "@server_master", f"--panel_hostname={name}",
                    f"--panel_upstream={upstream}")
    try:
        verified = site_stack.must("@server_master", "verify")
        panel = verified.result["services"]["http"]["panel"]
        assert panel["self_signed"] is False and panel["names"] == [name], verified.text

        status, body, _headers, served = https_get(site_stack, name, "/tasks/1?live=1",
                                                   pebble.root_pem(), until=from_ca)
        assert status == 200
        assert certificates.dns_names(served) == [name]
        assert format(served.serial_number, "x") == panel["serial"]
        sent = json.loads(body)
        assert sent["path"] == "/tasks/1?live=1"
        headers = {key.lower(): value for key, value in sent["headers"].items()}
        assert headers["host"].split(":")[0] == name
        assert headers["x-forwarded-proto"] == "https"
        assert headers["x-forwarded-for"].split(",")[-1].strip() == "127.0.0.1"

        status, _body, http_headers = site_stack.instance_get("/login?next=%2F", name)
        assert status == 301
        assert http_headers["location"] == (
            f"https://{name}:{site_stack.instance.https_port}/login?next=%2F")
        assert (_panel_folder(site_stack) / "privkey.pem").stat().st_mode & 0o777 == 0o600
        assert "BEGIN PRIVATE KEY" not in verified.text
        # A second verify keeps the CA's certificate (it is far from expiry).
        again = site_stack.must("@server_master", "verify")
        assert again.result["services"]["http"]["panel"]["serial"] == panel["serial"]
    finally:
        site_stack.must("save", "@server_master", "--panel_hostname=null",
                        "--panel_upstream=null")
    unpublished = site_stack.must("@server_master", "verify")
    assert unpublished.result["services"]["http"]["panel"] is None
    assert not (_panel_folder(site_stack) / "privkey.pem").exists()
    # (nginx's workers of the configuration before finish their connections first.)
    assert poll(lambda: site_stack.instance_get("/", name)[0] == 404, 15), (
        "no vhost answers the name any more")


@pytest.mark.parametrize(("prop", "value"), [
    ("panel_upstream", "10.0.0.1:5000"),
    ("panel_upstream", "example.com:5000"),
    ("panel_upstream", "127.0.0.1:5000/x"),
    ("panel_upstream", '127.0.0.1:5000";'),
    ("panel_upstream", "127.0.0.1"),
    ("panel_upstream", "::1:5000"),
    ("panel_hostname", 'panel.test"\n    ProxyPass / http://10.0.0.1/'),
    ("panel_hostname", "127.0.0.1"),
    ("panel_hostname", "../../etc"),
])
def test_hostile_panel_values_are_refused_and_change_nothing(
    site_stack: SiteStack, prop: str, value: str,
) -> None:
    before = site_stack.context("server_master")
    refused = site_stack.run("save", "@server_master", f"--{prop}={value}")
    assert refused.status != 0
    assert prop.replace("_", " ").split()[0] in refused.text.lower()
    site_stack.must("@server_master", "verify")
    panel_file = site_stack.root / "config" / "server_master" / site_stack.service_type
    assert "VirtualHost" not in (panel_file / "panel.conf").read_text()
    assert "server {" not in (panel_file / "panel.conf").read_text()
    assert site_stack.context("server_master") == before
