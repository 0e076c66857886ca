"""Reading Drupal's package description files: ``.info`` (Drupal 7) and ``.info.yml`` (8+)."""

from __future__ import annotations

from provision.apps.drupal.info import is_true, parse_info, parse_info_yml

DRUPAL7_INFO = (
    """\
; $Id$ a comment line
name = Views
description = "Create customized lists and queries from your database; fast = good."
package = Views
core = 7.x
php = 5.2
hidden = TRUE

stylesheets[all][] = css/views.css
stylesheets[print][] = css/print.css
files[] = handlers/views_handler_area.inc
files[] = handlers/views_handler_field.inc
regions[sidebar first] = Sidebar first
settings[toggle_logo] = 1
dependencies[] = ctools (>=1.5)
this line is garbage without an equals sign
"""
    # An indented line with trailing blanks (kept out of the block so editors keep the blanks).
    + "  version = '7.x-3.29'   \n"
)


def test_a_drupal7_info_file_gives_its_scalar_keys() -> None:
    info = parse_info(DRUPAL7_INFO)

    assert info["name"] == "Views"
    assert info["description"] == (
        "Create customized lists and queries from your database; fast = good."
    )
    assert info["version"] == "7.x-3.29"
    assert is_true(info["hidden"])
    assert "$Id$ a comment line" not in str(info)


def test_a_drupal7_info_file_gives_lists_and_nested_keys() -> None:
    info = parse_info(DRUPAL7_INFO)

    assert info["files"] == [
        "handlers/views_handler_area.inc",
        "handlers/views_handler_field.inc",
    ]
    assert info["stylesheets"] == {"all": ["css/views.css"], "print": ["css/print.css"]}
    assert info["regions"] == {"sidebar first": "Sidebar first"}
    assert info["settings"] == {"toggle_logo": "1"}
    assert info["dependencies"] == ["ctools (>=1.5)"]


def test_a_quoted_drupal7_value_may_span_lines_and_escape_quotes() -> None:
    info = parse_info('description = "First line\nsecond \\"quoted\\" line"\nname = Multi\n')

    assert info == {"description": 'First line\nsecond "quoted" line', "name": "Multi"}


def test_an_unclosed_quote_spoils_only_its_own_line() -> None:
    info = parse_info('description = "never closed\nname = Still read\r\nversion = 7.x-1.0\r\n')

    assert info["name"] == "Still read"
    assert info["version"] == "7.x-1.0"


DRUPAL8_INFO = """\
name: 'Admin Toolbar'
type: module
description: "Provides a drop-down menu: \\"fast\\"." # trailing comment
core_version_requirement: ^9.2 || ^10
package: Administration
hidden: false
dependencies:
  - drupal:toolbar
configure: admin_toolbar.settings
long: >
  Folded text
  over two lines.
literal: |
  kept
  apart

# Information added by Drupal.org packaging script on 2023-08-31
version: '3.4.2'
project: 'admin_toolbar'
datestamp: 1693478742
"""


def test_a_drupal8_info_yml_gives_its_flat_keys() -> None:
    info = parse_info_yml(DRUPAL8_INFO)

    assert info["name"] == "Admin Toolbar"
    assert info["type"] == "module"
    assert info["description"] == 'Provides a drop-down menu: "fast".'
    assert info["core_version_requirement"] == "^9.2 || ^10"
    assert info["hidden"] is False
    assert info["version"] == "3.4.2"
    assert info["project"] == "admin_toolbar"
    assert info["datestamp"] == "1693478742"


def test_a_drupal8_info_yml_skips_lists_and_reads_block_text() -> None:
    info = parse_info_yml(DRUPAL8_INFO)

    assert "dependencies" not in info
    assert info["configure"] == "admin_toolbar.settings"
    assert info["long"] == "Folded text over two lines."
    assert info["literal"] == "kept\napart"


def test_drupal8_single_quotes_and_version_constant() -> None:
    info = parse_info_yml("name: 'It''s here'\nversion: VERSION\nhidden: true\n")

    assert info == {"name": "It's here", "version": "VERSION", "hidden": True}
    assert is_true(info["hidden"])
