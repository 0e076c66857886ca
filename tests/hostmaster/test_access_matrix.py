"""The access matrix: every route and every task form, for a user of client A, a user of
client B, a platform manager, an administrator and an anonymous visitor, against objects of
client A. Exactly the allowed ones succeed; the others get 404 (or, anonymous, the login page)
and nothing in the store changes. Every state-changing request without a CSRF token is refused.

The routes are enumerated from ``app.url_map``: a route missing from ``ACCESS`` fails
``test_every_route_is_classified``; add it there with who may use it.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, url_for
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster import create_app
from hostmaster.extensions import db
from hostmaster.models import (
    Client,
    ClientUser,
    MailStatus,
    OutgoingMail,
    SiteBackup,
    SiteStatus,
    Task,
    TaskStatus,
    utcnow,
)
from hostmaster.services import api_tokens, tasks, users
from hostmaster.tasks import registry
from tests.fixtures.app import (
    ADMIN_PASSWORD,
    AuthActions,
    Rows,
    fresh_app,
    restore_rows,
    store_rows,
)
from tests.fixtures.stack_process import make_traversable_dir, remove_tree
from tests.hostmaster.site_helpers import master_server, new_site, ready_platform, run_pending

USERS = ("a", "b", "pm", "admin", "anon")
ROLE_OF = {"a": "client", "b": "client", "pm": "platform manager", "admin": "administrator"}
EVERYONE = frozenset(USERS)
LOGGED_IN = frozenset({"a", "b", "pm", "admin"})
A_ONLY = frozenset({"a", "admin"})
STAFF = frozenset({"pm", "admin"})
ADMIN = frozenset({"admin"})
NOBODY: frozenset[str] = frozenset()
#: Tables a login or a request writes whatever its outcome (last login, rate counters).
UNWATCHED = {"user", "rate_event", "api_token"}


@dataclass
class World:
    """Ids of client A's objects (and of what they live on)."""

    client_a: int
    client_b: int
    server: int
    platform: int  # limited to client A
    other_platform: int  # open to every client
    site: int
    task_done: int
    task_queued: int
    backup: int
    mail: int
    user_ids: dict[str, int]
    tokens: dict[str, str]
    token_ids: dict[str, int]


def build_world() -> World:
    """Clients A and B with a user each, a platform manager, an administrator; client A's site
    on a platform limited to client A, with a finished task, a queued one and a backup."""
    client_a = Client(name="Client A", email="a@example.com", uname="clienta")
    client_b = Client(name="Client B", email="b@example.com", uname="clientb")
    db.session.add_all([client_a, client_b])
    db.session.flush()
    people = {}
    for key, role in ROLE_OF.items():
        people[key] = users.create_user(f"user{key}", f"{key}@example.com", ADMIN_PASSWORD,
                                        roles=[role], commit=False)
    db.session.flush()
    db.session.add_all([ClientUser(client_id=client_a.id, user_id=people["a"].id),
                        ClientUser(client_id=client_b.id, user_id=people["b"].id)])
    db.session.commit()
    server = master_server()
    platform = ready_platform(server, "drupal7")
    other = ready_platform(server, "drupal7b")
    platform.clients = [client_a]
    db.session.commit()
    site = new_site(platform, server, "a.example.com", client=client_a)
    run_pending(site, "install", {"db_name": "aexamplecom", "cron_key": "k"})
    for task in db.session.scalars(select(Task).where(Task.status == TaskStatus.QUEUED)):
        task.status = TaskStatus.SUCCESS  # the server's and platforms' verifies "ran"
    db.session.refresh(site)
    assert site.status == SiteStatus.ENABLED
    done = tasks.queue(site, "verify", user=people["a"])
    tasks.add_log(done, "info", "Verified.")
    done.status, done.finished_at = TaskStatus.SUCCESS, utcnow()
    queued = tasks.queue(site, "login-reset", user=people["a"], commit=False)
    backup = SiteBackup(site_id=site.id, filename="/var/aegir/backups/a.tar.gz", size=10,
                        description="Before the test")
    db.session.add(backup)
    mail = OutgoingMail(purpose="test", recipient="a@example.com", subject="Hello", body="Hi.",
                        status=MailStatus.FAILED, attempts=1, last_error="refused")
    db.session.add(mail)
    db.session.commit()
    tokens, token_ids = {}, {}
    for key, person in people.items():
        record, token = api_tokens.create(person, f"matrix-{key}")
        tokens[key], token_ids[key] = token, record.id
    return World(
        client_a=client_a.id, client_b=client_b.id, server=server.id, platform=platform.id,
        other_platform=other.id, site=site.id, task_done=done.id, task_queued=queued.id,
        backup=backup.id, mail=mail.id, user_ids={k: p.id for k, p in people.items()},
        tokens=tokens, token_ids=token_ids,
    )


