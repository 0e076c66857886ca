"""The journal on its own: what it records, what an undo touches, and what it never drops."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from provision.contexts import Contexts
from provision.errors import ServiceError
from provision.journal import Journal, pending, recover, reserve_name, reserved_by
from provision.journal import current as journal_current
from provision.log import Logger
from provision.services.db.mysql import MysqlService
from provision.services.db.sites import candidate_names
from provision.spoke import MASTER
from tests.provision.sites_support import SiteStack, unique_uri

# The journal does not depend on the web server: Apache only.
pytestmark = pytest.mark.parametrize("site_stack", ["apache"], indirect=True)


def journal_of(stack: SiteStack, command: str = "test", context: str = "@x") -> Journal:
    logger = Logger(backend=True, out=io.StringIO())
    return Journal.begin(Contexts(stack.root, logger), logger, command, context)


def mysql_of(stack: SiteStack) -> MysqlService:
    service = Contexts(stack.root).load("@server_master").service("db")
    assert isinstance(service, MysqlService)
    return service


def test_every_change_is_on_disk_before_it_is_made_and_a_rollback_undoes_it(
        site_stack: SiteStack) -> None:
    folder = site_stack.root / "made" / "deeper"
    kept = site_stack.root / "kept.txt"
    kept.write_text("before")
    journal = journal_of(site_stack)
    MASTER.makedirs(folder, 0o755)
    (folder / "inside.txt").write_text("made by hand inside a journaled folder")
    MASTER.write_file(kept, "after")
    lines = [json.loads(line) for line in journal.path.read_text().splitlines()]
    assert [line["action"]["type"] for line in lines if line["type"] == "undo"] == [
        "folder", "file"]
    assert lines[1]["action"]["path"] == str(site_stack.root / "made"), "the topmost new folder"
    journal.roll_back()
    assert not (site_stack.root / "made").exists()
    assert kept.read_text() == "before"
    assert not journal.path.exists() and pending(site_stack.root) == []


def test_a_folder_removed_before_the_commit_point_is_only_moved_aside(
        site_stack: SiteStack) -> None:
    folder = site_stack.root / "site-folder"
    (folder / "files").mkdir(parents=True)
    (folder / "files" / "upload.txt").write_text("precious")
    journal = journal_of(site_stack)
    MASTER.remove(folder)
    assert not folder.exists()
    journal.roll_back()
    assert (folder / "files" / "upload.txt").read_text() == "precious"

    journal = journal_of(site_stack)
    MASTER.remove(folder)
    journal.finish({})
    assert not folder.exists() and list(site_stack.root.glob(".site-folder.removed-*")) == []


def test_a_database_that_another_made_is_never_dropped_by_an_undo(
        site_stack: SiteStack) -> None:
    db = mysql_of(site_stack)
    foreign = f"foreign_{unique_uri()[5:11]}"
    connection = site_stack.admin.connect()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{foreign}`")
        cursor.execute(f"CREATE TABLE `{foreign}`.t (id INT)")
    try:
        journal = journal_of(site_stack)
        # Refused before the commit point: this command did not create it.
        with pytest.raises(ServiceError, match="refuses to drop"):
            db.drop_site_database(foreign, journal.logger)
        # A record for it (as if killed between the record and CREATE DATABASE, while someone
        # else made a database of that name) does not make it droppable either.
        assert reserve_name(site_stack.root, "@server_master", foreign, journal.id)
        journal.undo({"type": "database", "server": "@server_master", "name": foreign,
                      "owner": journal.id})
        journal.roll_back()
        assert db.database_exists(foreign), "a database with tables that was never ours"
        assert reserved_by(site_stack.root, "@server_master", foreign) == ""
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{foreign}`")
        connection.close()


def test_a_name_reserved_by_a_running_command_is_skipped_by_another(
        site_stack: SiteStack) -> None:
    uri = unique_uri("race")
    db = mysql_of(site_stack)
    first = journal_of(site_stack)
    name = db.free_database_name(uri)
    assert reserved_by(site_stack.root, "@server_master", name) == first.id
    second = journal_of(site_stack)  # another command, still running (its file exists)
    assert db.free_database_name(uri) not in ("", name)
    second.roll_back()
    first.roll_back()
    assert list((site_stack.root / "journal" / "reserved").glob("*/*")) == []


def test_a_journal_left_by_a_dead_process_is_recovered_and_a_live_one_is_not(
        site_stack: SiteStack, tmp_path: Path) -> None:
    target = site_stack.root / "config-file.conf"
    target.write_text("original")
    journal = journal_of(site_stack)
    MASTER.write_file(target, "half done")
    logger = Logger(backend=True, out=io.StringIO())
    contexts = Contexts(site_stack.root, logger)
    assert recover(contexts, logger) == [], "its process (this one) holds the lock"
    # The process dies: its file descriptor (and so its lock) goes with it.
    journal.release()
    outcomes = recover(contexts, logger)
    assert [o["outcome"] for o in outcomes] == ["rolled back"]
    assert target.read_text() == "original"


def test_a_journal_let_go_is_no_longer_current(site_stack: SiteStack) -> None:
    journal = journal_of(site_stack)
    assert journal_current() is journal
    journal.release()  # as when its process is gone
    assert journal_current() is None
    journal_of(site_stack).roll_back()


def test_an_unjournaled_command_notes_nothing_in_a_journal_another_command_left_open(
        site_stack: SiteStack) -> None:
    left = journal_of(site_stack)  # an earlier command of this process that never ended
    before = len(left.records)
    site_stack.must("save", "@unjournaled.example.com", "--context_type=site",
                    "--uri=unjournaled.example.com", "--platform=@platform_standin",
                    "--db_server=@server_master")
    assert len(left.records) == before
    left.roll_back()
    assert site_stack.context("unjournaled.example.com")["uri"] == "unjournaled.example.com"


def test_a_name_taken_between_the_check_and_the_create_is_skipped_and_never_dropped(
        site_stack: SiteStack, monkeypatch: pytest.MonkeyPatch) -> None:
    uri = unique_uri()
    taken = candidate_names(uri)[0]
    connection = site_stack.admin.connect()
    with connection.cursor() as cursor:  # another program's, made right after provision looked
        cursor.execute(f"CREATE DATABASE `{taken}`")
        cursor.execute(f"CREATE TABLE `{taken}`.t (id INT)")
    really_exists = MysqlService.database_exists
    looked: list[str] = []

    def exists_but_not_yet(self: MysqlService, name: str) -> bool:
        """The first look at the taken name comes before the other program made it."""
        looked.append(name)
        return False if looked.count(taken) == 1 and name == taken else really_exists(self, name)

    monkeypatch.setattr(MysqlService, "database_exists", exists_but_not_yet)
    try:
        journal = journal_of(site_stack)
        db = mysql_of(site_stack)
        web_server = Contexts(site_stack.root).load("@server_master")
        made = db.create_site_database(uri, web_server, journal.logger)
        assert made.name not in ("", taken)
        journal.roll_back()
        monkeypatch.undo()
        assert db.database_exists(taken), "the other program's database is kept"
        assert not db.database_exists(made.name), "ours is dropped by the rollback"
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{taken}`")
        connection.close()
