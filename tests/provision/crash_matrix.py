"""The fault-injection matrix: each command that changes anything, killed at each of its step
boundaries, at its commit point and during its cleanup, then recovered; shared by the
WordPress and the Drupal 7 test modules (each runs its own stack, so that the two run on
different workers).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.drupal_core import UnpackedCores, linked_copy
from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_apache import running_apache
from tests.fixtures.stack_process import make_traversable_dir, poll, remove_tree
from tests.provision.crash_support import MASTER_URL, CrashStack, settle

#: How each application keeps the title its front page shows.
TITLE_SQL = {
    "wordpress": "UPDATE wp_options SET option_value = %s WHERE option_name = 'blogname'",
    "drupal7": "UPDATE variable SET value = %s WHERE name = 'site_name'",
}


@pytest.fixture(scope="module")
def crash(request: pytest.FixtureRequest, stack_base_dir: Path, mariadb_admin: MariaDBAdmin,
          drupal_cores: UnpackedCores) -> Iterator[CrashStack]:
    """A verified master (Apache, MariaDB) with platforms A and B of each application the
    test module names in ``APPS``."""
    root = make_traversable_dir(stack_base_dir, "crash-")
    with running_apache(stack_base_dir) as instance:
        core = drupal_cores.tree("drupal7") if "drupal7" in request.module.APPS else Path()
        stack = CrashStack(root, instance, mariadb_admin, core)
        stack.save("@server_master", context_type="server", remote_host="localhost",
                   http_service_type="apache", http_port=instance.port,
                   http_configtest_cmd=instance.configtest_cmd,
                   http_restart_cmd=instance.restart_cmd,
                   http_reload_settle=instance.reload_settle,
                   http_include_dir=instance.include_dir, db_service_type="mysql",
                   db_host=mariadb_admin.host, db_port=mariadb_admin.port,
                   db_user=mariadb_admin.user, db_passwd=mariadb_admin.password,
                   master_url=MASTER_URL)
        stack.must("@server_master", "verify")
        for app in request.module.APPS:
            for side in ("a", "b"):
                make_platform(stack, app, side)
        try:
            yield stack
        finally:
            stack.drop_site_databases()  # only this stack's: another worker runs its own
    remove_tree(root)


@pytest.fixture(autouse=True)
def counted(crash: CrashStack, figure: Callable[..., None]) -> Iterator[None]:
    """Each test's kill points and recoveries, for the run's summary."""
    kills, recovered = crash.kill_points, crash.recovered
    yield
    figure("crash recovery", kill_points=crash.kill_points - kills,
           recovered=crash.recovered - recovered)


def make_platform(stack: CrashStack, app: str, side: str) -> str:
    """Platform ``@<app>_<side>`` under the root's platforms/, verified; returns its name."""
    name = f"@{app}_{side}"
    root = stack.root / "platforms" / name[1:]
    if app == "wordpress":
        make_wordpress_platform(root)
    else:
        linked_copy(stack.drupal7_core, root)
    stack.save(name, context_type="platform", root=root, web_server="@server_master")
    stack.must(name, "verify")
    return name


@dataclass
class Site:
    """A site under test: where it is now, and what it serves."""

    app: str
    uri: str
    platform: str
    prefix: str
    title: str
    upload: bytes

    @property
    def name(self) -> str:
        """Its context name."""
        return f"@{self.uri}"

    @property
    def upload_path(self) -> str:
        """Where its uploaded file is served."""
        return f"/sites/{self.uri}/files/probe.txt"


