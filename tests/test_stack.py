"""The real-service fixtures work: MariaDB, private Apache with mod_php, private nginx + php-fpm."""

from __future__ import annotations

import os
import secrets
import shlex
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.fixtures.stack import (
    ApacheInstance,
    MariaDBAdmin,
    NginxInstance,
    WebServerInstance,
    pid_alive,
    running_apache,
    running_nginx,
)
from tests.fixtures.stack_process import port_answers, run_command, try_command

REPOSITORY = Path(__file__).resolve().parent.parent


def php_cli_version() -> str:
    """PHP_VERSION as the command-line PHP reports it (the same build as mod_php and php-fpm)."""
    return run_command(["php", "-r", "echo PHP_VERSION;"]).strip()


def write_php_docroot(folder: Path, extra: str = "") -> Path:
    """A docroot whose index.php prints ``php:<version>`` and ``extra``."""
    folder.mkdir(parents=True)
    folder.chmod(0o755)
    index = folder / "index.php"
    index.write_text(f'<?php echo "php:".PHP_VERSION."{extra}";\n')
    index.chmod(0o644)
    return folder


def add_apache_vhost(apache: ApacheInstance, host: str, docroot: Path) -> None:
    """Drop a name-based vhost for ``host`` in the instance's include dir, as provision would."""
    (apache.include_dir / f"{host}.conf").write_text(
        f"<VirtualHost *:{apache.port}>\n"
        f"    ServerName {host}\n"
        f"    DocumentRoot {docroot}\n"
        f"    <Directory {docroot}>\n        Require all granted\n    </Directory>\n"
        "</VirtualHost>\n"
    )


def add_nginx_server(nginx: NginxInstance, host: str, docroot: Path) -> None:
    """Drop a server block for ``host`` that hands PHP to the instance's own php-fpm."""
    (nginx.include_dir / f"{host}.conf").write_text(
        "server {\n"
        f"    listen *:{nginx.port};\n"
        f"    server_name {host};\n"
        f"    root {docroot};\n"
        "    index index.php;\n"
        "    location ~ \\.php$ {\n"
        "        include fastcgi_params;\n"
        "        fastcgi_param SCRIPT_FILENAME $document_root$fastcgi_script_name;\n"
        f"        fastcgi_pass unix:{nginx.php_fpm_socket};\n"
        "    }\n"
        "}\n"
    )


@pytest.mark.mariadb
def test_the_mariadb_admin_creates_and_drops_a_database_over_tcp(
    mariadb_admin: MariaDBAdmin,
) -> None:
    probe = f"hm_stack_probe_{secrets.token_hex(4)}"
    connection = mariadb_admin.connect()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SHOW GRANTS")
            assert any("WITH GRANT OPTION" in row[0] for row in cursor.fetchall())
            cursor.execute(f"CREATE DATABASE {probe}")
            cursor.execute(f"CREATE TABLE {probe}.site (uri VARCHAR(255))")
            cursor.execute(f"INSERT INTO {probe}.site VALUES ('example.com')")
            cursor.execute(f"SELECT uri FROM {probe}.site")
            assert cursor.fetchall() == (("example.com",),)
            cursor.execute(f"DROP DATABASE {probe}")
            cursor.execute("SHOW DATABASES LIKE %s", (probe,))
            assert cursor.fetchall() == ()
    finally:
        connection.close()
    assert mariadb_admin.password not in repr(mariadb_admin)


@pytest.mark.mariadb
def test_the_store_url_opens_a_utf8mb4_database_with_sqlalchemy(
    mariadb_database_url: str,
) -> None:
    engine = create_engine(mariadb_database_url)
    try:
        with engine.connect() as connection:
            name = connection.execute(text("SELECT DATABASE()")).scalar_one()
            charset = connection.execute(text("SELECT @@character_set_database")).scalar_one()
    finally:
        engine.dispose()
    assert name.startswith("hm_test_")
    assert charset == "utf8mb4"


def test_the_web_server_user_can_read_files_in_the_aegir_root(aegir_root: Path) -> None:
    assert list(aegir_root.iterdir()) == []
    (aegir_root / "platforms").mkdir(mode=0o755)
    (aegir_root / "platforms" / "README").write_text("readable\n")
    (aegir_root / "platforms" / "README").chmod(0o644)
    as_web_user = ["runuser", "-u", "www-data", "--", "cat", str(aegir_root / "platforms/README")]
    assert run_command(as_web_user) == "readable\n"


@pytest.mark.apache
def test_the_private_apache_runs_php_from_a_vhost_in_its_include_dir(
    apache_instance: ApacheInstance, aegir_root: Path
) -> None:
    add_apache_vhost(apache_instance, "php.test", write_php_docroot(aegir_root / "docroot"))
    assert "Syntax OK" in apache_instance.configtest()
    # As provision will: run the server context's restart command itself.
    with apache_instance.expect_reload():
        run_command(shlex.split(apache_instance.restart_cmd))
    assert apache_instance.get("/index.php", host="php.test") == (200, f"php:{php_cli_version()}")
    assert apache_instance.url == f"http://127.0.0.1:{apache_instance.port}"


@pytest.mark.apache
def test_the_private_apaches_restart_command_returns_once_apache_has_re_read_its_configuration(
    apache_instance: ApacheInstance,
) -> None:
    # What lets the tests' server contexts say http_reload_settle=0.
    assert apache_instance.reload_settle == 0
    log = apache_instance.error_log
    before = log.read_text()
    run_command(shlex.split(apache_instance.restart_cmd))
    added = log.read_text().removeprefix(before)
    # Graceful restart requested, then: configured -- resuming normal operations.
    assert "AH00171" in added and "AH00163" in added.split("AH00171", 1)[1]


