"""User errors through the console scripts (in one process through their entry points, and a
sample through the installed scripts themselves): each is one sentence saying what to do,
never a traceback, with exit code 1 (a refused input changes nothing); ``--debug`` shows the
traceback. The table covers a missing store and store folder, an empty store, an unreachable
MariaDB, a wrong MariaDB password or database, a bad store URL, unknown names of every noun,
bad option values, refused tasks and refused input."""

from __future__ import annotations

import sqlite3
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from hostmaster.extensions import db
from hostmaster.services.servers import create_server
from tests.fixtures.console import CONSOLE_STORE, Console
from tests.fixtures.stack import MariaDBAdmin

pytestmark = CONSOLE_STORE


@dataclass(frozen=True)
class Case:
    """One user error: the words, the store URL to use ("" keeps the test's), the exit code
    and a part of the sentence expected on standard error."""

    words: tuple[str, ...]
    says: str
    store: str = ""
    script: str = "hostmaster"
    code: int = 1
    env: dict[str, str] = field(default_factory=dict)


def cases(tmp: Path, admin: MariaDBAdmin) -> list[Case]:
    """The table (``tmp`` holds the missing and empty stores; ``admin`` reaches MariaDB)."""
    password = urllib.parse.quote(admin.password, safe="")
    maria = f"mysql+pymysql://{admin.user}:{password}@{admin.host}:{admin.port}"
    return [
        Case(("db", "upgrade"), "The store's folder", store=f"sqlite:///{tmp}/no/such/x.db"),
        Case(("site", "list"), "There is no store at", store=f"sqlite:///{tmp}/missing.db"),
        Case(("feature", "list"), "has no tables yet", store=f"sqlite:///{tmp}/empty.db"),
        Case(("feature", "list"), "has no tables yet or is from an older version",
             store=f"sqlite:///{tmp}/other.db"),
        Case(("task", "list"), "Could not connect to the MariaDB store at 127.0.0.1:1",
             store="mysql+pymysql://nobody:x@127.0.0.1:1/none"),
        Case(("server", "list"), "refused the store's user",
             store=f"mysql+pymysql://{admin.user}:wrong-password@{admin.host}:{admin.port}/x"),
        Case(("site", "list"), "The database hm_no_such_db does not exist",
             store=f"{maria}/hm_no_such_db"),
        Case(("site", "list"), "is not a store URL", store="nosuchdb://x"),
        Case(("site", "show", "nope.example.com"), "There is no site 'nope.example.com'"),
        Case(("platform", "show", "nope"), "There is no platform 'nope'"),
        Case(("server", "show", "nope.example.com"), "There is no server"),
        Case(("client", "show", "nobody"), "There is no client 'nobody'"),
        Case(("user", "show", "nobody"), "There is no user 'nobody'"),
        Case(("task", "show", "999999"), "There is no task '999999'"),
        Case(("task", "follow", "999999"), "There is no task '999999'"),
        Case(("backup", "list", "nope.example.com"), "There is no site"),
        Case(("site", "migrate", "nope.example.com", "--platform", "x"), "There is no site"),
        Case(("task", "list", "--status", "bogus"), "Invalid value for '--status'"),
        Case(("site", "list", "--limit", "0"), "Invalid value for '--limit'"),
        Case(("sitez",), "No such command 'sitez'"),
        Case(("server", "add", "bad host;rm -rf"), "not a valid host name"),
        Case(("user", "create", "bob", "--email", "bob@example.com", "--role", "root"),
             "There is no role 'root'"),
        Case(("server", "trust-key", "local.example.com", "--fingerprint", "x"),
             "is this machine"),
        Case(("server", "trust-key", "far.example.com", "--fingerprint", "x"),
             "--fingerprint: A fingerprint is SHA256:"),
        Case(("server", "verify", "local.example.com"),
             "A verify task is already queued or running on local.example.com."),
        Case(("task", "cancel", "1"), "Only a queued task can be cancelled."),
        Case(("site", "add", "shop.example.com", "--platform", "nope"), "no platform 'nope'"),
        Case(("--no-debug", "platform", "add", "p1", "--root", "relative/path",
              "--web-server", "local.example.com"), "--root:"),
        Case(("@nope", "verify"), "The aegir root", script="provision",
             env={"AEGIR_ROOT": "/nonexistent/aegir"}),
        Case(("bogus",), "is neither a command", script="provision"),
    ]