def new_site(stack: CrashStack, app: str, *, platform: str | None = None) -> Site:
    """A site installed on the application's platform A, with a title and an uploaded file."""
    token = secrets.token_hex(3)
    uri = f"k{token}.test"
    platform = platform or f"@{app}_a"
    stack.save(f"@{uri}", context_type="site", uri=uri, platform=platform,
               db_server="@server_master", client_email="owner@example.com")
    stack.must(f"@{uri}", "install")
    site = Site(app, uri, platform, f"k{token}", f"Content of {uri}",
                secrets.token_hex(32).encode())
    database = str((stack.context(site.name) or {})["db_name"])
    title = site.title
    value = title if app == "wordpress" else f's:{len(title)}:"{title}";'
    stack.query(TITLE_SQL[app], (value,), database=database)
    if app == "drupal7":  # Drupal 7 keeps its variables cached
        stack.query("DELETE FROM cache_bootstrap WHERE cid = 'variables'", database=database)
    files = stack.root / "platforms" / platform[1:] / "sites" / uri / "files"
    (files / "probe.txt").write_bytes(site.upload)
    (files / "probe.txt").chmod(0o644)
    assert_serves(stack, site)
    return site


def assert_serves(stack: CrashStack, site: Site) -> None:
    """The site answers with its title, and its uploaded file with its bytes."""
    def page() -> bool:
        status, body = stack.get(site.uri)
        return status == 200 and site.title in body

    assert poll(page, 15), f"{site.uri} does not serve its page: {stack.get(site.uri)}"
    status, body = stack.instance.get(site.upload_path, host=site.uri)
    assert (status, body) == (200, site.upload.decode()), f"{site.upload_path}: {status}"


def assert_no_orphans(stack: CrashStack, prefix: str) -> None:
    """Every database, user, folder, vhost and context of this test's sites belongs to a
    context, and nothing an interrupted command parks is left."""
    sites = {}
    for path in (stack.root / "contexts").glob("*.json"):
        properties = stack.context(f"@{path.stem}") or {}
        if properties.get("uri"):
            sites[properties["uri"]] = properties
    state = stack.state("", prefix)
    owned_databases = {p.get("db_name") for p in sites.values()}
    owned_users = {p.get("db_user") for p in sites.values()}
    assert set(state["databases"]) <= owned_databases, state["databases"]
    assert {user.split("@")[0] for user in state["users"]} <= owned_users, state["users"]
    assert set(state["vhosts"]) <= set(sites), list(state["vhosts"])
    site_folders = {Path(folder).name for folder in state["site folders"]}
    assert site_folders - {"default", "all"} <= set(sites), state["site folders"]
    assert state["leftovers"] == []


def kill_until_done(stack: CrashStack, site: Site, verb: str, options: dict[str, Any],
                    completed: Callable[[], None], *, first_kill: str | None = None) -> None:
    """Kill ``verb`` at step 1, 2, ... until a kill lands after the commit point (the command
    then completes by recovery and ``completed`` checks its effect). Before that, each
    recovery must leave everything exactly as it was."""
    number = 1
    while True:
        before = stack.state(site.uri, site.prefix)
        answer = stack.get(site.uri)[0]
        kill = first_kill if (first_kill and number == 1) else f"step#{number}"
        ran = stack.spawn(site.name, verb, options, kill=kill)
        assert ran.killed, f"{verb} was not killed at {kill}: {ran.status}\n{ran.text}"
        stack.kill_points += 1
        outcomes = stack.recover()
        assert len(outcomes) == 1, outcomes
        settle()
        if outcomes[0]["outcome"] == "completed":
            completed()
            assert_no_orphans(stack, site.prefix)
            return
        assert outcomes[0]["outcome"] == "rolled back"
        assert stack.state(site.uri, site.prefix) == before, f"{verb} killed at {kill}"
        if answer == 200:
            assert_serves(stack, site)
        else:  # a disabled site still sends its visitors to the front end
            assert poll(lambda answer=answer: stack.get(site.uri)[0] == answer, 15), kill
        number += 1


def moved(stack: CrashStack, site: Site, platform: str, uri: str | None = None) -> None:
    """``site`` now runs on ``platform`` (under ``uri``): its context says so and it serves."""
    old_uri = site.uri
    site.platform = platform
    if uri:
        site.uri = uri
    context = stack.context(site.name)
    assert context is not None and context["platform"] == platform, context
    if uri:
        assert stack.context(f"@{old_uri}") is None
    assert_serves(stack, site)


