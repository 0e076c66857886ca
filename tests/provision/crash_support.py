"""Killing provision on purpose and checking what recovery makes of it.

provision runs as a real process (``provision --backend``), so that it can be SIGKILLed: at a
step boundary or just after its commit point through the journal's test-only switch
(``PROVISION_TEST_KILL_AT``), at a random moment, or while a given child program runs. The
web server, PHP, MariaDB and the applications (Debian's WordPress, Drupal 7) are real.
"""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from provision.contexts import Contexts
from provision.journal import KILL_SWITCH, recover
from provision.log import Logger
from tests.fixtures.stack import MariaDBAdmin, WebServerInstance
from tests.fixtures.stack_process import child_pids, pid_alive, poll

MASTER_URL = "http://hostmaster.test"
#: Names of folders a command parks beside a site folder while it runs.
PARKED = (".deploy", ".previous", ".removed-")


def provision_argv() -> list[str]:
    """The installed console script beside this Python, else ``python -m provision``."""
    script = Path(sys.executable).with_name("provision")
    return [str(script)] if script.exists() else [sys.executable, "-m", "provision"]


@dataclass
class Spawned:
    """One provision process: how it ended and its JSON lines."""

    status: int
    lines: list[dict[str, Any]]

    @property
    def killed(self) -> bool:
        """Whether it died of SIGKILL."""
        return self.status == -signal.SIGKILL

    @property
    def result(self) -> dict[str, Any]:
        """The result line's object ({} when it died before writing one)."""
        found = [line for line in self.lines if line.get("type") == "result"]
        return dict(found[-1]["object"]) if found else {}

    @property
    def text(self) -> str:
        """The log, for assertion messages."""
        return "\n".join(f"[{line.get('level')}] {line.get('message')}" for line in self.lines
                         if line.get("type") == "log")


