"""The platform pages: the list, the add form (and its refusals), a platform's page and its
Packages tab."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import ContextName, Platform, PlatformStatus, Server, Task, TaskStatus
from hostmaster.services import contexts, packages, tasks
from hostmaster.services.platforms import create_platform
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.app import AuthActions
from tests.hostmaster.helpers import platform_path
from tests.hostmaster.pages import field_error, part, rows, text
from tests.hostmaster.site_helpers import finish

D7_PACKAGES = [
    {"short_name": "drupal", "kind": "core", "name": "Drupal", "version": "7.103",
     "version_code": 7103005000, "schema_version": 0, "path": "", "profile": None},
    {"short_name": "node", "kind": "module", "name": "Node", "version": "7.103",
     "schema_version": 7016, "path": "modules/node", "profile": None},
    {"short_name": "views", "kind": "module", "name": "Views", "version": "7.x-3.29",
     "schema_version": 7301, "path": "sites/all/modules/views", "profile": None},
    {"short_name": "bartik", "kind": "theme", "name": "Bartik", "version": "7.103",
     "path": "themes/bartik", "profile": None},
    {"short_name": "standard", "kind": "profile", "name": "Standard", "version": "7.103",
     "path": "profiles/standard", "profile": None},
    {"short_name": "standard_extra", "kind": "module", "name": "Standard extra",
     "version": "7.103", "path": "profiles/standard/modules/standard_extra",
     "profile": "standard"},
]


@pytest.fixture
def web_server_id(app: Flask) -> int:
    """A server with an Apache service (not verified: these pages do not need it to run)."""
    with app.app_context():
        server = create_server(
            "web1.example.com", human_name="Web one", services={"http": ServiceSpec("apache")}
        )
        return server.id


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


@pytest.fixture
def base(aegir_root: Path) -> str:
    """The folder platforms must lie in: the aegir root's platforms folder."""
    return f"{aegir_root}/platforms"


def platform_form(web_server_id: int, base: str, **changes: str) -> dict[str, str]:
    """What a user types into the platform form."""
    return {
        "name": "drupal7",
        "root": f"{base}/drupal-7.103",
        "web_server": str(web_server_id),
        "makefile": "",
        **changes,
    }


def test_adding_a_platform_stores_it_and_queues_its_verify(
    app: Flask, client: FlaskClient, logged_in: AuthActions, web_server_id: int, base: str
) -> None:
    response = logged_in.submit("/platforms/add", platform_form(web_server_id, base))
    with app.app_context():
        platform = db.session.scalars(select(Platform)).one()
        assert response.location == f"/platforms/{platform.id}"
        assert (platform.root, platform.web_server_id) == (
            f"{base}/drupal-7.103", web_server_id
        )
        task = db.session.scalars(select(Task).where(Task.entity_kind == "platform")).one()
        assert (task.type, task.status) == ("verify", TaskStatus.QUEUED)
    page = client.get(response.location).get_data(as_text=True)
    seen = text(page)
    assert "Platform drupal7 added; its verify task is queued." in seen
    assert "@platform_drupal7" in seen and "Web one" in seen
    assert f'href="/tasks/{task.id}"' in part(page, "queues", "</section>")


def test_the_platform_form_offers_only_servers_with_a_web_service(
    app: Flask, client: FlaskClient, logged_in: AuthActions, web_server_id: int
) -> None:
    with app.app_context():
        create_server("db1.example.com", services={"db": ServiceSpec("mysql", db_user="root")})
    form = part(client.get("/platforms/add").get_data(as_text=True), "web_server", "</select>")
    assert "Web one" in form and "db1.example.com" not in form


@pytest.mark.parametrize(
    ("root", "message"),
    [
        ("platforms/drupal7", "'platforms/drupal7' is not an absolute path: start it with /."),
        ("/var/aegir/../etc", "contains '..'; write the folder itself."),
        ("/var/aegir/platforms/my site", "no spaces or quotes"),
        ("/etc/apache2", "is in the system folder /etc"),
        ("{base}", "is not inside the platform base path"),
        ("{base}/../..", "contains '..'"),
        ("/srv/drupal7", "is not inside the platform base path"),
    ],
    ids=["relative", "dot-dot", "space", "system-folder", "the-base-itself", "above-the-base",
         "outside-the-base"],
)
def test_a_bad_root_is_refused_beside_its_field_and_nothing_is_written(
    app: Flask,
    client: FlaskClient,
    logged_in: AuthActions,
    web_server_id: int,
    base: str,
    root: str,
    message: str,
) -> None:
    before = rows(app, Platform, ContextName, Task)
    form = platform_form(web_server_id, base, root=root.format(base=base))
    response = logged_in.submit("/platforms/add", form)
    assert response.status_code == 200
    assert message in field_error(response.get_data(as_text=True), "root")
    assert rows(app, Platform, ContextName, Task) == before


