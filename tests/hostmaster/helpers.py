"""Small builders for hostmaster tests: entities made through the services, as users make them."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import func, select

from hostmaster.extensions import db
from hostmaster.models import Server, Task, TaskLog, TaskStatus
from hostmaster.services import tasks
from hostmaster.services.servers import ServiceSpec, create_server

#: The address of test servers that run on this machine under made-up names: provision reaches
#: a server at its first IP address, and one that is this machine needs no SSH.
LOCAL = ("127.0.0.1",)


def null_server(hostname: str = "null.example.com", *, master: bool = False) -> Server:
    """A server with no services on this machine (its verify does nothing but succeed)."""
    return create_server(hostname, master=master, ip_addresses=LOCAL)


def web_server(
    instance: Any, *, hostname: str = "web.example.com", kind: str = "apache", master: bool = False
) -> Server:
    """A server on this machine whose http service is the private test instance ``instance``."""
    spec = ServiceSpec(
        type=kind,
        port=instance.port,
        restart_cmd=instance.restart_cmd,
        options={
            "http_configtest_cmd": instance.configtest_cmd,
            "http_include_dir": str(instance.include_dir),
            "http_reload_settle": str(instance.reload_settle),  # a string: 0 is no option
        },
    )
    return create_server(hostname, services={"http": spec}, master=master, ip_addresses=LOCAL)


def queue_noop(server: Server, seconds: float = 0) -> Task:
    """Queue a no-op task (provision sleeps ``seconds`` first, when given)."""
    return tasks.queue(server, "noop", {"seconds": seconds} if seconds else {})


def status_counts() -> dict[TaskStatus, int]:
    """How many tasks are in each status."""
    rows = db.session.execute(select(Task.status, func.count()).group_by(Task.status))
    return {status: count for status, count in rows}


def log_text(task_id: int) -> str:
    """A task's whole log as "level: message" lines."""
    lines = db.session.scalars(
        select(TaskLog).where(TaskLog.task_id == task_id).order_by(TaskLog.id)
    )
    return "\n".join(f"{line.level}: {line.message}" for line in lines)


def platform_path(name: str) -> str:
    """Where a test platform called ``name`` lives: in the app's platform base path (the
    aegir root's platforms folder); call it inside an app context."""
    return str(Path(current_app.config["AEGIR_ROOT"]) / "platforms" / name)


def project_root() -> Path:
    """The checkout's top folder."""
    return Path(__file__).resolve().parents[2]
