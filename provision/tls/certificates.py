"""Certificates and keys as a site's HTTPS needs them: new keys, the self-signed certificate that
serves until a real one arrives, what a certificate says (names, expiry, serial, issuer), and the
checks an uploaded certificate must pass (key matches, not expired, covers the site's domains,
chain complete).

Everything is PEM text; nothing here writes a file (the site's files are written by
``provision.tls.site_files`` through a checkpoint).
"""

from __future__ import annotations

import datetime
import itertools
import warnings
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.utils import CryptographyDeprecationWarning
from cryptography.x509.oid import NameOID

from ..errors import ProvisionError

#: The machine's trusted roots (Debian's ca-certificates): an uploaded chain may end at one.
SYSTEM_ROOTS = Path("/etc/ssl/certs/ca-certificates.crt")
SELF_SIGNED_DAYS = 90


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def new_key() -> str:
    """A new private key (ECDSA P-256, which every browser and ACME CA takes), PEM."""
    key = ec.generate_private_key(ec.SECP256R1())
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def load_key(pem: str) -> PrivateKeyTypes:
    """The private key in ``pem``; a ProvisionError says what is wrong with it."""
    try:
        return serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as error:
        raise ProvisionError(
            "The key is not an unencrypted PEM private key; give the key without a passphrase."
        ) from error


def load_chain(pem: str) -> list[x509.Certificate]:
    """The certificates in ``pem``, leaf first; a ProvisionError when there is none."""
    try:
        chain = x509.load_pem_x509_certificates(pem.encode())
    except ValueError as error:
        raise ProvisionError("The certificate is not PEM (-----BEGIN CERTIFICATE-----).") from error
    return chain


def self_signed(domains: list[str], key_pem: str, days: int = SELF_SIGNED_DAYS) -> str:
    """A self-signed certificate for ``domains`` (the first is its subject), PEM."""
    key = load_key(key_pem)
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise ProvisionError("A site's key is an ECDSA or RSA key.")
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domains[0])])
    start = now() - datetime.timedelta(minutes=5)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name).issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(start).not_valid_after(start + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(d) for d in domains]),
                       critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True)
class CertificateFacts:
    """What a site's certificate says, as the panel shows it."""

    names: tuple[str, ...]
    not_before: datetime.datetime
    not_after: datetime.datetime
    serial: str
    issuer: str
    self_signed: bool

    def days_left(self, at: datetime.datetime | None = None) -> float:
        return (self.not_after - (at or now())).total_seconds() / 86400

    def as_result(self) -> dict[str, object]:
        """The facts as a task result carries them (JSON)."""
        return {"names": list(self.names), "not_before": self.not_before.isoformat(),
                "not_after": self.not_after.isoformat(), "serial": self.serial,
                "issuer": self.issuer, "self_signed": self.self_signed}


def facts(pem: str) -> CertificateFacts:
    """The facts of the leaf certificate in ``pem``."""
    leaf = load_chain(pem)[0]
    return CertificateFacts(
        names=tuple(dns_names(leaf)), not_before=leaf.not_valid_before_utc,
        not_after=leaf.not_valid_after_utc, serial=format(leaf.serial_number, "x"),
        issuer=leaf.issuer.rfc4514_string(), self_signed=leaf.issuer == leaf.subject)


def dns_names(certificate: x509.Certificate) -> list[str]:
    """The DNS names of the certificate's subjectAltName (none without one)."""
    try:
        extension = certificate.extensions.get_extension_for_class(x509.SubjectAlternativeName)
    except x509.ExtensionNotFound:
        return []
    return [name.lower() for name in extension.value.get_values_for_type(x509.DNSName)]


def covers(names: list[str], domain: str) -> bool:
    """Whether one of ``names`` (wildcards allowed in the left-most label) matches ``domain``."""
    domain = domain.lower()
    for name in names:
        if name == domain:
            return True
        if name.startswith("*.") and "." in domain and domain.split(".", 1)[1] == name[2:]:
            return True
    return False


def _issued_by(certificate: x509.Certificate, issuer: x509.Certificate) -> bool:
    try:
        certificate.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _system_roots() -> list[x509.Certificate]:
    # A few old roots of the bundle have serial numbers RFC 5280 forbids: cryptography warns.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CryptographyDeprecationWarning)
        try:
            return x509.load_pem_x509_certificates(SYSTEM_ROOTS.read_bytes())
        except (OSError, ValueError):
            return []


def upload_problems(
    certificate_pem: str, key_pem: str, domains: list[str],
    roots: list[x509.Certificate] | None = None, at: datetime.datetime | None = None,
) -> list[str]:
    """Why an uploaded certificate (leaf first, then its chain) and key cannot serve ``domains``;
    [] when they can. The chain is complete when every certificate is issued by the next and the
    last is a root itself or is issued by one of ``roots`` (the machine's trusted roots)."""
    try:
        chain = load_chain(certificate_pem)
        key = load_key(key_pem)
    except ProvisionError as error:
        return [str(error)]
    leaf, problems = chain[0], []
    public = serialization.PublicFormat.SubjectPublicKeyInfo
    if key.public_key().public_bytes(serialization.Encoding.PEM, public) != (
            leaf.public_key().public_bytes(serialization.Encoding.PEM, public)):
        problems.append("The key does not match the certificate: give the key the certificate "
                        "was issued for.")
    moment = at or now()
    if leaf.not_valid_after_utc <= moment:
        problems.append(f"The certificate expired on {leaf.not_valid_after_utc:%Y-%m-%d}.")
    elif leaf.not_valid_before_utc > moment:
        problems.append(f"The certificate is valid only from {leaf.not_valid_before_utc:%Y-%m-%d}.")
    names = dns_names(leaf)
    missing = [domain for domain in domains if not covers(names, domain)]
    if missing:
        problems.append(f"The certificate does not cover {', '.join(missing)} (it names "
                        f"{', '.join(names) or 'no domain'}).")
    for certificate, issuer in itertools.pairwise(chain):
        if not _issued_by(certificate, issuer):
            problems.append("The chain is out of order or broken: "
                            f"{certificate.subject.rfc4514_string()} is not issued by "
                            f"{issuer.subject.rfc4514_string()}.")
            return problems
    last = chain[-1]
    trusted = _system_roots() if roots is None else roots
    if not _issued_by(last, last) and not any(_issued_by(last, root) for root in trusted):
        problems.append("The chain is incomplete: add the intermediate certificate(s) that "
                        f"issued {last.subject.rfc4514_string()} after the certificate.")
    return problems
