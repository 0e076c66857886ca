"""Front-end plugins (hostmaster/hookspecs.py): a plugin registered for one test adds task
options, context properties, a task type and a batch queue; with its feature off it adds none."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster import plugins, queues
from hostmaster.dispatcher import dispatch_once
from hostmaster.dispatcher.runner import payload_for
from hostmaster.extensions import db
from hostmaster.hookspecs import EntityField, FeatureSpec, hookimpl
from hostmaster.models import Platform, Server, Task, TaskStatus
from hostmaster.queues.runner import run_due_queues
from hostmaster.services import features, tasks
from hostmaster.tasks import registry
from hostmaster.tasks.registry import TaskType
from tests.fixtures.app import AuthActions
from tests.hostmaster.helpers import log_text, null_server
from tests.hostmaster.pages import text

NAME = "test_extras"
RACKED = "racked.example.com"


class ExtrasPlugin:
    """A plugin that uses each front-end hook once."""

    def __init__(self) -> None:
        self.batches: list[datetime] = []

    @hookimpl
    def hostmaster_features(self) -> list[FeatureSpec]:
        return [FeatureSpec(NAME, "Test extras", "Used by tests only.")]

    @hookimpl
    def hostmaster_entity_fields(self, entity_kind: str) -> list[EntityField]:
        if entity_kind == "server":
            return [EntityField("rack", "Rack", check=lambda value: None if value.isalnum()
                                else "A rack is letters and digits, e.g. r12.")]
        if entity_kind == "platform":
            return [EntityField("team", "Team", default="web",
                                choices=(("web", "Web team"), ("shop", "Shop team")))]
        return []

    @hookimpl
    def hostmaster_task_options(self, task: Task, entity: Any) -> dict[str, Any]:
        return {"extras_ticket": f"T-{task.id}"}

    @hookimpl
    def hostmaster_context_properties(self, entity: Any) -> dict[str, Any]:
        # Only for the server of the payload test: provision (another process, without this
        # plugin's back-end half) would refuse a property it does not know.
        racked = isinstance(entity, Server) and entity.hostname == RACKED
        return {"extras_rack": "r12"} if racked else {}

    @hookimpl
    def hostmaster_task_types(self) -> list[TaskType]:
        return [TaskType("server", "say-hello", "Say hello", "noop",
                         description="A plugin's task: provision's no-op.")]

    @hookimpl
    def hostmaster_batch_queues(self) -> list[queues.BatchQueue]:
        def run(batch: queues.Batch) -> str:
            self.batches.append(batch.now)
            return "Counted one batch."

        return [queues.BatchQueue("extras_counter", "Extras counter", "Counts its runs.",
                                  default_frequency=60, default_items=1, run=run,
                                  total=lambda: 1)]


@pytest.fixture
def extras(app: Flask) -> Iterator[ExtrasPlugin]:
    """The plugin, registered and its extensions added, with its feature on."""
    plugin = ExtrasPlugin()
    plugins.plugin_manager().register(plugin, name=NAME)
    plugins.register_extensions()
    with app.app_context():
        features.switch(NAME, True)
    try:
        yield plugin
    finally:
        plugins.plugin_manager().unregister(plugin)
        registry._REGISTRY.pop(("server", "say-hello"), None)
        queues._REGISTRY.pop("extras_counter", None)


def test_task_options_and_context_properties_reach_provision_only_while_the_feature_is_on(
    app: Flask, extras: ExtrasPlugin
) -> None:
    with app.app_context():
        server = null_server(RACKED)
        task = tasks.queue(server, "noop")
        payload = payload_for(task, server, registry.get("server", "noop"))
        assert payload["options"]["extras_ticket"] == f"T-{task.id}"
        assert payload["contexts"][0]["properties"]["extras_rack"] == "r12"

        features.switch(NAME, False)
        payload = payload_for(task, server, registry.get("server", "noop"))
        assert "extras_ticket" not in payload["options"]
        assert "extras_rack" not in payload["contexts"][0]["properties"]


def test_a_plugin_task_type_is_offered_and_runs_through_the_dispatcher(
    app: Flask, client: FlaskClient, auth: AuthActions, extras: ExtrasPlugin
) -> None:
    auth.login()
    with app.app_context():
        server_id = null_server().id
        dispatch_once(app)  # its verify
    page = text(client.get(f"/servers/{server_id}").get_data(as_text=True))
    assert "Say hello" in page
    assert auth.submit(f"/servers/{server_id}", {},
                       post_path=f"/tasks/run/server/{server_id}/say-hello")
    with app.app_context():
        dispatch_once(app)
        task = db.session.scalars(db.select(Task).where(Task.type == "say-hello")).one()
        assert task.status == TaskStatus.SUCCESS, log_text(task.id)
        assert "No-op started" in log_text(task.id)


def test_a_plugin_batch_queue_runs_in_the_dispatch_pass_and_shows_on_the_queues_page(
    app: Flask, client: FlaskClient, auth: AuthActions, extras: ExtrasPlugin
) -> None:
    app.config["DISPATCH_QUEUES"] = True
    with app.app_context():
        assert run_due_queues(app) == []
    assert len(extras.batches) == 1
    auth.login()
    assert "Extras counter" in text(client.get("/queues").get_data(as_text=True))


def test_plugin_fields_on_the_server_and_platform_forms_are_checked_and_stored(
    app: Flask, client: FlaskClient, auth: AuthActions, extras: ExtrasPlugin
) -> None:
    auth.login()
    assert 'name="plugin_rack"' in client.get("/servers/add").get_data(as_text=True)
    refused = auth.submit("/servers/add", {"hostname": "web1.example.com", "plugin_rack": "r 1"})
    assert refused.status_code == 200
    assert "A rack is letters and digits, e.g. r12." in text(refused.get_data(as_text=True))
    assert auth.submit("/servers/add", {
        "hostname": "web1.example.com", "http_type": "apache", "plugin_rack": "r12"}
    ).status_code == 302
    with app.app_context():
        server = db.session.scalars(db.select(Server)).one()
        assert server.plugin_fields == {"rack": "r12"}
        server_id = server.id
    assert 'name="plugin_team"' in client.get("/platforms/add").get_data(as_text=True)
    assert auth.submit("/platforms/add", {
        "name": "shop", "root": f"{app.config['AEGIR_ROOT']}/platforms/shop",
        "web_server": str(server_id),
        "makefile": "", "plugin_team": "shop"}).status_code == 302
    with app.app_context():
        assert db.session.scalars(db.select(Platform)).one().plugin_fields == {"team": "shop"}
        features.switch(NAME, False)
    assert 'name="plugin_rack"' not in client.get("/servers/add").get_data(as_text=True)
