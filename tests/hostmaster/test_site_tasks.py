"""Site and platform task types: when each may run, and what their results change in the store
(results applied through the dispatcher's ``finish``, as after a real provision run)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import (
    ContextName,
    PackageInstance,
    Platform,
    PlatformStatus,
    Site,
    SiteBackup,
    SiteStatus,
    Task,
    TaskStatus,
    utcnow,
)
from hostmaster.services import contexts, settings, site_results, tasks
from hostmaster.services.errors import TaskNotAvailable
from tests.fixtures.app import PUBLIC_URL
from tests.hostmaster.helpers import log_text, platform_path
from tests.hostmaster.site_helpers import (
    Mailbox,
    enabled_site,
    finish,
    mailbox,
    master_server,
    new_site,
    ready_platform,
    run_pending,
    use_mailbox,
)

__all__ = ["mailbox"]  # the fixture, imported for pytest

SITE_TASKS = ("verify", "backup", "disable", "enable", "delete", "login-reset")


def offered(entity: Site | Platform) -> set[str]:
    """The visible task types that may be queued on ``entity`` now."""
    return {t.name for t, _last, reason in tasks.available_tasks(entity) if reason is None}


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (SiteStatus.ENABLED, {"verify", "backup", "disable", "login-reset", "migrate", "clone"}),
        (SiteStatus.DISABLED, {"enable", "delete"}),
        (SiteStatus.QUEUED, {"enable", "delete"}),
        (SiteStatus.DELETED, set()),
    ],
    ids=["enabled", "disabled", "queued", "deleted"],
)
def test_a_site_offers_the_tasks_its_status_allows(
    app: Flask, status: SiteStatus, expected: set[str]
) -> None:
    with app.app_context():
        server = master_server()
        site = new_site(ready_platform(server), server)
        tasks.cancel(tasks.pending_task(site, "install"))  # type: ignore[arg-type]
        site.status = status
        db.session.commit()
        assert offered(site) == expected


def test_an_enabled_site_may_be_deleted_when_disabling_first_is_not_required(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        assert "delete" not in offered(site)
        settings.put("require_disable_before_delete", False)
        db.session.commit()
        assert offered(site) == {"verify", "backup", "disable", "login-reset", "delete", "migrate",
                                 "clone"}


def test_nothing_can_be_queued_on_a_site_while_its_delete_is_pending(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        site.status = SiteStatus.DISABLED
        db.session.commit()
        tasks.queue(site, "delete")
        assert offered(site) == set()
        with pytest.raises(TaskNotAvailable, match="www.example.com is being deleted."):
            tasks.queue(site, "enable")


def test_a_platform_offers_lock_or_unlock_by_its_status(app: Flask) -> None:
    with app.app_context():
        platform = ready_platform(master_server())
        assert offered(platform) == {"verify", "lock", "delete"}
        finish(tasks.queue(platform, "lock"))
        assert platform.status == PlatformStatus.LOCKED
        assert offered(platform) == {"verify", "unlock", "delete"}
        finish(tasks.queue(platform, "unlock"))
        assert platform.status == PlatformStatus.ENABLED


def test_a_platform_with_sites_cannot_be_deleted_and_says_why(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        new_site(platform, server)
        assert tasks.why_unavailable(platform, "delete") == (
            "drupal7 still has 1 site; delete or migrate them before deleting the platform."
        )


def test_a_deleted_platform_frees_its_context_and_packages(app: Flask) -> None:
    with app.app_context():
        platform = ready_platform(master_server())
        finish(tasks.queue(platform, "delete"))
        assert platform.status == PlatformStatus.DELETED
        assert contexts.name_or_none(platform) is None
        owned = select(PackageInstance).where(PackageInstance.owner_kind == "platform")
        assert db.session.scalars(owned).all() == []


def test_an_install_enables_the_site_and_mails_its_login_link(
    app: Flask, mailbox: Mailbox
) -> None:
    with app.app_context():
        use_mailbox(mailbox)
        server = master_server()
        site = new_site(ready_platform(server), server)
        link = "http://www.example.com/user/reset/1/1763790000/abc/login"
        status = run_pending(site, "install", {
            "db_name": "wwwexamplecom", "db_user": "wwwexamplecom", "cron_key": "ck",
            "login_link": link, "profile": "standard", "language": "en",
            "packages": [{"short_name": "node", "kind": "module", "version": "7.103",
                          "schema_version": 7016, "enabled": True}],
        })
        assert status == TaskStatus.SUCCESS
        db.session.refresh(site)
        assert site.status == SiteStatus.ENABLED and site.verified_at is not None
        assert (site.db_name, site.cron_key) == ("wwwexamplecom", "ck")
        assert site_results.fresh_login_link(site) == link
        instance = db.session.scalars(
            select(PackageInstance).where(PackageInstance.owner_kind == "site")
        ).one()
        assert (instance.package.short_name, instance.enabled, instance.schema_version) == (
            "node", True, 7016
        )
    (mail,) = mailbox.messages
    assert mail["To"] == "admin@localhost.localdomain"  # the default client's: no admin user
    assert mail["Subject"] == "Your new site www.example.com is ready"
    assert link in mail.get_content()


def test_a_welcome_mail_that_cannot_be_sent_only_warns(app: Flask) -> None:
    with app.app_context():
        settings.put("smtp_host", "127.0.0.1")
        settings.put("smtp_port", 9)  # discard: nothing listens there
        server = master_server()
        site = new_site(ready_platform(server), server)
        status = run_pending(site, "install", {"login_link": "http://www.example.com/x"})
        assert status == TaskStatus.WARNING
        assert site.status == SiteStatus.ENABLED
        task = db.session.scalars(select(Task).where(Task.type == "install")).one()
        assert task.status == TaskStatus.WARNING
        assert "The welcome mail to admin@localhost.localdomain could not be sent" in log_text(
            task.id
        )


def test_a_failed_install_leaves_the_site_disabled(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        site = new_site(ready_platform(server), server)
        assert run_pending(site, "install", failed=True, levels=("error",)) == TaskStatus.ERROR
        assert site.status == SiteStatus.DISABLED
        assert offered(site) == {"enable", "delete"}


def test_backups_are_listed_with_the_description_of_their_task(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        archive = {"backup_file": "/var/aegir/backups/www.tar.gz", "backup_file_size": 4096}
        finish(tasks.queue(site, "backup"), archive)
        finish(tasks.queue(site, "backup", {"description": "Before the redesign"}), archive)
        finish(tasks.queue(site, "disable"), archive)
        assert site.status == SiteStatus.DISABLED
        descriptions = db.session.scalars(select(SiteBackup.description).order_by(SiteBackup.id))
        assert list(descriptions) == ["Generated on request", "Before the redesign", "Pre-disable"]
        finish(tasks.queue(site, "enable"))
        assert site.status == SiteStatus.ENABLED


def test_a_deleted_site_frees_its_domain_and_keeps_its_history(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        site = enabled_site(platform, server)
        finish(tasks.queue(site, "disable"), {"backup_file": "/b/1.tar.gz"})
        finish(tasks.queue(site, "delete"), {"backup_file": "/b/2.tar.gz"})
        assert site.status == SiteStatus.DELETED
        assert db.session.scalar(select(ContextName).where(ContextName.name == site.uri)) is None
        history = db.session.scalars(
            select(Task.type).where(Task.entity_kind == "site", Task.entity_id == site.id)
        )
        assert list(history) == ["install", "disable", "delete"]
        assert db.session.scalars(select(SiteBackup.description)).all()[-1] == "Pre-delete"
        again = new_site(platform, server)  # the same domain may be used again
        assert again.id != site.id and contexts.name_of(again) == "@www.example.com"


def test_a_login_reset_caches_a_new_link_for_a_day(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        assert site_results.fresh_login_link(site) is None
        finish(tasks.queue(site, "login-reset"), {"login_link": "http://www.example.com/l/2"})
        assert site_results.spend_login_link(site) == "http://www.example.com/l/2"
        assert site_results.fresh_login_link(site) is None  # used once
        site_results.remember_login_link(site, "http://www.example.com/l/3")
        site.login_link_expires_at = utcnow() - timedelta(seconds=1)
        assert site_results.fresh_login_link(site) is None  # expired


def test_sites_found_by_a_platform_verify_are_imported(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        known = new_site(platform, server, "known.example.com")
        finish(tasks.queue(platform, "verify"),
               {"application": "drupal", "sites": ["found.example.com", known.uri, "default"]})
        found = db.session.scalars(select(Site).where(Site.uri == "found.example.com")).one()
        assert found.status == SiteStatus.QUEUED and found.db_server_id == server.id
        assert found.client is not None and found.client.name == "Default client"
        assert tasks.pending_task(found, "import") is not None
        assert db.session.scalar(select(Site.id).where(Site.uri == "default")) is None
        finish(tasks.pending_task(found, "import"),  # type: ignore[arg-type]
               {"db_name": "found", "profile": "minimal", "language": "de"})
        assert (found.status, found.profile, found.language) == (
            SiteStatus.ENABLED, "minimal", "de"
        )


def test_site_tasks_send_the_servers_platform_and_site_contexts(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        site = new_site(ready_platform(server), server, aliases=["example.com"],
                        redirect_aliases=["old.example.com"])
        sent = contexts.contexts_for(site)
        assert [c["name"] for c in sent] == ["@server_master", "@platform_drupal7",
                                             "@www.example.com"]
        assert sent[0]["properties"]["master_url"] == PUBLIC_URL
        # The master carries the folder platforms lie in, which provision checks them against.
        assert sent[0]["properties"]["platform_base_path"] == platform_path("")
        props = sent[-1]["properties"]
        assert props["aliases"] == ["example.com"]
        assert props["redirect_aliases"] == ["old.example.com"] and props["redirection"] is False
        assert (props["platform"], props["db_server"], props["profile"]) == (
            "@platform_drupal7", "@server_master", "standard"
        )
        assert props["client_email"] == "admin@localhost.localdomain"
        assert not {"db_name", "db_user", "db_passwd"} & set(props)
