"""``provision @server orphans`` and ``orphan-remove`` on their own: what counts as an orphan on
the real MariaDB and in an aegir root, what is never listed, a removal that finds its orphan
owned again, and a remote web server's orphans over SSH."""

from __future__ import annotations

import json
import os
import secrets
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.platforms import make_drupal7_platform
from tests.fixtures.remote_hosts import MASTER_ADDRESS, RemoteNetwork
from tests.fixtures.stack import MariaDBAdmin
from tests.provision.sites_support import Ran, run_here

AN_HOUR_AGO = time.time() - 3600


def known(**records: Any) -> str:
    """The ``--known`` option: no records but those given."""
    return "--known=" + json.dumps(records)


def ids(ran: Ran, key: str = "orphans") -> set[str]:
    assert ran.status == 0, ran.text
    return {orphan["id"] for orphan in ran.result[key]}


def old(path: Path) -> Path:
    os.utime(path, (AN_HOUR_AGO, AN_HOUR_AGO))
    return path


class Server:
    """An aegir root whose @server_master has the test MariaDB as its db service."""

    def __init__(self, root: Path, admin: MariaDBAdmin) -> None:
        self.root, self.admin = root, admin
        self.made: list[str] = []
        ran = run_here(root, "save", "@server_master", "--context_type=server",
                       "--remote_host=localhost", "--db_service_type=mysql",
                       f"--db_host={admin.host}", f"--db_port={admin.port}",
                       f"--db_user={admin.user}", f"--db_passwd={admin.password}")
        assert ran.status == 0, ran.text
        (root / "backups").mkdir()

    def sql(self, *statements: str) -> None:
        connection = self.admin.connect()
        try:
            with connection.cursor() as cursor:
                for statement in statements:
                    cursor.execute(statement)
        finally:
            connection.close()

    def site_database(self, name: str, *other_grants: str) -> str:
        """A database and a user of the same name granted on it (and on ``other_grants``)."""
        self.made.append(name)
        self.sql(f"CREATE DATABASE `{name}`",
                 f"CREATE USER '{name}'@'localhost' IDENTIFIED BY '{secrets.token_hex(8)}'",
                 f"GRANT ALL ON `{name}`.* TO '{name}'@'localhost'",
                 *(f"GRANT ALL ON `{other}`.* TO '{name}'@'localhost'" for other in other_grants))
        return name

    def orphans(self, *options: str) -> Ran:
        return run_here(self.root, "@server_master", "orphans", *options)

    def drop(self) -> None:
        for name in self.made:
            self.sql(f"DROP DATABASE IF EXISTS `{name}`",
                     f"DROP USER IF EXISTS '{name}'@'localhost'")


@pytest.fixture
def server(aegir_root: Path, mariadb_admin: MariaDBAdmin) -> Iterator[Server]:
    made = Server(aegir_root, mariadb_admin)
    yield made
    made.drop()


def test_nothing_is_listed_without_the_records_the_front_end_sends(server: Server) -> None:
    ran = server.orphans()
    assert ran.status == 1
    assert "cannot tell an orphan" in ran.text and "hostmaster doctor" in ran.text


def test_only_databases_and_users_shaped_like_a_site_are_listed(server: Server) -> None:
    tag = secrets.token_hex(3)
    site_shaped = server.site_database(f"orph_{tag}")
    known_site = server.site_database(f"known_{tag}")
    wider = server.site_database(f"wide_{tag}", known_site)  # granted on two databases
    server.made.append(f"lone_{tag}")
    server.made.append(f"former_{tag}")
    server.sql(f"CREATE DATABASE `lone_{tag}`", f"CREATE DATABASE `former_{tag}`")
    kept = server.site_database(f"store_{tag}")
    ran = server.orphans(known(sites=[{"uri": "known.test", "db_name": known_site}],
                               former_databases=[f"former_{tag}"], keep_databases=[kept],
                               keep_db_users=[kept]))
    found = ids(ran)
    mine = {item for item in found if item.split(":", 1)[1].endswith(tag)}
    assert mine == {f"database:{site_shaped}", f"db_user:{site_shaped}",
                    f"database:former_{tag}"}, ran.text
    assert f"db_user:{server.admin.user}" not in found
    assert not {"database:mysql", "database:information_schema", "db_user:root",
                "db_user:mariadb.sys", f"database:{wider}"} & found


