"""Site certificates: the checks an uploaded certificate must pass, the self-signed stand-in, and
certificates ordered from a real ACME CA (Pebble) through HTTP-01 answered by a real Apache."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provision.errors import ProvisionError
from provision.tls import certificates
from provision.tls.acme_order import AcmeCA, account_file, order_certificate
from tests.fixtures.certificates import issue
from tests.fixtures.certificates import private_ca as make_private_ca
from tests.fixtures.pebble import PebbleCA, running_pebble
from tests.fixtures.stack_apache import ApacheInstance
from tests.fixtures.stack_process import free_port, make_traversable_dir

DOMAINS = ["shop.test", "www.shop.test"]


@pytest.fixture(scope="module")
def private_ca() -> dict[str, str]:
    """A root and an intermediate of a private CA, and a leaf for DOMAINS issued by it."""
    ca = make_private_ca()
    leaf, leaf_key = ca.leaf(DOMAINS)
    return {"root": ca.root, "intermediate": ca.intermediate, "leaf": leaf,
            "leaf_key": leaf_key, "intermediate_key": ca.intermediate_key}


def _problems(ca: dict[str, str], certificate: str, key: str,
              domains: list[str] = DOMAINS) -> list[str]:
    roots = certificates.load_chain(ca["root"])
    return certificates.upload_problems(certificate, key, domains, roots=roots)


def test_an_uploaded_certificate_with_its_chain_and_key_passes(private_ca: dict[str, str]) -> None:
    chain = private_ca["leaf"] + private_ca["intermediate"]
    assert _problems(private_ca, chain, private_ca["leaf_key"]) == []


def test_a_key_that_does_not_match_the_certificate_is_refused(
    private_ca: dict[str, str],
) -> None:
    chain = private_ca["leaf"] + private_ca["intermediate"]
    problems = _problems(private_ca, chain, certificates.new_key())
    assert problems == ["The key does not match the certificate: give the key the certificate "
                        "was issued for."]


def test_an_expired_certificate_is_refused(private_ca: dict[str, str]) -> None:
    expired = issue("shop.test", private_ca["leaf_key"],
                     ("Test Intermediate", private_ca["intermediate_key"]), DOMAINS,
                     days=10, start_days_ago=20)
    problems = _problems(private_ca, expired + private_ca["intermediate"], private_ca["leaf_key"])
    assert len(problems) == 1 and problems[0].startswith("The certificate expired on ")


def test_a_domain_the_certificate_does_not_cover_is_named(private_ca: dict[str, str]) -> None:
    chain = private_ca["leaf"] + private_ca["intermediate"]
    problems = _problems(private_ca, chain, private_ca["leaf_key"],
                         [*DOMAINS, "shop.test.evil", "cdn.shop.test"])
    assert problems == ["The certificate does not cover shop.test.evil, cdn.shop.test (it names "
                        "shop.test, www.shop.test)."]


def test_a_chain_without_its_intermediate_is_incomplete(private_ca: dict[str, str]) -> None:
    problems = _problems(private_ca, private_ca["leaf"], private_ca["leaf_key"])
    assert len(problems) == 1 and problems[0].startswith("The chain is incomplete")


def test_a_chain_in_the_wrong_order_is_refused(private_ca: dict[str, str]) -> None:
    chain = private_ca["leaf"] + private_ca["root"] + private_ca["intermediate"]
    problems = _problems(private_ca, chain, private_ca["leaf_key"])
    assert len(problems) == 1 and problems[0].startswith("The chain is out of order")


def test_text_that_is_no_certificate_or_key_gets_a_sentence() -> None:
    assert certificates.upload_problems("hello", certificates.new_key(), DOMAINS) == [
        "The certificate is not PEM (-----BEGIN CERTIFICATE-----)."]
    key = certificates.new_key()
    assert certificates.upload_problems(certificates.self_signed(DOMAINS, key), "hello",
                                        DOMAINS) == [
        "The key is not an unencrypted PEM private key; give the key without a passphrase."]


def test_wildcards_cover_one_label_only() -> None:
    assert certificates.covers(["*.shop.test"], "www.shop.test")
    assert not certificates.covers(["*.shop.test"], "shop.test")
    assert not certificates.covers(["*.shop.test"], "a.b.shop.test")
    assert not certificates.covers(["shop.test"], "evilshop.test")


def test_the_self_signed_certificate_names_every_domain() -> None:
    key = certificates.new_key()
    facts = certificates.facts(certificates.self_signed(DOMAINS, key))
    assert facts.names == tuple(DOMAINS) and facts.self_signed
    assert 89 < facts.days_left() <= 90
    assert certificates.upload_problems(certificates.self_signed(DOMAINS, key), key, DOMAINS,
                                        roots=[]) == []


# --- A real ACME CA ---------------------------------------------------------------------------


@pytest.fixture
def challenge_folder(apache_instance: ApacheInstance, stack_base_dir: Path) -> Path:
    """A vhost for DOMAINS on the private Apache that serves challenge files from a folder."""
    folder = make_traversable_dir(stack_base_dir, "acme-challenge-")
    (apache_instance.include_dir / "shop.conf").write_text(
        f"<VirtualHost *:{apache_instance.port}>\n    ServerName shop.test\n"
        "    ServerAlias www.shop.test\n"
        f"    Alias /.well-known/acme-challenge/ {folder}/\n"
        f"    <Directory {folder}>\n        Require all granted\n    </Directory>\n"
        "</VirtualHost>\n")
    apache_instance.reload()
    return folder


@pytest.fixture
def pebble(apache_instance: ApacheInstance, tmp_path: Path) -> Iterator[PebbleCA]:
    with running_pebble(tmp_path, apache_instance.port) as ca:
        yield ca


def _order(pebble: PebbleCA, folder: Path, tls_folder: Path, key: str) -> str:
    ca = AcmeCA(pebble.directory_url, ca_bundle=str(pebble.ca_bundle))
    return order_certificate(
        ca, tls_folder, DOMAINS, key,
        publish=lambda domain, token, content: (folder / token).write_text(content),
        withdraw=lambda token: (folder / token).unlink(missing_ok=True))


@pytest.mark.apache
def test_a_certificate_from_a_real_acme_ca_covers_the_domains_and_verifies(
    pebble: PebbleCA, challenge_folder: Path, tmp_path: Path,
) -> None:
    key = certificates.new_key()
    tls_folder = tmp_path / "tls"
    chain = _order(pebble, challenge_folder, tls_folder, key)
    facts = certificates.facts(chain)
    assert sorted(facts.names) == sorted(DOMAINS) and not facts.self_signed
    assert "Pebble Intermediate CA" in facts.issuer
    roots = certificates.load_chain(pebble.root_pem())
    assert certificates.upload_problems(chain, key, DOMAINS, roots=roots) == []
    # The challenge files are gone; the account (0600) is kept and used again.
    assert list(challenge_folder.iterdir()) == []
    account = account_file(tls_folder, pebble.directory_url)
    assert account.stat().st_mode & 0o777 == 0o600
    uri = account.read_text()
    second = _order(pebble, challenge_folder, tls_folder, key)
    assert certificates.facts(second).serial != facts.serial
    assert account.read_text() == uri and len(list(tls_folder.iterdir())) == 1


@pytest.mark.apache
def test_a_challenge_the_web_server_cannot_answer_fails_with_the_cas_reason(
    pebble: PebbleCA, challenge_folder: Path, tmp_path: Path,
) -> None:
    ca = AcmeCA(pebble.directory_url, ca_bundle=str(pebble.ca_bundle))
    with pytest.raises(ProvisionError, match=r"The CA could not validate shop\.test"):
        order_certificate(ca, tmp_path / "tls", DOMAINS, certificates.new_key(),
                          publish=lambda domain, token, content: None,
                          withdraw=lambda token: None)


def test_an_unreachable_ca_is_said_in_one_sentence(tmp_path: Path) -> None:
    ca = AcmeCA(f"https://127.0.0.1:{free_port()}/dir")
    with pytest.raises(ProvisionError, match=r"could not be reached or answered wrongly"):
        order_certificate(ca, tmp_path / "tls", DOMAINS, certificates.new_key(),
                          publish=lambda domain, token, content: None,
                          withdraw=lambda token: None)
    assert not (tmp_path / "tls").exists()
