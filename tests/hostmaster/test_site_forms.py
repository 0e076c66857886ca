"""The site form (and its refusals), the edit form, the login link, the confirm dialogs of
site tasks and the public "site disabled" page."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from hostmaster.extensions import db
from hostmaster.models import (
    Client,
    ContextName,
    Platform,
    PlatformStatus,
    Server,
    Site,
    SiteAlias,
    SiteStatus,
    Task,
    TaskStatus,
)
from hostmaster.services import contexts, settings, site_aliases, site_results, tasks
from hostmaster.services.errors import ValidationError
from hostmaster.services.site_domains import MAX_DOMAIN
from tests.fixtures.app import AuthActions
from tests.hostmaster.pages import field_error, part, rows, text
from tests.hostmaster.site_helpers import (
    enabled_site,
    finish,
    master_server,
    new_site,
    ready_platform,
)
from tests.hostmaster.test_api import the_admin, token_of


@pytest.fixture
def logged_in(client: FlaskClient, auth: AuthActions) -> AuthActions:
    """The admin, logged in."""
    auth.login()
    return auth


@pytest.fixture
def ids(app: Flask) -> dict[str, int]:
    """A master server (Apache + MySQL), an enabled Drupal platform with the minimal and
    standard profiles, an enabled WordPress platform and a locked platform."""
    with app.app_context():
        server = master_server()
        drupal = ready_platform(server)
        wordpress = ready_platform(server, "wordpress", profiles=())
        locked = ready_platform(server, "locked7", status=PlatformStatus.LOCKED)
        return {"server": server.id, "drupal": drupal.id, "wordpress": wordpress.id,
                "locked": locked.id}


def _platform_and_server(ids: dict[str, int]) -> tuple[Platform, Server]:
    """The Drupal platform and the master server of ``ids`` (inside an app context)."""
    return db.session.get_one(Platform, ids["drupal"]), db.session.get_one(Server, ids["server"])


def site_form(ids: dict[str, int], **changes: Any) -> dict[str, Any]:
    """What a user types into the site form."""
    return {
        "uri": "www.example.com",
        "client": "",
        "profile": "standard",
        "platform": str(ids["drupal"]),
        "language": "en",
        "db_server": str(ids["server"]),
        "aliases": "",
        **changes,
    }


def test_creating_a_site_queues_its_install_under_the_default_client(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    response = logged_in.submit(
        "/sites/add", site_form(ids, aliases="example.com", redirect_aliases="www.example.org")
    )
    with app.app_context():
        site = db.session.scalars(select(Site)).one()
        assert response.location == f"/sites/{site.id}"
        assert (site.status, site.profile, site.platform_id) == (
            SiteStatus.QUEUED, "standard", ids["drupal"]
        )
        assert site.client is not None
        assert (site.client.name, site.client.uname, site.client.email) == (
            "Default client", "default", "admin@example.com"
        )
        assert [(a.alias, a.redirection, a.automatic) for a in site.aliases] == [
            ("example.com", False, False), ("www.example.org", True, False)
        ]
        assert db.session.scalar(select(ContextName.name).where(ContextName.entity_id == site.id,
                                 ContextName.entity_kind == "site")) == "www.example.com"
        task = tasks.pending_task(site, "install")
        assert task is not None and task.status == TaskStatus.QUEUED
    page = text(client.get(response.location).get_data(as_text=True))
    assert "Site www.example.com created; its install task is queued." in page
    assert "Aliases example.com, www.example.org (redirects)" in page


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("www example.com", "is not a valid domain"),
        ("www.exa'mple.com", "is not a valid domain"),
        ("www..example.com", "is not a valid domain"),
        ("www.example.com;reboot", "is not a valid domain"),
        ("$(id).example.com", "is not a valid domain"),
        ("a" * 290 + ".com", f"A domain has at most {MAX_DOMAIN} characters"),
        ("localhost", "is not a fully qualified domain name"),
        ("", "Enter the site's domain"),
    ],
    ids=["space", "quote", "dot-dot", "semicolon", "substitution", "300-chars", "no-dot", "empty"],
)
def test_a_bad_domain_is_refused_beside_its_field_and_nothing_is_queued(
    app: Flask, logged_in: AuthActions, ids: dict[str, int], uri: str, message: str
) -> None:
    before = rows(app, Site, SiteAlias, Task, ContextName, Client)
    response = logged_in.submit("/sites/add", site_form(ids, uri=uri))
    assert response.status_code == 200
    assert message in field_error(response.get_data(as_text=True), "uri")
    assert rows(app, Site, SiteAlias, Task, ContextName, Client) == before


def test_a_taken_domain_or_alias_is_refused_and_nothing_is_queued(
    app: Flask, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    logged_in.submit("/sites/add", site_form(ids, aliases="example.com"))
    before = rows(app, Site, SiteAlias, Task, ContextName)
    taken = logged_in.submit("/sites/add", site_form(ids)).get_data(as_text=True)
    assert field_error(taken, "uri") == (
        "www.example.com is already used by another site; choose another domain."
    )
    as_alias = logged_in.submit("/sites/add", site_form(ids, uri="example.com"))
    assert "already used by an alias of www.example.com" in field_error(
        as_alias.get_data(as_text=True), "uri"
    )
    alias_taken = logged_in.submit(
        "/sites/add", site_form(ids, uri="shop.example.com", aliases="ok.example.com\nexample.com")
    )
    assert field_error(alias_taken.get_data(as_text=True), "aliases") == (
        "example.com is already used by an alias of www.example.com; remove it or choose another."
    )
    bad_alias = logged_in.submit(
        "/sites/add", site_form(ids, uri="shop.example.com", aliases="bad alias.com")
    )
    assert "is not a valid domain" in field_error(bad_alias.get_data(as_text=True), "aliases")
    assert rows(app, Site, SiteAlias, Task, ContextName) == before


def test_the_form_offers_enabled_platforms_with_their_profiles_only(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    page = client.get("/sites/add").get_data(as_text=True)
    platforms = part(page, "platform", "</select>")
    assert "drupal7" in platforms and "wordpress" in platforms and "locked7" not in platforms
    assert f'data-profiles="minimal standard" value="{ids["drupal"]}"' in platforms
    assert 'src="/static/js/site-form.js"' in page
    profiles = text(part(page, "profile", "</select>").split(">", 1)[1])
    assert profiles == "The platform's default minimal standard"


def test_a_locked_platform_or_one_without_the_profile_is_refused(
    app: Flask, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    before = rows(app, Site, Task)
    locked = logged_in.submit("/sites/add", site_form(ids, platform=str(ids["locked"])))
    assert field_error(locked.get_data(as_text=True), "platform") == (
        "Choose an enabled platform (locked platforms take no new sites)."
    )
    no_profile = logged_in.submit("/sites/add", site_form(ids, platform=str(ids["wordpress"])))
    assert field_error(no_profile.get_data(as_text=True), "profile") == (
        "wordpress has no install profile 'standard'; choose a platform that has it, "
        "or another profile."
    )
    assert rows(app, Site, Task) == before


def test_a_site_on_wordpress_takes_the_platform_default_profile(
    app: Flask, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    logged_in.submit("/sites/add", site_form(ids, platform=str(ids["wordpress"]), profile=""))
    with app.app_context():
        assert db.session.scalars(select(Site.profile)).one() == ""


def test_editing_a_site_changes_its_aliases_and_queues_a_verify(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    with app.app_context():
        site_id = enabled_site(*_platform_and_server(ids)).id
    form = client.get(f"/sites/{site_id}/edit").get_data(as_text=True)
    assert 'name="uri"' not in form and 'name="platform"' not in form
    response = logged_in.submit(f"/sites/{site_id}/edit",
                                {"client": "", "aliases": "example.com\n\nEXAMPLE.net "})
    assert response.location == f"/sites/{site_id}"
    with app.app_context():
        site = db.session.get_one(Site, site_id)
        assert [(a.alias, a.redirection) for a in site.aliases] == [
            ("example.com", False), ("example.net", False)
        ]
        assert site.client is not None and site.client.uname == "default"
        assert tasks.pending_task(site, "verify") is not None


def test_the_site_page_offers_the_login_link_once_then_the_site(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    with app.app_context():
        site = enabled_site(*_platform_and_server(ids))
        site_results.remember_login_link(site, "http://www.example.com/user/reset/1/2/x/login")
        db.session.commit()
        site_id = site.id
    page = client.get(f"/sites/{site_id}").get_data(as_text=True)
    assert text(part(page, "site-link", "</p>")).endswith("Log in to www.example.com")
    first = client.get(f"/sites/{site_id}/goto")
    assert first.location == "http://www.example.com/user/reset/1/2/x/login"
    page = client.get(f"/sites/{site_id}").get_data(as_text=True)
    assert text(part(page, "site-link", "</p>")).endswith("Go to www.example.com")
    assert client.get(f"/sites/{site_id}/goto").location == "http://www.example.com/"


def test_a_backup_asks_for_a_description_first_and_lists_the_result(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    with app.app_context():
        site_id = enabled_site(*_platform_and_server(ids)).id
    page = client.get(f"/sites/{site_id}").get_data(as_text=True)
    confirm = f"/tasks/confirm/site/{site_id}/backup"
    assert f'href="{confirm}"' in page
    response = logged_in.submit(confirm, {"description": "Before the redesign"})
    with app.app_context():
        task = db.session.scalars(select(Task).where(Task.type == "backup")).one()
        assert response.location == f"/tasks/{task.id}"
        assert task.arguments == {"description": "Before the redesign"}
        finish(task, {"backup_file": "/var/aegir/backups/w.tar.gz", "backup_file_size": 43520})
    backups = text(part(client.get(f"/sites/{site_id}").get_data(as_text=True),
                        "backups", "</section>"))
    assert "42.5 KB Before the redesign" in backups


def test_a_confirm_page_says_why_a_task_is_unavailable(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    with app.app_context():
        site_id = enabled_site(*_platform_and_server(ids)).id
    page = client.get(f"/tasks/confirm/site/{site_id}/delete").get_data(as_text=True)
    assert "Disable www.example.com before deleting it" in text(page)
    before = rows(app, Task)
    logged_in.submit(f"/tasks/confirm/site/{site_id}/delete", {})
    assert rows(app, Task) == before


def test_the_site_list_filters_by_status(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    logged_in.submit("/sites/add", site_form(ids))
    with app.app_context():
        db.session.scalars(select(Site)).one().status = SiteStatus.DELETED
        db.session.commit()
    assert "No sites yet." in text(client.get("/sites").get_data(as_text=True))
    deleted = text(client.get("/sites?status=deleted").get_data(as_text=True))
    assert "www.example.com drupal7 Default client Deleted" in deleted


def test_the_disabled_page_needs_no_login_and_names_the_site(
    app: Flask, client: FlaskClient,
) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        assert client.get("/hosting/disabled/www.example.com").status_code == 404  # enabled
        finish(tasks.queue(site, "disable"))
    response = client.get("/hosting/disabled/www.example.com")
    assert response.status_code == 503
    seen = text(response.get_data(as_text=True))
    assert "This site is disabled." in seen and "www.example.com" in seen


def test_the_disabled_page_is_not_found_for_a_deleted_or_unknown_site(
    app: Flask, client: FlaskClient,
) -> None:
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        finish(tasks.queue(site, "disable"))
        finish(tasks.queue(site, "delete"))
        db.session.refresh(site)
        assert site.status == SiteStatus.DELETED
    assert client.get("/hosting/disabled/www.example.com").status_code == 404
    assert client.get("/hosting/disabled/unknown.example.com").status_code == 404


def test_the_disabled_page_answers_while_a_migrate_keeps_the_site_in_maintenance(
    app: Flask, client: FlaskClient,
) -> None:
    """provision's maintenance step sends visitors here while the store has it enabled."""
    with app.app_context():
        server = master_server()
        site = enabled_site(ready_platform(server), server)
        tasks.queue(site, "migrate", {"target_platform": ready_platform(server, "d7b").id})
    assert client.get("/hosting/disabled/www.example.com").status_code == 503


