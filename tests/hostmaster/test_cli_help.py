"""Help never acts: ``--help`` on every command and subcommand of ``hostmaster`` (click's whole
command tree) and of ``provision`` (every verb, with and without a context, where the words
are provision's own) prints help and exits 0, and the store, the aegir root's tree and
MariaDB's list of databases are exactly as they were. Both command lines produce their shell
completion scripts (click's own)."""

from __future__ import annotations

import sqlite3
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import click
import pytest
from flask.cli import ScriptInfo

from hostmaster.cli import main
from hostmaster.extensions import db
from hostmaster.services.servers import ServiceSpec, create_server
from provision.commands import COMMANDS
from tests.fixtures.console import CONSOLE_STORE, Console
from tests.fixtures.stack import MariaDBAdmin
from tests.hostmaster.site_helpers import new_site, ready_platform

CONTEXT = "@server_helpcheck"


def hostmaster_commands(console: Console) -> list[list[str]]:
    """The words naming every command and subcommand of ``hostmaster``."""
    app = console.app()
    found: list[list[str]] = []

    def walk(group: click.Group, ctx: click.Context, words: list[str]) -> None:
        for name in group.list_commands(ctx):
            command = group.get_command(ctx, name)
            assert command is not None, f"{' '.join(words + [name])} is listed but not found"
            found.append([*words, name])
            if isinstance(command, click.Group):
                walk(command, click.Context(command, parent=ctx, info_name=name),
                     [*words, name])

    with app.app_context():
        root = click.Context(main, info_name="hostmaster",
                             obj=ScriptInfo(create_app=lambda: app))
        with root:
            walk(main, root, [])
    return found


def provision_commands() -> list[list[str]]:
    """provision's help forms: each verb alone, after a context, and save/show before one."""
    forms: list[list[str]] = [["--help"], ["-h"], [CONTEXT, "--help"]]
    for verb in sorted(COMMANDS):
        forms += [[verb, "--help"], [CONTEXT, verb, "--help"], [CONTEXT, verb, "-h"],
                  [CONTEXT, verb, "--force", "--help", "--dry-run"]]
    forms += [["save", CONTEXT, "--context_type=server", "--help"], ["show", CONTEXT, "-h"]]
    return forms


def snapshot(console: Console, admin: MariaDBAdmin) -> dict[str, Any]:
    """The store's rows, the files beside it, the aegir root's tree and MariaDB's databases of
    this test's site (other test sessions make and drop theirs on the same server)."""
    with sqlite3.connect(console.store) as connection:
        rows = list(connection.iterdump())
    connection.close()
    files = {path.name: path.stat().st_size for path in console.store.parent.iterdir()}
    tree = {str(path.relative_to(console.root)): (path.stat().st_mode, path.stat().st_size,
                                                  path.stat().st_mtime_ns)
            for path in console.root.rglob("*")}
    mariadb = admin.connect()
    try:
        with mariadb.cursor() as cursor:
            cursor.execute("SHOW DATABASES LIKE 'helpcheck%'")
            databases = sorted(name for (name,) in cursor.fetchall())
    finally:
        mariadb.close()
    return {"store": rows, "files": files, "tree": tree, "databases": databases}


def add_site_with_database(console: Console, admin: MariaDBAdmin) -> None:
    """A database server with MariaDB's admin account, a platform and a site (install queued)."""
    app = console.app()
    with app.app_context():
        server = create_server("db.example.com", ip_addresses=["127.0.0.1"], services={
            "db": ServiceSpec("mysql", port=admin.port, db_user=admin.user,
                              db_password=admin.password, options={"db_host": admin.host})})
        new_site(ready_platform(server_with_web(), "helpcheck"), server, "helpcheck.example.com")
        db.engine.dispose()


def server_with_web() -> Any:
    """A web server record (its service is never run here)."""
    return create_server("web.example.com", ip_addresses=["127.0.0.1"],
                         services={"http": ServiceSpec("apache")})


