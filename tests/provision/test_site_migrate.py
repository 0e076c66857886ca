"""Migrate: a site moved to another platform, database and/or domain in one task, and put back
exactly as it was when any step fails."""

from __future__ import annotations

from tests.fixtures.stack_process import poll
from tests.provision.moves_support import (
    databases_of,
    failing_at,
    install_on_a,
    moves_stack,
    site_query,
)
from tests.provision.sites_support import SiteStack, unique_uri

__all__ = ["moves_stack"]  # the fixture, imported for pytest

MIGRATE_STEPS = ["maintenance", "backup", "target", "unpack", "database", "settings", "import",
                 "schema", "updates", "domain", "caches", "vhost", "verify", "cleanup"]


def test_a_site_migrated_to_platform_b_is_served_from_b_updated_and_a_is_cleaned_up(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri = install_on_a(stack)
    old = stack.context(uri)
    old_folder = stack.root / "platforms/d7a/sites" / uri

    with stack.instance.expect_reload():
        ran = stack.must(f"@{uri}", "migrate", "--target_platform=@platform_b")

    result = ran.result
    new = stack.context(uri)
    assert new["platform"] == "@platform_b" and new["db_name"] != old["db_name"]
    assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=uri)
    assert (stack.root / "platforms/d7b/sites" / uri / "settings.php").is_file()
    assert not old_folder.exists()
    assert databases_of(stack, uri) == [new["db_name"]]
    assert stack.users_named(old["db_user"]) == []
    assert result["updates"] == ["node_update_7017"]
    versions = {p["short_name"]: p for p in result["packages"]}
    assert versions["views"]["version"] == "7.x-3.30"
    assert versions["node"]["schema_version"] == 7017
    assert site_query(stack, uri, "SELECT schema_version FROM system WHERE name = 'node'") == [
        (7017,)]
    cleared = site_query(stack, uri, "SELECT 1 FROM variable WHERE name = "
                                     "'stand_in_caches_cleared'")
    assert cleared == [(1,)]


def test_a_rename_serves_the_new_domain_and_the_old_one_falls_to_the_catch_all(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri, new_uri = install_on_a(stack), unique_uri("renamed")
    site_query(stack, uri, "CREATE TABLE field_data_body (entity_type VARCHAR(32), entity_id INT,"
                           " revision_id INT, delta INT, language VARCHAR(12), body_value TEXT,"
                           " PRIMARY KEY (entity_type, entity_id, delta, language))")
    site_query(stack, uri, "INSERT INTO field_data_body VALUES ('node', 1, 1, 0, 'und', %s)",
               (f'<img src="/sites/{uri}/files/a.png">',))

    with stack.instance.expect_reload():
        stack.must(f"@{uri}", "migrate", f"--new_uri={new_uri}")

    assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=new_uri)
    # (A worker of the configuration of the move's middle, which sent the old domain to the
    # "site disabled" page, may still finish a connection just after the last reload.)
    assert poll(lambda: stack.instance.get("/", host=uri)[0] == 404, 15)
    assert not (stack.root / "contexts" / f"{uri}.json").exists()
    assert stack.context(new_uri)["uri"] == new_uri
    assert site_query(stack, new_uri, "SELECT body_value FROM field_data_body") == [
        (f'<img src="/sites/{new_uri}/files/a.png">',)]
    assert not stack.vhost(uri).exists() and not stack.credentials(uri).exists()
    assert stack.credentials(new_uri).stat().st_mode & 0o777 == 0o640


def test_a_failure_at_any_step_leaves_the_site_on_a_as_it_was_and_names_the_step(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri, new_uri = install_on_a(stack), unique_uri("moved")
    before = stack.context(uri)
    backups = sorted((stack.root / "backups").glob("*"))
    for step in MIGRATE_STEPS:
        with failing_at(step) as plugin:
            ran = stack.run(f"@{uri}", "migrate", "--target_platform=@platform_b",
                            f"--new_uri={new_uri}")
        assert plugin.seen[-1] == step
        assert ran.status == 1, step
        assert any(f"The step {step} of migrate failed" in m for m in ran.messages("error"))
        assert stack.context(uri) == before, step
        assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=uri)
        assert databases_of(stack, uri, new_uri) == [before["db_name"]], step
        assert stack.users_named(new_uri.split(".")[0].replace("-", "")[:16]) == []
        assert not (stack.root / "contexts" / f"{new_uri}.json").exists(), step
        assert not (stack.root / "platforms/d7b/sites" / new_uri).exists(), step
        assert not stack.vhost(new_uri).exists(), step
        assert not stack.credentials(new_uri).exists() and stack.credentials(uri).exists(), step
        assert sorted((stack.root / "backups").glob("*")) == backups, step
    assert stack.instance.get("/", host=new_uri)[0] == 404


def test_a_migrate_that_changes_nothing_is_refused(moves_stack: SiteStack) -> None:
    uri = install_on_a(moves_stack)
    ran = moves_stack.run(f"@{uri}", "migrate", "--target_platform=@platform_a")
    assert ran.status == 1
    assert "choose another platform, database server or domain" in ran.text


def test_a_site_updated_by_newer_code_is_not_migrated_to_older_code(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri = install_on_a(stack, platform="@platform_b")  # node's schema is 7017 there
    before = stack.context(uri)

    ran = stack.run(f"@{uri}", "migrate", "--target_platform=@platform_a")

    assert ran.status == 1
    assert "The step schema of migrate failed" in ran.text and "node (7017 > 7016)" in ran.text
    assert stack.context(uri) == before
    assert databases_of(stack, uri) == [before["db_name"]]
    assert not (stack.root / "platforms/d7a/sites" / uri).exists()
    assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=uri)


def test_a_site_moved_to_another_database_server_keeps_its_folder_and_gets_a_new_database(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    admin = stack.admin
    # A second server context for the same MariaDB: what matters is the database's move.
    stack.must("save", "@server_db2", "--context_type=server", "--remote_host=localhost",
               "--http_service_type=null", "--db_service_type=mysql", f"--db_host={admin.host}",
               f"--db_port={admin.port}", f"--db_user={admin.user}",
               f"--db_passwd={admin.password}")
    uri = install_on_a(stack)
    before = stack.context(uri)

    with stack.instance.expect_reload():
        stack.must(f"@{uri}", "migrate", "--target_db_server=@server_db2")

    after = stack.context(uri)
    assert after["db_server"] == "@server_db2" and after["platform"] == "@platform_a"
    assert databases_of(stack, uri) == [after["db_name"]] != [before["db_name"]]
    assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=uri)
    sites = stack.root / "platforms/d7a/sites"
    assert sorted(p.name for p in sites.iterdir() if p.name.startswith(uri)) == [uri]
