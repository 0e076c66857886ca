#!/usr/bin/env python3
"""Measure the web interface's list and entity pages on a store with many sites and tasks.

Fills a fresh store (SQLite, and a scratch MariaDB database over the root socket that is
dropped afterwards; ``--store`` picks one) with ``--sites`` site records on a few platforms and
clients and ``--tasks`` tasks spread over them, then renders each page below ``--requests``
times through the Flask test client, logged in as an administrator, and prints the median and
the 95th percentile of each:

- the sites list: first page, a middle page, sorted by client, searched by domain;
- a site page (with its task history);
- the task list: first page, filtered by status, searched by domain.

Target (issue 8): every page under 150 ms with 10,000 sites and 200,000 tasks.
"""

from __future__ import annotations

import argparse
import random
import secrets
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import insert, select  # noqa: E402

from bench.guarded import run_guarded  # noqa: E402
from hostmaster import create_app  # noqa: E402
from hostmaster.extensions import db  # noqa: E402
from hostmaster.models import Client, Site, SiteStatus, Task, TaskStatus, utcnow  # noqa: E402
from hostmaster.services import users  # noqa: E402
from hostmaster.services.platforms import create_platform  # noqa: E402
from hostmaster.services.servers import ServiceSpec, create_server  # noqa: E402
from hostmaster.services.validation import platform_base_path  # noqa: E402

MARIADB_SOCKET = "/run/mysqld/mysqld.sock"
TARGET_MS = 150
PLATFORMS = 5
CLIENTS = 40
SITE_TASKS = ("verify", "backup", "install", "disable", "enable", "login-reset")
TASK_STATUSES = [TaskStatus.SUCCESS] * 16 + [TaskStatus.ERROR, TaskStatus.WARNING,
                                             TaskStatus.QUEUED, TaskStatus.SUCCESS]


def fill(sites: int, tasks: int) -> None:
    """``sites`` sites over a few platforms and clients, and ``tasks`` tasks over them."""
    server = create_server("bench.example.com", master=True,
                           services={"http": ServiceSpec("apache", port=80)})
    platforms = [create_platform(f"bench{n}", f"{platform_base_path()}/bench{n}", server)
                 for n in range(PLATFORMS)]
    db.session.commit()
    now = utcnow()
    db.session.execute(insert(Client), [
        {"name": f"Client {n}", "uname": f"client{n}", "email": f"c{n}@example.com",
         "created_at": now} for n in range(CLIENTS)])
    client_ids = list(db.session.scalars(select(Client.id)))
    rows = [{"uri": f"site{n}.example.com", "platform_id": platforms[n % PLATFORMS].id,
             "client_id": random.choice(client_ids), "status": SiteStatus.ENABLED,
             "created_at": now, "verified_at": now - timedelta(minutes=n), "cron_key": "k"}
            for n in range(sites)]
    for start in range(0, len(rows), 2000):
        db.session.execute(insert(Site), rows[start:start + 2000])
    db.session.commit()
    site_ids = list(db.session.scalars(select(Site.id)))
    batch: list[dict[str, object]] = []
    for n in range(tasks):
        status = random.choice(TASK_STATUSES)
        created = now - timedelta(seconds=tasks - n)
        batch.append({
            "type": random.choice(SITE_TASKS), "entity_kind": "site",
            "entity_id": random.choice(site_ids), "status": status, "arguments": {},
            "created_at": created,
            "started_at": None if status == TaskStatus.QUEUED else created,
            "finished_at": None if status == TaskStatus.QUEUED else created + timedelta(
                seconds=random.randint(1, 90)),
        })
        if len(batch) == 5000:
            db.session.execute(insert(Task), batch)
            batch = []
    if batch:
        db.session.execute(insert(Task), batch)
    db.session.commit()


