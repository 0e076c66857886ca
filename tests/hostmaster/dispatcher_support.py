"""Helpers for the store-hiccup tests: store URLs that go through a proxy or wait less for
locks, a dispatcher daemon as a real process with its log in a file, and waiting on the
store."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.engine import make_url

from hostmaster.extensions import db
from hostmaster.models import Task, TaskLog, TaskStatus
from tests.fixtures.tcp_proxy import TcpProxy


def through(proxy: TcpProxy, url: str) -> str:
    """The store URL ``url`` reached through ``proxy``."""
    return make_url(url).set(host="127.0.0.1", port=proxy.port).render_as_string(
        hide_password=False
    )


def with_lock_waits(url: str, seconds: int) -> str:
    """``url`` whose sessions wait at most ``seconds`` for a table or row lock (the server's
    own defaults stay as they are: the setting is per session, made at each connect)."""
    command = (
        f"SET SESSION lock_wait_timeout={seconds}, innodb_lock_wait_timeout={seconds}"
    )
    return make_url(url).update_query_dict({"init_command": command}).render_as_string(
        hide_password=False
    )


class Daemon:
    """``hostmaster dispatch --daemon`` as a real process; its output goes to ``log_file``."""

    def __init__(self, app: Flask, url: str, log_file: Path, **env: str) -> None:
        self.log_file = log_file
        environment = {
            **os.environ,
            "HOSTMASTER_DATABASE_URL": url,
            "HOSTMASTER_SECRET_KEY": "test-secret",
            "HOSTMASTER_SECRET_KEY_FILE": app.config["SECRETS_KEY_FILE"],
            "AEGIR_ROOT": app.config["AEGIR_ROOT"],
            "HOSTMASTER_POLL_SECONDS": "0.1",
            "HOSTMASTER_LEASE_SECONDS": str(app.config["DISPATCH_LEASE_SECONDS"]),
            **env,
        }
        with log_file.open("wb") as output:
            self.process = subprocess.Popen(
                [str(Path(sys.executable).with_name("hostmaster")), "dispatch", "--daemon"],
                env=environment,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    def log(self) -> str:
        """Everything the daemon has written so far."""
        return self.log_file.read_text(errors="replace")

    def lines(self, words: str) -> list[str]:
        """The daemon's log lines that contain ``words``."""
        return [line for line in self.log().splitlines() if words in line]

    def stop(self) -> int:
        """SIGTERM (running tasks finish first), then wait; returns the exit status."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            pytest.fail(f"the daemon did not stop after SIGTERM; its log:\n{self.log()}")


def wait_for(app: Flask, condition: Callable[[], bool], what: str, timeout: float = 60) -> None:
    """Poll ``condition`` (in an app context, fresh reads) until it holds, or fail."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            db.session.expire_all()
            if condition():
                db.session.rollback()
                return
            db.session.rollback()
            if time.monotonic() > deadline:
                pytest.fail(f"waited {timeout:g} s for {what}", pytrace=False)
            time.sleep(0.1)


def task_status(task_id: int) -> TaskStatus:
    """A task's status as the store has it now."""
    return db.session.get_one(Task, task_id).status


def log_messages(task_id: int) -> list[str]:
    """A task's log messages, oldest first."""
    return list(
        db.session.scalars(
            select(TaskLog.message).where(TaskLog.task_id == task_id).order_by(TaskLog.id)
        )
    )


def provision_running(task_id: int) -> bool:
    """Whether the no-op ``task_id`` has told the store that provision is running."""
    return any(message.startswith("No-op started") for message in log_messages(task_id))


def finished(task_id: int) -> bool:
    """Whether the task has its final status."""
    return task_status(task_id).finished
