"""Fixtures of the provision tests: a web server, MariaDB and the stand-in platform together."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from provision.plugins import plugin_manager
from tests.fixtures.stack import MariaDBAdmin
from tests.provision.sites_support import SiteStack
from tests.provision.standin_app import StandInPlugin


@pytest.fixture
def standin_driver() -> Iterator[None]:
    """The stand-in application's driver, registered as a provision plugin for one test."""
    plugin = StandInPlugin()
    plugin_manager().register(plugin)
    try:
        yield
    finally:
        plugin_manager().unregister(plugin)


@pytest.fixture(
    params=[
        pytest.param("apache", marks=pytest.mark.apache),
        pytest.param("nginx", marks=pytest.mark.nginx),
    ]
)
def site_stack(
    request: pytest.FixtureRequest,
    aegir_root: Path,
    mariadb_admin: MariaDBAdmin,
    standin_driver: None,
) -> Iterator[SiteStack]:
    """A verified server (Apache, then nginx) and stand-in platform, ready for sites.

    Databases and users that the test's sites still have are dropped afterwards.
    """
    service_type = request.param
    instance = request.getfixturevalue(f"{service_type}_instance")
    stack = SiteStack(aegir_root, service_type, instance, mariadb_admin,
                      aegir_root / "platforms" / "standin")
    stack.prepare()
    yield stack
    stack.drop_databases()
