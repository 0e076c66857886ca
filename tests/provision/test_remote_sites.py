"""Remote servers end to end: remote hosts (network namespaces with their own sshd, web server
and aegir root: hosts 1 and 2 with Apache, host 2 also with its own MariaDB, host 3 with nginx
and its own MariaDB), reached over SSH by provision on the master.

A WordPress site (Debian's real WordPress) on a platform of host 1 is installed on the master,
pushed to host 1 and served by host 1's Apache with its database on the master's MariaDB; its
backup pulls the site folder (with what visitors uploaded on host 1) to the master and keeps the
archive there; a migrate moves it to a platform on host 2 with its database on host 2's MariaDB,
after which host 1 no longer has it. A server whose sshd is down fails its verify in seconds.

Across web servers: a site on the master's own Apache migrates to host 3's nginx (database on
host 3), is cloned back to the master, and migrates back, served each time with its content and
uploads; a migrate to host 3 that fails leaves it served by the master and nothing on host 3.

HTTPS on host 1 and host 3: a site's certificate comes from a real ACME CA (Pebble) that
validates it through host 1's Apache or host 3's nginx; its key stays on that host.
"""

from __future__ import annotations

import grp
import http.client
import json
import socket
import ssl
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509

from provision.layout import AegirRoot
from tests.fixtures.pebble import running_pebble
from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.remote_hosts import MASTER_ADDRESS, RemoteHost, RemoteNetwork
from tests.fixtures.stack import MariaDBAdmin
from tests.fixtures.stack_apache import ApacheInstance, running_apache
from tests.fixtures.stack_process import make_traversable_dir, poll, remove_tree
from tests.provision.moves_support import failing_at
from tests.provision.remote_support import (
    Spoke,
    database_properties,
    host_query,
    options,
    save_remote_server,
    wait_served,
)
from tests.provision.sites_support import unique_uri


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
        save_remote_server(made, "@server_web1", web1)
        save_remote_server(made, "@server_web2", web2, **database_properties(web2))
        try:
            yield made
        finally:
            for (name,) in made.master_query("SHOW DATABASES LIKE 'remote%'"):
                made.master_query(f"DROP DATABASE `{name}`")
            for user_name, user_host in made.master_query(
                    "SELECT User, Host FROM mysql.user WHERE User LIKE 'remote%'"):
                made.master_query("DROP USER %s@%s", (user_name, user_host))
    remove_tree(root)


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


def test_a_migrate_between_hosts_that_fails_at_any_step_leaves_the_site_on_host_1(
        spoke: Spoke) -> None:
    """One site, one failed migrate per step: each leaves it served from host 1 with its
    database on the master, and nothing on host 2, for the next try to start from."""
    web1, web2, root = spoke.web1, spoke.web2, spoke.root
    spoke.platform("wp1", "@server_web1")
    spoke.platform("wp2", "@server_web2")
    uri = unique_uri("remote")
    spoke.must("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
               "--platform=@platform_wp1", "--db_server=@server_master")
    db_name = spoke.must(f"@{uri}", "install").result["db_name"]
    databases_on_2 = spoke.web2_query("SHOW DATABASES")
    for step in ("unpack", "copy", "verify", "cleanup"):
        with failing_at(step):
            ran = spoke.run(f"@{uri}", "migrate", "--target_platform=@platform_wp2",
                            "--target_db_server=@server_web2")
        assert ran.status != 0 and f"injected failure before {step}" in ran.text
        wait_served(web1, uri, f"<title>{uri}")
        assert (web1.own_root / "platforms" / "wp1" / "sites" / uri / "wp-site.php").is_file()
        assert not (web2.own_root / "platforms" / "wp2" / "sites" / uri).exists(), step
        assert not (root / "platforms" / "wp2" / "sites" / uri).exists(), step
        assert web2.get("/", uri)[0] == 404, step
        assert spoke.web2_query("SHOW DATABASES") == databases_on_2, step
        assert spoke.master_query("SHOW DATABASES LIKE %s", (db_name,)), step
    spoke.must(f"@{uri}", "delete")


@pytest.fixture(scope="module")
def web3(spoke: Spoke, remote_network: RemoteNetwork) -> Iterator[RemoteHost]:
    """Host 3: nginx with its own php-fpm, and its own MariaDB (``@server_web3``)."""
    with remote_network.host(3, spoke.root, with_mariadb=True, web_server="nginx") as host:
        save_remote_server(spoke, "@server_web3", host, **database_properties(host))
        yield host


@pytest.fixture(scope="module")
def master_apache(spoke: Spoke, stack_base_dir: Path) -> Iterator[ApacheInstance]:
    """The master's own Apache (a private one), which @server_master now serves sites with."""
    with running_apache(stack_base_dir) as apache:
        spoke.must("save", "@server_master", *options({
            "http_service_type": "apache", "http_port": apache.port,
            "http_configtest_cmd": apache.configtest_cmd, "http_restart_cmd": apache.restart_cmd,
            "http_include_dir": apache.include_dir, "http_reload_settle": 0}))
        with apache.expect_reload():
            spoke.must("@server_master", "verify")
        yield apache


