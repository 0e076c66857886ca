"""The sites, platforms and tasks lists a page at a time: pages, sorting, search and filters
kept in every link, bad parameters ignored, and each user seeing only their own rows."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import insert

from hostmaster.extensions import db
from hostmaster.models import Client, ClientUser, Site, SiteStatus, Task, TaskStatus, utcnow
from hostmaster.services import users
from hostmaster.services.platforms import create_platform
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.app import ADMIN_PASSWORD, AuthActions
from tests.hostmaster.helpers import LOCAL, platform_path
from tests.hostmaster.pages import text

SITES = 120  # page size 50: pages 50, 50, 20


@pytest.fixture
def world(app: Flask) -> dict[str, int]:
    """120 sites on two platforms for clients A and B (odd ones B's), and a task per site."""
    with app.app_context():
        server = create_server("web1.example.com", services={"http": ServiceSpec("apache")},
                               ip_addresses=LOCAL)
        alpha = create_platform("alpha", platform_path("alpha"), server)
        beta = create_platform("beta", platform_path("beta"), server)
        client_a = Client(name="Client A", email="a@example.com", uname="clienta")
        client_b = Client(name="Client B", email="b@example.com", uname="clientb")
        db.session.add_all([client_a, client_b])
        db.session.flush()
        now = utcnow()
        db.session.execute(insert(Site), [
            {"uri": f"s{n:03d}.example.com", "platform_id": (alpha if n < 100 else beta).id,
             "client_id": (client_b if n % 2 else client_a).id,
             "status": SiteStatus.DISABLED if n == 7 else SiteStatus.ENABLED,
             "created_at": now, "profile": "standard"} for n in range(SITES)])
        db.session.flush()
        sites = {site.uri: site.id for site in db.session.scalars(db.select(Site))}
        db.session.execute(insert(Task), [
            {"type": "verify", "entity_kind": "site", "entity_id": site_id,
             "status": TaskStatus.ERROR if uri.endswith("9.example.com") else TaskStatus.SUCCESS,
             "arguments": {}, "created_at": now} for uri, site_id in sites.items()])
        user = users.create_user("alice", "alice@example.com", ADMIN_PASSWORD, roles=["client"],
                                 commit=False)
        db.session.flush()
        db.session.add(ClientUser(client_id=client_a.id, user_id=user.id))
        db.session.commit()
        return {"alpha": alpha.id, "beta": beta.id, "client_a": client_a.id,
                "client_b": client_b.id}


def uris(page: str) -> list[str]:
    return re.findall(r">(s\d{3}\.example\.com)</a>", page)


def test_the_sites_list_shows_fifty_a_page_with_links_that_keep_the_filters(
        client: FlaskClient, auth: AuthActions, world: dict[str, int]) -> None:
    auth.login()
    first = client.get("/sites").get_data(as_text=True)
    assert uris(first) == [f"s{n:03d}.example.com" for n in range(50)]
    assert "Showing 1–50 of 120 sites" in text(first)
    last = client.get("/sites?page=3").get_data(as_text=True)
    assert uris(last)[-1] == "s119.example.com" and "Showing 101–120 of 120" in text(last)
    assert "Page 3 of 3" in text(last)
    # Past the end: the last page; nonsense: the first.
    assert uris(client.get("/sites?page=99").get_data(as_text=True)) == uris(last)
    assert uris(client.get("/sites?page=-2&sort=%27;drop&dir=x").get_data(as_text=True)) == uris(
        first)
    # Sorted by domain, descending; the page links keep the sort and the search.
    page = client.get("/sites?q=s0&sort=domain&dir=desc").get_data(as_text=True)
    assert uris(page)[:3] == ["s099.example.com", "s098.example.com", "s097.example.com"]
    assert 'href="/sites?q=s0&amp;sort=domain&amp;dir=desc&amp;page=2"' in page
    assert 'aria-sort="descending"' in page


def test_sites_are_searched_by_domain_and_filtered_by_platform_client_and_status(
        client: FlaskClient, auth: AuthActions, world: dict[str, int]) -> None:
    auth.login()
    found = uris(client.get("/sites?q=S01").get_data(as_text=True))
    assert found == [f"s01{n}.example.com" for n in range(10)], "case does not matter"
    assert uris(client.get("/sites?q=%25").get_data(as_text=True)) == [], "% is literal"
    beta = uris(client.get(f"/sites?platform={world['beta']}").get_data(as_text=True))
    assert beta == [f"s{n:03d}.example.com" for n in range(100, 120)]
    mine = uris(client.get(
        f"/sites?client={world['client_b']}&platform={world['beta']}").get_data(as_text=True))
    assert mine == [f"s{n:03d}.example.com" for n in range(101, 120, 2)]
    assert uris(client.get("/sites?status=disabled").get_data(as_text=True)) == [
        "s007.example.com"]
    page = client.get("/sites?q=nothing-like-this").get_data(as_text=True)
    assert "No site matches." in text(page)
    by_client = uris(client.get("/sites?sort=client&dir=desc").get_data(as_text=True))
    assert by_client[0] == "s119.example.com", "client B first, ties newest first"
    assert all(int(uri[1:4]) % 2 == 1 for uri in by_client)


def test_a_client_user_lists_only_their_clients_sites(
        client: FlaskClient, auth: AuthActions, world: dict[str, int]) -> None:
    auth.login("alice", ADMIN_PASSWORD)
    page = client.get("/sites").get_data(as_text=True)
    assert "of 60 sites" in text(page)
    everything = []
    for number in (1, 2):
        everything += uris(client.get(f"/sites?page={number}").get_data(as_text=True))
    assert everything and all(int(uri[1:4]) % 2 == 0 for uri in everything)
    assert uris(client.get(f"/sites?client={world['client_b']}").get_data(as_text=True)) == []
    tasks = client.get("/tasks?q=s001.example").get_data(as_text=True)
    assert "s001.example.com" not in tasks, "another client's task is not found"


def test_platforms_are_searched_sorted_and_counted(
        app: Flask, client: FlaskClient, auth: AuthActions, world: dict[str, int]) -> None:
    auth.login()
    page = client.get("/platforms?sort=sites&dir=desc").get_data(as_text=True)
    names = re.findall(r'href="/platforms/\d+">(\w+)</a>', page)
    assert names == ["alpha", "beta"]
    assert re.search(r">alpha</a>.*?<td class=\"number\">100</td>", page, re.S)
    assert re.findall(r'href="/platforms/\d+">(\w+)</a>', client.get(
        "/platforms?sort=sites").get_data(as_text=True)) == ["beta", "alpha"]
    assert re.findall(r'href="/platforms/\d+">(\w+)</a>', client.get(
        "/platforms?q=ET").get_data(as_text=True)) == ["beta"]
    with app.app_context():
        other = create_server("web9.example.com", services={"http": ServiceSpec("nginx")},
                              ip_addresses=LOCAL)
        create_platform("gamma", platform_path("gamma"), other)
        other_id = other.id
    assert re.findall(r'href="/platforms/\d+">(\w+)</a>', client.get(
        f"/platforms?server={other_id}").get_data(as_text=True)) == ["gamma"]


def test_tasks_are_filtered_by_status_type_and_entity_name_and_sorted(
        client: FlaskClient, auth: AuthActions, world: dict[str, int]) -> None:
    auth.login()
    errors = client.get("/tasks?status=error").get_data(as_text=True)
    assert "of 12 tasks" in text(errors)
    assert 'href="/tasks?status=error&amp;sort=type&amp;dir=asc"' in errors
    found = client.get("/tasks?q=s042.example").get_data(as_text=True)
    assert "Showing 1–1 of 1 tasks" in text(found) and "s042.example.com" in found
    assert "No tasks match." in text(client.get("/tasks?type=backup").get_data(as_text=True))
    # The sites' 120 verifies, and those queued for the server and the two platforms.
    assert "of 123 tasks" in text(client.get("/tasks?type=verify").get_data(as_text=True))
    oldest = client.get("/tasks?sort=created&dir=asc").get_data(as_text=True)
    ids = [int(n) for n in dict.fromkeys(re.findall(r'<td><a href="/tasks/(\d+)">', oldest))]
    assert ids == sorted(ids) and len(ids) == 50
