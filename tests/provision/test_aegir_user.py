"""provision started as root refuses before it reads or writes anything, unless
``HOSTMASTER_ALLOW_ROOT=1`` (the test suite's private stacks). tests/test_make_run.py runs it as
the aegir user under ``make run``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from provision.aegir_user import ALLOW_ROOT_VARIABLE

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="the refusal is about root; CI runs as root",
)


def _save(root: Path, allow: bool) -> subprocess.CompletedProcess[str]:
    env = {key: value for key, value in os.environ.items() if key != ALLOW_ROOT_VARIABLE}
    if allow:
        env[ALLOW_ROOT_VARIABLE] = "1"
    return subprocess.run(
        [sys.executable, "-m", "provision", "--root", str(root), "save", "@server_x",
         "--context_type=server", "--remote_host=localhost"],
        env=env, capture_output=True, text=True, timeout=60, check=False)


def test_provision_as_root_refuses_and_writes_nothing(tmp_path: Path) -> None:
    assert os.geteuid() == 0, "CI runs as root"
    root = tmp_path / "aegir"
    refused = _save(root, allow=False)
    assert refused.returncode == 1
    assert "provision does not run as root" in refused.stderr
    assert "runuser -u aegir" in refused.stderr
    assert not root.exists()


def test_root_is_let_through_only_with_the_test_suites_variable(tmp_path: Path) -> None:
    root = tmp_path / "aegir"
    allowed = _save(root, allow=True)
    assert allowed.returncode == 0, allowed.stderr
    assert (root / "contexts").is_dir() or any(root.iterdir())