def _site_on_the_master(spoke: Spoke, apache: ApacheInstance, title: str) -> str:
    """A WordPress site on the master's Apache named ``title``, with an upload; its uri."""
    spoke.platform("wpm", "@server_master")
    spoke.platform("wp3", "@server_web3")
    uri = unique_uri("remote")
    spoke.must("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
               "--platform=@platform_wpm", "--db_server=@server_master")
    db_name = spoke.must(f"@{uri}", "install").result["db_name"]
    spoke.master_query(f"UPDATE `{db_name}`.wp_options SET option_value = %s "
                       "WHERE option_name = 'blogname'", (title,))
    (spoke.root / "platforms" / "wpm" / "sites" / uri / "files" / "upload.txt").write_text(
        f"uploaded to {uri}")
    _served_by_the_master(apache, uri, title)
    return uri


def _served_by_the_master(apache: ApacheInstance, uri: str, title: str) -> None:
    apache.wait_for_body(f"<title>{title}", host=uri)
    apache.wait_for_body(f"uploaded to {uri}", path=f"/sites/{uri}/files/upload.txt", host=uri)


def _served_by_host_3(web3: RemoteHost, uri: str, title: str) -> None:
    wait_served(web3, uri, f"<title>{title}")
    wait_served(web3, uri, f"uploaded to {uri}", path=f"/sites/{uri}/files/upload.txt")


def _traces_on_host_3(spoke: Spoke, web3: RemoteHost, uri: str) -> list[Path]:
    """The site's folder, vhost and credentials file on host 3 (and the master's copy of the
    folder), those that exist."""
    config = web3.own_root / "config" / "server_web3"
    return [path for path in (
        web3.own_root / "platforms" / "wp3" / "sites" / uri,
        spoke.root / "platforms" / "wp3" / "sites" / uri,
        config / "nginx" / "vhost.d" / uri,
        config / "credentials" / _named(spoke.root, "web3", uri),
    ) if path.exists()]


def test_a_wordpress_site_moves_from_the_masters_apache_to_nginx_on_host_3_and_back(
        spoke: Spoke, web3: RemoteHost, master_apache: ApacheInstance) -> None:
    started = time.monotonic()
    uri = _site_on_the_master(spoke, master_apache, "Travelling site")
    master_config = spoke.root / "config" / "server_master"
    on_the_master = [spoke.root / "platforms" / "wpm" / "sites" / uri,
                     master_config / "apache" / "vhost.d" / uri,
                     master_config / "credentials" / _named(spoke.root, "master", uri)]
    assert all(path.exists() for path in on_the_master)
    first_db = json.loads((spoke.root / "contexts" / f"{uri}.json").read_text())[
        "properties"]["db_name"]

    moved = spoke.must(f"@{uri}", "migrate", "--target_platform=@platform_wp3",
                       "--target_db_server=@server_web3").result
    _served_by_host_3(web3, uri, "Travelling site")
    assert len(_traces_on_host_3(spoke, web3, uri)) == 4, "folder, vhost and credentials"
    assert host_query(web3, "SHOW DATABASES LIKE %s", (moved["db_name"],))
    assert [path for path in on_the_master if path.exists()] == []
    assert not spoke.master_query("SHOW DATABASES LIKE %s", (first_db,))
    assert master_apache.get("/", uri)[0] == 404, "the master's Apache no longer serves it"

    copy = unique_uri("remote")
    spoke.must(f"@{uri}", "clone", f"--new_uri={copy}", "--target_platform=@platform_wpm",
               "--target_db_server=@server_master")
    master_apache.wait_for_body("<title>Travelling site", host=copy)
    master_apache.wait_for_body(f"uploaded to {uri}", path=f"/sites/{copy}/files/upload.txt",
                                host=copy)
    _served_by_host_3(web3, uri, "Travelling site")

    back = spoke.must(f"@{uri}", "migrate", "--target_platform=@platform_wpm",
                      "--target_db_server=@server_master").result
    _served_by_the_master(master_apache, uri, "Travelling site")
    assert spoke.master_query("SHOW DATABASES LIKE %s", (back["db_name"],))
    assert _traces_on_host_3(spoke, web3, uri) == []
    assert not host_query(web3, "SHOW DATABASES LIKE %s", (moved["db_name"],))
    assert web3.get("/", uri)[0] == 404, "host 3's nginx no longer serves it"
    print(f"master Apache -> host 3 nginx -> master took {time.monotonic() - started:.1f} s")


