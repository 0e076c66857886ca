"""Publishing the panel, on the panel's side (both stores, no provision run): what
``hostmaster publish`` refuses (changing nothing), what @server_master then tells provision,
that no site may take the panel's name, how the verify's result is kept, and when the
certificate queue verifies the master for the panel's certificate. The real thing (Apache,
Pebble, ``hostmaster serve``) is tests/test_panel_published.py."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from hostmaster.extensions import db
from hostmaster.models import Task, utcnow
from hostmaster.queues import certificates
from hostmaster.services import contexts, panel_publishing, settings, tasks
from hostmaster.services.errors import ValidationError
from hostmaster.services.sites import SiteSpec, create_site
from hostmaster.tasks.server import _verified
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform

PANEL = "https://panel.example.net"


def _task_count() -> int:
    return db.session.scalar(select(func.count(Task.id))) or 0


@pytest.mark.parametrize(("public_url", "upstream", "field", "words"), [
    ("http://panel.example.net", "127.0.0.1:5000", "public_url", "https://"),
    ("https://panel.example.net:8443", "127.0.0.1:5000", "public_url", "port or a path"),
    ("https://panel.example.net/hosting", "127.0.0.1:5000", "public_url", "port or a path"),
    ("https://www.example.com", "127.0.0.1:5000", "public_url", "used by another site"),
    (PANEL, "192.0.2.1:5000", "upstream", "loopback"),
    (PANEL, "127.0.0.1:99999", "upstream", "1 to 65535"),
    (PANEL, "127.0.0.1:5000\nProxyPass / http://x/", "upstream", "line break"),
])
def test_publishing_is_refused_with_a_reason_and_changes_nothing(
    app: Flask, public_url: str, upstream: str, field: str, words: str,
) -> None:
    with app.app_context():
        server = master_server()
        enabled_site(ready_platform(server), server, "www.example.com")
        settings.save({"public_url": public_url})
        before = _task_count()
        with pytest.raises(ValidationError) as refused:
            panel_publishing.publish(upstream)
        assert words in " ".join(refused.value.errors[field])
        db.session.rollback()
        assert settings.get("panel_published") is False
        assert _task_count() == before
        assert contexts.server_properties(server)["panel_hostname"] is None


def test_published_the_master_tells_provision_and_no_site_may_take_the_name(
    app: Flask,
) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        settings.save({"public_url": PANEL})
        queued = tasks.pending_task(server, "verify")  # the master's first verify, not run yet
        task = panel_publishing.publish("127.0.0.1:8000")
        assert task is queued, "the queued verify applies the change when it runs"
        assert (task.type, task.entity_id) == ("verify", server.id)
        props = contexts.server_properties(server)
        assert (props["panel_hostname"], props["panel_upstream"]) == (
            "panel.example.net", "127.0.0.1:8000")
        with pytest.raises(ValidationError, match="the panel itself"):
            create_site(SiteSpec("panel.example.net", platform, db_server=server))
        # Its address keeps its name while it is published.
        for moved in ("https://other.example.net", "http://panel.example.net",
                      "https://panel.example.net:8443"):
            with pytest.raises(ValidationError, match="publish --off"):
                settings.save({"public_url": moved})
        settings.save({"public_url": "https://panel.example.net/"})
        panel_publishing.unpublish()
        props = contexts.server_properties(server)
        assert props["panel_hostname"] is None and props["panel_upstream"] is None
        create_site(SiteSpec("panel.example.net", platform, db_server=server))


def _verify_result(facts: dict[str, Any] | None) -> dict[str, Any]:
    return {"services": {"http": {"type": "apache", "panel": facts}}}


def test_the_queue_verifies_the_master_when_the_panels_certificate_is_due(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        settings.save({"public_url": PANEL})
        panel_publishing.publish("127.0.0.1:5000")
        _verified(Task(), server, _verify_result({"self_signed": True, "not_after": "x"}))
        db.session.commit()
        now = utcnow()
        # No CA: the panel keeps its self-signed certificate, nothing to do.
        assert panel_publishing.certificate_due(now, 30) is False
        settings.save({"acme_ca": "letsencrypt_staging"})
        assert panel_publishing.certificate_due(now, 30) is True
        assert certificates.items_to_check() == 1

        # A verify of the master is queued already (by publish): the queue says so.
        assert "already queued or running" in certificates.verify_for_the_panel(now)
        db.session.delete(tasks.pending_task(server, "verify"))
        db.session.commit()
        assert "queued a verify" in certificates.verify_for_the_panel(now)
        assert tasks.pending_task(server, "verify") is not None

        expires = (now + timedelta(days=60)).replace(microsecond=0)
        _verified(Task(), server, _verify_result(
            {"self_signed": False, "not_after": expires.isoformat() + "+00:00"}))
        assert panel_publishing.certificate_due(now, 30) is False
        assert panel_publishing.certificate_due(now, 90) is True
