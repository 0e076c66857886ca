"""Editing a server: every service property in the form, ``hostmaster server edit`` and the
API's PATCH, checked with the same rules; a verify follows; bad input changes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Server, Task, User
from hostmaster.services import api_tokens, tasks
from hostmaster.services.contexts import server_properties
from hostmaster.services.platforms import create_platform
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.app import AuthActions
from tests.hostmaster.helpers import platform_path
from tests.hostmaster.pages import field_error, text
from tests.hostmaster.site_helpers import finish

DB_PASSWORD = "s3cret-admin-passw0rd"
#: The edit form as a person leaves it after changing every field of the services.
EDITED = {
    "human_name": "Web one", "ip_addresses": "192.0.2.20",
    "http_type": "apache", "http_port": "8081", "http_restart_cmd": "apache2ctl -k graceful",
    "http_configtest_cmd": "apache2ctl -t", "http_include_dir": "/etc/apache2/other-conf",
    "web_group": "www-pool", "http_reload_settle": "0.5", "php_fpm_socket": "",
    "db_type": "mysql", "db_host": "db.internal.example.com", "db_port": "3307",
    "db_socket": "/run/mysqld/other.sock", "db_user": "aegir_admin", "db_password": "",
    "ssh_user": "deploy", "ssh_port": "2222", "ssh_key_file": "/var/aegir/.ssh/id_web1",
}


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


@pytest.fixture
def server_id(app: Flask) -> int:
    """A verified Apache and MySQL server (no verify pending)."""
    with app.app_context():
        server = create_server("web1.example.com", ip_addresses=["192.0.2.10"], services={
            "http": ServiceSpec("apache", 8080, "apache2ctl graceful",
                                options={"http_include_dir": "/etc/apache2/conf-enabled"}),
            "db": ServiceSpec("mysql", db_user="aegir_root", db_password=DB_PASSWORD),
        })
        pending = tasks.pending_task(server, "verify")
        assert pending is not None
        finish(pending)
        return server.id


def state(app: Flask, server_id: int) -> tuple[dict[str, Any], list[str]]:
    """What provision would receive for the server, and the types of its pending tasks."""
    with app.app_context():
        server = db.session.get_one(Server, server_id)
        queued = db.session.scalars(select(Task.type).where(
            Task.entity_id == server_id, Task.entity_kind == "server",
            Task.finished_at.is_(None)))
        return server_properties(server), list(queued)


def test_the_edit_form_changes_every_service_property_keeps_the_password_and_queues_a_verify(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    form = client.get(f"/servers/{server_id}/edit").get_data(as_text=True)
    assert DB_PASSWORD not in form
    assert 'value="8080"' in form and 'value="/etc/apache2/conf-enabled"' in form
    response = logged_in.submit(f"/servers/{server_id}/edit", EDITED)
    assert response.location == f"/servers/{server_id}"
    properties, queued = state(app, server_id)
    assert queued == ["verify"]
    expected = {
        "ip_addresses": ["192.0.2.20"], "http_port": 8081,
        "http_restart_cmd": "apache2ctl -k graceful", "http_configtest_cmd": "apache2ctl -t",
        "http_include_dir": "/etc/apache2/other-conf", "web_group": "www-pool",
        "http_reload_settle": 0.5, "db_host": "db.internal.example.com", "db_port": 3307,
        "db_socket": "/run/mysqld/other.sock", "db_user": "aegir_admin",
        "db_passwd": DB_PASSWORD, "ssh_user": "deploy", "ssh_port": 2222,
        "ssh_key_file": "/var/aegir/.ssh/id_web1",
    }
    assert {key: properties.get(key) for key in expected} == expected
    page = text(client.get(response.location).get_data(as_text=True))
    assert "Server web1.example.com saved; its verify task is queued." in page
    assert "www-pool" in page and "0.5" in page


@pytest.mark.parametrize(("field", "value", "message"), [
    ("http_reload_settle", "61", "from 0 to 60"),
    ("web_group", "www data", "web group may use only letters"),
    ("db_socket", "run/mysqld.sock", "not an absolute path"),
    ("http_port", "70000", "A port is a number from 1 to 65535."),
    ("php_fpm_socket", "/run/php/fpm.sock", "Apache runs PHP itself"),
])
def test_a_bad_value_in_the_edit_form_is_refused_beside_its_field_and_nothing_changes(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int, field: str,
    value: str, message: str,
) -> None:
    before = state(app, server_id)
    response = logged_in.submit(f"/servers/{server_id}/edit", {**EDITED, field: value})
    assert response.status_code == 200
    assert message in field_error(response.get_data(as_text=True), field)
    assert state(app, server_id) == before


def test_a_service_that_a_platform_uses_keeps_its_type_and_the_refusal_names_the_platform(
    app: Flask, client: FlaskClient, logged_in: AuthActions, server_id: int
) -> None:
    with app.app_context():
        create_platform("drupal7", platform_path("drupal7"),
                        db.session.get_one(Server, server_id))
    before = state(app, server_id)
    for http_type in ("nginx", "null"):
        response = logged_in.submit(f"/servers/{server_id}/edit",
                                    {**EDITED, "http_type": http_type})
        assert field_error(response.get_data(as_text=True), "http_type") == (
            "The http service of web1.example.com stays apache while the platform drupal7 is "
            "on it as web server; migrate them to another server first.")
        assert state(app, server_id) == before


def test_server_edit_on_the_command_line_changes_what_is_given_and_reads_the_password_unseen(
    app: Flask, runner: Any, server_id: int
) -> None:
    result = runner.invoke(args=[
        "server", "edit", "web1.example.com", "--web-group", "www-pool",
        "--http-reload-settle", "0", "--db-port", "3307", "--db-password"],
        env={"HOSTMASTER_DB_PASSWORD": "n3w-admin-passw0rd"})
    assert result.exit_code == 0, result.output
    assert "n3w-admin-passw0rd" not in result.output
    assert "Server web1.example.com saved; Verify of web1.example.com is queued" in (
        result.output)
    properties, queued = state(app, server_id)
    assert queued == ["verify"]
    assert (properties["web_group"], properties["http_reload_settle"], properties["db_port"],
            properties["db_passwd"], properties["http_port"]) == (
        "www-pool", 0.0, 3307, "n3w-admin-passw0rd", 8080)
    shown = " ".join(runner.invoke(args=["server", "show", "web1.example.com"]).output.split())
    assert "web-group: www-pool" in shown and "db-port: 3307" in shown
    assert "n3w-admin-passw0rd" not in shown


def test_server_edit_refuses_a_bad_value_naming_its_option_and_changes_nothing(
    app: Flask, runner: Any, server_id: int
) -> None:
    before = state(app, server_id)
    result = runner.invoke(args=["server", "edit", "web1.example.com", "--web-group", "www-data",
                                 "--http-include-dir", "../conf"])
    assert result.exit_code != 0
    assert "--http-include-dir: The include folder '../conf' is not an absolute path" in (
        result.output)
    assert state(app, server_id) == before


def test_the_api_changes_a_server_and_refuses_wrong_fields_and_types_changing_nothing(
    app: Flask, client: FlaskClient, admin: User, server_id: int
) -> None:
    with app.app_context():
        user = db.session.scalars(select(User).where(User.username == "admin")).one()
        token = api_tokens.create(user, "tests")[1]
    headers = {"Authorization": f"Bearer {token}"}
    before = state(app, server_id)
    for body, field in [({"hostname": "web2.example.com"}, "hostname"),
                        ({"db_port": "3307"}, "db_port"),
                        ({"web_group": "www-pool", "http_reload_settle": 99}, "http_reload_settle"),
                        ({"ip_addresses": "192.0.2.1"}, "ip_addresses")]:
        answer = client.patch(f"/api/v1/servers/{server_id}", json=body, headers=headers)
        assert answer.status_code == 400, body
        assert answer.json["error"] == "The request is not valid; nothing was changed."
        assert list(answer.json["fields"]) == [field]
        assert state(app, server_id) == before
    answer = client.patch(f"/api/v1/servers/{server_id}", headers=headers, json={
        "human_name": "Web one", "db_port": 3307, "web_group": "www-pool",
        "http_reload_settle": 2, "http_port": None})
    assert answer.status_code == 200, answer.json
    assert answer.json["server"]["human_name"] == "Web one"
    assert answer.json["server"]["settings"]["web_group"] == "www-pool"
    assert "db_password" not in answer.json["server"]["settings"]
    assert answer.json["task"]["type"] == "verify"
    properties, _ = state(app, server_id)
    assert (properties["db_port"], properties["web_group"], properties["http_reload_settle"],
            "http_port" in properties, properties["db_passwd"]) == (
        3307, "www-pool", 2.0, False, DB_PASSWORD)
