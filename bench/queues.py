#!/usr/bin/env python3
"""Measure the batch queues on a store with many sites.

Prints, for a fresh store (SQLite by default; ``--mariadb`` makes a scratch MariaDB database
over the root socket and drops it afterwards; or ``--store-url``) holding ``--sites`` enabled
site records with random last cron times and statistics:
- the cron queue's pick: one dispatch pass's work before provision starts (queue state, item
  count, spread, the oldest-first select of its batch and the claim of that batch), median and
  worst over ``--passes`` passes, each a spread interval later than the last;
- the dashboard: a logged-in GET / (with the statistics totals), median and worst of 20.
Targets (issue 5): the pick under 1 s, the dashboard under 200 ms, with 10,000 sites.
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
from sqlalchemy import insert  # noqa: E402

from bench.guarded import run_guarded  # noqa: E402
from hostmaster import create_app  # noqa: E402
from hostmaster.extensions import db  # noqa: E402
from hostmaster.models import Site, SiteSchedule, SiteStatus, utcnow  # noqa: E402
from hostmaster.queues import Batch, get  # noqa: E402
from hostmaster.queues.cron import pick  # noqa: E402
from hostmaster.queues.schedule import is_due  # noqa: E402
from hostmaster.queues.state import claim_run, plan_of, state_of  # noqa: E402
from hostmaster.services import users  # noqa: E402
from hostmaster.services.platforms import create_platform  # noqa: E402
from hostmaster.services.servers import ServiceSpec, create_server  # noqa: E402
from hostmaster.services.validation import platform_base_path  # noqa: E402

MARIADB_SOCKET = "/run/mysqld/mysqld.sock"


def fill(count: int) -> None:
    """``count`` enabled sites on one platform, last cron within the past two hours (a tenth
    never), with a latest statistics reading each."""
    server = create_server("bench.example.com", master=True,
                           services={"http": ServiceSpec("apache", port=80)})
    platform = create_platform("bench", f"{platform_base_path()}/bench", server)
    db.session.commit()
    now = utcnow()
    rows = [
        {
            "uri": f"site{n}.example.com",
            "platform_id": platform.id,
            "status": SiteStatus.ENABLED,
            "last_cron_at": (
                None if n % 10 == 0 else now - timedelta(seconds=random.randint(0, 7200))
            ),
            "created_at": now,
            "cron_key": "k",
        }
        for n in range(count)
    ]
    for start in range(0, count, 1000):
        db.session.execute(insert(Site), rows[start:start + 1000])
    db.session.commit()
    ids = list(db.session.scalars(db.select(Site.id)))
    schedules = [
        {"site_id": site_id, "last_statistics_at": now, "users": random.randint(1, 50),
         "active_users": random.randint(0, 5), "content_items": random.randint(0, 500),
         "comments": random.randint(0, 900)}
        for site_id in ids
    ]
    for start in range(0, len(schedules), 1000):
        db.session.execute(insert(SiteSchedule), schedules[start:start + 1000])
    db.session.commit()


def cron_pass(app: object, now: object) -> tuple[float, int]:
    """What one dispatch pass does for the cron queue up to provision: (seconds, batch size)."""
    started = time.perf_counter()
    queue = get("cron")
    state = state_of(queue)
    plan = plan_of(queue, state, queue.total())
    picked: list[int] = []
    if is_due(state.last_run_at, plan.frequency, now) and claim_run(state, now):  # type: ignore[arg-type]
        picked = pick(Batch(app=app, now=now, items=plan.items,  # type: ignore[arg-type]
                            frequency=state.frequency))
    return time.perf_counter() - started, len(picked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-url", default="")
    parser.add_argument("--mariadb", action="store_true", help="a scratch MariaDB database")
    parser.add_argument("--sites", type=int, default=10000)
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hostmaster-bench-"))
    url, scratch = args.store_url, ""
    if args.mariadb:
        import pymysql

        scratch = f"hm_bench_{secrets.token_hex(4)}"
        password = secrets.token_hex(16)
        root = pymysql.connect(unix_socket=MARIADB_SOCKET, user="root", autocommit=True)
        with root.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{scratch}` CHARACTER SET utf8mb4")
            cursor.execute(f"CREATE USER '{scratch}'@'localhost' IDENTIFIED BY %s", (password,))
            cursor.execute(f"GRANT ALL ON `{scratch}`.* TO '{scratch}'@'localhost'")
        url = f"mysql+pymysql://{scratch}:{password}@localhost/{scratch}?charset=utf8mb4&" \
              f"unix_socket={MARIADB_SOCKET}"
    url = url or f"sqlite:///{workdir / 'bench.db'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "AEGIR_ROOT": str(workdir), "WTF_CSRF_ENABLED": False,
                      "SECRETS_KEY_FILE": str(workdir / "secrets.key")})
    try:
        with app.app_context():
            upgrade()
            fill(args.sites)
            users.create_user("admin", "admin@example.com", "bench-password-1234",
                              roles=["administrator"])
            now = utcnow()
            picks = []
            for _ in range(args.passes):
                seconds, size = cron_pass(app, now)
                picks.append(seconds)
                now += timedelta(seconds=plan_of(get("cron"), state_of(get("cron")),
                                                 args.sites).frequency)
            client = app.test_client()
            client.post("/login", data={"username": "admin", "password": "bench-password-1234"})
            renders = []
            for _ in range(20):
                started = time.perf_counter()
                response = client.get("/")
                renders.append(time.perf_counter() - started)
                assert response.status_code == 200 and "Site statistics" in response.text
            store = db.engine.dialect.name
            print(f"store {store}, {args.sites} enabled sites")
            print(f"cron pick per pass ({size} sites a batch): median "
                  f"{statistics.median(picks) * 1000:.0f} ms, worst {max(picks) * 1000:.0f} ms")
            print(f"dashboard render: median {statistics.median(renders) * 1000:.0f} ms, "
                  f"worst {max(renders) * 1000:.0f} ms")
            db.session.remove()
            db.engine.dispose()
    finally:
        if scratch:
            with root.cursor() as cursor:
                cursor.execute(f"DROP DATABASE IF EXISTS `{scratch}`")
                cursor.execute(f"DROP USER IF EXISTS '{scratch}'@'localhost'")
            root.close()


if __name__ == "__main__":
    sys.exit(run_guarded(main))