def test_files_of_running_work_are_skipped_and_the_others_listed(server: Server) -> None:
    backups = server.root / "backups"
    orphan = backups / "gone.test-20260101.000000.tar.gz"
    orphan.write_bytes(b"x" * 10)
    old(orphan)
    owned = backups / "kept.test-20260101.000000.tar.gz"
    owned.write_bytes(b"x")
    old(owned)
    fresh = backups / "new.test-20260101.000000.tar.gz"
    fresh.write_bytes(b"x")  # just written: a backup in progress, perhaps
    busy = backups / "busy.test-20260101.000000.tar.gz"
    busy.write_bytes(b"x")
    old(busy)
    ran = server.orphans(known(backups=[str(owned)], busy_uris=["busy.test"],
                               contexts=["@server_master"]))
    assert {i for i in ids(ran) if i.startswith("backup:")} == {f"backup:{orphan}"}
    assert ids(ran, "skipped") >= {f"backup:{fresh}", f"backup:{busy}"}
    assert "context:@server_master" not in ids(ran)


def test_an_orphan_a_record_came_to_own_since_the_listing_is_not_removed(
    server: Server,
) -> None:
    archive = server.root / "backups" / "late.test-20260101.000000.tar.gz"
    archive.write_bytes(b"x")
    old(archive)
    assert f"backup:{archive}" in ids(server.orphans(known()))
    ran = run_here(server.root, "@server_master", "orphan-remove",
                   f"--orphan=backup:{archive}", known(backups=[str(archive)]))
    assert ran.status == 1
    assert "is not an orphan on @server_master now" in ran.text
    assert archive.exists()
    ran = run_here(server.root, "@server_master", "orphan-remove",
                   f"--orphan=backup:{archive}", known())
    assert ran.status == 0, ran.text
    assert not archive.exists()


def test_a_remote_web_servers_orphans_are_listed_and_removed_over_ssh(
    remote_network: RemoteNetwork, aegir_root: Path,
) -> None:
    platform = make_drupal7_platform(aegir_root / "platforms" / "d7")
    with remote_network.host(3, aegir_root) as host:
        ran = run_here(aegir_root, "save", "@server_web", "--context_type=server",
                       f"--remote_host={host.hostname}", f"--ip_addresses={host.address}",
                       "--ssh_user=root", f"--ssh_key_file={host.key_file}",
                       "--http_service_type=apache", "--http_port=80",
                       "--http_restart_cmd=apache2ctl graceful",
                       "--http_configtest_cmd=apache2ctl configtest",
                       f"--http_include_dir={host.include_dir}",
                       f"--master_url=http://{MASTER_ADDRESS}")
        assert ran.status == 0, ran.text
        assert run_here(aegir_root, "@server_web", "verify").status == 0
        vhosts = host.own_root / "config" / "server_web" / "apache" / "vhost.d"
        (vhosts / "gone.test").write_text("<VirtualHost *:80>\n    ServerName gone.test\n"
                                          "</VirtualHost>\n")
        old(vhosts / "gone.test")
        (vhosts / "kept.test").write_text("<VirtualHost *:80>\n    ServerName kept.test\n"
                                          "</VirtualHost>\n")
        old(vhosts / "kept.test")
        copy = host.own_root / "platforms" / "d7" / "sites" / "gone.test"
        copy.mkdir(parents=True)
        old(copy)
        records = known(
            sites=[{"uri": "kept.test", "db_name": "", "platform": "@platform_d7"}],
            platforms=[{"name": "@platform_d7", "root": str(platform),
                        "web_server": "@server_web"}])
        inside = aegir_root / "config" / "server_web" / "apache" / "vhost.d" / "gone.test"
        folder = platform / "sites" / "gone.test"  # the path on the host (the spoke model)
        ran = run_here(aegir_root, "@server_web", "orphans", records)
        assert ids(ran) == {f"vhost:{inside}", f"site_folder:{folder}"}, ran.text
        for orphan in sorted(ids(ran)):
            removed = run_here(aegir_root, "@server_web", "orphan-remove",
                               f"--orphan={orphan}", records)
            assert removed.status == 0, removed.text
        assert not (vhosts / "gone.test").exists() and (vhosts / "kept.test").exists()
        assert not copy.exists()
        assert ids(run_here(aegir_root, "@server_web", "orphans", records)) == set()
