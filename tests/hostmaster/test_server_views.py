"""The server pages: the list, the add form (and its refusals), and a server's own page."""

from __future__ import annotations

import pytest
from flask import Flask, render_template
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import ContextName, Server, ServerService, Task, TaskStatus
from hostmaster.servers.forms import ServerAddForm
from hostmaster.services.contexts import server_properties
from hostmaster.services.errors import ValidationError
from hostmaster.services.servers import ServiceSpec, create_server
from hostmaster.ui import apply_errors
from tests.fixtures.app import AuthActions
from tests.hostmaster.pages import field_error, part, rows, text

DB_PASSWORD = "s3cret-admin-passw0rd"

WEB_AND_DB = {
    "hostname": "web1.example.com",
    "human_name": "Web server 1",
    "ip_addresses": "192.0.2.10, 192.0.2.11 2001:db8::1",
    "http_type": "apache",
    "http_port": "8080",
    "http_restart_cmd": "apache2ctl graceful",
    "http_configtest_cmd": "apache2ctl configtest",
    "http_include_dir": "/etc/apache2/conf-enabled",
    "db_type": "mysql",
    "db_host": "localhost",
    "db_port": "3306",
    "db_socket": "/run/mysqld/mysqld.sock",
    "db_user": "aegir_root",
    "db_password": DB_PASSWORD,
}


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


