"""Starting provision for a task and reading its JSON-lines output as it arrives."""

from __future__ import annotations

import contextlib
import json
import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any


def provision_argv(configured: str) -> list[str]:
    """The command that starts provision: the configured one, else the script beside Python."""
    if configured:
        return shlex.split(configured)
    script = Path(sys.executable).with_name("provision")
    if script.exists():
        return [str(script)]
    return [sys.executable, "-m", "provision"]


@dataclass
class ProvisionRun:
    """The outcome of one provision process: its result line, exit status and stderr."""

    result: dict[str, Any] | None = None
    exit_status: int | None = None
    stderr: list[str] = field(default_factory=list)
    timed_out: bool = False


def run(
    argv: list[str],
    payload: dict[str, Any],
    on_log: Callable[[str, str, float | None], None],
    timeout: float,
) -> ProvisionRun:
    """Run provision with ``payload`` as JSON on stdin; call ``on_log`` for each log line.

    Lines that are not JSON are passed on as "info" text so that nothing provision prints is
    lost. The process gets its own session so that a timeout ends it and all its children.
    """
    outcome = ProvisionRun()
    with subprocess.Popen(
        argv,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
        env=_environment(),
    ) as process:
        assert process.stdin and process.stdout and process.stderr
        stderr = process.stderr
        stderr_reader = threading.Thread(
            target=lambda: outcome.stderr.extend(_lines(stderr)), daemon=True
        )
        stderr_reader.start()

        def _kill() -> None:
            outcome.timed_out = True
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass

        timer = threading.Timer(timeout, _kill)
        timer.daemon = True
        timer.start()
        try:
            try:
                process.stdin.write(json.dumps(payload).encode())
                process.stdin.close()
            except BrokenPipeError:
                pass  # provision ended before reading; its exit status tells why
            for line in _lines(process.stdout):
                _dispatch_line(line, outcome, on_log)
            outcome.exit_status = process.wait()
            if outcome.exit_status < 0:
                # Killed: end whatever of its session is left (its children die with it
                # through their parent-death signal; this catches their own children).
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(process.pid, signal.SIGKILL)
        finally:
            timer.cancel()
            stderr_reader.join(timeout=5)
    return outcome


def _environment() -> dict[str, str]:
    """provision's environment: ours, with bytecode caching on (one start per task: compiling
    provision anew each time would double its start-up)."""
    env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _lines(stream: Any) -> Iterator[str]:
    for raw in stream:
        text = raw.decode("utf-8", errors="replace").rstrip("\n")
        if text:
            yield text


def _dispatch_line(
    line: str, outcome: ProvisionRun, on_log: Callable[[str, str, float | None], None]
) -> None:
    try:
        packet = json.loads(line)
    except ValueError:
        on_log("info", line, None)
        return
    if not isinstance(packet, dict):
        on_log("info", line, None)
    elif packet.get("type") == "result":
        outcome.result = packet
    elif packet.get("type") == "log":
        time = packet.get("time")
        on_log(
            str(packet.get("level") or "info"),
            str(packet.get("message") or ""),
            float(time) if isinstance(time, int | float) else None,
        )
    else:
        on_log("info", line, None)
