"""Roles and permissions: the original's list, default grants seeded by the migration and by
bootstrap, the Administration → Permissions grid, task permissions from the registry, and what
each user sees through the clients they belong to."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade
from sqlalchemy import select

from hostmaster import access
from hostmaster.extensions import db
from hostmaster.models import PlatformStatus, Role, RolePermission, Task
from hostmaster.services import permissions
from hostmaster.tasks import registry
from hostmaster.tasks.registry import TaskType
from tests.fixtures.app import AuthActions, make_app
from tests.hostmaster.test_access_matrix import World, build_world

ORIGINAL = {
    "administer hosting", "administer hosting features", "administer hosting queues",
    "administer hosting settings", "create site", "view site", "edit site", "delete site",
    "administer sites", "view locked platforms", "create sites on locked platforms",
    "view server", "administer tasks", "view own tasks", "view task", "access task logs",
    "retry failed tasks", "cancel own tasks", "update status of tasks", "view client",
    "edit own client", "administer clients", "edit client users", "edit client uname",
    "access hosting signup form", "create site aliases", "view package",
}


@pytest.fixture
def world(app: Flask) -> World:
    """Clients A and B, their users, a platform manager and client A's site (see the matrix)."""
    with app.app_context():
        return build_world()


def _login(client: FlaskClient, who: str) -> AuthActions:
    auth = AuthActions(client)
    assert auth.login(f"user{who}").status_code == 302
    return auth


def test_the_permissions_follow_the_original_s_list_with_one_per_task_type(app: Flask) -> None:
    names = access.permission_names()
    assert ORIGINAL <= names
    for task_type in ("backup", "restore", "delete", "verify", "login-reset", "migrate",
                      "clone", "lock", "unlock", "backup-delete"):
        assert f"create {task_type} task" in names
    assert "create install task" not in names  # hidden: only the system queues it


def test_the_migration_seeds_the_built_in_roles_with_today_s_default_grants(
    tmp_path: Path,
) -> None:
    app = make_app(f"sqlite:///{tmp_path / 'fresh.db'}", tmp_path)
    with app.app_context():
        upgrade()
        stored = permissions.grants()
        db.engine.dispose()
    assert set(stored) == set(access.ROLES)
    for role, granted in access.DEFAULT_GRANTS.items():
        assert stored[role] == set(granted), role


def test_bootstrap_seeding_is_idempotent_and_keeps_what_the_administrator_revoked(
    app: Flask,
) -> None:
    with app.app_context():
        for role in db.session.scalars(select(Role)):
            db.session.delete(role)
        db.session.commit()
        assert set(permissions.seed_roles()) == set(access.ROLES)
        client_role = db.session.scalar(select(Role).where(Role.name == "client"))
        assert client_role is not None
        client_role.permissions = [g for g in client_role.permissions
                                   if g.permission != "view site"]
        db.session.commit()
        assert permissions.seed_roles() == []
        assert "view site" not in permissions.grants()["client"]
        assert db.session.scalar(select(RolePermission).where(
            RolePermission.permission == "view site")) is None


def test_the_grid_grants_and_revokes_a_permission(
    app: Flask, client: FlaskClient, world: World
) -> None:
    auth = _login(client, "admin")
    page = client.get("/admin/permissions").get_data(as_text=True)
    assert 'value="client|view site" aria-label="client: view site" checked' in page
    assert 'value="administrator|view server" aria-label="administrator: view server" ' \
           'checked disabled' in page
    with app.app_context():
        chosen = {f"{role}|{p}" for role, held in permissions.grants().items() for p in held}
    response = auth.submit("/admin/permissions", {"grant": sorted(chosen | {"client|view server"})})
    assert response.status_code == 302
    alice = app.test_client()
    _login(alice, "a")
    assert alice.get(f"/servers/{world.server}").status_code == 200
    auth.submit("/admin/permissions", {"grant": sorted(chosen)})
    assert alice.get(f"/servers/{world.server}").status_code == 404


def test_the_grid_refuses_an_unknown_permission_and_changes_nothing(
    app: Flask, client: FlaskClient, world: World
) -> None:
    auth = _login(client, "admin")
    with app.app_context():
        before = permissions.grants()
    response = auth.submit("/admin/permissions", {"grant": ["client|fly to the moon"]})
    assert response.status_code == 200
    assert "There is no permission called &#39;fly to the moon&#39;" in response.text
    with app.app_context():
        assert permissions.grants() == before


def test_a_task_type_added_later_brings_its_own_permission(
    app: Flask, client: FlaskClient, world: World
) -> None:
    extra = TaskType(entity_kind="site", name="flush-caches", title="Flush caches",
                     command="verify")
    registry.register(extra)
    try:
        assert "create flush-caches task" in access.permission_names()
        admin = _login(client, "admin")
        assert "client|create flush-caches task" in client.get("/admin/permissions").text
        alice = app.test_client()
        alice_auth = _login(alice, "a")
        run = f"/tasks/run/site/{world.site}/flush-caches"
        response = alice.post(run, data={"csrf_token": alice_auth.csrf_token("/")})
        assert response.status_code == 404
        with app.app_context():
            chosen = {f"{role}|{p}" for role, held in permissions.grants().items() for p in held}
        admin.submit("/admin/permissions",
                      {"grant": sorted(chosen | {"client|create flush-caches task"})})
        response = alice.post(run, data={"csrf_token": alice_auth.csrf_token("/")})
        assert response.status_code == 302
        with app.app_context():
            assert db.session.scalar(select(Task).where(Task.type == "flush-caches"))
    finally:
        registry._REGISTRY.pop(("site", "flush-caches"))


