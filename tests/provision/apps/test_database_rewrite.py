"""The domain rewrite of a site's database on the real MariaDB: each table that names the old
domain, in batches by primary key; WordPress's guids kept, Drupal's cache tables emptied, and
values that cannot be written safely kept and counted."""

from __future__ import annotations

import secrets
from collections.abc import Iterator

import pytest

from provision.apps import database_rewrite
from provision.apps.database_rewrite import RewriteReport, RewriteScope, rewrite_database
from provision.apps.drupal.deploy import REWRITE_SCOPE as DRUPAL_SCOPE
from provision.apps.uri_rewrite import UriRewrite
from provision.apps.wordpress.deploy import REWRITE_SCOPE as WORDPRESS_SCOPE
from provision.services.db.credentials import SiteCredentials
from tests.fixtures.stack import MariaDBAdmin

pytestmark = pytest.mark.mariadb

TABLES = [
    "CREATE TABLE wp_posts (ID BIGINT PRIMARY KEY, post_content LONGTEXT, "
    "guid VARCHAR(255))",
    "CREATE TABLE wp_options (option_id INT PRIMARY KEY, option_name VARCHAR(191), "
    "option_value LONGTEXT)",
    "CREATE TABLE wp_short (id INT PRIMARY KEY, url VARCHAR(20))",
    "CREATE TABLE wp_log (message TEXT)",
    "CREATE TABLE field_data_body (entity_type VARCHAR(128), entity_id INT, "
    "language VARCHAR(32), body_value LONGTEXT, PRIMARY KEY (entity_type, entity_id, language))",
    "CREATE TABLE variable (name VARCHAR(128) PRIMARY KEY, value LONGBLOB)",
    "CREATE TABLE cache_page (cid VARCHAR(255) PRIMARY KEY, data LONGBLOB)",
]


@pytest.fixture
def site_database(mariadb_admin: MariaDBAdmin) -> Iterator[tuple[SiteCredentials, object]]:
    """A throw-away database with tables shaped like WordPress's and Drupal's, each row naming
    the old domain ``b.example`` (or a neighbour of it); the credentials and a connection."""
    name = f"hm_rewrite_{secrets.token_hex(4)}"
    connection = mariadb_admin.connect()
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE DATABASE {name}")
        cursor.execute(f"USE {name}")
        for statement in TABLES:
            cursor.execute(statement)
        for post in range(1, 8):  # odd posts link to the site, even ones name a neighbour
            host = "b.example" if post % 2 else "ab.example"
            cursor.execute("INSERT INTO wp_posts VALUES (%s, %s, %s)",
                           (post, f'<a href="http://{host}/?p={post}">', f"http://b.example/?p={post}"))
        cursor.execute("INSERT INTO wp_options VALUES (1, 'home', 'http://b.example'), "
                       "(2, 'widget', 'a:1:{s:3:\"url\";s:20:\"https://b.example/x/\";}'), "
                       "(3, 'broken', 'a:1:{s:3:\"url\";s:99:\"https://b.example/x/\";}'), "
                       "(4, 'mail', 'admin@b.example')")
        cursor.execute("INSERT INTO wp_short VALUES (1, 'http://b.example/abc')")
        cursor.execute("INSERT INTO wp_log VALUES ('http://b.example/')")
        for node, language in ((1, "und"), (1, "en"), (2, "und"), (3, "de"), (3, "en")):
            cursor.execute("INSERT INTO field_data_body VALUES ('node', %s, %s, %s)",
                           (node, language, '<img src="http://b.example/sites/b.example/a.png">'))
        cursor.execute("INSERT INTO variable VALUES ('site_name', 's:9:\"b.example\";'), "
                       "('file_public_path', 's:21:\"sites/b.example/files\";')")
        cursor.execute("INSERT INTO cache_page VALUES ('http://b.example/', "
                       "'s:16:\"http://b.example\";')")
    credentials = SiteCredentials(name, mariadb_admin.user, mariadb_admin.password,
                                  mariadb_admin.host, mariadb_admin.port)
    try:
        yield credentials, connection
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP DATABASE IF EXISTS {name}")
        connection.close()


def column(connection: object, query: str) -> list[object]:
    with connection.cursor() as cursor:  # type: ignore[attr-defined]
        cursor.execute(query)
        return [row[0] for row in cursor.fetchall()]


def rename(credentials: SiteCredentials, scope: RewriteScope, new: str = "d.example"
           ) -> RewriteReport:
    return rewrite_database(credentials, UriRewrite("b.example", new), scope)


def test_wordpress_tables_are_rewritten_in_batches_and_guids_are_kept(
    site_database: tuple[SiteCredentials, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials, connection = site_database
    monkeypatch.setattr(database_rewrite, "BATCH_ROWS", 2)  # seven posts: four batches
    report = rename(credentials, WORDPRESS_SCOPE, "longer-name.example")
    assert column(connection, "SELECT post_content FROM wp_posts ORDER BY ID") == [
        f'<a href="http://{"longer-name.example" if post % 2 else "ab.example"}/?p={post}">'
        for post in range(1, 8)]
    assert column(connection, "SELECT guid FROM wp_posts ORDER BY ID") == [
        f"http://b.example/?p={post}" for post in range(1, 8)]
    assert column(connection, "SELECT option_value FROM wp_options ORDER BY option_id") == [
        "http://longer-name.example",
        'a:1:{s:3:"url";s:30:"https://longer-name.example/x/";}',
        'a:1:{s:3:"url";s:99:"https://b.example/x/";}',
        "admin@b.example"]
    assert column(connection, "SELECT url FROM wp_short") == ["http://b.example/abc"]
    assert column(connection, "SELECT message FROM wp_log") == ["http://b.example/"]
    assert column(connection, "SELECT value FROM variable ORDER BY name")[1] == (
        b's:9:"b.example";')  # not a WordPress table
    assert report.summary() == (
        "Rewrote b.example as longer-name.example: wp_options 2, wp_posts 4. Kept 7 values in "
        "wp_posts.guid (guids, which WordPress says never to change).")
    assert report.problems() == (
        "Left 1 value in wp_log, which has no primary key; 1 value in wp_options.option_value "
        "(serialized and unreadable); 1 value in wp_short.url (too long for the column) as "
        "they were, though they name b.example: check those on the site and change them by "
        "hand.")


def test_drupal_tables_are_rewritten_by_composite_keys_and_its_cache_tables_emptied(
    site_database: tuple[SiteCredentials, object], monkeypatch: pytest.MonkeyPatch
) -> None:
    credentials, connection = site_database
    monkeypatch.setattr(database_rewrite, "BATCH_ROWS", 2)  # five field rows: three batches
    report = rename(credentials, DRUPAL_SCOPE)
    assert column(connection, "SELECT body_value FROM field_data_body") == [
        '<img src="http://d.example/sites/d.example/a.png">'] * 5
    assert column(connection, "SELECT value FROM variable ORDER BY name") == [
        b's:21:"sites/d.example/files";', b's:9:"d.example";']
    assert column(connection, "SELECT cid FROM cache_page") == []
    assert column(connection, "SELECT guid FROM wp_posts WHERE ID = 1") == [
        "http://d.example/?p=1"]  # not kept outside WordPress
    assert report.cleared == ["cache_page"]
    assert report.changed["field_data_body"] == 5 and report.changed["variable"] == 2
    assert "Emptied the cache tables cache_page." in report.summary()