Values = Callable[[World], dict[str, Any]]


@dataclass(frozen=True)
class Rule:
    """Who may use a route, and the URL values that point it at client A's objects.

    ``public``: anyone may (only "no server error" is checked). ``api``: authenticated by
    tokens, not sessions (anonymous gets 401, not the login page). ``body``: the JSON body of
    an API POST or PATCH. ``ends_at_login``: success sends the user to the login page (log out).
    """

    allowed: frozenset[str]
    values: Values = lambda w: {}
    public: bool = False
    api: bool = False
    body: dict[str, Any] | None = None
    ends_at_login: bool = False


def _site(w: World) -> dict[str, Any]:
    return {"entity_id": w.site}


def _platform(w: World) -> dict[str, Any]:
    return {"entity_id": w.platform}


def _task(key: str) -> Values:
    return lambda w: {"task_id": getattr(w, key)}


ACCESS: dict[str, Rule] = {
    # Pages anyone may open.
    "static": Rule(EVERYONE, lambda w: {"filename": "css/hostmaster.css"}, public=True),
    "auth.login": Rule(EVERYONE, public=True),
    "public.disabled": Rule(EVERYONE, lambda w: {"uri": "a.example.com"}, public=True),
    "account.reset": Rule(EVERYONE, public=True),
    "account.set_password": Rule(EVERYONE, lambda w: {"token": "not-a-token"}, public=True),
    "signup.form": Rule(NOBODY),  # the sign-up feature is off by default
    # Every logged-in user's own pages, and lists filtered to what each may see.
    "auth.logout": Rule(LOGGED_IN, ends_at_login=True),
    "dashboard.index": Rule(LOGGED_IN),
    "account.index": Rule(LOGGED_IN),
    "account.change_email": Rule(LOGGED_IN),
    "account.change_password": Rule(LOGGED_IN),
    "api_tokens.index": Rule(LOGGED_IN),
    "api_tokens.revoke": Rule(frozenset({"a"}), lambda w: {"token_id": w.token_ids["a"]}),
    "sites.index": Rule(LOGGED_IN),
    "platforms.index": Rule(LOGGED_IN),
    "tasks.index": Rule(LOGGED_IN),
    # Statuses of the tasks asked for, of those each may see (none: an empty stream).
    "tasks.status_events": Rule(LOGGED_IN, lambda w: {"task": w.task_done}),
    # Client A's site and what hangs off it.
    "sites.add": Rule(frozenset({"a", "b", "admin"})),
    "sites.show": Rule(A_ONLY, _site),
    "sites.edit": Rule(A_ONLY, _site),
    "sites.https": Rule(A_ONLY, _site),
    "sites.packages": Rule(A_ONLY, _site),
    "sites.goto": Rule(A_ONLY, _site),
    "sites.compare": Rule(A_ONLY, lambda w: {"site_id": w.site, "platform_id": w.platform}),
    "tasks.show": Rule(A_ONLY, _task("task_done")),
    "tasks.log_json": Rule(A_ONLY, _task("task_done")),
    "tasks.log_events": Rule(A_ONLY, _task("task_done")),
    "tasks.cancel": Rule(A_ONLY, _task("task_queued")),
    "tasks.retry": Rule(A_ONLY, _task("task_done")),
    "tasks.update_status": Rule(ADMIN, _task("task_done")),
    "queues.site_retention": Rule(ADMIN, lambda w: {"site_id": w.site}),
    # Platforms (this one is limited to client A) and servers (staff only).
    "platforms.add": Rule(STAFF),
    "platforms.show": Rule(frozenset({"a", "pm", "admin"}), _platform),
    "platforms.packages": Rule(frozenset({"a", "pm", "admin"}), _platform),
    "platform_migrate.confirm": Rule(STAFF, _platform),
    "platforms.clients": Rule(STAFF, _platform),
    "servers.index": Rule(STAFF),
    "servers.show": Rule(STAFF, lambda w: {"entity_id": w.server}),
    "servers.add": Rule(ADMIN),
    "servers.edit": Rule(ADMIN, lambda w: {"entity_id": w.server}),
    # Administration.
    "tasks.dispatch": Rule(ADMIN),
    "tasks.dispatch_switch": Rule(ADMIN, lambda w: {"action": "pause"}),
    "queues.index": Rule(ADMIN),
    "queues.edit": Rule(ADMIN, lambda w: {"name": "cron"}),
    "queues.retention": Rule(ADMIN),
    "admin.index": Rule(ADMIN),
    "admin.permission_grid": Rule(ADMIN),
    "admin.feature_list": Rule(ADMIN),
    "doctor.index": Rule(ADMIN),
    "doctor.list_orphans": Rule(ADMIN),
    "doctor.remove": Rule(ADMIN),
    "settings.index": Rule(ADMIN),
    "settings.save": Rule(ADMIN, lambda w: {"group": "mail"}),
    "settings.test_mail": Rule(ADMIN),
    "outbox.index": Rule(ADMIN),
    "outbox.show": Rule(ADMIN, lambda w: {"mail_id": w.mail}),
    "outbox.resend": Rule(ADMIN, lambda w: {"mail_id": w.mail}),
    "users.index": Rule(ADMIN),
    "users.show": Rule(ADMIN, lambda w: {"user_id": w.user_ids["a"]}),
    "users.set_password": Rule(ADMIN, lambda w: {"user_id": w.user_ids["a"]}),
    "users.send_link": Rule(ADMIN, lambda w: {"user_id": w.user_ids["a"]}),
    "clients.index": Rule(frozenset({"a", "b", "admin"})),  # each sees only their own
    "clients.add": Rule(ADMIN),
    "clients.settings": Rule(ADMIN),
    "clients.show": Rule(A_ONLY, lambda w: {"client_id": w.client_a}),
    "clients.edit": Rule(A_ONLY, lambda w: {"client_id": w.client_a}),
    "clients.delete": Rule(ADMIN, lambda w: {"client_id": w.client_a}),
    # The REST API (tokens; its own tests check the answers in detail).
    "api.openapi": Rule(EVERYONE, public=True, api=True),
    "api.list_objects": Rule(LOGGED_IN, lambda w: {"collection": "sites"}, api=True),
    "api.read_object": Rule(A_ONLY, lambda w: {"collection": "sites", "object_id": w.site},
                            api=True),
    "api.site_backups": Rule(A_ONLY, lambda w: {"object_id": w.site}, api=True),
    "api.site_targets": Rule(A_ONLY, lambda w: {"object_id": w.site}, api=True),
    "api.task_log": Rule(A_ONLY, lambda w: {"object_id": w.task_done}, api=True),
    "api.create_site": Rule(frozenset({"a", "b", "admin"}), api=True, body={}),
    "api.edit_server": Rule(ADMIN, lambda w: {"object_id": w.server}, api=True, body={}),
    "api.queue_task": Rule(A_ONLY, lambda w: {"collection": "sites", "entity_id": w.site},
                           api=True, body={"type": "verify"}),
    "api.set_site_https": Rule(A_ONLY, lambda w: {"entity_id": w.site}, api=True),
    "api.edit_site_aliases": Rule(A_ONLY, lambda w: {"site_id": w.site}, api=True,
                                  body={"aliases": ["api-alias.example.com"]}),
}
#: Task routes: checked once per registered task type (see ``task_rule``).
TASK_ROUTES = {"tasks.run", "tasks.confirm"}

