"""Sites of the real drivers through the backend protocol, as the dispatcher runs them: install,
serve through Apache and nginx, back up, disable, enable, delete. WordPress is Debian's real
package; Drupal 7 is the generated STAND-IN of tests/fixtures/platforms.py."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.platforms import make_drupal7_platform, make_wordpress_platform
from tests.fixtures.stack import MariaDBAdmin
from tests.provision.helpers import Run, provision
from tests.provision.sites_support import (
    MASTER_URL,
    SiteStack,
    command_lines_sampled,
    unique_uri,
)


def backend(stack: SiteStack, uri: str, command: str, **site: Any) -> Run:
    """Run ``provision --backend @uri COMMAND`` with the contexts the dispatcher sends."""
    payload = {
        "contexts": [
            {"name": "@server_master",
             "properties": {"context_type": "server", **stack.server_properties()}},
            {"name": "@platform_wp",
             "properties": {"context_type": "platform", "root": str(stack.platform_root)}},
            {"name": f"@{uri}", "properties": {
                "context_type": "site", "uri": uri, "platform": "@platform_wp",
                "db_server": "@server_master", "client_name": "admin",
                "client_email": "owner@example.com", "profile": "standard", "language": "en",
                "aliases": [], "redirection": False, **site}},
        ],
        "options": {},
    }
    return provision(stack.root, f"@{uri}", command, backend=True, payload=payload,
                     timeout=120)


@pytest.mark.parametrize("application", ["wordpress", "drupal7"])
def test_a_site_installs_serves_backs_up_disables_and_deletes(
    site_stack: SiteStack, mariadb_admin: MariaDBAdmin, application: str
) -> None:
    make = make_wordpress_platform if application == "wordpress" else make_drupal7_platform
    site_stack.platform_root = make(site_stack.root / "platforms" / "wp")
    uri = unique_uri("wp")
    with site_stack.instance.expect_reload():
        assert backend(site_stack, uri, "noop").returncode == 0
        verify = provision(site_stack.root, "@platform_wp", "verify")
    assert verify.returncode == 0, verify.stderr

    with site_stack.instance.expect_reload(), command_lines_sampled() as command_lines:
        installed = backend(site_stack, uri, "install")
        backup = backend(site_stack, uri, "backup")
    password = site_stack.context(uri)["db_passwd"]

    assert installed.returncode == 0, installed.stdout
    result = installed.result["object"]
    assert result["login_link"] and result["db_name"]
    assert "db_passwd" not in json.dumps(installed.result["context"])
    body = site_stack.instance.wait_for_body(f"<title>{uri}", host=uri)
    assert uri in body

    assert backup.returncode == 0, backup.stdout
    assert not [line for line in command_lines if password.encode() in line]
    assert password not in installed.stdout + backup.stdout
    settings_holding_it = [path for path in site_stack.platform_root.rglob("*")
                           if path.is_file() and password.encode() in path.read_bytes()]
    assert settings_holding_it == []
    with tarfile.open(backup.result["object"]["backup_file"]) as tar:
        assert "database.sql" in tar.getnames()

    with site_stack.instance.expect_reload():
        assert backend(site_stack, uri, "disable").returncode == 0
    status, _body, headers = site_stack.instance_get("/", uri)
    assert (status, headers["location"]) == (302, f"{MASTER_URL}/hosting/disabled/{uri}")
    with site_stack.instance.expect_reload():
        assert backend(site_stack, uri, "enable").returncode == 0
    site_stack.instance.wait_for_body(f"<title>{uri}", host=uri)

    with site_stack.instance.expect_reload():
        deleted = backend(site_stack, uri, "delete")
    assert deleted.returncode == 0, deleted.stdout
    assert site_stack.databases_like(uri) == []
    assert not (site_stack.platform_root / "sites" / uri).exists()
    assert site_stack.instance.get("/", host=uri)[0] == 404
    assert Path(deleted.result["object"]["backup_file"]).is_file()
