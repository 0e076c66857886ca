"""A SIGKILL at any moment leaves every site as it was, or as the command would have left it.

For each command that changes anything, provision (a real process) is killed at each of its
step boundaries, at its commit point and during its cleanup, then recovered as the next
provision or a dispatcher would; plus kills at random moments of migrate, clone and restore and
while ``mysql`` imports or ``mysqldump`` dumps. After each recovery: before the commit point
the state is exactly as before (context, vhosts, databases, users, backups, folders) and the
site serves its page and an uploaded file; after it, the command's effect is complete. Never an
orphan database, user, folder, vhost or context; the next command succeeds. Sites are Debian's
WordPress here and real Drupal 7.103 core in test_crash_recovery_drupal.py, on Apache and MariaDB.
"""

from __future__ import annotations

import random
import secrets
import time
from typing import Any

import pytest

from tests.fixtures.stack_process import poll
from tests.provision.crash_matrix import (
    Site,
    assert_no_orphans,
    assert_serves,
    clone_restore_delete_matrix,
    counted,
    crash,
    install_matrix,
    make_platform,
    migrate_matrix,
    moved,
    new_site,
    verify_backup_disable_enable_matrix,
)
from tests.provision.crash_support import CrashStack, Spawned, settle

__all__ = ["counted", "crash"]  # the fixtures, imported for pytest
APPS = ("wordpress",)


def test_install_killed_at_each_step_leaves_nothing_or_a_served_site(crash: CrashStack) -> None:
    install_matrix(crash, "wordpress")


def test_verify_backup_disable_and_enable_killed_at_each_step_change_nothing_or_finish(
        crash: CrashStack) -> None:
    verify_backup_disable_enable_matrix(crash, "wordpress")


def test_migrate_and_rename_killed_anywhere_roll_back_or_complete(crash: CrashStack) -> None:
    migrate_matrix(crash, "wordpress")


def test_clone_restore_and_delete_killed_at_each_step_roll_back_or_complete(
        crash: CrashStack) -> None:
    clone_restore_delete_matrix(crash, "wordpress")


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
        outcomes = crash.recover()
        # A kill point is a kill that interrupted a journaled command; one that came after
        # provision ended, or before its journal began (nothing changed yet), is none.
        crash.kill_points += bool(ran.killed and outcomes)
        if ran.killed and not outcomes and crash.state(site.uri, site.prefix) != before:
            # Killed after its journal ended (between its last step and its exit): its work
            # must then be whole, which the checks below and this one see.
            if verb == "clone":
                assert crash.context(f"@{wanted['new_uri']}"), f"{verb} attempt {attempt}"
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


def test_the_next_command_on_a_site_recovers_it_first_instead_of_repairing_over_it(
        crash: CrashStack) -> None:
    site = new_site(crash, "wordpress")
    before = crash.state(site.uri, site.prefix)
    ran = crash.spawn(site.name, "migrate", {"target_platform": "@wordpress_b"},
                      kill="step:import")
    assert ran.killed
    crash.kill_points += 1
    verified = crash.spawn(site.name, "verify")
    assert verified.status == 0, verified.text
    assert "Recovering the interrupted migrate" in verified.text
    assert "rolled back" in verified.text
    crash.recovered += 1
    assert crash.state(site.uri, site.prefix) == before
    assert_serves(crash, site)