def test_adding_a_server_stores_it_queues_its_verify_and_shows_it_in_the_queues_block(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    response = logged_in.submit("/servers/add", WEB_AND_DB)
    with app.app_context():
        server = db.session.scalars(select(Server)).one()
        assert response.location == f"/servers/{server.id}"
        assert [ip.address for ip in server.ip_addresses] == [
            "192.0.2.10", "192.0.2.11", "2001:db8::1"
        ]
        http, database = server.service("http"), server.service("db")
        assert http is not None and (http.type, http.port) == ("apache", 8080)
        assert http.options["http_include_dir"] == "/etc/apache2/conf-enabled"
        assert database is not None and database.db_password == DB_PASSWORD
        assert database.options == {"db_host": "localhost", "db_socket": "/run/mysqld/mysqld.sock"}
        task = db.session.scalars(select(Task)).one()
        assert (task.type, task.entity_id, task.status) == ("verify", server.id, TaskStatus.QUEUED)
        assert task.user is not None and task.user.username == "admin"

    page = client.get(response.location).get_data(as_text=True)
    assert "Server web1.example.com added; its verify task is queued." in text(page)
    queues = part(page, "queues", "</section>")
    assert f'href="/tasks/{task.id}"' in queues
    assert "status-queued" in queues
    assert "Verify" in text(queues) and "Web server 1" in text(queues)


def test_the_server_page_shows_its_settings_but_never_the_database_password(
    client: FlaskClient, logged_in: AuthActions
) -> None:
    server_page = logged_in.submit("/servers/add", WEB_AND_DB).location
    page = client.get(server_page).get_data(as_text=True)
    seen = text(page)
    assert DB_PASSWORD not in page
    for fact in ("@server_web1examplecom", "192.0.2.10", "2001:db8::1", "apache", "8080",
                 "apache2ctl configtest", "aegir_root", "/run/mysqld/mysqld.sock"):
        assert fact in seen, fact


def test_the_server_page_offers_verify_but_disables_it_while_a_verify_is_queued(
    client: FlaskClient, logged_in: AuthActions
) -> None:
    page = client.get(logged_in.submit("/servers/add", WEB_AND_DB).location)
    tasks_table = part(page.get_data(as_text=True), "tasks-title", "</section>")
    assert "Verify" in text(tasks_table)
    assert "disabled" in tasks_table
    assert "A verify task is already queued or running on Web server 1." in text(tasks_table)
    assert "Queued" in text(tasks_table)  # the last run's status badge


def test_the_server_list_shows_host_names_services_and_status(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    with app.app_context():
        create_server("db1.example.com", services={"db": ServiceSpec("mysql", db_user="root")})
        create_server("web2.example.com", services={"http": ServiceSpec("nginx", port=8081)})
    seen = text(client.get("/servers").get_data(as_text=True))
    assert "db1.example.com db mysql Queued" in seen
    assert "web2.example.com http nginx:8081 Queued" in seen


@pytest.mark.parametrize(
    "hostname",
    [
        "web 1.example.com",
        "web'1.example.com",
        "web1..example.com",
        "web1.example.com;reboot",
        "a" * 300,
    ],
    ids=["space", "quote", "dot-dot", "shell", "300-characters"],
)
def test_a_bad_host_name_is_refused_beside_its_field_and_nothing_is_written(
    app: Flask, client: FlaskClient, logged_in: AuthActions, hostname: str
) -> None:
    response = logged_in.submit("/servers/add", {**WEB_AND_DB, "hostname": hostname})
    assert response.status_code == 200
    message = field_error(response.get_data(as_text=True), "hostname")
    assert "host name" in message
    assert rows(app, Server, ServerService, ContextName, Task) == (0, 0, 0, 0)


def test_a_duplicate_host_name_is_refused_beside_its_field(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    logged_in.submit("/servers/add", WEB_AND_DB)
    response = logged_in.submit("/servers/add", WEB_AND_DB)
    message = field_error(response.get_data(as_text=True), "hostname")
    assert message == "A server called web1.example.com already exists."
    assert rows(app, Server, Task) == (1, 1)


def test_a_bad_ip_address_is_refused_beside_its_field(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    bad_ip = {**WEB_AND_DB, "ip_addresses": "192.0.2.1 999.1.1.1"}
    response = logged_in.submit("/servers/add", bad_ip)
    page = response.get_data(as_text=True)
    assert field_error(page, "ip_addresses") == "'999.1.1.1' is not an IP address."
    assert field_error(page, "hostname") == ""
    assert rows(app, Server, Task) == (0, 0)


def test_a_database_service_without_an_admin_user_is_refused_and_the_password_not_echoed(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    response = logged_in.submit("/servers/add", {**WEB_AND_DB, "db_user": ""})
    page = response.get_data(as_text=True)
    assert "Enter the database server's admin user" in field_error(page, "db_user")
    assert DB_PASSWORD not in page
    assert rows(app, Server, Task) == (0, 0)


def test_a_port_out_of_range_is_refused_beside_its_field(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    response = logged_in.submit("/servers/add", {**WEB_AND_DB, "http_port": "70000"})
    assert field_error(response.get_data(as_text=True), "http_port") == (
        "A port is a number from 1 to 65535."
    )
    assert rows(app, Server, Task) == (0, 0)


def test_an_unknown_server_is_not_found(client: FlaskClient, logged_in: AuthActions) -> None:
    response = client.get("/servers/4242")
    assert response.status_code == 404
    assert "There is nothing here." in text(response.get_data(as_text=True))


def test_a_message_about_no_particular_field_is_shown_above_the_form(app: Flask) -> None:
    with app.test_request_context("/servers/add", method="POST"):
        form = ServerAddForm(meta={"csrf": False})
        apply_errors(form, ValidationError("The store is busy; try again in a minute."))
        page = render_template("servers/add.html", form=form)
    assert "The store is busy; try again in a minute." in text(part(page, "content", "<form"))
    assert field_error(page, "hostname") == ""


def test_an_nginx_servers_php_fpm_socket_is_set_in_the_form_and_reaches_provision(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    nginx = {**WEB_AND_DB, "http_type": "nginx", "http_restart_cmd": "nginx -s reload",
             "http_configtest_cmd": "nginx -t", "http_include_dir": "/etc/nginx/conf.d",
             "php_fpm_socket": "/run/php/pool-web1.sock"}
    page = logged_in.submit("/servers/add", nginx).location
    with app.app_context():
        server = db.session.scalars(select(Server)).one()
        assert server_properties(server)["php_fpm_socket"] == "/run/php/pool-web1.sock"
    assert "/run/php/pool-web1.sock" in text(client.get(page).get_data(as_text=True))


def test_a_php_fpm_socket_is_refused_for_apache_or_when_not_an_absolute_path(
    app: Flask, client: FlaskClient, logged_in: AuthActions
) -> None:
    for http_type, socket, message in [
        ("apache", "/run/php/php8.2-fpm.sock", "Apache runs PHP itself"),
        ("nginx", "run/php.sock\nInclude /etc/passwd", "php-fpm socket"),
    ]:
        response = client.post("/servers/add", data={
            **WEB_AND_DB, "http_type": http_type, "php_fpm_socket": socket,
            "csrf_token": logged_in.csrf_token("/servers/add")})
        assert response.status_code == 200
        assert message in field_error(response.get_data(as_text=True), "php_fpm_socket")
    with app.app_context():
        assert db.session.scalars(select(Server)).all() == []
