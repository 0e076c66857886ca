"""The lock every change of a web server's configuration holds: one change at a time, and a
change waits ``settle`` seconds after the previous reload (Apache re-reads its configuration
after graceful has returned)."""

from __future__ import annotations

import time
from pathlib import Path

from provision.locks import ConfigLock


def test_a_change_after_a_reload_waits_the_settle_time(tmp_path: Path) -> None:
    lock_file = tmp_path / ".config.lock"
    with ConfigLock(lock_file, 0.5) as lock:
        lock.reloaded()
    began = time.monotonic()
    with ConfigLock(lock_file, 0.5):
        waited = time.monotonic() - began
    assert waited >= 0.4


def test_a_change_after_a_change_without_reload_does_not_wait(tmp_path: Path) -> None:
    lock_file = tmp_path / ".config.lock"
    with ConfigLock(lock_file, 30.0):
        pass  # e.g. its configuration test failed: nothing was reloaded
    began = time.monotonic()
    with ConfigLock(lock_file, 30.0):
        waited = time.monotonic() - began
    assert waited < 5  # far below the 30 s it would wait after a reload
