"""``provision @site cron`` and ``provision @site statistics`` on a site of real Drupal 7.103
core (tests/fixtures/drupal_core.py), served by the private Apache or nginx with real MariaDB.
WordPress runs through both in tests/hostmaster/test_queues_sites.py, Drupal 9 in
tests/provision/test_site_real_drivers.py."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.drupal_core import CORES, UnpackedCores
from tests.fixtures.stack import MariaDBAdmin
from tests.provision.sites_support import SiteStack, unique_uri

pytestmark = pytest.mark.real_drupal


@pytest.fixture(
    params=[
        pytest.param("apache", marks=pytest.mark.apache),
        pytest.param("nginx", marks=pytest.mark.nginx),
    ]
)
def drupal_stack(request: pytest.FixtureRequest, aegir_root: Path, mariadb_admin: MariaDBAdmin,
                 drupal_cores: UnpackedCores) -> Iterator[SiteStack]:
    """A verified server and the session's real Drupal 7 platform as @platform_standin (the
    name SiteStack gives its platform); the platform's sites are put back afterwards."""
    request.node.user_properties.append(("drupal_core", CORES["drupal7"].version))
    platform_root, _second = drupal_cores.platforms("drupal7")
    instance = request.getfixturevalue(f"{request.param}_instance")
    stack = SiteStack(aegir_root, request.param, instance, mariadb_admin, platform_root)
    words = [f"--{key}={value}" for key, value in stack.server_properties().items()]
    stack.must("save", "@server_master", "--context_type=server", *words,
               f"--platform_base_path={drupal_cores.platform_base}")
    with instance.expect_reload():
        stack.must("@server_master", "verify")
    stack.must("save", "@platform_standin", "--context_type=platform",
               f"--root={stack.platform_root}")
    with instance.expect_reload():
        stack.must("@platform_standin", "verify")
    try:
        yield stack
    finally:
        stack.drop_databases()
        drupal_cores.reset_sites("drupal7")


def sql(stack: SiteStack, uri: str, query: str, *params: object) -> list[tuple[object, ...]]:
    """Rows of ``query`` in the site's database (as the MariaDB admin)."""
    connection = stack.admin.connect(stack.context(uri)["db_name"])
    try:
        with connection.cursor() as cursor:
            cursor.execute(query, params or None)
            rows = [tuple(row) for row in cursor.fetchall()]
        connection.commit()
        return rows
    finally:
        connection.close()


def test_cron_runs_through_the_web_server_with_the_key_and_keeps_the_key_out_of_its_log(
    drupal_stack: SiteStack,
) -> None:
    uri = unique_uri("cron")
    drupal_stack.install(uri, "--profile=standard")
    key = drupal_stack.context(uri)["cron_key"]
    assert key
    sql(drupal_stack, uri, "DELETE FROM variable WHERE name = 'cron_last'")  # the install's

    ran = drupal_stack.must(f"@{uri}", "cron")

    (row,) = sql(drupal_stack, uri, "SELECT value FROM variable WHERE name = 'cron_last'")
    assert abs(int(bytes(row[0]).decode().split(":")[1].rstrip(";")) - time.time()) < 60
    assert ran.result["http_status"] == 200 and ran.result["cron_path"] == "/cron.php"
    assert all(key not in message for message in ran.messages()) and key not in str(ran.result)


def test_cron_with_a_wrong_key_fails_saying_so_and_runs_nothing(drupal_stack: SiteStack) -> None:
    uri = unique_uri("cron")
    drupal_stack.install(uri, "--profile=standard")
    last_cron = "SELECT value FROM variable WHERE name = 'cron_last'"
    before = sql(drupal_stack, uri, last_cron)  # the install's own cron, moments ago

    ran = drupal_stack.run(f"@{uri}", "cron", "--cron_key=not-the-key")

    assert ran.status != 0
    assert f"The cron of {uri} answered HTTP 403 at /cron.php" in ran.text
    assert before and sql(drupal_stack, uri, last_cron) == before


def test_statistics_count_users_active_users_nodes_and_comments_exactly(
    drupal_stack: SiteStack,
) -> None:
    uri = unique_uri("stats")
    drupal_stack.install(uri, "--profile=standard")
    now, old = int(time.time()), int(time.time()) - 31 * 86400
    sql(drupal_stack, uri, "UPDATE users SET access = 0 WHERE uid = 1")
    sql(drupal_stack, uri, "INSERT INTO users (uid, name, pass, access, status) VALUES "
        "(2, 'a', '', %s, 1), (3, 'b', '', %s, 1), (4, 'c', '', %s, 1)", now, now - 3600, old)
    sql(drupal_stack, uri, "INSERT INTO node (type, title, uid, status, created, changed) "
        "VALUES ('page', 'x', 2, 1, %s, %s)", now, now)
    sql(drupal_stack, uri, "INSERT INTO comment (nid, uid, subject, created, changed, thread) "
        "SELECT nid, 2, 's', %s, %s, '01/' FROM node", now, now)

    result = drupal_stack.must(f"@{uri}", "statistics").result

    # uid 1 (never seen), a and b (today), c (31 days ago); the one node and its comment
    assert {key: result[key] for key in ("users", "active_users", "content_items",
                                         "comments")} == {
        "users": 4, "active_users": 2, "content_items": 1, "comments": 1}
    assert abs(result["taken_at"] - now) < 60


def test_statistics_of_a_site_that_was_never_installed_say_what_to_do(
    drupal_stack: SiteStack,
) -> None:
    uri = unique_uri("stats")
    drupal_stack.save_site(uri)

    ran = drupal_stack.run(f"@{uri}", "statistics")

    assert ran.status != 0
    assert "holds no database credentials; install the site first" in ran.text
