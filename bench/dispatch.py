#!/usr/bin/env python3
"""Measure the dispatcher daemon: pickup latency and no-op throughput.

Prints, for ``hostmaster dispatch --daemon`` on a fresh store (SQLite by default, or the store
given with --store-url):
- pickup latency: from the moment a task is queued to provision's first log line (provision
  started and running), median and 95th percentile over --samples tasks queued one by one;
- throughput: no-op tasks finished per second with --tasks tasks queued at once on many servers.
Targets (issue "Foundation"): median latency under 0.5 s; at least 10 no-op tasks per second.
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from bench.guarded import run_guarded  # noqa: E402
from hostmaster import create_app  # noqa: E402
from hostmaster.extensions import db  # noqa: E402
from hostmaster.models import Task, TaskLog, TaskStatus  # noqa: E402
from hostmaster.services import tasks  # noqa: E402
from hostmaster.services.servers import create_server  # noqa: E402


def wait_until_idle(timeout: float = 300) -> None:
    """Wait until no task is queued or running."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        db.session.expire_all()
        pending = db.session.scalar(
            select(func.count(Task.id)).where(
                Task.status.in_([TaskStatus.QUEUED, TaskStatus.PROCESSING])
            )
        )
        db.session.commit()
        if not pending:
            return
        time.sleep(0.05)
    raise SystemExit("tasks did not finish in time")


def first_log_time(task_id: int) -> float | None:
    """When provision wrote its first log line for the task (seconds since the epoch)."""
    line = db.session.scalar(
        select(TaskLog).where(TaskLog.task_id == task_id).order_by(TaskLog.id).limit(1)
    )
    return None if line is None else line.created_at.replace(tzinfo=UTC).timestamp()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--store-url", default="", help="SQLAlchemy URL (default: a temp SQLite)")
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--tasks", type=int, default=200)
    parser.add_argument("--servers", type=int, default=50)
    args = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="hostmaster-bench-"))
    url = args.store_url or f"sqlite:///{workdir / 'bench.db'}"
    key_file = str(workdir / "secrets.key")
    config = {"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench", "AEGIR_ROOT": str(workdir),
              "SECRETS_KEY_FILE": key_file}
    app = create_app(config)
    env = {
        **os.environ,
        "HOSTMASTER_DATABASE_URL": url,
        "HOSTMASTER_SECRET_KEY": "bench",
        "HOSTMASTER_SECRET_KEY_FILE": key_file,
        "AEGIR_ROOT": str(workdir),
    }
    hostmaster = str(Path(sys.executable).with_name("hostmaster"))
    with app.app_context():
        upgrade()
        # Local servers (their address is loopback): a no-op on a remote one would go over SSH.
        servers = [create_server(f"bench{n}.localhost", ip_addresses=["127.0.0.1"])
                   for n in range(args.servers)]
        daemon = subprocess.Popen([hostmaster, "dispatch", "--daemon"], env=env)
        try:
            wait_until_idle()
            latencies = []
            for _ in range(args.samples):
                task = tasks.queue(servers[0], "noop")
                task_id, created = task.id, task.created_at
                wait_until_idle()
                started = first_log_time(task_id)
                if started is not None:
                    latencies.append(started - created.replace(tzinfo=UTC).timestamp())
                time.sleep(0.05)
            began = time.monotonic()
            for n in range(args.tasks):
                tasks.queue(servers[n % args.servers], "noop", commit=False)
            db.session.commit()
            wait_until_idle()
            elapsed = time.monotonic() - began
        finally:
            daemon.send_signal(signal.SIGTERM)
            daemon.wait(timeout=60)
        failed = db.session.scalar(
            select(func.count(Task.id)).where(Task.status != TaskStatus.SUCCESS)
        )
    latencies.sort()
    store = url.split(":", 1)[0]
    print(
        f"store: {store}; dispatcher: daemon, concurrency {app.config['DISPATCH_CONCURRENCY']}, "
        f"poll {app.config['DISPATCH_POLL_SECONDS']} s; cores: {os.cpu_count()}"
    )
    print(
        f"pickup latency (queued -> provision running), {len(latencies)} tasks: "
        f"median {statistics.median(latencies):.3f} s, "
        f"p95 {latencies[int(0.95 * (len(latencies) - 1))]:.3f} s (target: median < 0.5 s)"
    )
    print(
        f"throughput: {args.tasks} no-op tasks in {elapsed:.2f} s = "
        f"{args.tasks / elapsed:.1f} tasks/s (target: >= 10/s)"
    )
    print(f"failed tasks: {failed}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(run_guarded(main))
