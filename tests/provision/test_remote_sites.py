"""Remote servers end to end: two remote hosts (network namespaces with their own sshd, Apache
and aegir root; host 2 also with its own MariaDB), reached over SSH by provision on the master.

A WordPress site (Debian's real WordPress) on a platform of host 1 is installed on the master,
pushed to host 1 and served by host 1's Apache with its database on the master's MariaDB; its
backup pulls the site folder (with what visitors uploaded on host 1) to the master and keeps the
archive there; a migrate moves it to a platform on host 2 with its database on host 2's MariaDB,
after which host 1 no longer has it. A server whose sshd is down fails its verify in seconds.
"""

from __future__ import annotations

import grp
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from provision.layout import AegirRoot
from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.remote_hosts import MASTER_ADDRESS, RemoteHost, RemoteNetwork
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_process import make_traversable_dir, poll, remove_tree
from tests.provision.sites_support import Ran, run_here, unique_uri

APACHE = {
    "http_service_type": "apache",
    "http_port": 80,
    "http_configtest_cmd": "apache2ctl configtest",
    "http_include_dir": "/etc/apache2/conf-enabled",
}


def options(properties: dict[str, Any]) -> list[str]:
    return [f"--{key}={value}" for key, value in properties.items()]


class Spoke:
    """The master's aegir root and the two hosts, with provision run in this process."""

    def __init__(self, root: Path, web1: RemoteHost, web2: RemoteHost,
                 admin: MariaDBAdmin) -> None:
        self.root, self.web1, self.web2, self.admin = root, web1, web2, admin

    def run(self, *words: str) -> Ran:
        return run_here(self.root, *words)

    def must(self, *words: str) -> Ran:
        ran = self.run(*words)
        assert ran.status == 0, ran.text
        return ran

    def master_query(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        connection = self.admin.connect()
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                return list(cursor.fetchall())
        finally:
            connection.close()

    def web2_query(self, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
        host, port, user, password = self.web2.mariadb_admin()
        connection = pymysql.connect(host=host, port=port, user=user, password=password)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, args)
                return list(cursor.fetchall())
        finally:
            connection.close()


def save_remote_server(spoke: Spoke, name: str, host: RemoteHost, **extra: Any) -> None:
    spoke.must("save", name, "--context_type=server", *options({
        "remote_host": host.hostname, "ip_addresses": host.address, "ssh_user": "root",
        "ssh_key_file": host.key_file, "master_url": "http://hostmaster.test", **APACHE,
        "http_restart_cmd": host.restart_cmd, "http_reload_settle": 0, **extra}))


@pytest.fixture(scope="module")
def spoke(remote_network: RemoteNetwork, stack_base_dir: Path,
          mariadb_admin: MariaDBAdmin) -> Iterator[Spoke]:
    root = make_traversable_dir(stack_base_dir, "spoke-")
    with remote_network.host(1, root) as web1, \
            remote_network.host(2, root, with_mariadb=True) as web2:
        made = Spoke(root, web1, web2, mariadb_admin)
        made.must("save", "@server_master", "--context_type=server", *options({
            "remote_host": "localhost", "ip_addresses": MASTER_ADDRESS,
            "db_service_type": "mysql", "db_host": mariadb_admin.host,
            "db_port": mariadb_admin.port, "db_user": mariadb_admin.user,
            "db_passwd": mariadb_admin.password}))
        host, port, user, password = web2.mariadb_admin()
        save_remote_server(made, "@server_web1", web1)
        save_remote_server(made, "@server_web2", web2, db_service_type="mysql", db_host=host,
                           db_port=port, db_user=user, db_passwd=password)
        try:
            yield made
        finally:
            for (name,) in made.master_query("SHOW DATABASES LIKE 'remote%'"):
                made.master_query(f"DROP DATABASE `{name}`")
            for user_name, user_host in made.master_query(
                    "SELECT User, Host FROM mysql.user WHERE User LIKE 'remote%'"):
                made.master_query("DROP USER %s@%s", (user_name, user_host))
    remove_tree(root)


def wait_served(host: RemoteHost, uri: str, text: str) -> str:
    seen: list[str] = []

    def served() -> bool:
        status, body = host.get("/", uri)
        seen[:] = [f"{status}: {body[:300]}"]
        return status == 200 and text in body

    assert poll(served, 30), f"{uri} was not served by {host.name} with {text!r}: {seen}"
    return seen[0]


def test_a_remote_server_is_verified_over_ssh_on_that_host(spoke: Spoke) -> None:
    ran = spoke.must("@server_web1", "verify")
    include = Path("/etc/apache2/conf-enabled/aegir-server_web1.conf")
    assert spoke.web1.run(f"cat {include}").stdout.strip(), "the include is on host 1"
    assert not include.exists(), "nothing is written into the master's Apache"
    assert (spoke.web1.own_root / "config" / "server_web1" / "apache.conf").is_file()
    assert any(message.startswith(f"Reloaded apache on {spoke.web1.hostname} "
                                  f"(root@{spoke.web1.address}:22) over SSH")
               for message in ran.messages()), ran.text
    assert poll(lambda: spoke.web1.get("/", "nothing-here.test")[0] == 404, 15), (
        "host 1's Apache serves provision's catch-all after the reload")
    spoke.must("@server_web2", "verify")


def test_a_wordpress_site_on_host_1_is_served_there_backed_up_to_the_master_and_migrated(
        spoke: Spoke) -> None:
    web1, web2, root = spoke.web1, spoke.web2, spoke.root
    for server in ("@server_web1", "@server_web2"):
        spoke.must(server, "verify")
    for name, server in (("wp1", "@server_web1"), ("wp2", "@server_web2")):
        make_wordpress_platform(root / "platforms" / name)
        spoke.must("save", f"@platform_{name}", "--context_type=platform",
                   f"--root={root / 'platforms' / name}", f"--web_server={server}")
        spoke.must(f"@platform_{name}", "verify")
    assert (web1.own_root / "platforms" / "wp1" / "wp-includes" / "version.php").is_file()
    assert (web2.own_root / "platforms" / "wp2" / "wp-includes" / "version.php").is_file()
    assert not (web1.own_root / "platforms" / "wp2").exists()

    uri = unique_uri("remote")
    spoke.must("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
               "--platform=@platform_wp1", "--db_server=@server_master")
    installed = spoke.must(f"@{uri}", "install").result
    wait_served(web1, uri, f"<title>{uri}")
    site_on_1 = web1.own_root / "platforms" / "wp1" / "sites" / uri
    assert (site_on_1 / "wp-site.php").is_file(), "the site's files are on host 1"
    db_name = installed["db_name"]
    assert spoke.master_query("SHOW DATABASES LIKE %s", (db_name,)), "its database is the master's"
    hosts = {row[0] for row in spoke.master_query(
        "SELECT Host FROM mysql.user WHERE User = %s", (installed["db_user"],))}
    assert web1.address in hosts and "%" not in hosts, hosts
    status, _ = web2.get("/", uri)
    assert status == 404, "host 2 does not serve the site"
    secret_on_1 = (web1.own_root / "config" / "server_web1" / "credentials"
                   / _named(root, "web1", uri))
    assert secret_on_1.stat().st_mode & 0o777 == 0o640, "the web server's PHP reads it there"
    assert grp.getgrgid(secret_on_1.stat().st_gid).gr_name == "www-data"
    assert not (root / "config" / "server_web1" / "credentials").exists() or not any(
        (root / "config" / "server_web1" / "credentials").iterdir())

    # The rest of the lifecycle works on the remote copy too.
    cron = spoke.must(f"@{uri}", "cron").result
    assert cron["http_status"] == 200, cron
    assert spoke.must(f"@{uri}", "statistics").result
    assert spoke.must(f"@{uri}", "login-reset").result["login_link"].startswith(f"http://{uri}/")
    spoke.must(f"@{uri}", "disable")
    assert poll(lambda: web1.get("/", uri)[0] == 302, 15), (
        "a disabled site sends visitors to the front end")
    spoke.must(f"@{uri}", "enable")
    wait_served(web1, uri, f"<title>{uri}")
    spoke.must(f"@{uri}", "verify")
    assert (site_on_1 / "wp-site.php").is_file()

    # An upload made on host 1 reaches the master with the backup; the archive stays there.
    (site_on_1 / "files" / "upload.txt").write_text("uploaded through host 1")
    backup = spoke.must(f"@{uri}", "backup").result["backup_file"]
    assert Path(backup).parent == root / "backups" and Path(backup).is_file()
    assert not list((web1.own_root / "backups").glob("*.tar.gz")) if (
        web1.own_root / "backups").exists() else True
    with tarfile.open(backup) as archive:
        assert "files/upload.txt" in archive.getnames()
        assert "database.sql" in archive.getnames()

    started = time.monotonic()
    migrated = spoke.must(f"@{uri}", "migrate", "--target_platform=@platform_wp2",
                          "--target_db_server=@server_web2")
    wait_served(web2, uri, f"<title>{uri}")
    site_on_2 = web2.own_root / "platforms" / "wp2" / "sites" / uri
    assert (site_on_2 / "files" / "upload.txt").read_text() == "uploaded through host 1"
    assert not site_on_1.exists(), "the site folder is gone from host 1"
    assert not (root / "platforms" / "wp1" / "sites" / uri).exists()
    assert poll(lambda: web1.get("/", uri)[0] == 404, 15), "host 1 no longer serves the site"
    assert not secret_on_1.exists(), "its credentials file left host 1 with its vhost"
    secret_on_2 = (web2.own_root / "config" / "server_web2" / "credentials"
                   / _named(root, "web2", uri))
    assert secret_on_2.stat().st_mode & 0o777 == 0o640
    new_db = migrated.result["db_name"]
    assert spoke.web2_query("SHOW DATABASES LIKE %s", (new_db,)), "the database is on host 2"
    assert not spoke.master_query("SHOW DATABASES LIKE %s", (db_name,)), "the old one is gone"
    print(f"migrate between hosts took {time.monotonic() - started:.1f} s")

    spoke.must("@platform_wp1", "delete")
    assert not (web1.own_root / "platforms" / "wp1").exists(), "the platform left host 1"

    deleted = spoke.must(f"@{uri}", "delete")
    assert Path(deleted.result["backup_file"]).parent == root / "backups"
    assert not site_on_2.exists() and not secret_on_2.exists()
    assert not spoke.web2_query("SHOW DATABASES LIKE %s", (new_db,))
    assert poll(lambda: web2.get("/", uri)[0] == 404, 15)


def test_a_server_whose_sshd_is_down_fails_its_verify_quickly_naming_it(spoke: Spoke) -> None:
    spoke.web2.stop_sshd()
    try:
        started = time.monotonic()
        ran = spoke.run("@server_web2", "verify")
        took = time.monotonic() - started
    finally:
        spoke.web2.start_sshd()
    assert ran.status != 0
    errors = " ".join(ran.messages("error"))
    assert spoke.web2.hostname in errors and f"{spoke.web2.address}:22" in errors
    assert "connection refused" in errors
    assert took < 30, f"the verify took {took:.1f} s"


@pytest.mark.parametrize("step", ["unpack", "copy", "verify", "cleanup"])
def test_a_migrate_between_hosts_that_fails_leaves_the_site_on_host_1(
        spoke: Spoke, step: str) -> None:
    from tests.provision.moves_support import failing_at

    web1, web2, root = spoke.web1, spoke.web2, spoke.root
    for name, server in (("wp1", "@server_web1"), ("wp2", "@server_web2")):
        if not (root / "platforms" / name).exists():
            spoke.must(server, "verify")
            make_wordpress_platform(root / "platforms" / name)
            spoke.must("save", f"@platform_{name}", "--context_type=platform",
                       f"--root={root / 'platforms' / name}", f"--web_server={server}")
            spoke.must(f"@platform_{name}", "verify")
    uri = unique_uri("remote")
    spoke.must("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
               "--platform=@platform_wp1", "--db_server=@server_master")
    db_name = spoke.must(f"@{uri}", "install").result["db_name"]
    databases_on_2 = spoke.web2_query("SHOW DATABASES")
    with failing_at(step):
        ran = spoke.run(f"@{uri}", "migrate", "--target_platform=@platform_wp2",
                        "--target_db_server=@server_web2")
    assert ran.status != 0 and f"injected failure before {step}" in ran.text
    wait_served(web1, uri, f"<title>{uri}")
    assert (web1.own_root / "platforms" / "wp1" / "sites" / uri / "wp-site.php").is_file()
    assert not (web2.own_root / "platforms" / "wp2" / "sites" / uri).exists()
    assert not (root / "platforms" / "wp2" / "sites" / uri).exists()
    assert web2.get("/", uri)[0] == 404
    assert spoke.web2_query("SHOW DATABASES") == databases_on_2
    assert spoke.master_query("SHOW DATABASES LIKE %s", (db_name,))
    spoke.must(f"@{uri}", "delete")


def _named(root: Path, server: str, uri: str) -> str:
    """The credentials file's name of ``uri`` on ``@server_<server>`` (a keyed hash)."""
    return f"{AegirRoot(root).credentials_name(f'server_{server}', uri)}.json"