def test_an_alias_listed_twice_the_sites_own_domain_or_one_taken_is_refused_and_nothing_made(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    with app.app_context():
        new_site(*_platform_and_server(ids), "taken.example.com",
                 redirect_aliases=["old.taken.example.com"])
    before = rows(app, Site, SiteAlias, Task)

    def refusal(field: str, **aliases: str) -> str:
        response = logged_in.submit("/sites/add", site_form(ids, **aliases))
        assert response.status_code == 200
        return field_error(response.get_data(as_text=True), field)

    assert refusal("aliases", aliases="a.example.com\nA.example.com") == (
        "a.example.com is listed twice; give each alias once, either as served or as "
        "redirecting.")
    assert refusal("redirect_aliases", aliases="b.example.com",
                   redirect_aliases="b.example.com").startswith("b.example.com is listed twice")
    assert refusal("redirect_aliases", redirect_aliases="WWW.example.com") == (
        "www.example.com is the site's own domain; it needs no alias.")
    assert refusal("redirect_aliases", redirect_aliases="old.taken.example.com") == (
        "old.taken.example.com is already used by an alias of taken.example.com; remove it or "
        "choose another.")
    assert rows(app, Site, SiteAlias, Task) == before


def test_automatic_aliases_come_with_a_new_site_follow_the_redirect_list_and_show_as_automatic(
    app: Flask, client: FlaskClient, logged_in: AuthActions, ids: dict[str, int]
) -> None:
    with app.app_context():
        # Taken before the settings were on: the automatic alias www.three... is left out.
        new_site(*_platform_and_server(ids), "other.example.org",
                 aliases=["www.three.example.org"])
        with pytest.raises(ValidationError, match="is not a valid domain"):
            settings.save({"alias_automatic_subdomain": "not a domain"})
        settings.save({"alias_automatic_subdomain": "Hosting.example.net",
                       "alias_automatic_www": True})
        assert site_aliases.automatic_aliases("www.shop.example.org") == [
            "www-shop-example-org.hosting.example.net", "shop.example.org"]
        assert site_aliases.automatic_aliases("a.hosting.example.net") == [
            "www.a.hosting.example.net"]
    made = logged_in.submit("/sites/add", site_form(
        ids, uri="my-shop.example.com", redirect_aliases="www.my-shop.example.com"))
    third = logged_in.submit("/sites/add", site_form(ids, uri="three.example.org"))
    assert made.status_code == third.status_code == 302
    with app.app_context():
        site = db.session.scalars(select(Site).where(Site.uri == "my-shop.example.com")).one()
        assert [(a.alias, a.redirection, a.automatic) for a in site.aliases] == [
            ("my--shop-example-com.hosting.example.net", False, True),
            ("www.my-shop.example.com", True, True)]
        sent = contexts.site_properties(site)
        assert sent["aliases"] == ["my--shop-example-com.hosting.example.net"]
        assert sent["redirect_aliases"] == ["www.my-shop.example.com"]
        three = db.session.scalars(select(Site).where(Site.uri == "three.example.org")).one()
        assert [a.alias for a in three.aliases] == ["three-example-org.hosting.example.net"]
    page = text(client.get(made.location).get_data(as_text=True))
    assert ("Aliases my--shop-example-com.hosting.example.net (automatic), "
            "www.my-shop.example.com (automatic, redirects)") in page
    form = client.get(f"{made.location}/edit").get_data(as_text=True)
    assert "served unless listed as redirecting: my--shop-example-com.hosting.example.net" in (
        text(form))
    # Left out of the redirect list, the automatic www alias serves the site; it stays.
    saved = logged_in.submit(f"{made.location}/edit", {"client": "", "aliases": "extra.example.com",
                                                      "redirect_aliases": ""})
    assert saved.status_code == 302
    with app.app_context():
        site = db.session.scalars(select(Site).where(Site.uri == "my-shop.example.com")).one()
        assert [(a.alias, a.redirection, a.automatic) for a in site.aliases] == [
            ("extra.example.com", False, False),
            ("my--shop-example-com.hosting.example.net", False, True),
            ("www.my-shop.example.com", False, True)]


def test_the_api_takes_aliases_that_redirect_and_refuses_one_listed_twice(
    app: Flask, client: FlaskClient, admin: Any, ids: dict[str, int]
) -> None:
    with app.app_context():
        headers = {"Authorization": f"Bearer {token_of(the_admin())}"}
    body = {"uri": "api.example.com", "platform_id": ids["drupal"], "db_server_id": ids["server"],
            "aliases": ["served.example.com"], "redirect_aliases": ["moved.example.com"]}
    twice = client.post("/api/v1/sites", headers=headers,
                        json={**body, "redirect_aliases": ["served.example.com"]})
    old_switch = client.post("/api/v1/sites", headers=headers, json={**body, "redirection": True})
    assert twice.status_code == old_switch.status_code == 400
    assert twice.json["fields"]["redirect_aliases"] == [  # type: ignore[index]
        "served.example.com is listed twice; give each alias once, either as served or as "
        "redirecting."]
    assert "redirect_aliases" in old_switch.json["fields"]["redirection"][0]  # type: ignore[index]
    assert rows(app, Site) == (0,)
    created = client.post("/api/v1/sites", headers=headers, json=body)
    assert created.status_code == 201
    site = created.json["site"]  # type: ignore[index]
    assert (site["aliases"], site["redirect_aliases"], site["automatic_aliases"]) == (
        ["served.example.com"], ["moved.example.com"], [])


def test_the_store_keeps_one_row_per_alias_of_a_site(app: Flask, ids: dict[str, int]) -> None:
    with app.app_context():
        site = new_site(*_platform_and_server(ids), aliases=["a.example.com"])
        db.session.add(SiteAlias(site_id=site.id, alias="a.example.com", redirection=True))
        with pytest.raises(IntegrityError):
            db.session.commit()
        db.session.rollback()
        assert [(a.alias, a.redirection) for a in site.aliases] == [("a.example.com", False)]


def test_the_api_changes_a_sites_aliases_and_refuses_one_listed_twice(
    app: Flask, client: FlaskClient, admin: Any, ids: dict[str, int]
) -> None:
    with app.app_context():
        site = enabled_site(*_platform_and_server(ids))
        site_id = site.id
        headers = {"Authorization": f"Bearer {token_of(the_admin())}"}
    path = f"/api/v1/sites/{site_id}"
    moved = client.patch(path, headers=headers, json={"redirect_aliases": ["old.example.com"]})
    twice = client.patch(path, headers=headers, json={"aliases": ["old.example.com"]})
    assert moved.status_code == 200 and twice.status_code == 400
    assert moved.json["redirect_aliases"] == ["old.example.com"]  # type: ignore[index]
    assert twice.json["fields"]["redirect_aliases"][0].startswith(  # type: ignore[index]
        "old.example.com is listed twice")
    swapped = client.patch(path, headers=headers, json={
        "aliases": ["old.example.com"], "redirect_aliases": []})
    assert swapped.json["aliases"] == ["old.example.com"]  # type: ignore[index]
    with app.app_context():
        site = db.session.get_one(Site, site_id)
        assert [(a.alias, a.redirection) for a in site.aliases] == [("old.example.com", False)]
        assert tasks.pending_task(site, "verify") is not None
