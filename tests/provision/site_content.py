"""Content that names its site's domain, made by the real application, and the checks that a
renamed or cloned copy of it names the new domain and works there.

The content is what an editor makes: an uploaded image (a file under the site's files folder
and WordPress's attachment post, or Drupal's ``file_managed`` row) and a post or node whose
body links to itself and shows the image by absolute URLs. It is made by a PHP script that the
real web server runs under the site's host, through the application's own API, so the URLs are
the ones the application writes.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from pathlib import Path

from provision.services.db.connection import Credentials
from provision.services.db.dump import dump_database
from provision.spoke import MASTER
from tests.provision.sites_support import SiteStack

#: A 1x1 PNG.
PIXEL = ("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAA"
         "AABJRU5ErkJggg==")

WORDPRESS = """
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/image.php';
$upload = wp_upload_bits('pixel.png', null, base64_decode(PIXEL));
$attachment = wp_insert_attachment(array('post_mime_type' => 'image/png',
  'post_title' => 'pixel', 'post_status' => 'inherit', 'guid' => $upload['url']),
  $upload['file']);
wp_update_attachment_metadata($attachment,
  wp_generate_attachment_metadata($attachment, $upload['file']));
$post = wp_insert_post(array('post_title' => 'Linked', 'post_status' => 'publish'));
$body = '<a href="' . home_url('/?p=' . $post) . '">this post</a> <img src="'
  . wp_get_attachment_url($attachment) . '">';
wp_update_post(array('ID' => $post, 'post_content' => $body));
echo json_encode(array('id' => $post));
"""

DRUPAL7 = """
define('DRUPAL_ROOT', __DIR__);
require_once DRUPAL_ROOT . '/includes/bootstrap.inc';
drupal_bootstrap(DRUPAL_BOOTSTRAP_FULL);
$file = file_save_data(base64_decode(PIXEL), 'public://pixel.png', FILE_EXISTS_RENAME);
$node = (object) array('type' => 'article', 'title' => 'Linked', 'uid' => 1,
  'status' => 1, 'language' => LANGUAGE_NONE);
node_object_prepare($node);
node_save($node);
$node->body[LANGUAGE_NONE][0] = array('format' => 'full_html', 'value' => '<a href="'
  . url('node/' . $node->nid, array('absolute' => TRUE)) . '">this node</a> <img src="'
  . file_create_url($file->uri) . '">');
node_save($node);
echo json_encode(array('id' => $node->nid));
"""

DRUPAL9 = """
use Drupal\\Core\\DrupalKernel;
use Drupal\\Core\\File\\FileSystemInterface;
use Drupal\\node\\Entity\\Node;
use Symfony\\Component\\HttpFoundation\\Request;
$autoloader = require_once __DIR__ . '/autoload.php';
// Links are made as the front controller makes them, not relative to this script.
$_SERVER['SCRIPT_NAME'] = $_SERVER['PHP_SELF'] = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = __DIR__ . '/index.php';
$_SERVER['REQUEST_URI'] = '/';
$request = Request::createFromGlobals();
$kernel = DrupalKernel::createFromRequest($request, $autoloader, 'prod');
$kernel->boot();
$kernel->preHandle($request);
$file = file_save_data(base64_decode(PIXEL), 'public://pixel.png',
  FileSystemInterface::EXISTS_RENAME);
$node = Node::create(array('type' => 'article', 'title' => 'Linked', 'uid' => 1,
  'status' => 1));
$node->save();
$node->body->value = '<a href="' . $node->toUrl('canonical', array('absolute' => TRUE))
  ->toString() . '">this node</a> <img src="' . file_create_url($file->getFileUri()) . '">';
$node->body->format = 'full_html';
$node->save();
echo json_encode(array('id' => $node->id()));
"""

#: Where each application keeps the body of a post or node, by its id.
BODY_QUERIES = {
    "wordpress": "SELECT post_content FROM wp_posts WHERE ID = %s",
    "drupal7": "SELECT body_value FROM field_data_body WHERE entity_id = %s",
    "drupal9": "SELECT body_value FROM node__body WHERE entity_id = %s",
}
_URL = re.compile(r'(?:href|src)="(?P<url>[^"]+)"')


@dataclass(frozen=True)
class LinkedContent:
    """A post (or node) ``id`` whose body links to itself and shows an uploaded image."""

    application: str
    id: int


def add_linked_content(stack: SiteStack, application: str, uri: str) -> LinkedContent:
    """Upload an image and write a post or node linking to itself and showing it, through
    the application's API in a request to ``uri``; the content's body names ``uri``."""
    kind = application if application == "wordpress" else (
        "drupal9" if (stack.platform_root / "core").is_dir() else "drupal7")
    script = {"wordpress": WORDPRESS, "drupal7": DRUPAL7, "drupal9": DRUPAL9}[kind]
    probe = stack.platform_root / f"content-{secrets.token_hex(4)}.php"
    probe.write_text(f"<?php\nconst PIXEL = '{PIXEL}';\n{script}")
    try:
        status, body, _headers = stack.instance_get(f"/{probe.name}", uri)
    finally:
        probe.unlink()
    assert status == 200 and body.startswith("{"), (status, body[-2000:])
    content = LinkedContent(kind, int(json.loads(body)["id"]))
    assert {url.split("/")[2] for url in content_urls(stack, content, uri)} == {uri}
    return content


def site_urls(stack: SiteStack, uri: str) -> dict[str, str]:
    """WordPress's ``home`` and ``siteurl`` options of the site ``uri``."""
    connection = stack.admin.connect(str(stack.context(uri)["db_name"]))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT option_name, option_value FROM wp_options "
                           "WHERE option_name IN ('home', 'siteurl')")
            return {str(name): str(value) for name, value in cursor.fetchall()}
    finally:
        connection.close()


