"""A provision killed in the middle of a task: the dispatcher recovers its journal at once (or,
when the dispatcher itself died, once the task's lease has run out), says in the task's log
where it was stopped and how it ended, and keeps the store in step with the contexts.

End to end: the panel, the dispatcher, provision (killed through its test-only switch), real
MariaDB and Apache, a Drupal 7 STAND-IN site with content of its own.
"""

from __future__ import annotations

import json
import os
import subprocess
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.dispatcher import dispatch_once
from hostmaster.dispatcher import runner as task_runner
from hostmaster.dispatcher.loop import Dispatcher
from hostmaster.extensions import db
from hostmaster.models import Platform, Site, Task, TaskStatus, utcnow
from hostmaster.services import tasks
from hostmaster.services.platforms import create_platform
from provision.journal import KILL_SWITCH
from tests.fixtures.app import AuthActions
from tests.fixtures.platforms import make_drupal7_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.hostmaster.helpers import log_text
from tests.hostmaster.pages import text
from tests.hostmaster.site_helpers import Mailbox, mailbox, use_mailbox
from tests.hostmaster.test_site_moves import site_name, submit_task
from tests.test_sites import create_in_ui, database_exists, ready, run_task

__all__ = ["mailbox"]  # the fixture, imported for pytest


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    auth.login()
    return auth


def last_task(site_id: int, type_name: str) -> Task:
    db.session.expire_all()
    task = db.session.scalars(select(Task).where(
        Task.entity_kind == "site", Task.entity_id == site_id, Task.type == type_name
    ).order_by(Task.id.desc())).first()
    assert task is not None
    return task


@pytest.mark.apache
def test_a_killed_migrate_is_rolled_back_or_completed_and_the_task_says_which(
    app: Flask, client: FlaskClient, logged_in: AuthActions, aegir_root: Path,
    mariadb_admin: MariaDBAdmin, apache_instance: Any, monkeypatch: pytest.MonkeyPatch,
    mailbox: Mailbox,
) -> None:
    instance = apache_instance
    uri = "killed.example.test"
    with app.app_context():
        use_mailbox(mailbox)
        server_id, platform_a = ready(app, "apache", instance, mariadb_admin,
                                      make_drupal7_platform(aegir_root / "platforms" / "ka"))
        root_b = make_drupal7_platform(aegir_root / "platforms" / "kb")
        platform_b = create_platform("kb", str(root_b),
                                     db.session.get_one(Platform, platform_a).web_server).id
        dispatch_once(app)
        site_id = create_in_ui(logged_in, uri, server_id, platform_a, profile="standard")
        run_task(app, instance, site_id, "install")
        database = db.session.get_one(Site, site_id).db_name
        site_name(mariadb_admin, database, "Kept content")
        instance.wait_for_body("<title>Kept content", host=uri)

        # Killed while the new database is being filled: everything is rolled back.
        monkeypatch.setenv(KILL_SWITCH, "step:import")
        submit_task(logged_in, site_id, "migrate", {"target_platform": platform_b,
                                                    "target_db_server": server_id})
        dispatch_once(app)
        task = last_task(site_id, "migrate")
        log = log_text(task.id)
        assert task.status == TaskStatus.ERROR, log
        assert "interrupted at the step import" in log and "rolled back" in log, log
        assert (task.result or {}).get("recovery") == {"outcome": "rolled back",
                                                       "step": "import"}
        site = db.session.get_one(Site, site_id)
        assert (site.platform_id, site.db_name) == (platform_a, database)
        instance.wait_for_body("<title>Kept content", host=uri)
        page = text(client.get(f"/sites/{site_id}").get_data(as_text=True))
        assert "interrupted at the step import" in page and "rolled back" in page

        # Killed just after its commit point: recovery completes it, and the store follows.
        monkeypatch.setenv(KILL_SWITCH, "commit")
        submit_task(logged_in, site_id, "migrate", {"target_platform": platform_b,
                                                    "target_db_server": server_id})
        with instance.expect_reload():
            dispatch_once(app)
        task = last_task(site_id, "migrate")
        log = log_text(task.id)
        assert task.status == TaskStatus.WARNING, log
        assert "recovery completed it" in log, log
        site = db.session.get_one(Site, site_id)
        assert site.platform_id == platform_b and site.db_name != database
        assert not database_exists(mariadb_admin, database), "the cleanup ran to its end"
        assert not (aegir_root / "platforms" / "ka" / "sites" / uri).exists()
        instance.wait_for_body("<title>Kept content", host=uri)
        monkeypatch.delenv(KILL_SWITCH)
        tasks.queue(db.session.get_one(Site, site_id), "verify")
        run_task(app, instance, site_id, "verify")


@pytest.mark.apache
def test_a_task_whose_dispatcher_died_is_recovered_when_its_lease_has_expired(
    app: Flask, logged_in: AuthActions, aegir_root: Path, mariadb_admin: MariaDBAdmin,
    apache_instance: Any, mailbox: Mailbox,
) -> None:
    instance = apache_instance
    uri = "orphaned.example.test"
    with app.app_context():
        use_mailbox(mailbox)
        server_id, platform_id = ready(app, "apache", instance, mariadb_admin,
                                       make_drupal7_platform(aegir_root / "platforms" / "od"))
        site_id = create_in_ui(logged_in, uri, server_id, platform_id, profile="standard")
        run_task(app, instance, site_id, "install")
        before = sorted(path.name for path in (aegir_root / "backups").glob("*"))
        submit_task(logged_in, site_id, "disable", {})
        task = last_task(site_id, "disable")
        # A dispatcher claims it, starts provision, and dies with it half way.
        task.status, task.dispatcher = TaskStatus.PROCESSING, "gone:1:dead"
        task.running_key, task.started_at = task.entity_key, utcnow()
        task.lease_expires_at = utcnow() + timedelta(seconds=60)
        db.session.commit()
        start = task_runner.prepare(task.id)
        subprocess.run(start.argv, input=json.dumps(start.payload).encode(),
                       capture_output=True, timeout=120, check=False,
                       env={**os.environ, KILL_SWITCH: "step:vhost"})
        assert list((aegir_root / "journal").glob("*.jsonl")), "the kill left a journal"
        task = db.session.get_one(Task, task.id)
        task.lease_expires_at = utcnow() - timedelta(seconds=1)
        db.session.commit()

        Dispatcher(app).end_expired()

        task = last_task(site_id, "disable")
        log = log_text(task.id)
        assert task.status == TaskStatus.ERROR, log
        assert "stopped renewing its lease" in log and "interrupted at the step vhost" in log
        assert "rolled back" in log
        assert sorted(path.name for path in (aegir_root / "backups").glob("*")) == before
        assert not list((aegir_root / "journal").glob("*.jsonl"))
        assert instance.get("/", host=uri)[0] == 200
