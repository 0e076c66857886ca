#!/usr/bin/env python3
"""Measure a site's backup and restore against the plain mysqldump + tar pipeline.

Builds, in a fresh aegir root under /var/tmp, a real WordPress site (Debian's WordPress, the
copy the tests use) installed by provision on the local MariaDB, then gives it a database of
--db-mb MB (text rows, which compress as a site's content does) and --files-mb MB of files
(random bytes, which do not compress, as a site's images do). Then prints, best of --repeat
runs each:
- backup: ``provision @site backup`` (run as the dispatcher runs it: a separate process,
  contexts and secrets as JSON on stdin) next to ``mysqldump`` then ``tar czf`` of the same
  site folder and dump;
- restore: ``provision @site restore`` of that archive, when this provision has the command,
  next to ``tar xzf`` then ``mysql`` into a new database. provision's restore also takes the
  pre-restore backup, puts the site offline and verifies it: the figure without that backup
  is printed too.
Target (issue 4): provision at most 1.2 times the plain pipeline.
Everything it creates (databases, accounts, folders) is removed at the end, also on failure.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import resource
import secrets
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pymysql  # noqa: E402

from bench.guarded import run_guarded  # noqa: E402
from provision.commands import COMMANDS  # noqa: E402
from provision.services.db.connection import Credentials  # noqa: E402
from provision.services.db.dump import defaults_pipe  # noqa: E402
from provision.services.db.sites import database_base_name  # noqa: E402
from tests.fixtures.platforms import make_wordpress_platform  # noqa: E402

MARIADB_SOCKET = "/run/mysqld/mysqld.sock"
CHUNK = 4 * 1024 * 1024
ROW_BYTES = 1024 * 1024


class Bench:
    """The aegir root, the MariaDB admin account and the site under measurement."""

    def __init__(self, workdir: Path) -> None:
        self.workdir = workdir
        self.root = workdir / "aegir"
        self.uri = f"bkb{secrets.token_hex(3)}.test"
        self.prefix = database_base_name(self.uri)
        self.admin = Credentials(
            host="127.0.0.1",
            port=3306,
            user=f"hm_bench_{secrets.token_hex(4)}",
            password=secrets.token_urlsafe(24),
        )
        self.provision = str(Path(sys.executable).with_name("provision"))
        self.last_lines: list[dict[str, Any]] = []

    # MariaDB ------------------------------------------------------------------------------

    def create_admin(self) -> None:
        """An account with every privilege, as the tests' ``mariadb_admin`` makes one."""
        root = pymysql.connect(unix_socket=MARIADB_SOCKET, user="root", autocommit=True)
        with root.cursor() as cursor:
            for host in ("localhost", "127.0.0.1"):
                cursor.execute(
                    "CREATE USER %s@%s IDENTIFIED BY %s",
                    (self.admin.user, host, self.admin.password),
                )
                cursor.execute(
                    "GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION",
                    (self.admin.user, host),
                )
        root.close()

    def connect(self, database: str | None = None) -> Any:
        return pymysql.connect(
            host=self.admin.host,
            port=self.admin.port,
            user=self.admin.user,
            password=self.admin.password,
            database=database,
            autocommit=True,
        )

    def clean_up(self) -> None:
        """Drop the site's databases and accounts (named after its uri) and the admin."""
        root = pymysql.connect(unix_socket=MARIADB_SOCKET, user="root", autocommit=True)
        with root.cursor() as cursor:
            cursor.execute("SHOW DATABASES")
            for (name,) in cursor.fetchall():
                if name.startswith(self.prefix):
                    cursor.execute(f"DROP DATABASE `{name}`")
            cursor.execute("SELECT User, Host FROM mysql.user")
            for user, host in cursor.fetchall():
                if user.startswith(self.prefix) or user == self.admin.user:
                    cursor.execute("DROP USER %s@%s", (user, host))
        root.close()
        shutil.rmtree(self.workdir, ignore_errors=True)

    # provision -----------------------------------------------------------------------------

    def contexts(self) -> list[dict[str, Any]]:
        """The server, platform and site contexts, as the dispatcher sends them."""
        server = {
            "context_type": "server",
            "remote_host": "localhost",
            "http_service_type": "null",
            "db_service_type": "mysql",
            "db_host": self.admin.host,
            "db_port": self.admin.port,
            "db_user": self.admin.user,
            "db_passwd": self.admin.password,
        }
        platform = {
            "context_type": "platform",
            "root": str(self.platform_root),
            "web_server": "@server_master",
        }
        site = {
            "context_type": "site",
            "uri": self.uri,
            "platform": "@platform_bench",
            "db_server": "@server_master",
            "client_email": "owner@example.com",
            "language": "en",
        }
        return [
            {"name": "@server_master", "properties": server},
            {"name": "@platform_bench", "properties": platform},
            {"name": f"@{self.uri}", "properties": site},
        ]

    def run(self, name: str, command: str, options: dict[str, Any] | None = None) -> dict[str, Any]:
        """``provision --backend @name command`` with the contexts on stdin; its result."""
        payload = json.dumps({"contexts": self.contexts(), "options": options or {}})
        done = subprocess.run(
            [self.provision, "--root", str(self.root), "--backend", name, command],
            input=payload,
            capture_output=True,
            text=True,
            check=False,
        )
        lines = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
        self.last_lines = lines
        result = lines[-1] if lines else {}
        if done.returncode != 0 or result.get("error_status"):
            errors = [line["message"] for line in lines if line.get("level") == "error"]
            raise SystemExit(f"provision {name} {command} failed: {errors or done.stderr[-500:]}")
        return dict(result.get("object") or {})

    def site_context(self) -> dict[str, Any]:
        stored = json.loads((self.root / "contexts" / f"{self.uri}.json").read_text())
        return dict(stored["properties"])

    @property
    def platform_root(self) -> Path:
        """The WordPress codebase, under the aegir root's platforms/ (provision's platform base
        path: it refuses a platform elsewhere)."""
        return self.root / "platforms" / "wordpress"

    def site_path(self) -> Path:
        return self.platform_root / "sites" / self.uri

    # Building the site ---------------------------------------------------------------------

    def build(self, db_mb: int, files_mb: int) -> None:
        """Install the site, then give it ``db_mb`` MB of rows and ``files_mb`` MB of files."""
        make_wordpress_platform(self.platform_root)
        self.run("@server_master", "verify")
        self.run("@platform_bench", "verify")
        self.run(f"@{self.uri}", "install")
        database = self.site_context()["db_name"]
        connection = self.connect(database)
        with connection.cursor() as cursor:
            cursor.execute(
                "CREATE TABLE bench_content (id INT PRIMARY KEY, body LONGTEXT) "
                "ENGINE=InnoDB DEFAULT CHARSET=utf8mb4"
            )
            # Base64 text of random bytes: compresses to about 3/4, like a site's content.
            text_bytes = ROW_BYTES * 3 // 4
            for start in range(0, db_mb, 8):
                rows = [
                    (n, base64.b64encode(os.urandom(text_bytes)).decode())
                    for n in range(start, min(start + 8, db_mb))
                ]
                cursor.executemany("INSERT INTO bench_content VALUES (%s, %s)", rows)
        connection.close()
        files = self.site_path() / "files" / "bench"
        files.mkdir(parents=True, exist_ok=True)
        for n in range(0, files_mb * 1024 * 1024, CHUNK):
            (files / f"upload-{n // CHUNK:04d}.bin").write_bytes(os.urandom(CHUNK))

    # The plain pipeline ---------------------------------------------------------------------

    def plain_backup(self, archive: Path) -> None:
        """``mysqldump`` of the site's database, then ``tar czf`` of its folder and the dump."""
        database = self.site_context()["db_name"]
        dump = self.workdir / "plain" / "database.sql"
        dump.parent.mkdir(exist_ok=True)
        with defaults_pipe(self.admin) as fd:
            subprocess.run(
                ["mysqldump", f"--defaults-extra-file=/dev/fd/{fd}", "--single-transaction",
                 "--quick", f"--result-file={dump}", database],
                pass_fds=[fd], check=True,
            )
        subprocess.run(
            ["tar", "czf", str(archive), "-C", str(self.site_path()), ".",
             "-C", str(dump.parent), dump.name],
            check=True,
        )
        dump.unlink()

    def plain_restore(self, archive: Path, number: int) -> None:
        """``tar xzf`` into a new folder, then ``mysql`` the dump into a new database."""
        target = self.workdir / f"plain-restore-{number}"
        target.mkdir()
        subprocess.run(["tar", "xzf", str(archive), "-C", str(target)], check=True)
        database = f"{self.prefix}_p{number}"
        connection = self.connect()
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{database}`")
        connection.close()
        with defaults_pipe(self.admin) as fd, (target / "database.sql").open("rb") as dump:
            subprocess.run(["mysql", f"--defaults-extra-file=/dev/fd/{fd}", database],
                           stdin=dump, pass_fds=[fd], check=True)
        shutil.rmtree(target)
        connection = self.connect()
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE `{database}`")
        connection.close()


def pre_restore_backup_end(lines: list[dict[str, Any]]) -> float:
    """When the restore's own backup finished: the time of its "Backed up" log line."""
    for line in lines:
        if line.get("type") == "log" and str(line.get("message", "")).startswith("Backed up"):
            return float(line["time"])
    raise SystemExit("the restore logged no backup of its own")


@dataclass
class Timing:
    """Wall-clock seconds, and CPU seconds of the child processes (provision, mysqldump, tar,
    gzip, mysql: not the MariaDB server's), which other work on the machine barely changes."""

    wall: float
    cpu: float
    value: Any = None


def timed(action: Callable[[], Any]) -> Timing:
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.monotonic()
    value = action()
    wall = time.monotonic() - began
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return Timing(wall, cpu, value)


def ratio_line(what: str, ours: list[Timing], plain: list[Timing]) -> str:
    wall = min(t.wall for t in ours) / min(t.wall for t in plain)
    cpu = min(t.cpu for t in ours) / min(t.cpu for t in plain)
    return (
        f"{what}: provision {min(t.wall for t in ours):.2f} s, plain pipeline "
        f"{min(t.wall for t in plain):.2f} s, ratio {wall:.2f} (target: <= 1.20) "
        f"{'OK' if wall <= 1.2 else 'OVER'}; CPU of the processes: provision "
        f"{min(t.cpu for t in ours):.2f} s, plain {min(t.cpu for t in plain):.2f} s, "
        f"ratio {cpu:.2f}\n  runs (wall): provision {', '.join(f'{t.wall:.2f}' for t in ours)};"
        f" plain {', '.join(f'{t.wall:.2f}' for t in plain)}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db-mb", type=int, default=200)
    parser.add_argument("--files-mb", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2, help="runs of each; the best is shown")
    args = parser.parse_args()
    if os.geteuid() != 0:
        raise SystemExit("Run as root: the bench makes its own MariaDB account over the socket.")

    workdir = Path(tempfile.mkdtemp(prefix="hostmaster-bench-backup-", dir="/var/tmp"))
    workdir.chmod(0o755)
    bench = Bench(workdir)
    bench.create_admin()
    try:
        began = time.monotonic()
        bench.build(args.db_mb, args.files_mb)
        print(
            f"site {bench.uri} (WordPress): database {args.db_mb} MB of text rows, "
            f"{args.files_mb} MB of random files; built in {time.monotonic() - began:.1f} s; "
            f"cores: {os.cpu_count()}"
        )
        ours, plain, archives = [], [], []
        for number in range(args.repeat):
            ours.append(timed(lambda: bench.run(f"@{bench.uri}", "backup")))
            archives.append(Path(ours[-1].value["backup_file"]))
            plain.append(timed(partial(bench.plain_backup, workdir / f"plain-{number}.tar.gz")))
        size = archives[-1].stat().st_size
        plain_size = (workdir / "plain-0.tar.gz").stat().st_size
        print(ratio_line("backup", ours, plain))
        print(f"  archive sizes: provision {size >> 20} MB, plain {plain_size >> 20} MB")

        plain_restores = [
            timed(partial(bench.plain_restore, workdir / "plain-0.tar.gz", number))
            for number in range(args.repeat)
        ]
        if "restore" in COMMANDS:
            restores, deploys = [], []
            for _ in range(args.repeat):
                began_at = time.time()
                restores.append(timed(lambda: bench.run(
                    f"@{bench.uri}", "restore", {"backup_file": str(archives[0])})))
                after_backup = began_at + restores[-1].wall - pre_restore_backup_end(
                    bench.last_lines)
                deploys.append(Timing(after_backup, float("nan")))
            # A restore backs the site up first (the issue asks for it), so the fair plain
            # pipeline does both too: each run's plain backup, then its plain restore.
            plain_both = [Timing(b.wall + r.wall, b.cpu + r.cpu)
                          for b, r in zip(plain, plain_restores, strict=True)]
            print(ratio_line("restore with its pre-restore backup, against plain backup + "
                             "plain restore", restores, plain_both))
            print(ratio_line("restore (all of it) against the plain restore alone",
                             restores, plain_restores))
            print(
                "restore after its pre-restore backup: provision "
                f"{min(t.wall for t in deploys):.2f} s, plain pipeline "
                f"{min(t.wall for t in plain_restores):.2f} s, ratio "
                f"{min(t.wall for t in deploys) / min(t.wall for t in plain_restores):.2f}"
                f" (runs: {', '.join(f'{t.wall:.2f}' for t in deploys)})"
            )
            print(
                "  provision's restore first puts the site offline and backs it up (the "
                "\"Generated before being restored\" archive), then deploys the chosen archive "
                "into a new database, rewrites settings and vhost, verifies the site and drops "
                "the old database; \"after its pre-restore backup\" times what follows that "
                "backup's log line, against tar xzf + mysql."
            )
        else:
            print(
                "restore: this provision has no restore command; plain pipeline "
                f"{min(t.wall for t in plain_restores):.2f} s"
            )
    finally:
        bench.clean_up()


if __name__ == "__main__":
    sys.exit(run_guarded(main))