def point_siteurl_at_an_alias(stack: SiteStack, uri: str) -> None:
    """``siteurl`` on an alias of the site, over HTTPS and in a folder (WordPress serves
    the site whatever it says: provision's wp-config.php sets both from the request)."""
    connection = stack.admin.connect(str(stack.context(uri)["db_name"]))
    try:
        with connection.cursor() as cursor:
            cursor.execute("UPDATE wp_options SET option_value = %s "
                           "WHERE option_name = 'siteurl'", (f"https://www.{uri}/wp",))
    finally:
        connection.close()


def content_urls(stack: SiteStack, content: LinkedContent, uri: str) -> list[str]:
    """The link and the image URL in the content's body, as the site ``uri`` stores it."""
    connection = stack.admin.connect(str(stack.context(uri)["db_name"]))
    try:
        with connection.cursor() as cursor:
            cursor.execute(BODY_QUERIES[content.application], (content.id,))
            bodies = {str(row[0]) for row in cursor.fetchall()}
    finally:
        connection.close()
    assert len(bodies) == 1, bodies
    urls = [match["url"] for match in _URL.finditer(bodies.pop())]
    assert len(urls) == 2, urls
    return urls


def assert_content_answers_under(stack: SiteStack, content: LinkedContent, uri: str) -> None:
    """The content's link and image name ``uri`` and answer 200 there (the image as a PNG)."""
    link, image = content_urls(stack, content, uri)
    for url in (link, image):
        assert url.startswith(f"http://{uri}/"), url
        status, body, headers = stack.instance_get(url.removeprefix(f"http://{uri}"), uri)
        assert status == 200, (url, status, body[:300])
    assert headers["content-type"] == "image/png"
    assert f"/sites/{uri}/files/" in image


def mentions_in_dump(stack: SiteStack, uri: str, old: str, folder: Path) -> list[str]:
    """Each place a mysqldump of the site ``uri``'s database names ``old``: the 60 bytes
    around it."""
    admin = stack.admin
    dump = folder / f"{uri}.sql"
    dump_database(MASTER, Credentials(admin.host, admin.port, admin.user, admin.password),
                  str(stack.context(uri)["db_name"]), dump)
    data = dump.read_bytes()
    dump.unlink()
    return [data[max(0, match.start() - 30):match.end() + 30].decode("utf-8", "replace")
            for match in re.finditer(re.escape(old.encode()), data)]


def kept_guids(stack: SiteStack, uri: str, old: str) -> list[str]:
    """The WordPress guids of the site ``uri`` that still name ``old``."""
    connection = stack.admin.connect(str(stack.context(uri)["db_name"]))
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT guid FROM wp_posts WHERE guid LIKE %s", (f"%{old}%",))
            return [str(row[0]) for row in cursor.fetchall()]
    finally:
        connection.close()


def assert_old_domain_only_in_guids(stack: SiteStack, application: str, old: str, new: str,
                                    report: str) -> None:
    """Nothing in the database of ``new`` names ``old``, but WordPress's guids, which the
    task log's report says it kept."""
    mentions = mentions_in_dump(stack, new, old, stack.root)
    assert "as they were, though they name" not in report, report  # nothing left unwritten
    if application != "wordpress":
        assert mentions == [] and f"Rewrote {old} as {new}: " in report, mentions
        return
    assert site_urls(stack, new) == {"home": f"http://{new}", "siteurl": f"https://{new}/wp"}
    guids = kept_guids(stack, new, old)
    assert len(guids) >= 3  # the front page's first post, the image and the linked post
    assert len(mentions) == sum(guid.count(old) for guid in guids), mentions
    assert f"{len(guids)} values in wp_posts.guid" in report, report
