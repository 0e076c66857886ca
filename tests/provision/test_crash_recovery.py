"""A SIGKILL at any moment leaves every site as it was, or as the command would have left it.

For each command that changes anything, provision (a real process) is killed at each of its
step boundaries, at its commit point and during its cleanup, then recovered as the next
provision or a dispatcher would; plus kills at random moments of migrate, clone and restore and
while ``mysql`` imports or ``mysqldump`` dumps. After each recovery: before the commit point
the state is exactly as before (context, vhosts, databases, users, backups, folders) and the
site serves its page and an uploaded file; after it, the command's effect is complete. Never an
orphan database, user, folder, vhost or context; the next command succeeds. Sites are Debian's
WordPress (real) and Drupal 7 on Apache and MariaDB.
"""

from __future__ import annotations

import random
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.platforms import make_drupal7_platform, make_wordpress_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_apache import running_apache
from tests.fixtures.stack_process import make_traversable_dir, poll, remove_tree
from tests.provision.crash_support import MASTER_URL, CrashStack, Spawned, settle

APPS = ("wordpress", "drupal7")
#: How each application keeps the title its front page shows.
TITLE_SQL = {
    "wordpress": "UPDATE wp_options SET option_value = %s WHERE option_name = 'blogname'",
    "drupal7": "UPDATE variable SET value = %s WHERE name = 'site_name'",
}


@pytest.fixture(scope="module")
def crash(stack_base_dir: Path, mariadb_admin: MariaDBAdmin) -> Iterator[CrashStack]:
    """A verified master (Apache, MariaDB) with platforms A, B (and a spare) per application."""
    root = make_traversable_dir(stack_base_dir, "crash-")
    with running_apache(stack_base_dir) as instance:
        stack = CrashStack(root, instance, mariadb_admin)
        stack.save("@server_master", context_type="server", remote_host="localhost",
                   http_service_type="apache", http_port=instance.port,
                   http_configtest_cmd=instance.configtest_cmd,
                   http_restart_cmd=instance.restart_cmd,
                   http_include_dir=instance.include_dir, db_service_type="mysql",
                   db_host=mariadb_admin.host, db_port=mariadb_admin.port,
                   db_user=mariadb_admin.user, db_passwd=mariadb_admin.password,
                   master_url=MASTER_URL)
        stack.must("@server_master", "verify")
        for app in APPS:
            for side in ("a", "b"):
                make_platform(stack, app, side)
        try:
            yield stack
        finally:
            for (name,) in stack.query("SHOW DATABASES LIKE 'k%'"):
                if name.startswith("k") and name[1:7].isalnum():
                    stack.query(f"DROP DATABASE `{name}`")
            for user, host in stack.query("SELECT User, Host FROM mysql.user WHERE User LIKE 'k%'"):
                stack.query("DROP USER %s@%s", (user, host))
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
        make_drupal7_platform(root)
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


