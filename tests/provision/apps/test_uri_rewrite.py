"""The rewrite of a site's old domain in stored values: only the domain as a host, a site's
folder or a whole value; PHP-serialized values keep lengths that PHP reads back."""

from __future__ import annotations

import subprocess

import pytest

from provision.apps.phpserial import rewrite_strings, unserialize
from provision.apps.uri_rewrite import UriRewrite

RENAME = UriRewrite("b.example", "d.example")


@pytest.mark.parametrize(("stored", "expected"), [
    ("http://b.example/?p=5", "http://d.example/?p=5"),
    ("<a href='https://b.example'>", "<a href='https://d.example'>"),
    ('<img src="//b.example/x.png">', '<img src="//d.example/x.png">'),
    ("http://b.example:8080/wp-admin", "http://d.example:8080/wp-admin"),
    ("See HTTP://B.Example.", "See HTTP://d.example."),
    ('{"url":"http:\\/\\/b.example\\/x"}', '{"url":"http:\\/\\/d.example\\/x"}'),
    ("http://b.example/sites/b.example/files/a.png", "http://d.example/sites/d.example/files/a.png"),
    ("/srv/p/sites/b.example", "/srv/p/sites/d.example"),
    ("b.example", "d.example"),
])
def test_the_old_domain_as_a_host_folder_or_whole_value_becomes_the_new_one(
    stored: str, expected: str
) -> None:
    assert RENAME.value(stored.encode()) == expected.encode()


@pytest.mark.parametrize("neighbour", [
    "http://ab.example/", "http://b.example.org/", "//b.example-shop.test/",
    "http://www.b.example/", "http://x.org/b.example/", "mail admin@b.example",
    "sites/b.example.org/files", "mysites/b.example/files", "sites/ab.example/",
    "the b.example site", "http://b.examplez/", "https://b.example_2/",
])
def test_neighbouring_names_are_left_alone(neighbour: str) -> None:
    assert RENAME.value(neighbour.encode()) == neighbour.encode()


def php(script: str, data: bytes = b"") -> bytes:
    """What PHP's own serialize()/unserialize() make: ``script`` run with ``data`` on stdin."""
    return subprocess.run(["php", "-r", script], input=data, capture_output=True,
                          check=True).stdout


def test_serialized_strings_are_rewritten_with_their_byte_lengths_nested_objects_too() -> None:
    stored = php(
        "$object = new stdClass(); $object->url = 'https://b.example/été/ünï.png';"
        "echo serialize(['home' => 'http://b.example', 'nested' => [$object, 'b.example'],"
        " 'inner' => serialize(['u' => '//b.example/sites/b.example/x'])]);")
    rewritten = UriRewrite("b.example", "new-name.example").value(stored)  # longer
    assert rewritten is not None
    value = unserialize(rewritten)
    assert value["home"] == "http://new-name.example"
    assert value["nested"][0]["url"] == "https://new-name.example/été/ünï.png"
    assert value["nested"][1] == "new-name.example"
    assert unserialize(value["inner"]) == {"u": "//new-name.example/sites/new-name.example/x"}
    read_by_php = php("$v = unserialize(stream_get_contents(STDIN));"
                      "echo $v['nested'][0]->url, ' ', unserialize($v['inner'])['u'];", rewritten)
    assert read_by_php.decode().split() == ["https://new-name.example/été/ünï.png",
                                            "//new-name.example/sites/new-name.example/x"]
    assert b's:40:"https://new-name.example/' in rewritten  # bytes: é, ü, ï are two


def test_a_longer_domain_changes_every_length_it_passes() -> None:
    stored = b'a:1:{s:1:"u";s:20:"http://b.example/?p=";}'
    rewritten = UriRewrite("b.example", "a-much-longer.example").value(stored)
    assert rewritten == b'a:1:{s:1:"u";s:32:"http://a-much-longer.example/?p=";}'


@pytest.mark.parametrize("damaged", [
    b'a:1:{s:1:"u";s:99:"http://b.example/";}',  # a length that does not match
    b'a:2:{s:1:"u";s:17:"http://b.example/";}',  # a member missing
    b'O:3:"stdClass":1:{s:1:"u";s:17:"http://b.example/";}',  # a class name's length wrong
])
def test_a_serialized_value_that_cannot_be_read_is_kept_rather_than_damaged(
    damaged: bytes
) -> None:
    assert RENAME.value(damaged) is None


def test_every_other_serialized_value_is_copied_as_it_is() -> None:
    stored = php("echo serialize([null, true, false, -7, 0.5, 1.0E+25, 'x' => ['é' => '']]);")
    assert rewrite_strings(stored, lambda text: text) == stored