@pytest.fixture
def refusing_store(console: Console) -> Console:
    """A store with a local server (its verify queued) and a remote-looking one; task 1 is
    finished (cancelled), so it cannot be cancelled again."""
    app = console.app()
    with app.app_context():
        local = create_server("local.example.com", ip_addresses=["127.0.0.1"])
        create_server("far.example.com", ip_addresses=["192.0.2.10"])
        from hostmaster.services import tasks

        first = tasks.pending_task(local, "verify")
        assert first is not None and first.id == 1
        tasks.cancel(first)
        tasks.queue(local, "verify")
        db.engine.dispose()
    return console


#: The cases also run through the installed scripts themselves (the rest run in one process
#: through the scripts' own entry points): a store that is missing, MariaDB that does not
#: answer, an unknown name, a bad option value, and provision's.
THROUGH_THE_SCRIPTS = {("site", "list"), ("task", "list"), ("site", "show", "nope.example.com"),
                       ("task", "list", "--status", "bogus"), ("bogus",)}


def test_every_user_error_is_one_sentence_with_exit_code_1_and_no_traceback(
        refusing_store: Console, mariadb_admin: MariaDBAdmin, tmp_path: Path) -> None:
    console = refusing_store
    (tmp_path / "empty.db").touch()
    with sqlite3.connect(tmp_path / "other.db") as other:  # a database, not a store
        other.execute("CREATE TABLE notes (text TEXT)")
    other.close()
    table = cases(tmp_path, mariadb_admin)
    envs = [{**case.env, **({"HOSTMASTER_DATABASE_URL": case.store} if case.store else {})}
            for case in table]
    outcomes = list(zip(table, console.run_in_one_process(
        [(case.script, list(case.words), env) for case, env in zip(table, envs, strict=True)]),
        strict=True))
    scripted = [(case, console.run(case.script, *case.words, env=env, timeout=120))
                for case, env in zip(table, envs, strict=True)
                if case.words in THROUGH_THE_SCRIPTS]
    assert {case.words for case, _done in scripted} == THROUGH_THE_SCRIPTS
    outcomes += scripted
    failures = []
    for case, done in outcomes:
        shown = f"{case.script} {' '.join(case.words)}"
        output = done.stdout + done.stderr
        if done.returncode != case.code or case.says not in done.stderr or "Traceback" in output:
            failures.append(f"{shown}: exit {done.returncode}\n{output}")
    assert not failures, "\n\n".join(failures)
    # Refused input changed nothing: no store was made where none was, no row was added.
    assert not (tmp_path / "missing.db").exists()
    assert not (tmp_path / "no").exists()
    assert (tmp_path / "empty.db").stat().st_size == 0


def test_debug_shows_the_traceback_of_an_error(console: Console) -> None:
    unreachable = {"HOSTMASTER_DATABASE_URL": "mysql+pymysql://nobody:x@127.0.0.1:1/none"}
    quiet = console.hostmaster("task", "list", env=unreachable)
    loud = console.hostmaster("--debug", "task", "list", env=unreachable)
    also = console.hostmaster("task", "list", "--debug", env=unreachable)
    assert quiet.returncode == loud.returncode == also.returncode == 1
    assert "Traceback" not in quiet.stderr
    assert "Traceback" in loud.stderr and "Traceback" in also.stderr
    assert "Could not connect to the MariaDB store" in loud.stderr


def test_a_refusal_with_json_is_the_apis_error_object_on_standard_output(
        refusing_store: Console) -> None:
    answer = refusing_store.json("server", "verify", "local.example.com", expect=1)
    assert answer == {"error": "A verify task is already queued or running on "
                               "local.example.com."}