@dataclass
class CrashStack:
    """An aegir root whose @server_master serves through ``instance`` with MariaDB behind it."""

    root: Path
    instance: WebServerInstance
    admin: MariaDBAdmin
    #: The unpacked real Drupal 7 core the Drupal platforms link to.
    drupal7_core: Path
    kill_points: int = 0
    recovered: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)

    # Running provision -------------------------------------------------------------------

    def start(self, name: str, verb: str, options: dict[str, Any] | None = None, *,
              kill: str | None = None, task_id: int | None = None) -> subprocess.Popen[bytes]:
        """Start ``provision --backend NAME VERB`` with ``options`` on stdin."""
        env = {key: value for key, value in os.environ.items() if key != KILL_SWITCH}
        if kill:
            env[KILL_SWITCH] = kill
        process = subprocess.Popen(
            [*provision_argv(), "--root", str(self.root), "--backend", name, verb],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        assert process.stdin is not None
        process.stdin.write(json.dumps({"options": options or {}, "task_id": task_id}).encode())
        process.stdin.close()
        process.stdin = None  # written and closed: communicate() must leave it alone
        return process

    def finish(self, process: subprocess.Popen[bytes]) -> Spawned:
        """Wait for ``process`` and read its lines."""
        out, _err = process.communicate(timeout=600)
        lines = []
        for raw in out.decode("utf-8", "replace").splitlines():
            try:
                lines.append(json.loads(raw))
            except ValueError:
                lines.append({"type": "log", "level": "text", "message": raw})
        return Spawned(process.returncode, lines)

    def spawn(self, name: str, verb: str, options: dict[str, Any] | None = None, *,
              kill: str | None = None) -> Spawned:
        """Run provision to its end (or to the kill ``kill`` asks for)."""
        return self.finish(self.start(name, verb, options, kill=kill))

    def must(self, name: str, verb: str, options: dict[str, Any] | None = None) -> Spawned:
        """Run provision; fail the test unless it succeeds."""
        ran = self.spawn(name, verb, options)
        assert ran.status == 0, ran.text
        return ran

    def save(self, name: str, **properties: Any) -> None:
        """``provision save NAME --key=value ...``."""
        words = [f"--{key}={value}" for key, value in properties.items()]
        done = subprocess.run([*provision_argv(), "--root", str(self.root), "save", name,
                               *words], capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr

    def kill_when(self, process: subprocess.Popen[bytes], program: str,
                  timeout: float = 60) -> bool:
        """SIGKILL ``process`` once a descendant running ``program`` appears; False if none
        did before the process ended."""
        def running() -> bool:
            return process.poll() is not None or any(
                _comm(pid) == program for pid in _descendants(process.pid))

        poll(running, timeout)
        if process.poll() is not None:
            return False
        children = _descendants(process.pid)
        process.send_signal(signal.SIGKILL)
        process.wait()
        # The children die with provision (their parent-death signal): none may stay behind.
        assert poll(lambda: not any(pid_alive(pid) for pid in children), 10), (
            f"children of the killed provision still run: {children}")
        return True

    def recover(self) -> list[dict[str, Any]]:
        """Recover every interrupted command (as the next provision or a dispatcher would)."""
        out = io.StringIO()
        logger = Logger(backend=True, out=out)
        outcomes = recover(Contexts(self.root, logger), logger)
        for outcome in outcomes:
            self.recovered += 1
            self.outcomes[outcome["outcome"]] = self.outcomes.get(outcome["outcome"], 0) + 1
        assert not logger.had_error, out.getvalue()
        return outcomes

    # Looking ---------------------------------------------------------------------------------

    def query(self, sql: str, args: Any = None, database: str | None = None) -> list[Any]:
        """Rows of ``sql`` as the MariaDB admin."""
        connection = self.admin.connect(database)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                return [tuple(row) for row in cursor.fetchall()]
        finally:
            connection.close()

    def context(self, name: str) -> dict[str, Any] | None:
        """A context's stored properties (None when it does not exist)."""
        path = self.root / "contexts" / f"{name.lstrip('@')}.json"
        return dict(json.loads(path.read_text())["properties"]) if path.exists() else None

    def drop_site_databases(self) -> None:
        """Drop the databases and users this root's site contexts name (test clean-up)."""
        for path in (self.root / "contexts").glob("*.json"):
            properties = json.loads(path.read_text())["properties"]
            if properties.get("uri") and properties.get("db_name"):
                self.query(f"DROP DATABASE IF EXISTS `{properties['db_name']}`")
                for (host,) in self.query("SELECT Host FROM mysql.user WHERE User = %s",
                                          (properties.get("db_user"),)):
                    self.query("DROP USER %s@%s", (properties["db_user"], host))

    def get(self, uri: str, path: str = "/") -> tuple[int, str]:
        """GET through the web server with the site's host name."""
        return self.instance.get(path, host=uri)

    def leftovers(self) -> list[str]:
        """What an interrupted command may leave and recovery must remove: parked folders,
        journal files, reservations, half-written dumps."""
        found = [str(path) for path in (self.root / "platforms").glob("*/sites/*")
                 if any(mark in path.name for mark in PARKED)]
        found += [str(path) for path in (self.root / "platforms").glob("*/sites/*/*.sql*")]
        found += [str(path) for path in (self.root / "platforms").glob("*/sites/*/.*.sql*")]
        journal = self.root / "journal"
        if journal.is_dir():
            found += [str(path) for path in journal.iterdir()
                      if path.name not in ("outcomes", "reserved")]
            found += [str(path) for path in (journal / "reserved").glob("*/*")]
        return sorted(found)

    def state(self, site: str, prefix: str) -> dict[str, Any]:
        """Everything a command on ``site`` may change, for comparing before and after."""
        properties = self.context(f"@{site}")
        vhosts = self.root / "config" / "server_master" / "apache" / "vhost.d"
        return {
            "context": properties,
            "contexts": sorted(path.name for path in (self.root / "contexts").glob("*.json")),
            "vhosts": {path.name: path.read_text() for path in sorted(vhosts.glob("*"))},
            "databases": sorted(row[0] for row in self.query("SHOW DATABASES")
                                if row[0].startswith(prefix)),
            "users": sorted(f"{user}@{host}" for user, host in self.query(
                "SELECT User, Host FROM mysql.user") if user.startswith(prefix)),
            "backups": sorted(path.name for path in (self.root / "backups").glob("*")),
            "site folders": sorted(str(path.relative_to(self.root)) for path in
                                   (self.root / "platforms").glob("*/sites/*")
                                   if path.is_dir()),
            "leftovers": self.leftovers(),
        }


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    pending = [pid]
    while pending:
        children = child_pids(pending.pop())
        found += children
        pending += children
    return found


def _comm(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except OSError:
        return ""


def settle(seconds: float = 0.05) -> None:
    """A breath between kills, so that a reload just requested has reached the workers."""
    time.sleep(seconds)
