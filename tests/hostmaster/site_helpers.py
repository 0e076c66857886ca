"""Builders for site tests: a master server, platforms with profiles, sites made through the
service, tasks finished with a given result object the way the dispatcher finishes them, and
a local SMTP server that keeps what it receives."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import select

from hostmaster.dispatcher import runner
from hostmaster.extensions import db
from hostmaster.models import Platform, PlatformStatus, Server, Site, Task, TaskStatus, utcnow
from hostmaster.services import packages, settings, sites, tasks
from hostmaster.services.platforms import create_platform
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.stack_process import free_port
from tests.hostmaster.helpers import platform_path

DISPATCHER = "test-dispatcher"


def master_server() -> Server:
    """``@server_master`` with Apache and MySQL (not verified: these tests run no provision)."""
    return create_server(
        "master.example.com",
        human_name="Master",
        services={"http": ServiceSpec("apache"), "db": ServiceSpec("mysql", db_user="aegir_root")},
        master=True,
    )


def ready_platform(
    server: Server,
    name: str = "drupal7",
    profiles: tuple[str, ...] = ("minimal", "standard"),
    status: PlatformStatus = PlatformStatus.ENABLED,
) -> Platform:
    """A verified platform with the given install profiles in its package registry."""
    platform = create_platform(name, platform_path(name), server)
    platform.status = status
    platform.application = "drupal" if profiles else "wordpress"
    packages.sync(
        "platform",
        platform.id,
        [{"short_name": p, "kind": "profile", "name": p.title()} for p in profiles],
    )
    for task in db.session.scalars(select(Task).where(Task.entity_kind == "platform")):
        task.status = TaskStatus.SUCCESS  # its verify "ran"
    db.session.commit()
    return platform


def new_site(
    platform: Platform, server: Server, uri: str = "www.example.com", **changes: Any
) -> Site:
    """A site created through the service (its install is queued)."""
    spec = sites.SiteSpec(uri=uri, platform=platform, db_server=server, **changes)
    return sites.create_site(spec)


def finish(task: Task, obj: dict[str, Any] | None = None, *, failed: bool = False,
           levels: tuple[str, ...] = ()) -> TaskStatus:
    """End ``task`` as the dispatcher would after provision returned ``obj``."""
    task.status = TaskStatus.PROCESSING
    task.dispatcher = DISPATCHER
    task.running_key = task.entity_key
    task.started_at = utcnow()
    for level in levels:
        tasks.add_log(task, level, f"a {level} line from provision")
    db.session.commit()
    result = {"type": "result", "error_status": 1 if failed else 0, "object": obj or {}}
    return runner.finish(task.id, DISPATCHER, result)


def run_pending(site: Site, type_name: str, obj: dict[str, Any] | None = None,
                **kwargs: Any) -> TaskStatus:
    """Finish the queued ``type_name`` task of ``site`` with result ``obj``."""
    task = tasks.pending_task(site, type_name)
    assert task is not None, f"no {type_name} task is queued on {site.uri}"
    return finish(task, obj, **kwargs)


def enabled_site(platform: Platform, server: Server, uri: str = "www.example.com") -> Site:
    """A site whose install succeeded."""
    site = new_site(platform, server, uri)
    run_pending(site, "install", {"db_name": "wwwexamplecom", "cron_key": "k"})
    db.session.refresh(site)
    return site


@dataclass
class Mailbox:
    """What the local SMTP server received (a real SMTP server: aiosmtpd on loopback)."""

    port: int
    messages: list[EmailMessage] = field(default_factory=list)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = message_from_bytes(envelope.content, policy=policy.default)
        assert isinstance(message, EmailMessage)
        self.messages.append(message)
        return "250 Message accepted for delivery"


def start_mailbox(attempts: int = 3) -> tuple[Mailbox, Controller]:
    """A started local SMTP server on a free loopback port, and its controller (to stop)."""
    for attempt in range(1, attempts + 1):
        box = Mailbox(port=free_port())
        controller = Controller(box, hostname="127.0.0.1", port=box.port)
        try:
            controller.start()
            return box, controller
        except (OSError, TimeoutError):
            # Another process (a second test worker) took the port between free_port() and
            # the bind: try another.
            if attempt == attempts:
                raise
    raise AssertionError("unreachable")


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    """A local SMTP server on a free loopback port; its messages in ``mailbox.messages``."""
    box, controller = start_mailbox()
    try:
        yield box
    finally:
        controller.stop()


def use_mailbox(box: Mailbox) -> None:
    """Point the SMTP settings at ``box``."""
    settings.put("smtp_host", "127.0.0.1")
    settings.put("smtp_port", box.port)
    settings.put("mail_from", "hostmaster@example.com")
    db.session.commit()
