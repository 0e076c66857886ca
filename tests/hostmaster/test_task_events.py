"""The live task log's event stream, read by a real streaming HTTP client from the app served
on a loopback port while the test writes log lines and statuses into the store, as the
dispatcher does."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from hostmaster.extensions import db
from hostmaster.models import Client, ClientUser, Task, TaskStatus, utcnow
from hostmaster.services import tasks, users
from tests.fixtures.app import ADMIN_PASSWORD
from tests.hostmaster.site_helpers import master_server, new_site, ready_platform

_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@dataclass
class Event:
    """One server-sent event as a browser's EventSource sees it."""

    name: str
    data: Any
    event_id: int | None


class EventReader:
    """Reads the events of one streaming response, one at a time, as they arrive."""

    def __init__(self, response: requests.Response) -> None:
        self.response = response
        self.comments: list[str] = []
        # Byte by byte: a line is read as soon as it arrives, not once a buffer is full.
        self._lines = (raw.decode() for raw in response.iter_lines(chunk_size=1))

    def __iter__(self) -> Iterator[Event]:
        name, data, event_id = "message", "", None
        for line in self._lines:
            if line == "":
                if data:
                    yield Event(name, json.loads(data), event_id)
                name, data, event_id = "message", "", None
            elif line.startswith(":"):
                self.comments.append(line)
            else:
                field, _, value = line.partition(": ")
                if field == "event":
                    name = value
                elif field == "data":
                    data += value
                elif field == "id":
                    event_id = int(value)

    def next(self) -> Event:
        """The next event (the read times out after the request's timeout)."""
        return next(iter(self))


@dataclass
class Live:
    """The app served on 127.0.0.1, a queued task of client A's site, and its users."""

    app: Flask
    url: str
    task_id: int

    def session(self, username: str) -> requests.Session:
        """A browser session logged in as ``username``."""
        browser = requests.Session()
        page = browser.get(f"{self.url}/login", timeout=10)
        match = _CSRF.search(page.text)
        assert match
        answer = browser.post(
            f"{self.url}/login",
            data={"username": username, "password": ADMIN_PASSWORD, "csrf_token": match.group(1)},
            timeout=10,
        )
        assert answer.ok
        return browser

    def events(self, browser: requests.Session, **headers: str) -> EventReader:
        """Open the task's event stream."""
        response = browser.get(f"{self.url}/tasks/{self.task_id}/events", headers=headers,
                               stream=True, timeout=10)
        assert response.status_code == 200
        assert response.headers["Content-Type"].startswith("text/event-stream")
        return EventReader(response)

    def log(self, level: str, message: str) -> int:
        """Append a line to the task's log, as the dispatcher does; its id."""
        with self.app.app_context():
            task = db.session.get(Task, self.task_id)
            assert task is not None
            line = tasks.add_log(task, level, message)
            db.session.commit()
            return line.id

    def set_status(self, status: TaskStatus) -> None:
        """Change the task's status, as the dispatcher does."""
        with self.app.app_context():
            task = db.session.get(Task, self.task_id)
            assert task is not None
            task.status = status
            if status.finished:
                task.finished_at = utcnow()
            db.session.commit()


def _client_user(name: str) -> Client:
    client = Client(name=f"Client {name}", email=f"{name}@example.com", uname=f"client{name}")
    db.session.add(client)
    user = users.create_user(name, f"{name}@example.com", ADMIN_PASSWORD, roles=["client"],
                             commit=False)
    db.session.flush()
    db.session.add(ClientUser(client_id=client.id, user_id=user.id))
    db.session.commit()
    return client


@pytest.fixture
def live(app: Flask) -> Iterator[Live]:
    app.config.update(TASK_EVENTS_SECONDS=5.0, TASK_EVENTS_POLL_SECONDS=0.1,
                      TASK_EVENTS_HEARTBEAT_SECONDS=0.5)
    with app.app_context():
        client_a = _client_user("alice")
        _client_user("bob")
        server = master_server()
        platform = ready_platform(server)
        site = new_site(platform, server, "a.example.com", client=client_a)
        task = db.session.scalars(select(Task).where(Task.entity_id == site.id,
                                                     Task.entity_kind == "site")).one()
        task_id = task.id
        db.session.remove()
    server_ = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server_.serve_forever, daemon=True)
    thread.start()
    try:
        yield Live(app, f"http://127.0.0.1:{server_.server_port}", task_id)
    finally:
        server_.shutdown()
        thread.join()


def test_log_lines_and_status_changes_arrive_while_the_task_runs(live: Live) -> None:
    stream = live.events(live.session("alice"))
    first = stream.next()
    assert (first.name, first.data["status"]) == ("status", "queued")

    started = live.log("info", "Starting the install.")
    line = stream.next()
    assert (line.name, line.event_id) == ("line", started)
    assert line.data["message"] == "Starting the install."
    assert line.data["level"] == "info"

    live.set_status(TaskStatus.PROCESSING)
    running = stream.next()
    assert (running.name, running.data["status"]) == ("status", "processing")

    failed = live.log("error", "The database could not be created.\nAsk the admin.")
    live.set_status(TaskStatus.ERROR)
    rest = list(stream)  # the stream closes after its end event
    assert [event.name for event in rest][-3:] == ["line", "status", "end"]
    assert rest[-3].event_id == failed
    assert rest[-3].data["message"] == "The database could not be created.\nAsk the admin."
    assert rest[-2].data == {"status": "error", "finished": True}


