"""Platform delete: refused while a site uses the platform; then its web config, codebase
(inside the aegir root) and context are removed. Server delete: never the master, refused while
a platform or site names the server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.platforms import make_drupal7_platform
from tests.fixtures.stack import ApacheInstance
from tests.provision.helpers import provision, save_server, web_server_properties


@pytest.mark.apache
def test_a_platform_is_deleted_only_once_no_site_uses_it(
    apache_instance: ApacheInstance, aegir_root: Path
) -> None:
    codebase = make_drupal7_platform(aegir_root / "platforms" / "d7")
    save_server(aegir_root, **web_server_properties(apache_instance, "apache"))
    assert provision(aegir_root, "@server_master", "verify").returncode == 0
    saved = provision(
        aegir_root, "save", "@platform_d7", "--context_type=platform", f"--root={codebase}"
    )
    assert saved.returncode == 0, saved.stderr
    assert provision(aegir_root, "@platform_d7", "verify").returncode == 0
    conf = aegir_root / "config/server_master/apache/platform.d/platform_d7.conf"
    assert conf.exists()
    site = provision(
        aegir_root,
        "save",
        "@a.example.com",
        "--context_type=site",
        "--platform=@platform_d7",
        "--db_server=@server_master",
    )
    assert site.returncode == 0, site.stderr

    refused = provision(aegir_root, "@platform_d7", "delete")
    assert refused.returncode == 1
    assert "still has sites (@a.example.com)" in refused.stderr
    assert conf.exists() and codebase.is_dir()

    assert provision(aegir_root, "save", "@a.example.com", "--delete").returncode == 0
    deleted = provision(aegir_root, "@platform_d7", "delete")
    assert deleted.returncode == 0, deleted.stderr
    assert not conf.exists()
    assert not codebase.exists()
    assert not (aegir_root / "contexts" / "platform_d7.json").exists()
    apache_instance.configtest()


def test_a_codebase_outside_the_aegir_root_is_kept(aegir_root: Path, tmp_path: Path) -> None:
    codebase = make_drupal7_platform(tmp_path / "elsewhere")
    # Platforms may live outside the aegir root when the platform base path says so.
    save_server(aegir_root, http_service_type="null", platform_base_path=str(tmp_path))
    provision(aegir_root, "save", "@platform_x", "--context_type=platform", f"--root={codebase}")
    deleted = provision(aegir_root, "@platform_x", "delete")
    assert deleted.returncode == 0, deleted.stderr
    assert codebase.is_dir()
    assert "Kept the codebase" in deleted.stderr


def test_a_server_is_deleted_only_once_no_platform_or_site_names_it_and_never_the_master(
    aegir_root: Path,
) -> None:
    save_server(aegir_root, http_service_type="null")
    save_server(aegir_root, "@server_web2", remote_host="web2.example.com",
                ip_addresses="127.0.0.1", http_service_type="null")
    master = provision(aegir_root, "@server_master", "delete")
    assert master.returncode == 1 and "@server_master is the server provision runs on" in (
        master.stderr)
    provision(aegir_root, "save", "@platform_x", "--context_type=platform",
              f"--root={aegir_root}/platforms/x", "--web_server=@server_web2")
    provision(aegir_root, "save", "@a.example.com", "--context_type=site",
              "--platform=@platform_x", "--db_server=@server_web2")
    for user in ("@a.example.com", "@platform_x"):
        refused = provision(aegir_root, "@server_web2", "delete")
        assert refused.returncode == 1
        assert "The server @server_web2 is still used by " in refused.stderr
        assert user in refused.stderr
        assert (aegir_root / "contexts" / "server_web2.json").exists()
        assert provision(aegir_root, "save", user, "--delete").returncode == 0
    deleted = provision(aegir_root, "@server_web2", "delete")
    assert deleted.returncode == 0, deleted.stderr
    assert not (aegir_root / "contexts" / "server_web2.json").exists()
    assert (aegir_root / "contexts" / "server_master.json").exists()