def timed(client: object, path: str, requests: int) -> list[float]:
    """Milliseconds of ``requests`` GETs of ``path`` (after one warm-up)."""
    get = client.get  # type: ignore[attr-defined]
    response = get(path)
    assert response.status_code == 200, (path, response.status_code)
    times = []
    for _ in range(requests):
        started = time.perf_counter()
        response = get(path)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, (path, response.status_code)
    return times


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def measure(url: str, workdir: Path, sites: int, tasks: int, requests: int) -> bool:
    """Fill the store at ``url``, render the pages, print their times; True when all are
    under the target."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "AEGIR_ROOT": str(workdir), "WTF_CSRF_ENABLED": False,
                      "SECRETS_KEY_FILE": str(workdir / "secrets.key")})
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        fill(sites, tasks)
        filled = time.perf_counter() - started
        users.create_user("admin", "admin@example.com", "bench-password-1234",
                          roles=["administrator"])
        site_id = db.session.scalars(
            select(Task.entity_id).where(Task.entity_kind == "site").limit(1)).one()
        client = app.test_client()
        client.post("/login", data={"username": "admin", "password": "bench-password-1234"})
        pages = {
            "sites list, first page": "/sites",
            "sites list, page 100": "/sites?page=100",
            "sites list, sorted by client": "/sites?sort=client&dir=desc",
            "sites list, searched": "/sites?q=site12",
            "site page": f"/sites/{site_id}",
            "task list, first page": "/tasks",
            "task list, errors only": "/tasks?status=error",
            "task list, searched": "/tasks?q=site4711.example",
        }
        print(f"store {db.engine.dialect.name}: {sites:,} sites, {tasks:,} tasks "
              f"(filled in {filled:.0f} s); {requests} requests per page")
        fine = True
        for label, path in pages.items():
            times = timed(client, path, requests)
            median, p95 = statistics.median(times), percentile(times, 0.95)
            fine = fine and p95 < TARGET_MS
            print(f"  {label:30} median {median:6.1f} ms   95th percentile {p95:6.1f} ms")
        db.session.remove()
        db.engine.dispose()
    return fine


def scratch_mariadb() -> tuple[str, str, object]:
    """A scratch database and account over the root socket: (url, name, root connection)."""
    import pymysql

    name = f"hm_bench_{secrets.token_hex(4)}"
    password = secrets.token_hex(16)
    root = pymysql.connect(unix_socket=MARIADB_SOCKET, user="root", autocommit=True)
    with root.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        cursor.execute(f"CREATE USER '{name}'@'localhost' IDENTIFIED BY %s", (password,))
        cursor.execute(f"GRANT ALL ON `{name}`.* TO '{name}'@'localhost'")
    url = (f"mysql+pymysql://{name}:{password}@localhost/{name}?charset=utf8mb4&"
           f"unix_socket={MARIADB_SOCKET}")
    return url, name, root


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store", choices=["sqlite", "mariadb", "both"], default="both")
    parser.add_argument("--sites", type=int, default=10000)
    parser.add_argument("--tasks", type=int, default=200000)
    parser.add_argument("--requests", type=int, default=30)
    args = parser.parse_args()
    random.seed(8)
    workdir = Path(tempfile.mkdtemp(prefix="hostmaster-bench-"))
    fine = True
    if args.store in ("sqlite", "both"):
        fine &= measure(f"sqlite:///{workdir / 'bench.db'}", workdir, args.sites, args.tasks,
                        args.requests)
    if args.store in ("mariadb", "both"):
        url, name, root = scratch_mariadb()
        try:
            fine &= measure(url, workdir, args.sites, args.tasks, args.requests)
        finally:
            with root.cursor() as cursor:  # type: ignore[attr-defined]
                cursor.execute(f"DROP DATABASE IF EXISTS `{name}`")
                cursor.execute(f"DROP USER IF EXISTS '{name}'@'localhost'")
            root.close()  # type: ignore[attr-defined]
    print(f"every page under {TARGET_MS} ms at the 95th percentile: {'yes' if fine else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(run_guarded(main))