#: Task types each role may queue by default, on what it may act on (a client: its sites; a
#: platform manager: platforms). The administrator may queue every one.
CLIENT_TASKS = {"backup", "restore", "disable", "enable", "delete", "verify", "login-reset",
                "backup-delete", "migrate", "clone"}
PLATFORM_TASKS = {"verify", "lock", "unlock", "delete", "migrate"}


def task_rule(kind: str, type_name: str, endpoint: str) -> Rule:
    """Who may open the run or confirm route of a task type, on client A's site, client A's
    platform or the master server."""
    task_type = registry.get(kind, type_name)
    entity = {"site": "site", "platform": "platform", "server": "server"}[kind]

    def values(w: World) -> dict[str, Any]:
        return {"kind": kind, "entity_id": getattr(w, entity), "type_name": type_name}

    if task_type.hidden or (endpoint == "tasks.confirm" and task_type.form is None):
        return Rule(NOBODY, values)
    allowed = {"admin"}
    if kind == "site" and type_name in CLIENT_TASKS:
        allowed.add("a")
    if kind == "platform" and type_name in PLATFORM_TASKS:
        allowed.add("pm")
    return Rule(frozenset(allowed), values)


def _matrix_app() -> Flask:
    # The app only lists its routes: it never encrypts, so its key file is never made.
    unused_key = Path(tempfile.gettempdir()) / "hostmaster-access-matrix-unused.key"
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": "sqlite://",
                       "SECRETS_KEY_FILE": str(unused_key)})


