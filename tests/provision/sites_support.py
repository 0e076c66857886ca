"""Running site commands against a real web server, MariaDB and the stand-in application.

Commands run in this process (``provision.cli.execute``) so that the stand-in driver and test
plugins can be registered for one test; the web server, PHP and MariaDB they drive are real.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from provision.cli import execute
from provision.layout import AegirRoot
from provision.log import Logger
from tests.fixtures.stack import MariaDBAdmin, WebServerInstance
from tests.provision.standin_app import make_standin_platform

MASTER_URL = "http://hostmaster.test"


def unique_uri(prefix: str = "site") -> str:
    """A uri no other test uses (the engineers' and CI's tests share one MariaDB)."""
    return f"{prefix}-{secrets.token_hex(3)}.test"


#: The pause between two sweeps of /proc: a sweep takes about 0.4 ms, so the sampler uses a
#: fraction of a core (spinning, it took one of the machine's two from the installs it
#: watches) and still reads every command that lives a few milliseconds (mysqldump, PHP).
SWEEP_PAUSE_SECONDS = 0.002


def _command_line(pid: str) -> bytes | None:
    """The command line of process ``pid``, None when it ended meanwhile."""
    try:
        fd = os.open(f"/proc/{pid}/cmdline", os.O_RDONLY)
    except OSError:
        return None
    try:
        chunks = []
        while chunk := os.read(fd, 65536):
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError:
        return None
    finally:
        os.close(fd)


@contextmanager
def command_lines_sampled() -> Iterator[set[bytes]]:
    """Every process command line seen while the block runs, sampled in a thread."""
    seen: set[bytes] = set()
    done = threading.Event()

    def sample() -> None:
        while not done.wait(SWEEP_PAUSE_SECONDS):
            for pid in os.listdir("/proc"):
                if pid.isdigit() and (line := _command_line(pid)) is not None:
                    seen.add(line)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    try:
        yield seen
    finally:
        done.set()
        thread.join()


@dataclass
class Ran:
    """One in-process provision run: its exit status and JSON lines."""

    status: int
    lines: list[dict[str, Any]]

    @property
    def result(self) -> dict[str, Any]:
        """The result line's object."""
        return dict(self.lines[-1]["object"])

    def messages(self, level: str | None = None) -> list[str]:
        """Log messages (of one level)."""
        return [line["message"] for line in self.lines
                if line["type"] == "log" and (level is None or line["level"] == level)]

    @property
    def text(self) -> str:
        """Every log line as ``[level] message``, for assertion messages."""
        return "\n".join(f"[{line.get('level')}] {line.get('message')}" for line in self.lines)


def run_here(root: Path, *words: str) -> Ran:
    """Run provision in this process with JSON-line output."""
    out = io.StringIO()
    status = execute(list(words), root=root, backend=False, logger=Logger(backend=True, out=out))
    return Ran(status, [json.loads(line) for line in out.getvalue().splitlines()])


