"""``hostmaster import @context``: provision contexts become front-end records, referred ones
first; importing again updates them; a missing or bad context is refused with nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import func, select

from hostmaster.extensions import db
from hostmaster.models import Platform, Server, Site, SiteStatus, Task, TaskStatus
from hostmaster.services import contexts
from tests.provision.helpers import provision

SITE = "@shop.example.test"


def save(root: Path, name: str, *options: str) -> None:
    """``provision save`` a context, as someone who runs provision alone would."""
    saved = provision(root, "save", name, *options)
    assert saved.returncode == 0, saved.stderr


def save_contexts(root: Path) -> None:
    save(root, "@server_master", "--context_type=server", "--remote_host=localhost",
         "--ip_addresses=127.0.0.1", "--http_service_type=apache", "--http_port=8080",
         "--http_configtest_cmd=apache2ctl configtest", "--db_service_type=mysql",
         "--db_port=3307", "--db_user=aegir_root")
    save(root, "@platform_shop", "--context_type=platform", f"--root={root}/platforms/shop",
         "--web_server=@server_master")
    save(root, SITE, "--context_type=site", "--uri=shop.example.test",
         "--platform=@platform_shop", "--db_server=@server_master", "--profile=minimal",
         "--language=fr", "--aliases=www.shop.example.test", "--redirection=1",
         "--redirect_aliases=old.shop.example.test",
         "--db_name=shopexampletest")


def test_a_site_context_imports_its_platform_and_server_and_queues_their_verify(
    app: Flask, runner: Any, aegir_root: Path
) -> None:
    save_contexts(aegir_root)
    result = runner.invoke(args=["import", SITE])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        "Created server localhost from @server_master; its verify is queued.",
        "Created platform shop from @platform_shop; its verify is queued.",
        "Created site shop.example.test from @shop.example.test; its verify is queued.",
    ]
    with app.app_context():
        site = db.session.scalars(select(Site)).one()
        assert (site.uri, site.profile, site.language, site.db_name, site.status) == (
            "shop.example.test", "minimal", "fr", "shopexampletest", SiteStatus.ENABLED)
        # The site-wide switch of provision: every alias redirects.
        assert [(a.alias, a.redirection) for a in site.aliases] == [
            ("old.shop.example.test", True), ("www.shop.example.test", True)]
        assert site.platform.root == f"{aegir_root}/platforms/shop"
        server = site.platform.web_server
        assert server is site.db_server and contexts.name_of(server) == "@server_master"
        assert (server.service_type("http"), server.service_type("db")) == ("apache", "mysql")
        http = next(s for s in server.services if s.service == "http")
        assert http.port == 8080 and http.options == {
            "http_configtest_cmd": "apache2ctl configtest"}
        database = next(s for s in server.services if s.service == "db")
        assert (database.port, database.db_user) == (3307, "aegir_root")
        assert [ip.address for ip in server.ip_addresses] == ["127.0.0.1"]
        queued = db.session.execute(
            select(Task.entity_kind, Task.type).where(Task.status == TaskStatus.QUEUED)
            .order_by(Task.id)).all()
        assert [tuple(row) for row in queued] == [
            ("server", "verify"), ("platform", "verify"), ("site", "verify")]
        # The front end then sends the same values back to provision.
        sent = contexts.site_properties(site)
        assert (sent["aliases"], sent["redirection"]) == ([], False)
        assert sent["redirect_aliases"] == ["old.shop.example.test", "www.shop.example.test"]


def test_importing_again_updates_the_records_instead_of_adding_new_ones(
    app: Flask, runner: Any, aegir_root: Path
) -> None:
    save_contexts(aegir_root)
    assert runner.invoke(args=["import", SITE]).exit_code == 0
    save(aegir_root, SITE, "--profile=standard")
    result = runner.invoke(args=["import", SITE])
    assert result.exit_code == 0, result.output
    assert "Updated site shop.example.test from @shop.example.test." in result.output
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Site)) == 1
        assert db.session.scalar(select(func.count()).select_from(Server)) == 1
        assert db.session.scalars(select(Site)).one().profile == "standard"
        # Each verify is still pending once: none was queued twice.
        assert db.session.scalar(select(func.count()).select_from(Task)) == 3


def test_a_context_that_refers_to_a_missing_one_is_refused_and_nothing_is_written(
    app: Flask, runner: Any, aegir_root: Path
) -> None:
    save_contexts(aegir_root)
    save(aegir_root, "@platform_gone", "--context_type=platform",
         f"--root={aegir_root}/platforms/gone", "--web_server=@server_master")
    save(aegir_root, "@other.example.test", "--context_type=site", "--uri=other.example.test",
         "--platform=@platform_gone", "--db_server=@server_master")
    (aegir_root / "contexts" / "platform_gone.json").unlink()  # removed by hand since
    result = runner.invoke(args=["import", "@other.example.test"])
    assert result.exit_code != 0
    assert "There is no context @platform_gone, which @other.example.test refers to" in (
        result.output)
    missing = runner.invoke(args=["import", "@nowhere.example.test"])
    assert missing.exit_code != 0 and "There is no context @nowhere.example.test" in (
        missing.output)
    with app.app_context():
        for model in (Server, Platform, Site, Task):
            assert db.session.scalar(select(func.count()).select_from(model)) == 0