def test_users_see_only_the_sites_of_their_own_clients(
    app: Flask, world: World
) -> None:
    a_sees = app.test_client()
    _login(a_sees, "a")
    b_sees = app.test_client()
    _login(b_sees, "b")
    assert "a.example.com" in a_sees.get("/sites").text
    assert "a.example.com" not in b_sees.get("/sites").text
    assert b_sees.get(f"/sites/{world.site}").status_code == 404
    assert "a.example.com" not in b_sees.get("/tasks").text
    assert "a.example.com" not in b_sees.get("/").text  # the sidebar's recent tasks
    assert b_sees.get("/api/v1/sites", headers={
        "Authorization": f"Bearer {world.tokens['b']}"}).json["total"] == 0


def test_a_platform_limited_to_some_clients_is_hidden_from_the_others(
    app: Flask, world: World
) -> None:
    a_sees = app.test_client()
    _login(a_sees, "a")
    b_sees = app.test_client()
    _login(b_sees, "b")
    assert "drupal7b" in b_sees.get("/platforms").text
    assert f"/platforms/{world.platform}\"" not in b_sees.get("/platforms").text
    assert b_sees.get(f"/platforms/{world.platform}").status_code == 404
    assert a_sees.get(f"/platforms/{world.platform}").status_code == 200
    form = b_sees.get("/sites/add").text
    assert ">drupal7b (" in form and ">drupal7 (" not in form


def test_the_platform_clients_page_limits_a_platform_and_opens_it_again(
    app: Flask, client: FlaskClient, world: World
) -> None:
    admin = _login(client, "admin")
    b_sees = app.test_client()
    _login(b_sees, "b")
    page = f"/platforms/{world.other_platform}/clients"
    assert b_sees.get(f"/platforms/{world.other_platform}").status_code == 200
    response = admin.submit(page, {"clients": [str(world.client_a)]})
    assert response.status_code == 302
    assert b_sees.get(f"/platforms/{world.other_platform}").status_code == 404
    admin.submit(page, {})
    assert b_sees.get(f"/platforms/{world.other_platform}").status_code == 200
    response = admin.submit(page, {"clients": ["999"]})
    assert response.status_code == 200  # not a client offered: refused, nothing saved
    assert b_sees.get(f"/platforms/{world.other_platform}").status_code == 200


def test_a_locked_platform_is_seen_only_with_its_permission(app: Flask, world: World) -> None:
    with app.app_context():
        from hostmaster.models import Platform

        db.session.get_one(Platform, world.other_platform).status = PlatformStatus.LOCKED
        db.session.commit()
    b_sees = app.test_client()
    _login(b_sees, "b")
    pm_sees = app.test_client()
    _login(pm_sees, "pm")
    assert b_sees.get(f"/platforms/{world.other_platform}").status_code == 404
    assert pm_sees.get(f"/platforms/{world.other_platform}").status_code == 200


def test_task_logs_need_access_task_logs(app: Flask, world: World) -> None:
    with app.app_context():
        role = db.session.scalar(select(Role).where(Role.name == "client"))
        assert role is not None
        role.permissions = [g for g in role.permissions if g.permission != "access task logs"]
        db.session.commit()
    a_sees = app.test_client()
    _login(a_sees, "a")
    page = a_sees.get(f"/tasks/{world.task_done}")
    assert page.status_code == 200 and "Verified." not in page.text
    assert a_sees.get(f"/tasks/{world.task_done}/log.json").status_code == 404


def test_a_client_cannot_put_a_site_on_another_client_or_a_hidden_platform(
    app: Flask, world: World
) -> None:
    b_client = app.test_client()
    auth = _login(b_client, "b")
    response = auth.submit("/sites/add", {
        "uri": "sneaky.example.com", "platform": str(world.platform),
        "client": str(world.client_a), "db_server": str(world.server), "language": "en"})
    assert response.status_code == 200
    assert "Choose one of the platforms offered." in response.text
    assert "Choose one of the clients offered." in response.text
    with app.app_context():
        from hostmaster.models import Site

        assert db.session.scalar(select(Site).where(Site.uri == "sneaky.example.com")) is None


@pytest.fixture(autouse=True)
def _no_leftover_task_types() -> Iterator[None]:
    known = set(registry._REGISTRY)
    yield
    for key in set(registry._REGISTRY) - known:
        registry._REGISTRY.pop(key)


def test_the_administrator_holds_every_permission_whatever_is_stored(
    app: Flask, world: World
) -> None:
    with app.app_context():
        from hostmaster.models import User

        admin = db.session.get_one(User, world.user_ids["admin"])
        assert all(access.can(admin, name) for name in access.permission_names())