def test_a_move_to_nginx_on_host_3_that_fails_at_its_last_step_leaves_the_site_on_the_master(
        spoke: Spoke, web3: RemoteHost, master_apache: ApacheInstance) -> None:
    """The last step before the commit point: by then host 3 has the site's folder, vhost,
    credentials file and database, and all of them must go again."""
    step = "cleanup"
    uri = _site_on_the_master(spoke, master_apache, "Staying site")
    databases_on_3 = host_query(web3, "SHOW DATABASES")
    with failing_at(step):
        ran = spoke.run(f"@{uri}", "migrate", "--target_platform=@platform_wp3",
                        "--target_db_server=@server_web3")
    assert ran.status != 0 and f"injected failure before {step}" in ran.text
    _served_by_the_master(master_apache, uri, "Staying site")
    assert _traces_on_host_3(spoke, web3, uri) == []
    for root in (spoke.root, web3.own_root):
        alias_map = root / "platforms" / "wp3" / "sites" / "sites.php"
        assert not alias_map.exists() or uri not in alias_map.read_text()
    assert host_query(web3, "SHOW DATABASES") == databases_on_3
    assert web3.get("/", uri)[0] == 404


def _named(root: Path, server: str, uri: str) -> str:
    """The credentials file's name of ``uri`` on ``@server_<server>`` (a keyed hash)."""
    return f"{AegirRoot(root).credentials_name(f'server_{server}', uri)}.json"


def _served_certificate(host: RemoteHost, uri: str, root_pem: str) -> x509.Certificate:
    """The certificate host's web server serves for ``uri`` on 443, verified against
    ``root_pem`` for that name."""
    context = ssl.create_default_context(cadata=root_pem)
    with socket.create_connection((host.address, 443), timeout=15) as raw, \
            context.wrap_socket(raw, server_hostname=uri) as tls:
        der = tls.getpeercert(binary_form=True)
    assert der is not None
    return x509.load_der_x509_certificate(der)


def _redirect_of(host: RemoteHost, path: str, name: str) -> tuple[int, str]:
    """The status and Location header of GET ``path`` from host's web server on port 80
    (``name`` as the Host header)."""
    connection = http.client.HTTPConnection(host.address, 80, timeout=15)
    try:
        connection.request("GET", path, headers={"Host": name})
        response = connection.getresponse()
        response.read()
        return response.status, response.getheader("Location") or ""
    finally:
        connection.close()


def _https_from_the_ca_on(spoke: Spoke, host: RemoteHost, server: str, platform: str,
                          db_server: str, tmp_path: Path) -> None:
    """A site on ``@platform_<platform>`` of ``server`` (``host``), with required HTTPS and an
    alias, gets its certificate from Pebble, whose fake DNS points the site's names at ``host``:
    the challenge files go to the host over SSH and the CA fetches them from its web server.
    Checked from the master: the certificate verifies against Pebble's root for the alias, HTTP
    answers 301, the key is on the host alone (0600), and delete removes it."""
    spoke.platform(platform, server)
    uri = unique_uri("remote")
    with running_pebble(tmp_path, 80) as ca:
        for name in (uri, f"www.{uri}"):
            ca.point(name, host.address)
        spoke.must("save", "@server_master", f"--acme_directory_url={ca.directory_url}",
                   f"--acme_ca_bundle={ca.ca_bundle}")
        try:
            spoke.must("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
                       f"--platform=@platform_{platform}", f"--db_server={db_server}",
                       "--https=required", f"--aliases=www.{uri}")
            installed = spoke.must(f"@{uri}", "install")
            root_pem = ca.root_pem()
        finally:
            spoke.must("save", "@server_master", "--acme_directory_url=null",
                       "--acme_ca_bundle=null")
    assert installed.result["certificate"]["self_signed"] is False, installed.text
    served: list[x509.Certificate] = []

    def from_the_ca() -> bool:
        try:
            served[:] = [_served_certificate(host, f"www.{uri}", root_pem)]
        except ssl.SSLCertVerificationError:
            return False
        return True

    assert poll(from_the_ca, 30), f"{host.name} serves the CA's certificate for the alias"
    assert "Pebble" in served[0].issuer.rfc4514_string()
    # A static file (the web server's own answer, not WordPress's canonical redirect).
    assert _redirect_of(host, "/readme.html?x=1", uri) == (
        301, f"https://{uri}/readme.html?x=1"), "HTTP answers with the https:// address"
    tls_on_host = host.own_root / "config" / server.removeprefix("@") / "tls" / uri
    assert (tls_on_host / "privkey.pem").stat().st_mode & 0o777 == 0o600
    assert not (spoke.root / "config" / server.removeprefix("@") / "tls" / uri).exists(), (
        f"the key is on {host.name} only")
    spoke.must(f"@{uri}", "delete")
    assert not tls_on_host.exists()


def test_a_site_on_host_1_gets_its_certificate_from_the_ca_through_host_1s_apache(
        spoke: Spoke, tmp_path: Path) -> None:
    """HTTPS on a remote Apache; the site's database is the master's."""
    _https_from_the_ca_on(spoke, spoke.web1, "@server_web1", "wp1", "@server_master", tmp_path)


def test_a_site_on_host_3_gets_its_certificate_from_the_ca_through_host_3s_nginx(
        spoke: Spoke, web3: RemoteHost, tmp_path: Path) -> None:
    """HTTPS on a remote nginx (its vhosts listen on 443 themselves); the site's database is
    host 3's own."""
    _https_from_the_ca_on(spoke, web3, "@server_web3", "wp3", "@server_web3", tmp_path)
