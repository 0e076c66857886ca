"""The panel applies provision's rules (issue 15): domains normalised before they are compared,
no IP literal for a domain, service fields and platform roots refused as provision refuses
them, task arguments checked the same way whoever queues the task, and no id too large for the
store ever reaches a query."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Platform, Server, Site, SiteAlias, SiteBackup, Task, utcnow
from hostmaster.services import clients, tasks
from hostmaster.services.errors import ValidationError
from tests.fixtures.app import AuthActions
from tests.hostmaster.pages import field_error, rows, text
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform

HUGE = "99999999999999999999"


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    """A master server, an enabled platform, and the site b2.example of the client Bee (new
    sites in these tests are Bee's too)."""
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        site = enabled_site(platform, server, "b2.example")
        bee, _user = clients.create_client(clients.ClientSpec("Bee", "bee@example.com",
                                                              "bee@example.com"))
        site.client = bee
        db.session.commit()
        return {"server": server.id, "platform": platform.id, "site": site.id, "client": bee.id}


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    auth.login()
    return auth


def site_form(ids: dict[str, int], **changes: str) -> dict[str, str]:
    return {"uri": "new.example", "platform": str(ids["platform"]),
            "db_server": str(ids["server"]), "client": str(ids["client"]), "language": "en",
            "aliases": "", **changes}


@pytest.mark.parametrize("uri", ["b2.example.", "B2.Example", " b2.EXAMPLE. "])
def test_a_domain_written_with_a_final_dot_or_capitals_is_the_same_taken_domain(
    app: Flask, logged_in: AuthActions, ids: dict[str, int], uri: str
) -> None:
    before = rows(app, Site, Task)
    page = logged_in.submit("/sites/add", site_form(ids, uri=uri)).get_data(as_text=True)
    alias = logged_in.submit("/sites/add", site_form(ids, aliases=uri)).get_data(as_text=True)

    assert field_error(page, "uri") == "b2.example is already used by another site; choose " \
        "another domain."
    assert "b2.example is already used by another site" in field_error(alias, "aliases")
    assert rows(app, Site, Task) == before


@pytest.mark.parametrize(
    ("uri", "message"),
    [("127.0.0.1", "is an IP address"), ("999.1.1.1", "ends with a number"),
     ("1.0", "ends with a number"), ("a..example", "is not a valid domain"),
     ("..", "is not a valid domain")],
)
def test_ip_literals_numbers_and_empty_labels_are_no_domains(
    app: Flask, logged_in: AuthActions, ids: dict[str, int], uri: str, message: str
) -> None:
    page = logged_in.submit("/sites/add", site_form(ids, uri=uri)).get_data(as_text=True)

    assert message in field_error(page, "uri")
    assert rows(app, Site) == (1,)


def test_an_international_domain_is_stored_in_idna_form(
    app: Flask, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    logged_in.submit("/sites/add", site_form(ids, uri="Bücher.example.",
                                              aliases="MÜNCHEN.example"))

    with app.app_context():
        site = db.session.scalars(select(Site).where(Site.id != ids["site"])).one()
        assert site.uri == "xn--bcher-kva.example"
        assert [a.alias for a in db.session.scalars(select(SiteAlias))] == [
            "xn--mnchen-3ya.example"]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("http_restart_cmd", "apache2ctl graceful\x00", "control character"),
        ("http_configtest_cmd", "apache2ctl configtest\nrm -rf /", "control character"),
        ("http_include_dir", "/etc/apache2/conf-enabled\nInclude /x", "control character"),
        ("http_include_dir", "conf-enabled", "is not an absolute path"),
        ("db_socket", "/run/mysqld/mysqld.sock\x00", "control character"),
        ("db_host", "db.example.com\nevil", "control character"),
        ("db_host", "999.1.1.1", "ends with a number"),
        ("db_user", "admin'; DROP USER root; --", "admin user may use only letters"),
        ("hostname", "web1.example.com\r\nX", "control character"),
    ],
)
def test_server_service_fields_refuse_what_provision_refuses(
    app: Flask, logged_in: AuthActions, field: str, value: str, message: str
) -> None:
    form = {"hostname": "web1.example.com", "http_type": "apache", "db_type": "mysql",
            "db_user": "admin", field: value}

    page = logged_in.submit("/servers/add", form).get_data(as_text=True)

    assert message in field_error(page, field)
    assert rows(app, Server) == (0,)


