"""Loaded contexts resolve their references; every server has every kind of service."""

from __future__ import annotations

import io
import sys
from pathlib import Path

from provision.contexts import Contexts, PlatformContext, ServerContext
from provision.log import Logger
from provision.services.db.mysql import MysqlService
from provision.services.http.apache import ApacheService
from tests.provision.helpers import provision, save_server


def test_a_platform_resolves_its_web_server_and_the_servers_services(tmp_path: Path) -> None:
    save_server(tmp_path, http_service_type="apache", db_service_type="mysql", db_user="admin")
    provision(tmp_path, "save", "@platform_x", "--context_type=platform",
              f"--root={tmp_path}/platforms/x")
    provision(tmp_path, "save", "@example.com", "--context_type=site", "--platform=@platform_x")

    contexts = Contexts(tmp_path)
    site = contexts.load("@example.com")
    platform = site.platform
    server = platform.web_server

    assert isinstance(platform, PlatformContext) and isinstance(server, ServerContext)
    assert site.uri == "example.com"
    assert site.profile == "standard"  # a default, not stored
    assert platform.root == tmp_path / "platforms" / "x"
    assert server is contexts.load("@server_master")
    http = server.service("http")
    assert isinstance(http, ApacheService)
    assert http.setting("http_port") == 80
    assert http.setting("http_restart_cmd") == "apache2ctl graceful"
    # graceful returns before Apache re-reads its configuration: production waits 1 s.
    assert http.setting("http_reload_settle") == 1.0 and http.config_lock().settle == 1.0
    db = server.service("db")
    assert isinstance(db, MysqlService)
    assert db.setting("db_host") == "localhost"


def test_a_server_without_a_service_gets_the_null_one_and_verify_says_so(
    tmp_path: Path,
) -> None:
    save_server(tmp_path, remote_host="localhost")

    run = provision(tmp_path, "@server_master", "verify", backend=True)

    assert run.returncode == 0, run.stdout
    assert run.result["object"] == {"services": {"db": {"type": "null"}, "http": {"type": "null"}}}
    assert "The server @server_master has no http service." in run.messages("info")
    assert "The server @server_master has no db service." in run.messages("info")


def test_verifying_a_site_that_was_never_installed_says_to_install_it(tmp_path: Path) -> None:
    save_server(tmp_path)
    provision(tmp_path, "save", "@platform_x", "--context_type=platform",
              f"--root={tmp_path}/platforms/x")
    provision(tmp_path, "save", "@example.com", "--context_type=site", "--platform=@platform_x")

    run = provision(tmp_path, "@example.com", "verify")

    assert run.returncode == 1
    assert "holds no database credentials; install the site first" in run.errors


def test_the_logger_masks_a_secret_wherever_it_appears() -> None:
    out = io.StringIO()
    logger = Logger(backend=True, out=out)
    logger.add_secret('pa"ss')
    logger.error('login failed for admin with password pa"ss')
    logger.result(1, {"note": 'pa"ss'}, {})

    assert 'pa"ss' not in out.getvalue() and 'pa\\"ss' not in out.getvalue()
    assert out.getvalue().count("********") == 2
    assert logger.had_error


def test_a_no_op_run_does_not_import_the_heavy_modules(tmp_path: Path) -> None:
    # Start-up time is paid once per task by the dispatcher: templates, the MySQL client and
    # SSH must only load for the commands that use them.
    import subprocess

    probe = (
        "import sys, runpy; sys.argv = ['provision', '--root', sys.argv[1], '@x', 'noop'];\n"
        "try:\n    runpy.run_module('provision', run_name='__main__')\n"
        "except SystemExit:\n    pass\n"
        "print(sorted(m for m in ('jinja2', 'pymysql', 'fabric', 'paramiko') if m in sys.modules),"
        " file=sys.stderr)"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, check=False
    )

    assert done.stderr.strip().splitlines()[-1] == "[]"


def test_the_reload_settle_is_a_number_of_seconds_from_0_to_60_and_nginx_needs_none(
    tmp_path: Path,
) -> None:
    save_server(tmp_path, http_service_type="nginx")
    assert Contexts(tmp_path).load("@server_master").service("http").config_lock().settle == 0

    for bad in ("-1", "61", "soon", "nan"):
        run = provision(tmp_path, "save", "@server_master", "--context_type=server",
                        "--http_service_type=apache", f"--http_reload_settle={bad}")
        assert run.returncode != 0, bad
        assert "http_reload_settle must be a number of seconds from 0 to 60" in run.stderr, bad
    save_server(tmp_path, http_service_type="apache", http_reload_settle="0.25")
    http = Contexts(tmp_path).load("@server_master").service("http")
    assert http.config_lock().settle == 0.25