def test_a_duplicate_platform_name_is_refused_beside_its_field(
    app: Flask, client: FlaskClient, logged_in: AuthActions, web_server_id: int, base: str
) -> None:
    logged_in.submit("/platforms/add", platform_form(web_server_id, base))
    before = rows(app, Platform, ContextName, Task)
    again = platform_form(web_server_id, base, root=f"{base}/other")
    response = logged_in.submit("/platforms/add", again)
    page = response.get_data(as_text=True)
    assert field_error(page, "name") == "A platform called drupal7 already exists."
    assert field_error(page, "root") == ""
    assert rows(app, Platform, ContextName, Task) == before


def test_a_deleted_platforms_name_may_be_used_again_by_a_new_platform(
    app: Flask, client: FlaskClient, logged_in: AuthActions, web_server_id: int, base: str
) -> None:
    assert logged_in.submit("/platforms/add", platform_form(web_server_id, base)).status_code == 302
    with app.app_context():
        old = db.session.scalars(select(Platform).where(Platform.name == "drupal7")).one()
        finish(tasks.pending_task(old, "verify"))
        db.session.refresh(old)
        tasks.queue(old, "delete")
        assert finish(tasks.pending_task(old, "delete")) == TaskStatus.SUCCESS
        old_id = old.id

    again = platform_form(web_server_id, base, root=f"{base}/drupal-7.104")
    assert logged_in.submit("/platforms/add", again).status_code == 302
    with app.app_context():
        new = db.session.scalars(select(Platform).where(Platform.name == "drupal7")).one()
        assert new.id != old_id and contexts.name_of(new) == "@platform_drupal7"
        deleted = db.session.get(Platform, old_id)
        assert deleted is not None and deleted.status == PlatformStatus.DELETED
        assert deleted.name == f"drupal7~deleted-{old_id}"  # its history stays
        assert db.session.scalars(select(Task).where(Task.entity_kind == "platform",
                                                     Task.entity_id == old_id)).all()
    duplicate = platform_form(web_server_id, base, root=f"{base}/other")
    page = logged_in.submit("/platforms/add", duplicate).get_data(as_text=True)
    assert field_error(page, "name") == "A platform called drupal7 already exists."


def test_a_platform_without_a_web_server_is_refused_beside_that_field(
    app: Flask, client: FlaskClient, logged_in: AuthActions, web_server_id: int, base: str
) -> None:
    before = rows(app, Platform, Task)
    response = logged_in.submit("/platforms/add", platform_form(web_server_id, base,
                                                                 web_server=""))
    page = response.get_data(as_text=True)
    assert field_error(page, "web_server") == "Choose the web server that publishes this platform."
    assert rows(app, Platform, Task) == before


def test_the_platform_list_shows_application_web_server_and_site_count(
    app: Flask, client: FlaskClient, logged_in: AuthActions, web_server_id: int, base: str
) -> None:
    with app.app_context():
        web = db.session.get_one(Server, web_server_id)
        platform = create_platform("wordpress61", f"{base}/wordpress", web)
        platform.application, platform.version = "wordpress", "6.1.9"
        db.session.commit()
    seen = text(client.get("/platforms").get_data(as_text=True))
    assert f"wordpress61 {base}/wordpress WordPress 6.1.9 Web one 0 Queued" in seen


def test_the_packages_tab_lists_the_packages_a_verify_stored(
    app: Flask, client: FlaskClient, logged_in: AuthActions, web_server_id: int
) -> None:
    platform_id = _platform_with_packages(app, web_server_id)
    page = client.get(f"/platforms/{platform_id}/packages").get_data(as_text=True)
    table = text(part(page, "packages-title", "</table>"))
    assert "module views Views 7.x-3.29 7301 sites/all/modules/views" in table
    assert "core drupal Drupal 7.103" in table
    assert "module standard_extra Standard extra 7.103 standard" in table
    assert "Packages 6" in text(page)  # the tab says how many there are


def test_the_packages_tab_filters_by_kind(
    app: Flask, client: FlaskClient, logged_in: AuthActions, web_server_id: int
) -> None:
    platform_id = _platform_with_packages(app, web_server_id)
    page = client.get(f"/platforms/{platform_id}/packages?kind=theme").get_data(as_text=True)
    table = text(part(page, "packages-title", "</table>"))
    assert "bartik" in table and "views" not in table and "drupal" not in table
    kinds = text(part(page, "packages-title", "</nav>"))
    assert "All 6" in kinds and "Module 3" in kinds and "Theme 1" in kinds
    nothing = client.get(f"/platforms/{platform_id}/packages?kind=plugin")
    assert "no packages of the kind “plugin”" in text(nothing.get_data(as_text=True))


@pytest.mark.parametrize("path", ["/platforms/4242", "/platforms/4242/packages"])
def test_an_unknown_platform_is_not_found(
    client: FlaskClient, logged_in: AuthActions, path: str
) -> None:
    assert client.get(path).status_code == 404


def _platform_with_packages(app: Flask, web_server_id: int) -> int:
    """A platform whose packages were stored the way a verify stores them."""
    with app.app_context():
        web = db.session.get_one(Server, web_server_id)
        platform = create_platform("drupal7", platform_path("drupal-7.103"), web)
        packages.sync("platform", platform.id, D7_PACKAGES)
        db.session.commit()
        return platform.id