@pytest.mark.parametrize("root", ["/etc", "/proc/self/environ", "/dev/null", "{aegir}",
                                  "{aegir}/platforms", "{aegir}/platforms/escape"])
def test_a_platform_root_must_lie_in_the_platform_base_path(
    app: Flask, logged_in: AuthActions, ids: dict[str, int], aegir_root: Path, root: str
) -> None:
    (aegir_root / "platforms").mkdir(exist_ok=True)
    (aegir_root / "platforms" / "escape").symlink_to("/etc")
    form = {"name": "evil", "root": root.format(aegir=aegir_root),
            "web_server": str(ids["server"])}

    page = logged_in.submit("/platforms/add", form).get_data(as_text=True)

    assert field_error(page, "root")
    assert rows(app, Platform) == (1,)


def test_the_run_button_checks_a_tasks_arguments_like_its_dialog_and_the_api(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    with app.app_context():
        db.session.add(SiteBackup(site_id=ids["site"], filename="/x.tar.gz", size=1,
                                  description="kept", created_at=utcnow()))
        db.session.commit()
    before = rows(app, Task)
    token = logged_in.csrf_token(f"/sites/{ids['site']}")

    response = client.post(f"/tasks/run/site/{ids['site']}/restore",
                           data={"csrf_token": token})

    page = text(client.get(response.location).get_data(as_text=True))
    assert "Choose the backup to restore." in page
    assert rows(app, Task) == before


def test_every_way_of_queueing_refuses_arguments_the_tasks_form_refuses(
    app: Flask, ids: dict[str, int]
) -> None:
    with app.app_context():
        site = db.session.get_one(Site, ids["site"])
        db.session.add(SiteBackup(site_id=site.id, filename="/x.tar.gz", size=1,
                                  description="kept", created_at=utcnow()))
        db.session.commit()
        with pytest.raises(ValidationError, match="Not a valid choice"):
            tasks.queue(site, "restore", {"backup_id": HUGE})
        with pytest.raises(ValidationError, match="takes no argument called 'colour'"):
            tasks.queue(site, "backup", {"colour": "red"})
        with pytest.raises(ValidationError, match="takes no arguments"):
            tasks.queue(site, "verify", {"seconds": 1})
        with pytest.raises(ValidationError, match="line break"):
            tasks.queue(site, "backup", {"description": "a\nb"})
        assert tasks.pending_task(site, "backup") is None


@pytest.mark.parametrize(
    "path",
    [f"/sites/{HUGE}", f"/platforms/{HUGE}/packages", f"/tasks/{HUGE}", f"/clients/{HUGE}",
     f"/sites/1/compare/{HUGE}", f"/tasks?kind=site&entity={HUGE}", "/tasks/2147483648",
     f"/api/v1/sites/{HUGE}"],
)
def test_an_id_too_large_for_the_store_is_not_found(
    client: FlaskClient, logged_in: AuthActions, ids: dict[str, int], path: str
) -> None:
    response = client.get(path)

    assert response.status_code in (200, 401, 404)  # the task list ignores an unknown entity


def test_a_select_holding_an_id_too_large_for_the_store_is_a_form_message(
    app: Flask, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    response = logged_in.submit("/sites/add", site_form(ids, platform=HUGE, db_server=HUGE))
    page = response.get_data(as_text=True)
    no_client = logged_in.submit("/sites/add", site_form(ids, client=HUGE))

    assert response.status_code == no_client.status_code == 200
    assert "Choose an enabled platform" in field_error(page, "platform")
    assert "Choose the database server" in field_error(page, "db_server")
    assert "Choose the client" in field_error(no_client.get_data(as_text=True), "client")
    assert rows(app, Site) == (1,)