def _cases() -> Iterator[Any]:
    app = _matrix_app()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        methods = sorted((rule.methods or set()) - {"HEAD", "OPTIONS"})
        if rule.endpoint in TASK_ROUTES:
            for (kind, name) in sorted(registry._REGISTRY):
                for method in methods:
                    yield pytest.param(rule.endpoint, method, (kind, name),
                                       id=f"{rule.endpoint}-{kind}-{name}-{method}")
        elif rule.endpoint in ACCESS:
            for method in methods:
                yield pytest.param(rule.endpoint, method, None, id=f"{rule.endpoint}-{method}")


def test_every_route_is_classified() -> None:
    app = _matrix_app()
    missing = sorted(r.endpoint for r in app.url_map.iter_rules()
                     if r.endpoint not in ACCESS and r.endpoint not in TASK_ROUTES)
    assert not missing, f"routes with no access rule in test_access_matrix.ACCESS: {missing}"


def snapshot() -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table but those a login writes."""
    found = {}
    for table in db.metadata.sorted_tables:
        if table.name in UNWATCHED:
            continue
        rows = db.session.execute(select(table)).all()
        found[table.name] = sorted((tuple(row) for row in rows), key=repr)
    db.session.rollback()
    return found


@dataclass
class Matrix:
    """The world of one store, built once: its rows (put back before every case), and each
    user's session cookie (a real login through the login form) and form token."""

    world: World
    rows: Rows
    cookies: dict[str, str]
    csrf_tokens: dict[str, str]

    def client(self, app: Flask, who: str) -> FlaskClient:
        """A browser of ``who``, logged in (``anon``: not, but with its form token's session)."""
        client = app.test_client()
        client.set_cookie(app.config["SESSION_COOKIE_NAME"], self.cookies[who])
        return client


