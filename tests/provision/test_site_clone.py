"""Clone: a copy of a site under a new domain, on the same or another platform, with its own
database; the original is untouched, and a failed clone leaves nothing behind."""

from __future__ import annotations

from tests.fixtures.platforms import make_wordpress_platform
from tests.provision.moves_support import (
    databases_of,
    failing_at,
    install_on_a,
    moves_stack,
    site_query,
    write_content,
)
from tests.provision.sites_support import SiteStack, unique_uri

__all__ = ["moves_stack"]  # the fixture, imported for pytest


def test_a_clone_on_platform_b_is_served_beside_the_original_with_its_own_database(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri, copy = install_on_a(stack), unique_uri("copy")
    original = stack.context(uri)

    with stack.instance.expect_reload():
        result = stack.must(f"@{uri}", "clone", f"--new_uri={copy}",
                            "--target_platform=@platform_b").result

    assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=copy)
    assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=uri)
    cloned = stack.context(copy)
    assert cloned["platform"] == "@platform_b" and cloned["db_name"] != original["db_name"]
    assert stack.context(uri) == original
    assert result["clone"]["uri"] == copy and result["clone"]["db_name"] == cloned["db_name"]
    assert result["backup_file"]
    write_content(stack, copy, "Only the copy changed")
    stack.instance.wait_for_body("<title>Only the copy changed", host=copy)
    assert site_query(stack, uri, "SELECT value FROM variable WHERE name = 'site_name'") != (
        site_query(stack, copy, "SELECT value FROM variable WHERE name = 'site_name'"))
    assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=uri)


def test_a_clone_failing_at_any_step_leaves_no_database_folder_vhost_or_context(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri, copy = install_on_a(stack), unique_uri("copy")
    original = stack.context(uri)
    for step in ("backup", "target", "unpack", "database", "settings", "import", "schema",
                 "updates", "domain", "caches", "vhost", "verify"):
        with failing_at(step):
            ran = stack.run(f"@{uri}", "clone", f"--new_uri={copy}")
        assert ran.status == 1 and f"The step {step} of clone failed" in ran.text, step
        assert databases_of(stack, uri, copy) == [original["db_name"]], step
        assert not (stack.root / "contexts" / f"{copy}.json").exists(), step
        assert not (stack.root / "platforms/d7a/sites" / copy).exists(), step
        assert not stack.vhost(copy).exists(), step
    assert stack.context(uri) == original
    assert "copy-" not in (stack.root / "platforms/d7a/sites/sites.php").read_text()


def test_a_clone_needs_a_new_free_domain(moves_stack: SiteStack) -> None:
    uri = install_on_a(moves_stack)
    assert "new domain" in moves_stack.run(f"@{uri}", "clone").text
    same = moves_stack.run(f"@{uri}", "clone", f"--new_uri={uri}")
    assert same.status == 1 and "new domain" in same.text


def test_a_wordpress_site_is_cloned_with_its_upload_paths_rewritten(
    site_stack: SiteStack,
) -> None:
    stack = site_stack
    root = make_wordpress_platform(stack.root / "platforms" / "wp")
    stack.must("save", "@platform_wp", "--context_type=platform", f"--root={root}")
    with stack.instance.expect_reload():
        stack.must("@platform_wp", "verify")
    uri, copy = unique_uri("wp"), unique_uri("wpcopy")
    stack.must("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
               "--platform=@platform_wp", "--db_server=@server_master",
               "--client_email=owner@example.com")
    with stack.instance.expect_reload():
        stack.must(f"@{uri}", "install")
    image = f"http://{uri}/sites/{uri}/files/2026/11/a.png"
    site_query(stack, uri, "UPDATE wp_posts SET post_content = %s WHERE ID = 1",
               (f'<img src="{image}">',))

    with stack.instance.expect_reload():
        ran = stack.must(f"@{uri}", "clone", f"--new_uri={copy}")

    assert "Cleared the caches" in ran.text
    (content,) = site_query(stack, copy, "SELECT post_content FROM wp_posts WHERE ID = 1")[0]
    assert f"http://{copy}/sites/{copy}/files/2026/11/a.png" in content
    assert f"/sites/{uri}/" in site_query(
        stack, uri, "SELECT post_content FROM wp_posts WHERE ID = 1")[0][0]
    assert stack.instance.wait_for_body(f"<title>{copy}", host=copy)  # its name was the uri