def install_matrix(
        crash: CrashStack, app: str) -> None:
    token = secrets.token_hex(3)
    uri = f"k{token}.test"
    crash.save(f"@{uri}", context_type="site", uri=uri, platform=f"@{app}_a",
               db_server="@server_master", client_email="owner@example.com")
    site = Site(app, uri, f"@{app}_a", f"k{token}", uri, b"")
    number = 1
    while True:
        before = crash.state(uri, site.prefix)
        ran = crash.spawn(site.name, "install", kill=f"step#{number}")
        assert ran.killed, ran.text
        crash.kill_points += 1
        outcome = crash.recover()[0]["outcome"]
        if outcome == "completed":
            break
        assert crash.state(uri, site.prefix) == before, f"install killed at step {number}"
        assert before["databases"] == [] and crash.get(uri)[0] == 404
        number += 1
    assert crash.context(site.name)["db_name"] in crash.state(uri, site.prefix)["databases"]
    assert poll(lambda: crash.get(uri)[0] == 200, 15)
    assert_no_orphans(crash, site.prefix)
    crash.must(site.name, "verify")


def verify_backup_disable_enable_matrix(
        crash: CrashStack, app: str) -> None:
    site = new_site(crash, app)
    kill_until_done(crash, site, "verify", {}, lambda: assert_serves(crash, site))
    backups = crash.state(site.uri, site.prefix)["backups"]

    def backed_up() -> None:
        assert len(crash.state(site.uri, site.prefix)["backups"]) == len(backups) + 1

    kill_until_done(crash, site, "backup", {}, backed_up)

    def disabled() -> None:
        assert (crash.context(site.name) or {})["site_enabled"] is False
        assert poll(lambda: crash.get(site.uri)[0] in (301, 302), 15)

    kill_until_done(crash, site, "disable", {}, disabled)
    kill_until_done(crash, site, "enable", {}, lambda: assert_serves(crash, site))
    crash.must(site.name, "verify")
    assert_serves(crash, site)


def migrate_matrix(
        crash: CrashStack, app: str) -> None:
    site = new_site(crash, app)
    target = f"@{app}_b"
    kill_until_done(crash, site, "migrate", {"target_platform": target},
                    lambda: moved(crash, site, target))
    # Killed during its cleanup (after the commit point): recovery finishes the cleanup.
    back = f"@{app}_a"
    kill_until_done(crash, site, "migrate", {"target_platform": back},
                    lambda: moved(crash, site, back), first_kill="cleaned#1")
    renamed = f"{site.prefix}r.test"
    kill_until_done(crash, site, "migrate", {"new_uri": renamed},
                    lambda: moved(crash, site, back, renamed))
    crash.must(site.name, "migrate", {"target_platform": target})
    moved(crash, site, target)
    assert_no_orphans(crash, site.prefix)


def clone_restore_delete_matrix(
        crash: CrashStack, app: str) -> None:
    site = new_site(crash, app)
    backup = crash.must(site.name, "backup").result["backup_file"]
    copy_uri = f"{site.prefix}c.test"

    def cloned() -> None:
        copy = Site(app, copy_uri, site.platform, site.prefix, site.title, site.upload)
        assert_serves(crash, copy)
        assert_serves(crash, site)

    kill_until_done(crash, site, "clone", {"new_uri": copy_uri}, cloned)
    kill_until_done(crash, site, "restore", {"backup_file": backup},
                    lambda: assert_serves(crash, site))
    copy = Site(app, copy_uri, site.platform, site.prefix, site.title, site.upload)

    def deleted() -> None:
        assert crash.context(copy.name) is None
        assert poll(lambda: crash.get(copy_uri)[0] == 404, 15)
        assert_serves(crash, site)

    kill_until_done(crash, copy, "delete", {}, deleted)
    old = crash.state(site.uri, site.prefix)["backups"]
    kill_until_done(crash, site, "backup-delete",
                    {"backup_files": str(crash.root / "backups" / old[0])},
                    lambda: None)
    assert old[0] not in crash.state(site.uri, site.prefix)["backups"]
    crash.must(site.name, "verify")
    assert_no_orphans(crash, site.prefix)
