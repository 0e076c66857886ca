"""Comparing a site's packages with another platform's before a migrate: the original's rules
on a table of cases, over real store rows, the migrate targets, and the comparison page."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from hostmaster.extensions import db
from hostmaster.models import Platform, PlatformStatus, Server, ServerStatus, Site
from hostmaster.services import packages
from hostmaster.services.migration_targets import migration_targets
from hostmaster.services.package_comparison import compare_site_to_platform
from hostmaster.services.servers import ServiceSpec, create_server
from tests.fixtures.app import AuthActions
from tests.hostmaster.pages import part, text
from tests.hostmaster.site_helpers import enabled_site, master_server, ready_platform

CORE = {"short_name": "drupal", "kind": "core", "name": "Drupal", "path": "includes/bootstrap.inc"}
PROFILE = {"short_name": "standard", "kind": "profile", "name": "Standard",
           "path": "profiles/standard/standard.info"}


def package(short_name: str, version: str, code: int, schema: int, **extra: Any) -> dict[str, Any]:
    """A PACKAGE dict of a module, as provision reports it."""
    return {"short_name": short_name, "kind": "module", "name": short_name.title(),
            "version": version, "version_code": code, "schema_version": schema,
            "path": f"sites/all/modules/{short_name}/{short_name}.info", "profile": None, **extra}


def core(version: str, code: int, schema: int = 0) -> dict[str, Any]:
    return {**CORE, "version": version, "version_code": code, "schema_version": schema}


def profile(code: int = 7103005000) -> dict[str, Any]:
    return {**PROFILE, "version": "7.103", "version_code": code, "schema_version": 0}


def enabled(item: dict[str, Any], on: bool = True) -> dict[str, Any]:
    return {**item, "enabled": on}


@dataclass(frozen=True)
class Case:
    """One row of the table: the package on the site now, on the target, the status."""

    name: str
    site: tuple[str, int, int]  # version, version code, schema on the site
    target: tuple[str, int, int] | None  # None: not on the target platform
    status: str


VIEWS_328 = ("7.x-3.28", 7000030285000, 7301)
CASES = [
    Case("same version and schema", VIEWS_328, VIEWS_328, "same"),
    Case("newer release on the target", VIEWS_328, ("7.x-3.29", 7000030295000, 7301), "upgrade"),
    Case("newer schema only", VIEWS_328, ("7.x-3.28", 7000030285000, 7302), "upgrade"),
    Case("older release on the target", VIEWS_328, ("7.x-3.27", 7000030275000, 7301), "downgrade"),
    Case("not on the target", VIEWS_328, None, "missing"),
    Case("older schema on the target", VIEWS_328, ("7.x-3.28", 7000030285000, 7300), "error"),
    # The schema rule comes first: a newer release that lost an update is still an error.
    Case("newer release, older schema", VIEWS_328, ("7.x-3.30", 7000030305000, 7300), "error"),
    # A target that declares no schema (no .install file) cannot be older.
    Case("no schema on the target", VIEWS_328, ("7.x-3.28", 7000030285000, 0), "same"),
    # The site's schema is unknown (-1 when its database does not say).
    Case("unknown schema on the site", ("7.x-3.28", 7000030285000, -1), VIEWS_328, "upgrade"),
    Case("unknown version on the target", VIEWS_328, ("Unknown", 0, 7301), "downgrade"),
    # Neither side has a schema (a theme: -1 in the site's system table, 0 on the platform).
    Case("no schema on either side", ("7.x-3.28", 7000030285000, -1),
         ("7.x-3.28", 7000030285000, 0), "same"),
]


def two_platforms(server: Server) -> tuple[Platform, Platform]:
    """drupal7 (the site's) and drupal7b, both enabled on ``server``."""
    return ready_platform(server, "drupal7"), ready_platform(server, "drupal7b")


def site_with(platform: Platform, server: Server, items: list[dict[str, Any]],
              uri: str = "www.example.com") -> Site:
    """An enabled site whose verify found ``items`` (PACKAGE dicts with ``enabled``)."""
    site = enabled_site(platform, server, uri)
    packages.sync("site", site.id, items)
    db.session.commit()
    return site


def platform_has(platform: Platform, items: list[dict[str, Any]]) -> None:
    """The package registry of ``platform`` after a verify that found ``items``."""
    packages.sync("platform", platform.id, items)
    db.session.commit()


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_package_gets_the_status_the_original_gives_it(app: Flask, case: Case) -> None:
    with app.app_context():
        server = master_server()
        current, target = two_platforms(server)
        version, code, schema = case.site
        site = site_with(current, server, [
            enabled(core("7.103", 7103005000)),
            enabled(profile()),
            enabled(package("views", version, code, schema)),
            enabled(package("devel", "7.x-1.7", 7000010705000, 7000), on=False),
        ])
        on_target = [core("7.103", 7103005000), profile()]
        if case.target is not None:
            on_target.append(package("views", *case.target))
        platform_has(target, on_target)

        comparison = compare_site_to_platform(site, target)

        by_name = {row.short_name: row for row in comparison.rows}
        assert set(by_name) == {"drupal", "standard", "views"}  # devel is not enabled
        views = by_name["views"]
        assert views.status == case.status
        assert (views.current_version, views.current_schema) == (version, schema)
        expected_target = (case.target[0], case.target[2]) if case.target else (None, None)
        assert (views.target_version, views.target_schema) == expected_target
        assert by_name["drupal"].status == by_name["standard"].status == "same"
        assert comparison.counts == {
            status: (2 if status == "same" else 0) + (case.status == status)
            for status in ("error", "missing", "upgrade", "downgrade", "same")
        }
        assert comparison.blocked is (case.status == "error")
        assert comparison.warnings == (case.status in ("missing", "downgrade"))


def test_a_site_compared_with_its_own_platform_shows_its_themes_unchanged(
    app: Flask,
) -> None:
    """Provision reports a Drupal 7 theme with schema -1 on the site (its system table) and 0
    on the platform (no .install file): the same code, so no "Upgrade 7.103 → 7.103"."""
    with app.app_context():
        server = master_server()
        platform = ready_platform(server)
        bartik = {"short_name": "bartik", "kind": "theme", "name": "Bartik", "version": "7.103",
                  "version_code": 7103005000, "path": "themes/bartik/bartik.info",
                  "profile": None}
        platform_has(platform, [core("7.103", 7103005000), profile(),
                                {**bartik, "schema_version": 0}])
        site = site_with(platform, server, [enabled(core("7.103", 7103005000)),
                                            enabled(profile()),
                                            enabled({**bartik, "schema_version": -1})])
        comparison = compare_site_to_platform(site, platform)
        assert [(row.short_name, row.status) for row in comparison.rows
                if row.kind == "theme"] == [("bartik", "same")]
        assert comparison.counts["upgrade"] == 0


def test_a_target_without_the_sites_install_profile_is_an_error(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        current, target = two_platforms(server)
        site = site_with(current, server, [enabled(core("7.103", 7103005000)), enabled(profile())])
        platform_has(target, [core("7.103", 7103005000)])
        comparison = compare_site_to_platform(site, target)
        assert [(r.short_name, r.status) for r in comparison.rows] == [("standard", "error"),
                                                                      ("drupal", "same")]
        assert comparison.blocked


def test_only_the_copies_of_the_sites_profile_count_on_the_target(app: Flask) -> None:
    with app.app_context():
        server = master_server()
        current, target = two_platforms(server)
        site = site_with(current, server, [
            enabled(profile()),
            enabled(package("extra", "7.x-1.0", 7000010005000, 7100, profile="standard",
                            path="profiles/standard/modules/extra/extra.info")),
        ])
        # drupal7b has "extra" only inside another profile, and a newer one in sites/all:
        # the site gets the sites/all copy; the other profile's copy is not for it.
        platform_has(target, [
            profile(),
            package("extra", "7.x-2.0", 7000020005000, 7200, profile="minimal",
                    path="profiles/minimal/modules/extra/extra.info"),
            package("extra", "7.x-1.1", 7000010105000, 7101),
        ])
        row = next(r for r in compare_site_to_platform(site, target).rows
                   if r.short_name == "extra")
        assert (row.target_version, row.status) == ("7.x-1.1", "upgrade")
        platform_has(target, [
            profile(),
            package("extra", "7.x-2.0", 7000020005000, 7200, profile="minimal",
                    path="profiles/minimal/modules/extra/extra.info"),
        ])
        row = next(r for r in compare_site_to_platform(site, target).rows
                   if r.short_name == "extra")
        assert (row.target_version, row.status) == (None, "missing")


def test_migration_targets_list_every_platform_of_the_application_and_say_why_one_is_refused(
    app: Flask,
) -> None:
    """Platforms of the site's application on any web server, its own first; locked ones,
    those without its profile and those with older code listed with the reason."""
    with app.app_context():
        server = master_server()
        other_server = create_server("web2.example.com", services={"http": ServiceSpec("apache")})
        current = ready_platform(server, "drupal7")
        newer = ready_platform(server, "drupal7b")
        older = ready_platform(server, "drupal7a")
        ready_platform(server, "drupal7locked", status=PlatformStatus.LOCKED)
        ready_platform(other_server, "drupal7elsewhere")
        ready_platform(server, "wordpress", profiles=())
        ready_platform(server, "drupal7minimal", profiles=("minimal",))
        views = package("views", *VIEWS_328)
        site = site_with(current, server, [enabled(profile()), enabled(views)])
        platform_has(current, [profile(), views])
        platform_has(newer, [profile(), package("views", "7.x-3.29", 7000030295000, 7302)])
        platform_has(older, [profile(), package("views", "7.x-3.20", 7000030205000, 7300)])

        targets = migration_targets(site)

        assert [(t.platform.name, t.refusal) for t in targets] == [
            ("drupal7", None),
            ("drupal7a", "drupal7a has older code than the database of www.example.com (views): "
                         "the database cannot go back to it."),
            ("drupal7b", None),
            ("drupal7elsewhere", None),
            ("drupal7locked", "drupal7locked is locked; unlock it to move sites there."),
            ("drupal7minimal", "drupal7minimal has no standard install profile, which "
                               "www.example.com runs."),
        ]
        assert targets[2].comparison.counts["upgrade"] == 1
        current.status = PlatformStatus.LOCKED
        other_server.status = ServerStatus.LOCKED
        db.session.commit()
        refusals = {t.platform.name: t.refusal for t in migration_targets(site)}
        assert refusals["drupal7"] == "drupal7 is locked; unlock it to move sites there."
        assert refusals["drupal7elsewhere"] == (
            "Its web server web2.example.com is locked; unlock the server first.")


def test_the_comparison_page_lists_counts_and_statuses(
    app: Flask, client: FlaskClient, auth: AuthActions
) -> None:
    with app.app_context():
        server = master_server()
        current, target = two_platforms(server)
        site = site_with(current, server, [
            enabled(profile()),
            enabled(package("views", *VIEWS_328)),
            enabled(package("devel", "7.x-1.7", 7000010705000, 7000)),
            enabled(package("token", "7.x-1.8", 7000010805000, 7001)),
        ])
        platform_has(target, [profile(), package("views", "7.x-3.29", 7000030295000, 7301),
                              package("token", "7.x-1.8", 7000010805000, 7000)])
        site_id, target_id = site.id, target.id
    auth.login()
    page = client.get(f"/sites/{site_id}/compare/{target_id}").get_data(as_text=True)
    counts = text(part(page, "comparison-counts", "</ul>"))
    assert "Error 1" in counts and "Missing 1" in counts and "Upgrade 1" in counts
    assert "Same 1" in counts and "Downgrade 0" in counts
    rows = text(part(page, "comparison-rows", "</table>"))
    assert "token Token module 7.x-1.8 (schema 7001) 7.x-1.8 (schema 7000) Error" in rows
    assert "devel Devel module 7.x-1.7 (schema 7000) not on this platform Missing" in rows
    assert "views Views module 7.x-3.28 (schema 7301) 7.x-3.29 (schema 7301) Upgrade" in rows
    assert "cannot move to drupal7b" in text(part(page, "comparison-verdict", "</p>"))
    assert client.get(f"/sites/{site_id}/compare/999").status_code == 404


def test_comparing_many_packages_with_many_platforms_takes_three_queries(app: Flask) -> None:
    from sqlalchemy import event

    with app.app_context():
        server = master_server()
        platforms = [ready_platform(server, f"drupal7{suffix}") for suffix in "abcdef"]
        modules = [package(f"module{n}", *VIEWS_328) for n in range(60)]
        site = site_with(platforms[0], server, [enabled(profile())] + [enabled(m) for m in modules])
        for platform in platforms:
            platform_has(platform, [profile(), *modules])
        site_id = site.id
        db.session.expire_all()
        reloaded = db.session.get(Site, site_id)  # with its platform, as a page loads it
        assert reloaded is not None and reloaded.platform is not None
        statements: list[str] = []
        event.listen(db.engine, "before_cursor_execute",
                     lambda *args: statements.append(args[2]))
        targets = migration_targets(reloaded)
        assert len(targets) == 6 and all(t.comparison.counts["same"] == 61 for t in targets)
        assert len(statements) == 3, statements
