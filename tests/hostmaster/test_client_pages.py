"""What a client's user sees: only their own pages, and no link that leads to a page they may
not open (every link of every page reached from the dashboard is followed); the Add-a-site
form makes them, and administrators, choose the client when there are several."""

from __future__ import annotations

import html
import re
from collections import deque
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import Client, ClientUser, PlatformStatus, Site, SiteBackup
from hostmaster.services import clients, settings, tasks, users
from tests.fixtures.app import ADMIN_PASSWORD, AuthActions
from tests.hostmaster.pages import field_error, text
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform

_HREF = re.compile(r'(?:href|action)="([^"#]+)"')
#: Words of pages and buttons that are only for staff.
STAFF_WORDS = ("Add a server", "Add a platform", "Add server", "Administration", "Dispatcher",
               "Batch queues", "Servers")


def client_world(app: Flask) -> dict[str, int]:
    """Clients A and B; jane, a user of A; A's enabled site on a Drupal platform and A's site
    on a WordPress platform that is locked since, each with a finished task and a backup; B's
    site on the same platform."""
    with app.app_context():
        settings.save({"client_create_user": False})
        jane = users.create_user("jane", "jane@example.com", ADMIN_PASSWORD, roles=["client"])
        a, _ = clients.create_client(clients.ClientSpec("Client A", "a@example.com",
                                                        "a@example.com", usernames=["jane"]))
        b, _ = clients.create_client(clients.ClientSpec("Client B", "b@example.com",
                                                        "b@example.com"))
        server = master_server()
        drupal = ready_platform(server)
        wordpress = ready_platform(server, "wordpress", profiles=())
        own = enabled_site(drupal, server, "shop.example.com")
        blog = enabled_site(wordpress, server, "blog.example.com")
        other = enabled_site(drupal, server, "other.example.com")
        own.client, blog.client, other.client = a, a, b
        wordpress.status = PlatformStatus.LOCKED
        for site in (own, blog):
            db.session.add(SiteBackup(site_id=site.id, filename=f"/b/{site.uri}.tar.gz",
                                      size=10, description="Before the test"))
        db.session.commit()
        tasks.queue(own, "verify", user=jane)
        return {"jane": jane.id, "a": a.id, "b": b.id, "own": own.id, "blog": blog.id,
                "other": other.id, "drupal": drupal.id, "server": server.id}


def crawl(client: FlaskClient, start: str = "/") -> dict[str, tuple[int, str]]:
    """Every page of the panel reached from ``start`` by links (and form addresses that take
    GET), with the status each answered and the page that linked to it."""
    seen: dict[str, tuple[int, str]] = {}
    waiting = deque([(start, "")])
    while waiting:
        path, source = waiting.popleft()
        if path in seen:
            continue
        response = client.get(path)
        markup = response.get_data(as_text=True) if "text/html" in response.content_type else ""
        response.close()
        seen[path] = (response.status_code, source)
        if response.status_code != 200:
            continue
        for found in _HREF.findall(markup):
            target = urlsplit(urljoin(path, found.replace("&amp;", "&")))
            if target.netloc or target.path in ("/logout",) or "/run/" in target.path:
                continue  # other sites, and forms that only take POST
            if target.path.endswith(("/goto", "/cancel", "/retry", "/update-status",
                                     "/password", "/email", "/delete")):
                continue  # POST-only actions and the site's own address
            waiting.append((target.path + (f"?{target.query}" if target.query else ""), path))
    return seen


def test_a_client_user_sees_only_their_own_pages_and_no_link_that_fails(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    ids = client_world(app)
    assert auth.login("jane").location == "/"
    seen = crawl(client)
    broken = {path: found for path, found in seen.items() if found[0] >= 400}
    assert broken == {}
    assert f"/sites/{ids['own']}" in seen and f"/sites/{ids['blog']}" in seen
    assert f"/sites/{ids['other']}" not in seen
    assert not any(path.startswith(("/servers", "/admin", "/queues")) for path in seen)
    dashboard = text(client.get("/").get_data(as_text=True))
    assert "Your sites" in dashboard and "shop.example.com" in dashboard
    assert "other.example.com" not in dashboard
    for word in STAFF_WORDS:
        assert word not in dashboard, word
    blog = text(client.get(f"/sites/{ids['blog']}").get_data(as_text=True))
    assert "Profile" not in blog  # a WordPress site has no install profile to show


def test_with_several_clients_the_site_form_makes_the_user_choose_one(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    ids = client_world(app)
    auth.login("admin")
    form = client.get("/sites/add").get_data(as_text=True)
    first = re.search(r'<select id="client" name="client">\s*<option ([^>]*)>([^<]*)', form)
    assert first and html.unescape(first.group(2)) == "Choose the site's client"
    assert "selected" in first.group(1)
    values = {"uri": "new.example.com", "client": "", "profile": "", "language": "en",
              "platform": str(ids["drupal"]), "db_server": str(ids["server"])}
    refused = auth.submit("/sites/add", values)
    assert field_error(refused.get_data(as_text=True), "client") == \
        "Choose the client the site is for."
    with app.app_context():
        assert db.session.scalar(select(Site).where(Site.uri == "new.example.com")) is None
    made = auth.submit("/sites/add", {**values, "client": str(ids["b"])})
    assert made.status_code == 302
    with app.app_context():
        site = db.session.scalars(select(Site).where(Site.uri == "new.example.com")).one()
        assert site.client_id == ids["b"]


def test_a_user_of_one_client_finds_it_chosen_and_the_language_setting_filled_in(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    ids = client_world(app)
    with app.app_context():
        settings.save({"site_language": "de"})
    auth.login("jane")
    form = client.get("/sites/add").get_data(as_text=True)
    options = re.findall(r"<option[^>]*>([^<]*)</option>",
                         form.split('id="client"')[1].split("</select>")[0])
    assert options == ["Client A"]
    assert re.search(r'id="language"[^>]*value="de"', form)
    with app.app_context():
        assert db.session.scalar(select(ClientUser.client_id).where(
            ClientUser.user_id == ids["jane"])) == ids["a"]
        assert db.session.get_one(Client, ids["a"]).name == "Client A"


@pytest.mark.parametrize("path", ["/servers/add", "/platforms/add", "/admin", "/queues"])
def test_the_staff_pages_answer_a_client_user_as_if_they_did_not_exist(
    app: Flask, client: FlaskClient, auth: AuthActions, path: str
) -> None:
    client_world(app)
    auth.login("jane")
    assert client.get(path).status_code == 404
