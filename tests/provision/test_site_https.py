"""Sites over HTTPS on the real Apache and nginx, with certificates from a real ACME CA (Pebble):
required HTTPS redirects HTTP, the certificate verifies against the CA's root and names the
aliases, a self-signed certificate serves until the CA's arrives, renewal changes the serial,
and a CA that is gone leaves the old certificate serving."""

from __future__ import annotations

import http.client
import socket
import ssl
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from cryptography import x509

from provision.tls import certificates
from tests.fixtures.certificates import private_ca
from tests.fixtures.pebble import PebbleCA, running_pebble
from tests.fixtures.stack_process import poll
from tests.fixtures.trusting_chromium import chromium_trusting, open_page
from tests.provision.moves_support import install_on_a, moves_stack
from tests.provision.sites_support import SiteStack, unique_uri
from tests.provision.standin_app import title_of

__all__ = ["moves_stack"]  # the fixture, imported for pytest


@pytest.fixture
def pebble(site_stack: SiteStack, tmp_path: Path) -> Iterator[PebbleCA]:
    """Pebble validating on the site stack's web server, named by @server_master."""
    with running_pebble(tmp_path, site_stack.instance.port) as ca:
        site_stack.must("save", "@server_master", f"--acme_directory_url={ca.directory_url}",
                        f"--acme_ca_bundle={ca.ca_bundle}", "--acme_email=admin@example.com")
        yield ca


Answer = tuple[int, str, dict[str, str], x509.Certificate]


def https_get(stack: SiteStack, host: str, path: str = "/", root_pem: str | None = None,
              until: Callable[[x509.Certificate], bool] | None = None) -> Answer:
    """GET over HTTPS (SNI ``host``): status, body, lower-case headers and the certificate
    served. With ``root_pem`` the chain must verify against it for ``host``. With ``until``,
    ask again until the certificate served passes it (nginx's old workers serve the old one
    for a moment after a reload)."""
    answers: list[Answer] = []
    since: list[float] = []

    def served() -> bool:
        try:
            answers[:] = [_https_get(stack, host, path, root_pem)]
        except ssl.SSLCertVerificationError:
            if until is None:
                raise
            since.clear()
            return False
        if until is None:
            return True
        if not until(answers[0][3]):
            since.clear()
            return False
        # The same answer for a second: no worker of the configuration before is left.
        since[:] = since or [time.monotonic()]
        return time.monotonic() - since[0] >= 1.0

    if not poll(served, timeout=30) and not answers:
        pytest.fail(f"https://{host}/ never served a certificate that verifies")
    return answers[0]


def _https_get(stack: SiteStack, host: str, path: str, root_pem: str | None) -> Answer:
    if root_pem is None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    else:
        context = ssl.create_default_context(cadata=root_pem)
    raw = socket.create_connection(("127.0.0.1", stack.instance.https_port), timeout=10)
    with context.wrap_socket(raw, server_hostname=host) as tls:
        der = tls.getpeercert(binary_form=True)
        assert der is not None
        connection = http.client.HTTPConnection(host, stack.instance.https_port, timeout=10)
        connection.sock = tls
        connection.request("GET", path, headers={"Host": host})
        response = connection.getresponse()
        body = response.read().decode("utf-8", "replace")
        headers = {key.lower(): value for key, value in response.getheaders()}
    return response.status, body, headers, x509.load_der_x509_certificate(der)


def from_ca(certificate: x509.Certificate) -> bool:
    return certificate.issuer != certificate.subject


