"""A program provision runs never outlives it: killed with SIGKILL (by the dispatcher's timeout,
or by hand), provision takes mysql, mysqldump, tar and the rest with it, so nothing keeps
writing after a recovery has rolled the command back."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures.stack_process import wait_until

PROJECT = Path(__file__).resolve().parents[2]


def children_of(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        found.extend(int(child) for child in (task / "children").read_text().split())
    return found


def command_of(pid: int) -> str:
    """The program ``pid`` runs now ("" when it is gone)."""
    try:
        return Path(f"/proc/{pid}/comm").read_text().strip()
    except FileNotFoundError:
        return ""


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state != "Z"


def test_a_program_provision_runs_dies_with_provision() -> None:
    provision = subprocess.Popen(
        [sys.executable, "-c", "from provision import shell; shell.run(['sleep', '300'])"],
        cwd=PROJECT, env={**os.environ, "PYTHONPATH": str(PROJECT)})
    try:
        # Once the child runs sleep, setpriv has set its parent-death signal (a kill between
        # the fork and setpriv's prctl is a window of microseconds this test must not hit).
        wait_until(lambda: any(command_of(pid) == "sleep" for pid in children_of(provision.pid)),
                   "provision did not start sleep", 30)
        (child,) = children_of(provision.pid)
        provision.send_signal(signal.SIGKILL)
        provision.wait()
        started = time.monotonic()
        while alive(child) and time.monotonic() - started < 5:
            time.sleep(0.05)
        still_running = alive(child)
        if still_running:
            os.kill(child, signal.SIGKILL)
        assert not still_running, "the program provision ran outlived it"
    finally:
        if provision.poll() is None:
            provision.kill()
            provision.wait()