@pytest.fixture(scope="module")
def matrix(store_url: str, stack_base_dir: Path,
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    """The world on ``store_url``'s store, and its users logged in once."""
    root = make_traversable_dir(stack_base_dir, "matrix-")  # beside the tests' aegir roots:
    # the same key of the store's secrets
    with fresh_app(store_url, tmp_path_factory.mktemp("matrix"), root) as app:
        with app.app_context():
            world = build_world()
        cookies, csrf_tokens = {}, {}
        for who in USERS:
            client = app.test_client()
            auth = AuthActions(client)
            if who != "anon":
                assert auth.login(f"user{who}").status_code == 302, f"user{who} cannot log in"
            csrf_tokens[who] = auth.csrf_token("/account" if who != "anon" else "/login")
            cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
            assert cookie is not None, f"no session cookie for {who}"
            cookies[who] = cookie.value
        with app.app_context():
            rows = store_rows()
    yield Matrix(world, rows, cookies, csrf_tokens)
    remove_tree(root)


def _request(app: Flask, client: FlaskClient, who: str, endpoint: str, method: str,
             rule: Rule, matrix: Matrix) -> Any:
    """The request of ``who`` (its session or its API token), with a valid CSRF token."""
    world = matrix.world
    with app.test_request_context():
        path = url_for(endpoint, **rule.values(world))
    if rule.api:
        headers = {} if who == "anon" else {"Authorization": f"Bearer {world.tokens[who]}"}
        return lambda: client.open(path, method=method, headers=headers,
                                   json=rule.body if method in ("POST", "PATCH") else None)
    data = {"csrf_token": matrix.csrf_tokens[who]} if method == "POST" else None
    return lambda: client.open(path, method=method, data=data)


def _post_cases_of_the_matrix() -> Iterator[Any]:
    return (case for case in _cases() if case.values[1] == "POST")


@pytest.mark.parametrize(("endpoint", "method", "task"), list(_cases()))
@pytest.mark.parametrize("store_url", ["sqlite"], indirect=True)
def test_only_the_allowed_users_reach_a_route(
    app: Flask, matrix: Matrix, endpoint: str, method: str, task: tuple[str, str] | None
) -> None:
    check_route(app, matrix, endpoint, method, task)


@pytest.mark.parametrize(("endpoint", "method", "task"), list(_post_cases_of_the_matrix()))
@pytest.mark.parametrize("store_url", ["mariadb"], indirect=True)
def test_on_mariadb_only_the_allowed_users_post_and_the_refused_change_nothing(
    app: Flask, matrix: Matrix, endpoint: str, method: str, task: tuple[str, str] | None
) -> None:
    """The POST cases again on MariaDB: a refused request must leave that store as it was
    too (the access rules themselves are the panel's, whatever the store)."""
    check_route(app, matrix, endpoint, method, task)


def check_route(app: Flask, matrix: Matrix, endpoint: str, method: str,
                task: tuple[str, str] | None) -> None:
    """Each user in turn, the refused first, against the world as built."""
    with app.app_context():
        restore_rows(matrix.rows)
        before = snapshot()
    rule = task_rule(task[0], task[1], endpoint) if task else ACCESS[endpoint]
    # The refused go first: each must leave the store exactly as it was built.
    for who in sorted(USERS, key=lambda u: (u in rule.allowed, USERS.index(u))):
        client = matrix.client(app, who)
        send = _request(app, client, who, endpoint, method, rule, matrix)
        response = send()
        response.close()
        where = f"{method} {endpoint} {task or ''} as {who}"
        # 503: the page a disabled site's visitors see says so with its status.
        assert response.status_code < 500 or response.status_code == 503, where
        if rule.public:
            continue
        location = response.headers.get("Location", "")
        if who in rule.allowed:
            assert response.status_code not in (401, 403, 404), f"{where}: refused"
            assert rule.ends_at_login or "/login" not in location, f"{where}: sent to log in"
        else:
            if who == "anon" and not rule.api:
                # The login page; a script polling JSON is told 401 instead.
                assert response.status_code in (401, 404) or (
                    response.status_code == 302 and "/login" in location), where
            elif who == "anon":
                assert response.status_code == 401, where
            else:
                assert response.status_code == 404, f"{where}: {response.status_code}"
            with app.app_context():
                assert snapshot() == before, f"{where}: the store changed"


def _post_cases() -> Iterator[Any]:
    app = _matrix_app()
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.endpoint):
        if "POST" in (rule.methods or set()) and not ACCESS.get(rule.endpoint, Rule(NOBODY)).api:
            yield pytest.param(rule.endpoint, id=rule.endpoint)


@pytest.mark.parametrize("endpoint", list(_post_cases()))
def test_a_post_without_a_csrf_token_is_refused_and_changes_nothing(
    app: Flask, matrix: Matrix, endpoint: str
) -> None:
    with app.app_context():
        restore_rows(matrix.rows)
    # The administrator may do anything, so only the missing token can stop the request.
    if endpoint in TASK_ROUTES:
        rule = Rule(ADMIN, lambda w: {"kind": "site", "entity_id": w.site,
                                      "type_name": "verify"})
    else:
        rule = ACCESS[endpoint]
    client = matrix.client(app, "admin")
    with app.test_request_context():
        path = url_for(endpoint, **rule.values(matrix.world))
    with app.app_context():
        before = snapshot()
    response = client.post(path, data={})
    response.close()
    assert response.status_code == 400, f"{endpoint}: {response.status_code}"
    assert "security token" in response.get_data(as_text=True)
    with app.app_context():
        assert snapshot() == before