def test_required_https_serves_the_cas_certificate_for_every_alias_and_http_redirects(
    site_stack: SiteStack, pebble: PebbleCA, tmp_path: Path,
) -> None:
    uri = unique_uri()
    alias = f"www.{uri}"
    installed = site_stack.install(uri, f"--aliases={alias}", "--https=required", "--hsts=true")

    root = pebble.root_pem()
    status, body, headers, served = https_get(site_stack, uri, "/", root, until=from_ca)
    assert status == 200 and f"<title>{title_of(uri)}</title>" in body
    assert headers["strict-transport-security"] == "max-age=31536000"
    assert sorted(certificates.dns_names(served)) == sorted([uri, alias])
    assert "Pebble" in served.issuer.rfc4514_string()
    assert https_get(site_stack, alias, "/", root, until=from_ca)[0] == 200
    assert installed.result["certificate"]["serial"] == format(served.serial_number, "x")
    # A browser that trusts the CA's root opens the site over HTTPS with no warning.
    with chromium_trusting(root, tmp_path / "chromium-home",
                           f"MAP {uri} 127.0.0.1, MAP {alias} 127.0.0.1") as chromium:
        page = chromium.new_page()
        opened = open_page(page, f"https://{alias}:{site_stack.instance.https_port}/")
        assert opened is not None and opened.ok
        assert "Pebble" in str((opened.security_details() or {}).get("issuer"))
        assert page.title() == title_of(uri)
    # HTTP answers with the https:// address, same host, path and query.
    status, _body, http_headers = site_stack.instance_get("/a/page?x=1", alias)
    assert status == 301
    assert http_headers["location"] == (
        f"https://{alias}:{site_stack.instance.https_port}/a/page?x=1")
    # The key is the aegir user's alone; the challenge files are gone.
    tls_folder = site_stack.root / "config" / "server_master" / "tls" / uri
    assert (tls_folder / "privkey.pem").stat().st_mode & 0o777 == 0o600
    assert list((site_stack.root / "config" / "server_master" / "acme-challenge").iterdir()) == []
    assert "BEGIN PRIVATE KEY" not in installed.text

    # Renewal: a window wider than the certificate's life renews it without a reload error.
    renewed = site_stack.must(f"@{uri}", "certificate", "--renew_days=3650")
    _status, _body, _headers, second = https_get(
        site_stack, uri, "/", root, until=lambda cert: cert.serial_number != served.serial_number)
    assert second.serial_number != served.serial_number
    assert renewed.result["certificate"]["serial"] == format(second.serial_number, "x")
    # A certificate far from its end is left alone.
    kept = site_stack.must(f"@{uri}", "certificate")
    assert kept.result["certificate"]["serial"] == format(second.serial_number, "x")
    assert "Asking" not in kept.text

    site_stack.must(f"@{uri}", "delete")
    assert not tls_folder.exists()


def test_a_site_keeps_serving_its_certificate_when_the_ca_is_gone(
    site_stack: SiteStack, tmp_path: Path,
) -> None:
    uri = unique_uri()
    with running_pebble(tmp_path, site_stack.instance.port) as ca:
        site_stack.must("save", "@server_master", f"--acme_directory_url={ca.directory_url}",
                        f"--acme_ca_bundle={ca.ca_bundle}")
        installed = site_stack.install(uri, "--https=enabled")
        root = ca.root_pem()
    assert installed.result["certificate"]["self_signed"] is False, installed.text
    _status, _body, _headers, before = https_get(site_stack, uri, "/", root, until=from_ca)

    failed = site_stack.run(f"@{uri}", "certificate", "--force=true")

    assert failed.status == 1
    assert "could not be reached or answered wrongly" in failed.text
    status, body, _headers, after = https_get(site_stack, uri, "/", root)
    assert status == 200 and title_of(uri) in body
    assert after.serial_number == before.serial_number
    # HTTPS is enabled, not required: HTTP still serves.
    assert site_stack.instance.wait_for_body(title_of(uri), host=uri)