@CONSOLE_STORE
@pytest.mark.slow
def test_help_on_every_command_of_both_command_lines_changes_nothing(
        console: Console, mariadb_admin: MariaDBAdmin) -> None:
    # Something for a command that acted to act on: a context whose verify would write
    # folders, a server whose queued verify and a site whose queued install (its database on
    # the real MariaDB) a dispatch pass would run.
    saved = console.provision("save", CONTEXT, "--context_type=server",
                              "--remote_host=localhost")
    assert saved.returncode == 0, saved.stderr
    added = console.hostmaster("server", "add", "null.example.com", "--ip", "127.0.0.1")
    assert added.returncode == 0, added.stderr
    add_site_with_database(console, mariadb_admin)
    before = snapshot(console, mariadb_admin)

    commands = hostmaster_commands(console)
    names = {" ".join(words) for words in commands}
    for expected in ("site migrate", "site add", "platform migrate", "server trust-key",
                     "backup restore", "task follow", "user create", "db upgrade", "serve",
                     "dispatch", "bootstrap"):
        assert expected in names
    # Every form in one process through each console script's own entry point (a process
    # per form would take minutes on a busy machine, each hostmaster start-up costing a second
    # of CPU); a sample of each kind, through the installed scripts themselves: hostmaster's
    # own help, a noun, a subcommand, Flask-Migrate's group, and the commands that act
    # without a noun; provision's general forms and one of each kind for a verb.
    in_one = [(" ".join(done.args), done.returncode, done.stdout, done.stderr)
              for done in console.run_in_one_process(
                  [("hostmaster", words, {}) for words in
                   [["--help"]] + [[*w, "--help"] for w in commands]]
                  + [("provision", ["--root", str(console.root), *words], {})
                     for words in provision_commands()])]
    runs = [("hostmaster", words) for words in (
        ["--help"], ["site", "--help"], ["site", "migrate", "--help"], ["db", "--help"],
        ["dispatch", "--help"], ["bootstrap", "--help"])]
    runs += [("provision", words) for words in provision_commands()
             if "migrate" in words or words[0] in ("--help", "-h", "save", "show")
             or words == [CONTEXT, "--help"]]

    def run(item: tuple[str, list[str]]) -> tuple[str, int, str, str]:
        script, words = item
        done = (console.provision(*words, timeout=120) if script == "provision"
                else console.hostmaster(*words, timeout=120))
        return f"{script} {' '.join(words)}", done.returncode, done.stdout, done.stderr

    with ThreadPoolExecutor(max_workers=3) as pool:
        results = in_one + list(pool.map(run, runs))
    assert len(results) > 150
    for shown, code, out, err in results:
        assert code == 0, f"{shown} exited {code}: {err}"
        assert "Usage:" in out, f"{shown} printed no help: {out}"
        assert "Traceback" not in out + err, shown
    assert snapshot(console, mariadb_admin) == before


@CONSOLE_STORE
def test_provision_help_for_a_command_on_a_site_prints_that_commands_usage(
        console: Console) -> None:
    done = console.provision("@example.com", "migrate", "--help")
    assert done.returncode == 0
    assert done.stdout.startswith("Usage: provision @site migrate --target_platform=@p")
    assert "the journal undoes every step done" in done.stdout
    assert not (console.root / "contexts").exists()  # nothing ran, nothing was made


@CONSOLE_STORE
@pytest.mark.parametrize("script", ["hostmaster", "provision"])
def test_both_command_lines_produce_their_bash_completion_and_complete_their_words(
        console: Console, script: str) -> None:
    variable = f"_{script.upper()}_COMPLETE"
    source = console.run(script, env={variable: "bash_source"})
    assert source.returncode == 0
    assert f"_{script}_completion()" in source.stdout and "complete " in source.stdout
    typed = ("hostmaster site mi" if script == "hostmaster"
             else f"provision --root {console.root} @example.com mi")
    env = {variable: "bash_complete", "COMP_WORDS": typed,
           "COMP_CWORD": str(len(typed.split()) - 1)}
    offered = console.run(script, env=env)
    assert "plain,migrate" in offered.stdout.splitlines()


def test_the_readme_says_how_to_turn_completion_on() -> None:
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for script in ("hostmaster", "provision"):
        assert f"_{script.upper()}_COMPLETE=bash_source {script}" in readme
