"""The fault-injection matrix on real Drupal 7.103 core (see test_crash_recovery.py for what
each kill checks): install, verify, backup, disable, enable, migrate, rename, clone, restore
and delete, each killed at every step boundary, its commit point and its cleanup.
"""

from __future__ import annotations

import pytest

from tests.fixtures.drupal_core import CORES
from tests.provision.crash_matrix import (
    clone_restore_delete_matrix,
    counted,
    crash,
    install_matrix,
    migrate_matrix,
    verify_backup_disable_enable_matrix,
)
from tests.provision.crash_support import CrashStack

__all__ = ["counted", "crash"]  # the fixtures, imported for pytest
APPS = ("drupal7",)
pytestmark = [pytest.mark.real_drupal]


@pytest.fixture(autouse=True)
def _on_drupal7(request: pytest.FixtureRequest) -> None:
    """Name the core these tests run on, for the run's summary line."""
    request.node.user_properties.append(("drupal_core", CORES["drupal7"].version))


def test_install_killed_at_each_step_leaves_nothing_or_a_served_site(crash: CrashStack) -> None:
    install_matrix(crash, "drupal7")


def test_verify_backup_disable_and_enable_killed_at_each_step_change_nothing_or_finish(
        crash: CrashStack) -> None:
    verify_backup_disable_enable_matrix(crash, "drupal7")


def test_migrate_and_rename_killed_anywhere_roll_back_or_complete(crash: CrashStack) -> None:
    migrate_matrix(crash, "drupal7")


def test_clone_restore_and_delete_killed_at_each_step_roll_back_or_complete(
        crash: CrashStack) -> None:
    clone_restore_delete_matrix(crash, "drupal7")
