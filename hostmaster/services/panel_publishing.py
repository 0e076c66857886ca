"""The panel published on the master's web server: ``hostmaster publish`` makes the master's
Apache or nginx answer ``https://<host of public_url>/`` and pass requests to ``hostmaster
serve`` (``panel_upstream``, on this machine's loopback), with a certificate from the CA of the
HTTPS settings (self-signed until it comes). The panel then believes the one proxy in front of
it (``X-Forwarded-For`` and ``-Proto``: ``hostmaster serve`` sets HOSTMASTER_PROXY_COUNT=1),
so its cookies are Secure and it sends HSTS on every answer.

The state is two settings that only this module changes (``panel_published``,
``panel_upstream``); provision learns it as properties of @server_master
(``panel_hostname``, ``panel_upstream``), and a verify of the master applies it. The verify's
result gives the certificate's expiry (``panel_certificate_expires``), which the certificate
queue uses to verify the master again before it runs out.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from provision import validation as rules

from ..extensions import db
from ..models import Server, Task, TaskStatus
from . import settings
from .errors import ValidationError

DEFAULT_UPSTREAM = "127.0.0.1:5000"


def published() -> bool:
    return bool(settings.get("panel_published"))


def hostname() -> str:
    """The host name of the panel's public address ("" when none is set)."""
    return (urlsplit(settings.public_url()).hostname or "") if settings.public_url() else ""


def properties() -> dict[str, Any]:
    """What @server_master says of the published panel (None unsets: not published)."""
    if not published():
        return {"panel_hostname": None, "panel_upstream": None}
    return {"panel_hostname": hostname(),
            "panel_upstream": settings.get("panel_upstream") or DEFAULT_UPSTREAM}


def master_server() -> Server | None:
    from .contexts import master_server as master

    return master()


def _publish_problems(upstream: str) -> dict[str, list[str]]:
    from .site_domains import domain_owner

    problems: dict[str, list[str]] = {}
    address = settings.public_url()
    if not address.startswith("https://"):
        problems["public_url"] = [
            "Set the panel's public address to its https:// address first, e.g. "
            "`hostmaster settings set public_url https://panel.example.com`."]
    elif urlsplit(address).port not in (None, 443) or urlsplit(address).path not in ("", "/"):
        problems["public_url"] = [
            f"The public address {address} has a port or a path: the published panel answers "
            "https://<name>/ on the web server's HTTPS port; give only https://<name>."]
    else:
        owner = domain_owner(hostname())
        if owner is not None:
            problems["public_url"] = [f"{hostname()} is used by {owner}; the panel needs a "
                                      "name of its own."]
    try:
        rules.loopback_upstream(upstream)
    except rules.InvalidValue as refused:
        problems["upstream"] = [str(refused)]
    if master_server() is None:
        problems["server"] = ["There is no master server yet: run `hostmaster bootstrap`."]
    return problems


def publish(upstream: str, *, user: Any = None) -> Task:
    """Publish the panel (at the host of ``public_url``, passing requests to ``upstream``) and
    queue the verify of the master that applies it; ValidationError, changing nothing, when
    the public address is not https://<name>, a site uses that name, or ``upstream`` is not a
    loopback address and port."""
    problems = _publish_problems(upstream)
    if problems:
        raise ValidationError(problems)
    settings.put("panel_published", True)
    settings.put("panel_upstream", rules.loopback_upstream(upstream))
    return _verify_master(user)


def unpublish(*, user: Any = None) -> Task:
    """Stop publishing the panel: the master's verify removes its vhost, key and certificate."""
    if master_server() is None:
        raise ValidationError({"server": ["There is no master server yet."]})
    settings.put("panel_published", False)
    settings.forget("panel_certificate_expires")
    return _verify_master(user)


def _verify_master(user: Any) -> Task:
    """The verify of the master that applies the change: a queued one (it reads the settings
    when it starts), else a new one. One that is running already read them: the change is
    refused (TaskNotAvailable, nothing stored) until it ends."""
    from . import tasks

    server = master_server()
    assert server is not None
    pending = tasks.pending_task(server, "verify")
    if pending is not None and pending.status == TaskStatus.QUEUED:
        db.session.commit()
        return pending
    return tasks.queue(server, "verify", user=user)


def record_certificate(server: Server, result: dict[str, Any]) -> None:
    """Keep the expiry of the panel's certificate from a verify of the master (the caller
    commits); a self-signed one counts as due."""
    if server is not master_server() or not published():
        return
    facts = ((result.get("services") or {}).get("http") or {}).get("panel")
    if not facts:
        return
    expires = None if facts.get("self_signed") else facts.get("not_after")
    settings.put("panel_certificate_expires", expires or "self-signed")


def certificate_due(now: datetime, renew_days: int) -> bool:
    """Whether the published panel needs a verify of the master for a new certificate from the
    CA (none when no CA is set: the panel keeps its self-signed one)."""
    from .site_https import acme_properties

    if not published() or not acme_properties():
        return False
    expires = settings.get("panel_certificate_expires")
    if not expires or expires == "self-signed":
        return True
    return (datetime.fromisoformat(str(expires)) - now.replace(tzinfo=UTC)).days < renew_days