@pytest.mark.apache
def test_the_private_apache_keeps_compiled_php_across_reloads_and_compiles_a_rewritten_file(
    apache_instance: ApacheInstance, aegir_root: Path
) -> None:
    docroot = write_php_docroot(aegir_root / "docroot")
    add_apache_vhost(apache_instance, "php.test", docroot)
    settings = docroot / "settings.php"
    settings.write_text('<?php echo "one";\n')
    settings.chmod(0o644)
    # A minute old, as an application's code is: opcache caches no file younger than 2 s.
    old = time.time() - 60
    os.utime(settings, (old, old))
    with apache_instance.expect_reload():
        run_command(shlex.split(apache_instance.restart_cmd))
    assert apache_instance.get("/settings.php", host="php.test") == (200, "one")
    cached = [path.name for path in (apache_instance.directory / "opcache").rglob("*.bin")]
    assert cached == ["settings.php.bin"], cached
    settings.write_text('<?php echo "two";\n')  # as provision rewrites a settings file
    with apache_instance.expect_reload():
        run_command(shlex.split(apache_instance.restart_cmd))
    assert apache_instance.get("/settings.php", host="php.test") == (200, "two")


@pytest.mark.nginx
def test_the_private_nginx_runs_php_through_its_own_php_fpm(
    nginx_instance: NginxInstance, aegir_root: Path
) -> None:
    add_nginx_server(nginx_instance, "php.test", write_php_docroot(aegir_root / "docroot"))
    assert "test is successful" in nginx_instance.configtest()
    nginx_instance.reload()
    body = nginx_instance.wait_for_body("php:", path="/", host="php.test")
    assert body == f"php:{php_cli_version()}"
    assert nginx_instance.get("/", host="unknown.test")[0] == 404


@pytest.mark.apache
@pytest.mark.nginx
@pytest.mark.parametrize("server", ["apache_instance", "nginx_instance"])
def test_a_broken_vhost_fails_the_config_test_and_the_server_keeps_serving(
    server: str, aegir_root: Path, request: pytest.FixtureRequest
) -> None:
    instance: WebServerInstance = request.getfixturevalue(server)
    if isinstance(instance, ApacheInstance):
        add_apache_vhost(instance, "good.test", write_php_docroot(aegir_root / "good", " good"))
    else:
        assert isinstance(instance, NginxInstance)
        add_nginx_server(instance, "good.test", write_php_docroot(aegir_root / "good", " good"))
    instance.reload()
    instance.wait_for_body(" good", host="good.test")
    (instance.include_dir / "broken.conf").write_text("ThisIsNoDirective on;\n")
    status, output = try_command(shlex.split(instance.configtest_cmd))
    assert status != 0 and "ThisIsNoDirective" in output
    assert instance.get("/", host="good.test")[1].endswith(" good")


@pytest.mark.apache
def test_two_private_apaches_serve_their_own_sites_side_by_side(
    stack_base_dir: Path, aegir_root: Path
) -> None:
    with running_apache(stack_base_dir) as first:
        add_apache_vhost(first, "site.test", write_php_docroot(aegir_root / "a", " first"))
        first.reload()
        with running_apache(stack_base_dir) as second:
            add_apache_vhost(second, "site.test", write_php_docroot(aegir_root / "b", " second"))
            second.reload()
            assert first.port != second.port and first.master_pid != second.master_pid
            assert second.wait_for_body(" second", host="site.test").endswith(" second")
            assert first.wait_for_body(" first", host="site.test").endswith(" first")
        assert first.get("/", host="site.test") == (200, f"php:{php_cli_version()} first")


@pytest.mark.nginx
def test_two_private_nginx_serve_their_own_sites_side_by_side(
    stack_base_dir: Path, aegir_root: Path
) -> None:
    with running_nginx(stack_base_dir) as first:
        add_nginx_server(first, "site.test", write_php_docroot(aegir_root / "a", " first"))
        first.reload()
        with running_nginx(stack_base_dir) as second:
            add_nginx_server(second, "site.test", write_php_docroot(aegir_root / "b", " second"))
            second.reload()
            assert first.php_fpm_socket != second.php_fpm_socket
            assert second.wait_for_body(" second", host="site.test").endswith(" second")
            assert first.wait_for_body(" first", host="site.test").endswith(" first")
        assert first.get("/", host="site.test") == (200, f"php:{php_cli_version()} first")


@pytest.mark.apache
def test_a_stopped_apache_leaves_no_process_behind(stack_base_dir: Path) -> None:
    with running_apache(stack_base_dir) as apache:
        processes = apache.process_ids()
        port = apache.port
        assert len(processes) >= 2, "a prefork Apache has a parent and at least one child"
    assert [pid for pid in processes if pid_alive(pid)] == []
    assert not port_answers(port)


@pytest.mark.nginx
def test_a_stopped_nginx_leaves_no_process_behind_nor_its_php_fpm(stack_base_dir: Path) -> None:
    with running_nginx(stack_base_dir) as nginx:
        processes = nginx.process_ids()
        port = nginx.port
        assert len(processes) >= 4, "nginx and php-fpm each have a master and workers"
    assert [pid for pid in processes if pid_alive(pid)] == []
    assert not port_answers(port)


def test_the_stack_installer_changes_nothing_once_the_stack_is_installed() -> None:
    installer = ["bash", str(REPOSITORY / "contrib" / "stack" / "install.sh"), "test"]
    status, output = try_command(installer, timeout=120)
    assert status == 0, output
    assert "packages for 'test' are installed" in output
    assert "MariaDB is running" in output
    assert "apt-get" not in output and "starting" not in output
