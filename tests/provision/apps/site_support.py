"""Support for the application tests: a site context, its database and a vhost that serves it.

The database is real (MariaDB, created through the session's ``mariadb_admin``) and the vhost
is a hand-written Apache one for the private ``apache_instance``, beside the site's credentials
file: these tests prove what the
drivers do, independently of provision's own vhost and database code.
"""

from __future__ import annotations

import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from provision.apps import detect
from provision.contexts import Contexts
from provision.contexts.model import SiteContext
from provision.log import Logger
from provision.services.db.credentials import SiteCredentials
from tests.fixtures.stack import ApacheInstance, MariaDBAdmin


def quiet_logger() -> Logger:
    """A human-mode logger whose lines go nowhere but are still masked and counted."""
    import io

    return Logger(backend=False, out=io.StringIO(), err=io.StringIO())


def site_context(
    aegir_root: Path, platform_root: Path, uri: str, **properties: object
) -> SiteContext:
    """Save a server, a platform on ``platform_root`` and the site ``uri``; load the site with
    its platform's application detected, as provision's commands do."""
    contexts = Contexts(aegir_root)
    contexts.save(
        "@server_master",
        {"context_type": "server", "remote_host": "localhost", "http_service_type": "apache"},
    )
    contexts.save("@platform_test", {"context_type": "platform", "root": str(platform_root)})
    contexts.save(
        f"@{uri}",
        {
            "context_type": "site",
            "uri": uri,
            "platform": "@platform_test",
            "db_server": "@server_master",
            "client_email": f"owner@{uri}",
            **properties,
        },
    )
    site = contexts.load(f"@{uri}")
    assert isinstance(site, SiteContext)
    site.platform.application = detect(platform_root)
    return site


@contextmanager
def site_database(admin: MariaDBAdmin) -> Iterator[SiteCredentials]:
    """An empty database and its own user (from localhost and 127.0.0.1), dropped afterwards."""
    suffix = secrets.token_hex(4)
    credentials = SiteCredentials(
        name=f"hm_site_{suffix}",
        user=f"hm_site_{suffix}",
        password=secrets.token_urlsafe(18),
        host="127.0.0.1",
        port=admin.port,
    )
    connection = admin.connect()
    hosts = ("localhost", "127.0.0.1")
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE DATABASE `{credentials.name}`")
            for host in hosts:
                cursor.execute(
                    "CREATE USER %s@%s IDENTIFIED BY %s",
                    (credentials.user, host, credentials.password),
                )
                cursor.execute(
                    f"GRANT ALL ON `{credentials.name}`.* TO %s@%s", (credentials.user, host)
                )
        yield credentials
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS `{credentials.name}`")
            for host in hosts:
                cursor.execute("DROP USER IF EXISTS %s@%s", (credentials.user, host))
        connection.close()


def serve_site(
    apache: ApacheInstance, site: SiteContext, credentials: SiteCredentials | None
) -> None:
    """Write the site's credentials file (0640, the workers' group, outside the docroot) and an
    Apache vhost for ``site`` that names it in ``SetEnv db_credentials`` (what the settings files
    expect), then reload and wait for the new workers. Without ``credentials`` the vhost names
    no file, as a server that provision did not set up."""
    docroot = site.platform.application.docroot if site.platform.application else Path()
    env = ""
    if credentials is not None:
        folder = apache.directory / "credentials"
        folder.mkdir(mode=0o710, exist_ok=True)
        secret = folder / f"{site.uri}.json"
        secret.write_text(credentials.file_content(), encoding="utf-8")
        secret.chmod(0o640)
        if os.geteuid() == 0:  # the workers are www-data then (tests/fixtures/stack_apache.py)
            for path in (folder, secret):
                shutil.chown(path, group="www-data")
        env = f'    SetEnv db_credentials "{secret}"\n'
    aliases = " ".join(site.get("aliases") or [])
    (apache.include_dir / f"zz-site-{site.uri}.conf").write_text(
        f"<VirtualHost *:{apache.port}>\n"
        f"    ServerName {site.uri}\n"
        + (f"    ServerAlias {aliases}\n" if aliases else "")
        + f"    DocumentRoot {docroot}\n{env}"
        f"    <Directory {docroot}>\n        Require all granted\n"
        "        AllowOverride None\n"
        "        RewriteEngine on\n"
        "        RewriteCond %{REQUEST_FILENAME} !-f\n"
        "        RewriteCond %{REQUEST_FILENAME} !-d\n"
        "        RewriteRule ^ index.php [L]\n"
        "    </Directory>\n</VirtualHost>\n",
        encoding="utf-8",
    )
    (apache.include_dir / f"zz-site-{site.uri}.conf").chmod(0o600)
    apache.reload()