def test_without_a_ca_a_self_signed_certificate_serves_and_verify_says_so(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    installed = site_stack.install(uri, "--https=required")

    status, body, _headers, served = https_get(site_stack, uri)

    assert status == 200 and title_of(uri) in body
    assert served.issuer == served.subject
    assert installed.result["certificate"]["self_signed"] is True
    assert "keeps its self-signed certificate" in installed.text
    # Verify leaves a certificate that still covers the site alone.
    site_stack.must(f"@{uri}", "verify")
    assert https_get(site_stack, uri)[3].serial_number == served.serial_number
    # A new alias is not covered: verify writes a certificate that names it.
    site_stack.must("save", f"@{uri}", f"--aliases=shop.{uri}")
    site_stack.must(f"@{uri}", "verify")
    names = [uri, f"shop.{uri}"]
    served = https_get(site_stack, f"shop.{uri}",
                       until=lambda cert: certificates.dns_names(cert) == names)[3]
    assert certificates.dns_names(served) == names


def test_https_refuses_a_mode_it_does_not_know(site_stack: SiteStack) -> None:
    uri = unique_uri()
    ran = site_stack.run("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
                         "--platform=@platform_standin", "--https=always")
    assert ran.status != 0
    assert "HTTPS is one of off, enabled, required, not 'always'." in ran.text
    assert not (site_stack.root / "contexts" / f"{uri}.json").exists()


def _upload(stack: SiteStack, name: str, text: str) -> Path:
    folder = stack.root / "config" / ".uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_an_uploaded_certificate_is_checked_served_and_never_replaced_by_the_ca(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    site_stack.install(uri, "--https=enabled", "--https_certificate=uploaded",
                       f"--aliases=www.{uri}")
    ca = private_ca()
    wrong_name, wrong_name_key = ca.leaf([uri])
    good, good_key = ca.leaf([uri, f"www.{uri}"])
    chain = good + ca.intermediate + ca.root

    wrong_chain = wrong_name + ca.intermediate + ca.root
    refused = site_stack.run(
        f"@{uri}", "certificate",
        f"--certificate_file={_upload(site_stack, 'a.pem', wrong_chain)}",
        f"--key_file={_upload(site_stack, 'a.key', wrong_name_key)}")
    assert refused.status == 1
    assert f"does not cover www.{uri}" in refused.text
    assert https_get(site_stack, uri)[3].issuer == https_get(site_stack, uri)[3].subject
    assert list((site_stack.root / "config" / ".uploads").iterdir()) == []

    outside = site_stack.run(f"@{uri}", "certificate", "--certificate_file=/etc/passwd",
                             f"--key_file={_upload(site_stack, 'b.key', good_key)}")
    assert outside.status == 1 and "is not an uploaded file" in outside.text

    site_stack.must(f"@{uri}", "certificate",
                    f"--certificate_file={_upload(site_stack, 'c.pem', chain)}",
                    f"--key_file={_upload(site_stack, 'c.key', good_key)}")
    served = https_get(site_stack, f"www.{uri}", root_pem=ca.root, until=from_ca)[3]
    assert "Test Intermediate" in served.issuer.rfc4514_string()
    assert "BEGIN PRIVATE KEY" not in site_stack.must(f"@{uri}", "verify").text
    assert https_get(site_stack, uri, root_pem=ca.root)[3].serial_number == served.serial_number


def test_a_renamed_or_cloned_site_serves_a_certificate_for_its_new_domain(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri, renamed, copy = install_on_a(stack), unique_uri("renamed"), unique_uri("copy")
    stack.must("save", f"@{uri}", "--https=enabled")
    stack.must(f"@{uri}", "verify")
    tls = stack.root / "config" / "server_master" / "tls"
    assert (tls / uri / "privkey.pem").is_file()

    stack.must(f"@{uri}", "migrate", f"--new_uri={renamed}")

    served = https_get(stack, renamed,
                       until=lambda cert: certificates.dns_names(cert) == [renamed])[3]
    assert certificates.dns_names(served) == [renamed]
    assert not (tls / uri).exists(), "the old domain's key and certificate went with it"

    stack.must(f"@{renamed}", "clone", f"--new_uri={copy}")

    assert certificates.dns_names(https_get(
        stack, copy, until=lambda cert: certificates.dns_names(cert) == [copy])[3]) == [copy]
    assert (tls / renamed / "privkey.pem").is_file(), "the original keeps its own"
