"""Platform verify: read the codebase, then give the web server the platform's configuration."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.fixtures.platforms import (
    debian_wordpress_version,
    make_drupal7_platform,
    make_drupal10_composer_platform,
    make_wordpress_platform,
)
from tests.fixtures.stack import ApacheInstance, NginxInstance
from tests.provision.helpers import provision, save_server, web_server_properties


def save_platform(root: Path, name: str, codebase: Path) -> None:
    run = provision(root, "save", name, "--context_type=platform", f"--root={codebase}")
    assert run.returncode == 0, run.stderr


@pytest.mark.apache
def test_a_drupal7_platform_is_described_and_given_a_directory_block(
    apache_instance: ApacheInstance, aegir_root: Path
) -> None:
    codebase = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    save_server(aegir_root, **web_server_properties(apache_instance, "apache"))
    assert provision(aegir_root, "@server_master", "verify").returncode == 0
    save_platform(aegir_root, "@platform_drupal7", codebase)

    run = provision(aegir_root, "@platform_drupal7", "verify", backend=True)

    assert run.returncode == 0, run.stdout
    result = run.result["object"]
    assert (result["application"], result["version"], result["core"]) == ("drupal", "7.103", "7")
    assert result["docroot"] == str(codebase)
    assert {"minimal", "standard"} <= set(result["profiles"])
    assert {"system", "views"} <= {package["short_name"] for package in result["packages"]}
    assert result["sites"] == []
    conf = aegir_root / "config/server_master/apache/platform.d/platform_drupal7.conf"
    text = conf.read_text()
    assert f'<Directory "{codebase}">' in text
    assert "Require all granted" in text and "AllowOverride None" in text
    assert f'Include "{codebase}/.htaccess"' in text
    apache_instance.configtest()
    assert any(line.startswith("Reloaded apache") for line in run.messages("success"))


@pytest.mark.apache
def test_a_broken_htaccess_fails_platform_verify_and_leaves_no_platform_file(
    apache_instance: ApacheInstance, aegir_root: Path
) -> None:
    codebase = make_drupal7_platform(aegir_root / "platforms" / "drupal7")
    (codebase / ".htaccess").write_text("NotAnApacheDirective yes\n")
    save_server(aegir_root, **web_server_properties(apache_instance, "apache"))
    assert provision(aegir_root, "@server_master", "verify").returncode == 0
    save_platform(aegir_root, "@platform_drupal7", codebase)

    run = provision(aegir_root, "@platform_drupal7", "verify")

    assert run.returncode == 1
    assert "NotAnApacheDirective" in run.errors
    platform_d = aegir_root / "config/server_master/apache/platform.d"
    assert not (platform_d / "platform_drupal7.conf").exists()
    apache_instance.configtest()


@pytest.mark.apache
def test_a_composer_drupal10_platform_is_served_from_its_web_folder(
    apache_instance: ApacheInstance, aegir_root: Path
) -> None:
    codebase = make_drupal10_composer_platform(aegir_root / "platforms" / "drupal10")
    save_server(aegir_root, **web_server_properties(apache_instance, "apache"))
    save_platform(aegir_root, "@platform_drupal10", codebase)

    run = provision(aegir_root, "@platform_drupal10", "verify", backend=True)

    assert run.returncode == 0, run.stdout
    assert run.result["object"]["core"] == "10"
    assert run.result["object"]["docroot"] == str(codebase / "web")
    conf = aegir_root / "config/server_master/apache/platform.d/platform_drupal10.conf"
    assert f'<Directory "{codebase / "web"}">' in conf.read_text()


@pytest.mark.nginx
@pytest.mark.slow
def test_a_wordpress_platform_on_nginx_is_described(
    nginx_instance: NginxInstance, aegir_root: Path
) -> None:
    codebase = make_wordpress_platform(aegir_root / "platforms" / "wordpress")
    save_server(aegir_root, **web_server_properties(nginx_instance, "nginx"))
    assert provision(aegir_root, "@server_master", "verify").returncode == 0
    save_platform(aegir_root, "@platform_wordpress", codebase)

    run = provision(aegir_root, "@platform_wordpress", "verify", backend=True)

    assert run.returncode == 0, run.stdout
    result = run.result["object"]
    assert result["application"] == "wordpress"
    assert result["version"] == debian_wordpress_version()
    assert (aegir_root / "config/server_master/nginx/platform.d/platform_wordpress.conf").exists()
    nginx_instance.configtest()


def test_a_missing_platform_root_fails_with_a_sentence(tmp_path: Path) -> None:
    save_server(tmp_path, http_service_type="null")
    save_platform(tmp_path, "@platform_gone", tmp_path / "platforms" / "nowhere")

    run = provision(tmp_path, "@platform_gone", "verify")

    assert run.returncode == 1
    assert run.errors == f"The platform root {tmp_path / 'platforms' / 'nowhere'} does not exist."


def test_a_folder_without_an_application_fails_with_a_sentence(tmp_path: Path) -> None:
    (tmp_path / "platforms" / "empty").mkdir(parents=True)
    save_server(tmp_path)
    save_platform(tmp_path, "@platform_empty", tmp_path / "platforms" / "empty")

    run = provision(tmp_path, "@platform_empty", "verify")

    assert run.returncode == 1
    empty = tmp_path / "platforms" / "empty"
    assert f"No Drupal or WordPress codebase was found in {empty}" in run.errors


def test_a_missing_sites_folder_is_created(tmp_path: Path) -> None:
    codebase = make_drupal7_platform(tmp_path / "platforms" / "drupal7")
    shutil.rmtree(codebase / "sites")
    save_server(tmp_path)
    save_platform(tmp_path, "@platform_drupal7", codebase)

    run = provision(tmp_path, "@platform_drupal7", "verify")

    assert run.returncode == 0, run.stderr
    assert (codebase / "sites").is_dir()
    assert f"Created {codebase / 'sites'}" in run.messages("info")


def test_a_sites_path_that_is_not_a_folder_fails_with_a_sentence(tmp_path: Path) -> None:
    codebase = make_drupal7_platform(tmp_path / "platforms" / "drupal7")
    shutil.rmtree(codebase / "sites")
    (codebase / "sites").write_text("a file where the sites folder belongs\n")
    save_server(tmp_path)
    save_platform(tmp_path, "@platform_drupal7", codebase)

    run = provision(tmp_path, "@platform_drupal7", "verify")

    assert run.returncode == 1
    assert f"The sites folder {codebase / 'sites'} is not a folder writable" in run.errors


def test_a_platform_on_a_server_without_web_service_is_still_described(tmp_path: Path) -> None:
    codebase = make_drupal7_platform(tmp_path / "platforms" / "drupal7")
    save_server(tmp_path)
    save_platform(tmp_path, "@platform_drupal7", codebase)

    run = provision(tmp_path, "@platform_drupal7", "verify", backend=True)

    assert run.returncode == 0, run.stdout
    assert run.result["object"]["version"] == "7.103"