@dataclass
class SiteStack:
    """An aegir root whose @server_master serves through ``instance`` with MariaDB behind it."""

    root: Path
    service_type: str
    instance: WebServerInstance
    admin: MariaDBAdmin
    platform_root: Path

    def server_properties(self) -> dict[str, Any]:
        """The properties of @server_master."""
        properties = {
            "remote_host": "localhost",
            "http_service_type": self.service_type,
            "http_port": self.instance.port,
            "http_configtest_cmd": self.instance.configtest_cmd,
            "http_restart_cmd": self.instance.restart_cmd,
            "http_reload_settle": self.instance.reload_settle,
            "http_include_dir": str(self.instance.include_dir),
            "db_service_type": "mysql",
            "db_host": self.admin.host,
            "db_port": self.admin.port,
            "db_user": self.admin.user,
            "db_passwd": self.admin.password,
            "master_url": MASTER_URL,
        }
        if self.instance.https_port:
            properties["https_port"] = self.instance.https_port
        socket = getattr(self.instance, "php_fpm_socket", None)
        if socket is not None:
            properties["php_fpm_socket"] = str(socket)
        return properties

    def run(self, *words: str) -> Ran:
        """Run provision in this process."""
        return run_here(self.root, *words)

    def must(self, *words: str) -> Ran:
        """Run provision and fail the test unless it succeeds."""
        ran = run_here(self.root, *words)
        assert ran.status == 0, ran.text
        return ran

    def instance_get(self, path: str, host: str) -> tuple[int, str, dict[str, str]]:
        """GET without following redirects: status, body and lower-case headers."""
        connection = http.client.HTTPConnection("127.0.0.1", self.instance.port, timeout=10)
        try:
            connection.request("GET", path, headers={"Host": host})
            response = connection.getresponse()
            body = response.read().decode("utf-8", "replace")
            headers = {key.lower(): value for key, value in response.getheaders()}
            return response.status, body, headers
        finally:
            connection.close()

    def users_named(self, user: str) -> list[str]:
        """The hosts a database account called ``user`` exists for."""
        connection = self.admin.connect()
        with connection.cursor() as cursor:
            cursor.execute("SELECT Host FROM mysql.user WHERE User = %s", (user,))
            hosts = sorted(row[0] for row in cursor.fetchall())
        connection.close()
        return hosts

    def databases_like(self, uri: str) -> list[str]:
        """Databases whose name starts with the name ``uri`` would get."""
        from provision.services.db.sites import database_base_name

        connection = self.admin.connect()
        with connection.cursor() as cursor:
            cursor.execute("SHOW DATABASES")
            names = [row[0] for row in cursor.fetchall()
                     if row[0].startswith(database_base_name(uri)[:12])]
        connection.close()
        return names

    def prepare(self) -> None:
        """Save and verify the server and the stand-in platform."""
        words = [f"--{key}={value}" for key, value in self.server_properties().items()]
        self.must("save", "@server_master", "--context_type=server", *words)
        with self.instance.expect_reload():
            self.must("@server_master", "verify")
        make_standin_platform(self.platform_root)
        self.must("save", "@platform_standin", "--context_type=platform",
                  f"--root={self.platform_root}")
        with self.instance.expect_reload():
            self.must("@platform_standin", "verify")

    def save_site(self, uri: str, *extra: str) -> None:
        """Save the site context as the dispatcher would before a task."""
        self.must("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
                  "--platform=@platform_standin", "--db_server=@server_master",
                  "--client_email=owner@example.com", *extra)

    def install(self, uri: str, *extra: str) -> Ran:
        """Save the site and install it; fails the test unless it succeeds."""
        self.save_site(uri, *extra)
        with self.instance.expect_reload():
            return self.must(f"@{uri}", "install")

    def drop_databases(self) -> None:
        """Drop the databases and users the sites left in the contexts (test clean-up)."""
        connection = self.admin.connect()
        with connection.cursor() as cursor:
            for path in (self.root / "contexts").glob("*.json"):
                stored = json.loads(path.read_text())
                if stored["context_type"] != "site":
                    continue  # the server's db_user is the session's admin account
                properties = stored["properties"]
                if properties.get("db_name"):
                    cursor.execute(f"DROP DATABASE IF EXISTS `{properties['db_name']}`")
                if properties.get("db_user"):
                    for host in ("localhost", "127.0.0.1"):
                        cursor.execute("DROP USER IF EXISTS %s@%s", (properties["db_user"], host))
        connection.close()

    def context(self, uri: str) -> dict[str, Any]:
        """The site's stored context file."""
        data = json.loads((self.root / "contexts" / f"{uri}.json").read_text())
        return dict(data["properties"])

    def vhost(self, uri: str) -> Path:
        """The site's vhost file."""
        return self.root / "config" / "server_master" / self.service_type / "vhost.d" / uri

    def credentials(self, uri: str) -> Path:
        """The site's credentials file (its database account, for PHP)."""
        name = AegirRoot(self.root).credentials_name("server_master", uri)
        return self.root / "config" / "server_master" / "credentials" / f"{name}.json"

    def site_path(self, uri: str) -> Path:
        """The site's folder."""
        return self.platform_root / "sites" / uri
