"""Site vhosts through the real Apache and nginx: aliases, redirects, disabled sites, and a
broken vhost that is rolled back while the other sites keep being served."""

from __future__ import annotations

import grp
from collections.abc import Iterator
from typing import Any

import pytest

from provision.hookspecs import hookimpl
from provision.plugins import plugin_manager
from tests.provision.sites_support import MASTER_URL, SiteStack, unique_uri
from tests.provision.standin_app import title_of


def test_one_alias_answers_301_to_the_site_while_another_serves_it(
    site_stack: SiteStack,
) -> None:
    uri, served, moved = unique_uri(), unique_uri("alias"), unique_uri("moved")
    site_stack.install(uri, f"--aliases={served}", f"--redirect_aliases={moved}")

    status, _body, headers = site_stack.instance_get("/some/page?q=1&r=2", moved)
    body = site_stack.instance.wait_for_body(title_of(uri), host=served)

    assert status == 301
    assert headers["location"] == f"http://{uri}/some/page?q=1&r=2"
    assert f"<title>{title_of(uri)}</title>" in body
    assert title_of(uri) in site_stack.instance.wait_for_body(title_of(uri), host=uri)


def test_the_site_wide_redirection_switch_still_redirects_every_alias(
    site_stack: SiteStack,
) -> None:
    uri, alias = unique_uri(), unique_uri("alias")
    site_stack.install(uri, f"--aliases={alias}", "--redirection=true")

    status, _body, headers = site_stack.instance_get("/some/page", alias)

    assert status == 301 and headers["location"] == f"http://{uri}/some/page"


def test_a_disabled_site_redirects_to_the_front_ends_page_and_enable_serves_it_again(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    site_stack.install(uri)
    site_stack.instance.wait_for_body(title_of(uri), host=uri)

    with site_stack.instance.expect_reload():
        disabled = site_stack.must(f"@{uri}", "disable")
    status, _body, headers = site_stack.instance_get("/any/page", uri)

    assert status == 302
    assert headers["location"] == f"{MASTER_URL}/hosting/disabled/{uri}"
    assert disabled.result["backup_file"].endswith(".tar.gz")
    assert site_stack.context(uri)["site_enabled"] is False
    with site_stack.instance.expect_reload():
        site_stack.must(f"@{uri}", "enable")
    assert site_stack.instance.wait_for_body(title_of(uri), host=uri)
    assert site_stack.context(uri)["site_enabled"] is True


def test_a_disabled_site_answers_503_when_no_front_end_is_named(site_stack: SiteStack) -> None:
    """Migrate and disable need no master_url: without one the disabled vhost answers 503
    itself (and still lets certificate challenges through)."""
    uri = unique_uri()
    site_stack.install(uri)
    site_stack.must("save", "@server_master", "--master_url=null")

    with site_stack.instance.expect_reload():
        site_stack.must(f"@{uri}", "disable")
    status, _body, headers = site_stack.instance_get("/any/page", uri)
    challenge, _body, _headers = site_stack.instance_get("/.well-known/acme-challenge/x", uri)

    assert status == 503 and "location" not in headers
    assert challenge == 404
    with site_stack.instance.expect_reload():
        site_stack.must(f"@{uri}", "enable")
    assert site_stack.instance.wait_for_body(title_of(uri), host=uri)


class BrokenVhost:
    """A test plugin that writes a line the web server rejects into one site's vhost."""

    def __init__(self, uri: str) -> None:
        self.uri = uri

    @hookimpl
    def provision_http_extra_config(self, service: Any, context: Any, config: str) -> list[str]:
        """The garbage line, only in the vhost of ``uri``."""
        if config == "vhost" and getattr(context, "uri", None) == self.uri:
            return ["ThisIsNotADirective on;"]
        return []


@pytest.fixture
def break_vhost_of() -> Iterator[Any]:
    """Register BrokenVhost for a uri for one test."""
    plugins: list[BrokenVhost] = []

    def register(uri: str) -> None:
        plugins.append(BrokenVhost(uri))
        plugin_manager().register(plugins[-1])

    yield register
    for plugin in plugins:
        plugin_manager().unregister(plugin)


def test_a_broken_vhost_fails_install_is_rolled_back_and_other_sites_are_still_served(
    site_stack: SiteStack, break_vhost_of: Any
) -> None:
    good, bad = unique_uri("good"), unique_uri("bad")
    site_stack.install(good)
    site_stack.instance.wait_for_body(title_of(good), host=good)
    break_vhost_of(bad)
    site_stack.save_site(bad)

    ran = site_stack.run(f"@{bad}", "install")

    assert ran.status == 1
    assert "configuration test failed" in ran.text
    assert not site_stack.vhost(bad).exists() and not site_stack.credentials(bad).exists()
    assert not site_stack.site_path(bad).exists()
    assert "db_name" not in site_stack.context(bad), "the context is as saved before the install"
    assert site_stack.databases_like(bad) == []
    site_stack.instance.configtest()
    assert site_stack.instance.get("/", host=good)[0] == 200
    assert title_of(good) in site_stack.instance.get("/", host=good)[1]


def test_a_broken_vhost_fails_verify_and_the_previous_vhost_and_credentials_keep_serving(
    site_stack: SiteStack, break_vhost_of: Any
) -> None:
    uri = unique_uri()
    site_stack.install(uri)
    before = site_stack.vhost(uri).read_bytes()
    secret = site_stack.credentials(uri)
    secret.write_text(secret.read_text().replace("{", "{ ", 1))  # verify would rewrite it
    secret_before = secret.read_bytes()
    break_vhost_of(uri)

    ran = site_stack.run(f"@{uri}", "verify")

    assert ran.status == 1 and "configuration test failed" in ran.text
    assert site_stack.vhost(uri).read_bytes() == before
    # Put back as it was, and still the web server's to read (the setgid folder's group).
    assert secret.read_bytes() == secret_before and secret.stat().st_mode & 0o777 == 0o640
    assert grp.getgrgid(secret.stat().st_gid).gr_name == "www-data"
    site_stack.instance.configtest()
    assert site_stack.instance.wait_for_body(title_of(uri), host=uri)