@pytest.mark.parametrize("app", APPS)
def test_install_killed_at_each_step_leaves_nothing_or_a_served_site(
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


@pytest.mark.parametrize("app", APPS)
def test_verify_backup_disable_and_enable_killed_at_each_step_change_nothing_or_finish(
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


@pytest.mark.parametrize("app", APPS)
def test_migrate_and_rename_killed_anywhere_roll_back_or_complete(
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


@pytest.mark.parametrize("app", APPS)
def test_clone_restore_and_delete_killed_at_each_step_roll_back_or_complete(
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


def test_platform_and_server_commands_killed_at_each_step_leave_the_sites_served(
        crash: CrashStack) -> None:
    site = new_site(crash, "wordpress")
    for name in ("@wordpress_a", "@server_master"):
        number = 1
        while True:
            ran = crash.spawn(name, "verify", kill=f"step#{number}")
            assert ran.killed, ran.text
            crash.kill_points += 1
            outcome = crash.recover()[0]["outcome"]
            assert_serves(crash, site)
            if outcome == "completed":
                break
            number += 1
    spare = make_platform(crash, "wordpress", "spare")
    ran = crash.spawn(spare, "delete", kill="cleaned#1")
    assert ran.killed, ran.text
    crash.kill_points += 1
    assert crash.recover()[0]["outcome"] == "completed"
    assert crash.context(spare) is None and not (crash.root / "platforms" / spare[1:]).exists()
    assert_serves(crash, site)
    assert_no_orphans(crash, site.prefix)


@pytest.mark.parametrize("verb", ["migrate", "clone", "restore"])
def test_kills_at_random_moments_and_during_the_import_are_recovered(
        crash: CrashStack, verb: str) -> None:
    site = new_site(crash, "wordpress")
    # Rows enough that mysql takes a moment to import them.
    database = str((crash.context(site.name) or {})["db_name"])
    crash.query("CREATE TABLE filler (id INT PRIMARY KEY, text TEXT)", database=database)
    crash.query("INSERT INTO filler SELECT seq, REPEAT('x', 1000) FROM seq_1_to_30000",
                database=database)
    backup = crash.must(site.name, "backup").result["backup_file"]
    sides = {"a": "@wordpress_a", "b": "@wordpress_b"}
    copies = 0

    def options() -> dict[str, Any]:
        nonlocal copies
        if verb == "migrate":
            other = sides["b"] if site.platform == sides["a"] else sides["a"]
            return {"target_platform": other}
        if verb == "clone":
            copies += 1
            return {"new_uri": f"{site.prefix}c{copies}.test"}
        return {"backup_file": backup}

    started = time.monotonic()
    full = crash.must(site.name, verb, options())
    took = time.monotonic() - started
    after_full(crash, site, verb, full)
    rng = random.Random(site.uri)
    for attempt in range(8):
        before = crash.state(site.uri, site.prefix)
        wanted = options()
        process = crash.start(site.name, verb, wanted)
        if attempt < 2:
            landed = crash.kill_when(process, "mysql")
            assert landed, f"{verb} never ran mysql"
        else:
            time.sleep(rng.uniform(0.05, took))
            process.kill()
        ran = crash.finish(process)
        crash.kill_points += 1
        outcomes = crash.recover()
        settle()
        outcome = outcomes[0]["outcome"] if outcomes else "finished before the kill"
        if outcome == "rolled back":
            assert crash.state(site.uri, site.prefix) == before, f"{verb} attempt {attempt}"
        else:
            after_full(crash, site, verb, ran, wanted)
        assert_serves(crash, site)
        assert_no_orphans(crash, site.prefix)
    crash.must(site.name, "verify")


def after_full(crash: CrashStack, site: Site, verb: str, ran: Spawned,
               options: dict[str, Any] | None = None) -> None:
    """Follow a migrate that completed (the site moved); check the others served."""
    if verb == "migrate":
        platform = (crash.context(site.name) or {})["platform"]
        moved(crash, site, platform)


def test_a_backup_killed_while_mysqldump_runs_leaves_nothing_in_the_docroot(
        crash: CrashStack) -> None:
    site = new_site(crash, "wordpress")
    database = str((crash.context(site.name) or {})["db_name"])
    crash.query("CREATE TABLE filler (id INT PRIMARY KEY, text TEXT)", database=database)
    crash.query("INSERT INTO filler SELECT seq, REPEAT('x', 1000) FROM seq_1_to_30000",
                database=database)
    folder = crash.root / "platforms" / "wordpress_a" / "sites" / site.uri
    listing = sorted(path.name for path in folder.rglob("*"))
    before = crash.state(site.uri, site.prefix)
    process = crash.start(site.name, "backup")
    assert crash.kill_when(process, "mysqldump"), "the backup never ran mysqldump"
    assert crash.finish(process).killed
    crash.kill_points += 1
    assert crash.recover()[0]["outcome"] == "rolled back"
    assert sorted(path.name for path in folder.rglob("*")) == listing
    assert crash.state(site.uri, site.prefix) == before
    assert_serves(crash, site)


def test_racing_installs_whose_domains_give_one_database_name_all_get_their_own(
        crash: CrashStack) -> None:
    token = secrets.token_hex(2)
    uris = [f"{name}.k{token}.test" for name in ("race", "ra-ce", "rac-e", "r-ace", "ra-c-e")]
    for uri in uris:
        crash.save(f"@{uri}", context_type="site", uri=uri, platform="@wordpress_a",
                   db_server="@server_master", client_email="owner@example.com")
    # All at once; the fifth is killed once its database exists, and recovered meanwhile.
    started = [crash.start(f"@{uri}", "install", kill="step:application" if number == 4
                           else None) for number, uri in enumerate(uris)]
    ran = [crash.finish(process) for process in started]
    assert [r.status for r in ran[:4]] == [0, 0, 0, 0], [r.text for r in ran]
    assert ran[4].killed
    crash.kill_points += 1
    assert [o["outcome"] for o in crash.recover()] == ["rolled back"]
    names = [str((crash.context(f"@{uri}") or {}).get("db_name")) for uri in uris[:4]]
    assert len(set(names)) == 4, names
    existing = {row[0] for row in crash.query("SHOW DATABASES")}
    assert set(names) <= existing, "no install dropped another's database"
    assert "db_name" not in (crash.context(f"@{uris[4]}") or {})
    for uri in uris[:4]:
        assert poll(lambda uri=uri: crash.get(uri)[0] == 200, 15), uri
    assert crash.leftovers() == []
