"""Sites of the Drupal 7 STAND-IN on two platforms (A, and B with a newer views and a pending
update function), for the restore, migrate and clone tests; the web server, PHP and MariaDB
are real, and provision runs in this process so that a test plugin can stop any step."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from provision.hookspecs import hookimpl
from provision.plugins import plugin_manager
from tests.fixtures.platforms import make_drupal7_platform, make_drupal7_upgrade_platform
from tests.provision.sites_support import SiteStack, unique_uri


class StepFailure:
    """A test plugin that raises before one named step of a command."""

    def __init__(self, step: str) -> None:
        self.step = step
        self.seen: list[str] = []

    @hookimpl
    def provision_step(self, command: str, step: str) -> None:
        self.seen.append(step)
        if step == self.step:
            raise RuntimeError(f"injected failure before {step}")


@contextmanager
def failing_at(step: str) -> Iterator[StepFailure]:
    """Register a StepFailure for ``step`` for the length of the block."""
    plugin = StepFailure(step)
    plugin_manager().register(plugin)
    try:
        yield plugin
    finally:
        plugin_manager().unregister(plugin)


def prepare_platforms(stack: SiteStack) -> None:
    """Platforms @platform_a (Drupal 7.103 stand-in) and @platform_b (its upgrade), verified."""
    roots = {"a": make_drupal7_platform, "b": make_drupal7_upgrade_platform}
    for name, make in roots.items():
        root = make(stack.root / "platforms" / f"d7{name}")
        stack.must("save", f"@platform_{name}", "--context_type=platform", f"--root={root}")
        with stack.instance.expect_reload():
            stack.must(f"@platform_{name}", "verify")


def install_on_a(stack: SiteStack, prefix: str = "mv", platform: str = "@platform_a") -> str:
    """A new site on @platform_a (or ``platform``) with content of its own (its name); returns
    its uri."""
    uri = unique_uri(prefix)
    stack.must("save", f"@{uri}", "--context_type=site", f"--uri={uri}",
               f"--platform={platform}", "--db_server=@server_master",
               "--client_email=owner@example.com")
    with stack.instance.expect_reload():
        stack.must(f"@{uri}", "install")
    write_content(stack, uri, f"Content of {uri}")
    stack.instance.wait_for_body(f"<title>Content of {uri}", host=uri)
    return uri


def site_query(stack: SiteStack, uri: str, sql: str, args: Any = None) -> list[tuple[Any, ...]]:
    """Rows of ``sql`` in the site's database (named by its context)."""
    connection = stack.admin.connect(stack.context(uri)["db_name"])
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql, args)
            return [tuple(row) for row in cursor.fetchall()]
    finally:
        connection.close()


def write_content(stack: SiteStack, uri: str, title: str) -> None:
    """Set the site's name (what the stand-in serves as its title) to ``title``."""
    value = f's:{len(title.encode())}:"{title}";'
    site_query(stack, uri, "UPDATE variable SET value = %s WHERE name = 'site_name'", (value,))


def databases_of(stack: SiteStack, *uris: str) -> list[str]:
    """The databases whose names derive from any of ``uris``."""
    return sorted({name for uri in uris for name in stack.databases_like(uri)})


@pytest.fixture
def moves_stack(site_stack: SiteStack) -> SiteStack:
    """site_stack plus the stand-in platforms A and B."""
    prepare_platforms(site_stack)
    return site_stack
