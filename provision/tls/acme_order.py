"""Certificates from an ACME CA (Let's Encrypt, or any RFC 8555 CA) through certbot's ``acme``
library: one account per panel and CA, one order per certificate, HTTP-01 challenges answered
by the site's own web server.

The account lives in ``<aegir root>/config/.acme/acme-<hash of the directory URL>.json`` (0600:
its key signs every request to the CA). A challenge is answered by
``publish(domain, token, content)``, which puts the file where the web server serves
``/.well-known/acme-challenge/<token>``;
``withdraw(token)`` removes it again, whatever the outcome.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import josepy
from acme import challenges, client, crypto_util, errors, messages
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ..errors import ProvisionError

LETS_ENCRYPT = "https://acme-v02.api.letsencrypt.org/directory"
LETS_ENCRYPT_STAGING = "https://acme-staging-v02.api.letsencrypt.org/directory"
USER_AGENT = "hostmaster-provision"
#: How long an order may take from the first challenge to the issued certificate.
ORDER_SECONDS = 90
ACCOUNT_MODE = 0o600

#: ``publish(domain, token, content)``: serve ``content`` at the domain's challenge address.
Publish = Callable[[str, str, str], None]
Withdraw = Callable[[str], None]


@dataclass(frozen=True)
class AcmeCA:
    """Where to ask: the CA's directory URL, the CA bundle that verifies it (None: the
    machine's), and the e-mail address the CA writes to about expiring certificates."""

    directory_url: str
    ca_bundle: str | None = None
    email: str = ""


def account_file(tls_folder: Path, directory_url: str) -> Path:
    """The account file for the CA at ``directory_url``."""
    digest = hashlib.sha256(directory_url.encode()).hexdigest()[:16]
    return tls_folder / f"acme-{digest}.json"


def _network(ca: AcmeCA, key: josepy.JWK,
             account: messages.RegistrationResource | None = None) -> client.ClientNetwork:
    return client.ClientNetwork(key, account=account, user_agent=USER_AGENT,
                                verify_ssl=ca.ca_bundle or True)  # type: ignore[arg-type]


def _client(ca: AcmeCA, tls_folder: Path) -> client.ClientV2:
    """A client signed in to the panel's account at ``ca``, registered on first use."""
    path = account_file(tls_folder, ca.directory_url)
    if path.exists():
        saved = json.loads(path.read_text())
        key = josepy.JWKRSA.load(saved["key"].encode())
        network = _network(ca, key, messages.RegistrationResource(
            uri=saved["uri"], body=messages.Registration()))
        return client.ClientV2(client.ClientV2.get_directory(ca.directory_url, network), network)
    key = josepy.JWKRSA(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    network = _network(ca, key)
    acme = client.ClientV2(client.ClientV2.get_directory(ca.directory_url, network), network)
    registration = acme.new_account(messages.NewRegistration.from_data(
        email=ca.email or None, terms_of_service_agreed=True))
    tls_folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    pem = key.key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, ACCOUNT_MODE)
    with os.fdopen(descriptor, "w") as file:
        json.dump({"directory": ca.directory_url, "uri": registration.uri, "key": pem}, file)
    return acme


def _http01(authorization: messages.AuthorizationResource) -> messages.ChallengeBody:
    for challenge in authorization.body.challenges:
        if isinstance(challenge.chall, challenges.HTTP01):
            return challenge
    name = authorization.body.identifier.value
    raise ProvisionError(f"The CA offers no HTTP-01 challenge for {name}; it cannot be "
                         "validated through the web server.")


def order_certificate(
    ca: AcmeCA, tls_folder: Path, domains: list[str], key_pem: str,
    publish: Publish, withdraw: Withdraw,
) -> str:
    """A certificate for ``domains`` (the first is its subject) and the key ``key_pem``, from
    ``ca``: the full chain, PEM. A ProvisionError says in a sentence why the CA refused."""
    published: list[str] = []
    try:
        acme = _client(ca, tls_folder)
        order = acme.new_order(crypto_util.make_csr(key_pem.encode(), domains))
        for authorization in order.authorizations:
            if authorization.body.status == messages.STATUS_VALID:
                continue
            challenge = _http01(authorization)
            response, validation = challenge.response_and_validation(acme.net.key)
            token = challenge.chall.encode("token")
            publish(authorization.body.identifier.value, token, validation)
            published.append(token)
            acme.answer_challenge(challenge, response)
        deadline = datetime.datetime.now() + datetime.timedelta(seconds=ORDER_SECONDS)
        return str(acme.poll_and_finalize(order, deadline).fullchain_pem)
    except errors.ValidationError as error:
        raise ProvisionError(f"The CA could not validate {', '.join(domains)}: "
                             f"{_validation_reason(error)}") from error
    except errors.TimeoutError as error:
        raise ProvisionError(f"The CA did not issue the certificate for {', '.join(domains)} "
                             f"within {ORDER_SECONDS} s; try again later.") from error
    except messages.Error as error:
        raise ProvisionError(f"The CA refused the certificate for {', '.join(domains)}: "
                             f"{error.detail or error.typ}") from error
    except (errors.Error, OSError) as error:
        raise ProvisionError(f"The CA at {ca.directory_url} could not be reached or answered "
                             f"wrongly: {_first_line(error)}") from error
    finally:
        for token in published:
            withdraw(token)


def _validation_reason(error: errors.ValidationError) -> str:
    reasons = []
    for authorization in error.failed_authzrs:
        for challenge in authorization.body.challenges:
            if challenge.error is not None:
                reasons.append(f"{authorization.body.identifier.value}: "
                               f"{challenge.error.detail or challenge.error.typ}")
    return "; ".join(reasons) or "no reason given"


def _first_line(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text.splitlines()[0][:300]