def test_a_status_change_is_sent_once(live: Live) -> None:
    stream = live.events(live.session("alice"))
    assert stream.next().data["status"] == "queued"
    live.set_status(TaskStatus.PROCESSING)
    changed = stream.next()
    assert (changed.name, changed.data) == ("status", {"status": "processing", "finished": False})
    live.set_status(TaskStatus.SUCCESS)
    assert [(event.name, event.data["status"]) for event in stream] == [
        ("status", "success"), ("end", "success")]


def test_a_reconnecting_browser_gets_only_the_lines_after_its_last_event_id(live: Live) -> None:
    seen = live.log("info", "One.")
    two, three = live.log("info", "Two."), live.log("warning", "Three.")
    live.set_status(TaskStatus.WARNING)
    browser = live.session("alice")

    resumed = list(live.events(browser, **{"Last-Event-ID": str(seen)}))
    assert [(event.name, event.event_id) for event in resumed] == [
        ("line", two), ("line", three), ("status", None), ("end", None)]

    from_page = browser.get(f"{live.url}/tasks/{live.task_id}/events?after={two}", timeout=10)
    assert [line for line in from_page.text.splitlines() if line.startswith("id: ")] == [
        f"id: {three}"]


def test_an_open_stream_ends_on_time_with_heartbeats_and_holds_no_connection(
    live: Live,
) -> None:
    stream = live.events(live.session("alice"))
    assert stream.next().name == "status"
    idle = 0
    for _ in range(20):
        time.sleep(0.1)
        idle += db_connections_in_use(live.app) == 0
    started = time.monotonic()
    assert list(stream) == []
    assert time.monotonic() - started < 6
    assert stream.comments, "no heartbeat comment in a quiet stream"
    # Polls take a few milliseconds of each 0.1 s: the stream sleeps without a connection.
    assert idle >= 15


def db_connections_in_use(app: Flask) -> int:
    """Connections checked out of the store's pool."""
    with app.app_context():
        return int(db.engine.pool.checkedout())  # type: ignore[attr-defined]


def test_another_clients_task_is_not_found_and_anonymous_visitors_must_log_in(
    live: Live,
) -> None:
    url = f"{live.url}/tasks/{live.task_id}/events"
    assert live.session("bob").get(url, timeout=10).status_code == 404
    anonymous = requests.get(url, timeout=10, allow_redirects=False)
    assert anonymous.status_code == 302
    assert "/login" in anonymous.headers["Location"]


def test_the_end_of_a_log_carries_the_tasks_times(live: Live) -> None:
    with live.app.app_context():
        task = db.session.get_one(Task, live.task_id)
        task.started_at = utcnow()
        db.session.commit()
    live.set_status(TaskStatus.SUCCESS)
    end = list(live.events(live.session("alice")))[-1]
    assert end.name == "end" and end.data["status"] == "success"
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d", end.data["finished_at"]["text"])
    assert end.data["started"]["datetime"].endswith("Z") and end.data["duration"].endswith(" s")


def test_the_statuses_of_several_tasks_arrive_until_every_one_has_finished(live: Live) -> None:
    with live.app.app_context():
        site = tasks.entity_of(db.session.get_one(Task, live.task_id))
        assert site is not None
        queued = Task(type="backup", entity_kind="site", entity_id=site.id)  # as queue() makes
        db.session.add(queued)
        db.session.commit()
        second = queued.id
        bobs = db.session.scalars(select(Client).where(Client.name == "Client bob")).one()
        other = new_site(site.platform, site.platform.web_server, "b.example.com",
                         client=bobs)
        hidden = db.session.scalars(select(Task).where(Task.entity_id == other.id,
                                                       Task.entity_kind == "site")).one().id
    browser = live.session("alice")
    response = browser.get(f"{live.url}/tasks/events?task={live.task_id}&task={second}"
                           f"&task={hidden}&task=nonsense", stream=True, timeout=10)
    assert response.status_code == 200
    stream = EventReader(response)
    first = [stream.next(), stream.next()]
    assert [(e.name, e.data["id"], e.data["status"]) for e in first] == [
        ("status", live.task_id, "queued"), ("status", second, "queued")]  # not bob's task
    live.set_status(TaskStatus.PROCESSING)
    assert stream.next().data == {"id": live.task_id, "status": "processing", "finished": False}
    live.set_status(TaskStatus.SUCCESS)
    assert stream.next().data == {"id": live.task_id, "status": "success", "finished": True}
    with live.app.app_context():
        task = db.session.get_one(Task, second)
        task.status, task.finished_at = TaskStatus.ERROR, utcnow()
        db.session.commit()
    rest = list(stream)
    assert [(e.name, e.data.get("id"), e.data.get("status")) for e in rest] == [
        ("status", second, "error"), ("end", None, None)]


def test_the_status_stream_is_for_logged_in_users_only(live: Live) -> None:
    anonymous = requests.get(f"{live.url}/tasks/events?task={live.task_id}", timeout=10,
                             allow_redirects=False)
    assert anonymous.status_code == 302 and "/login" in anonymous.headers["Location"]
    nothing = live.session("bob").get(f"{live.url}/tasks/events?task={live.task_id}",
                                      timeout=10)
    assert [line for line in nothing.text.splitlines() if line.startswith("event:")] == [
        "event: end"]
