"""Running provision the way the dispatcher and people do: as a separate process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PROVISION = [sys.executable, "-m", "provision"]


@dataclass
class Run:
    """One finished provision process: exit status, raw output and the parsed lines."""

    returncode: int
    stdout: str
    stderr: str
    result: dict[str, Any]
    logs: list[dict[str, Any]] = field(default_factory=list)

    def messages(self, level: str | None = None) -> list[str]:
        """The log messages (of one level, when given)."""
        return [line["message"] for line in self.logs if level is None or line["level"] == level]

    @property
    def errors(self) -> str:
        """Every error message, one per line (handy in assertions)."""
        return "\n".join(self.messages("error"))


def _human_logs(stderr: str) -> list[dict[str, Any]]:
    """``[level] message`` lines (a message may span lines) as log dicts."""
    logs: list[dict[str, Any]] = []
    for line in stderr.splitlines():
        if line.startswith("[") and "] " in line:
            level, _, message = line[1:].partition("] ")
            logs.append({"level": level, "message": message})
        elif logs:
            logs[-1]["message"] += "\n" + line
    return logs


def provision(
    root: Path | None,
    *words: str,
    backend: bool = False,
    payload: dict[str, Any] | str | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 60.0,
) -> Run:
    """Run ``provision [--root ROOT] [--backend] WORDS...`` and parse what it printed.

    In backend mode ``payload`` goes to standard input as JSON (a string is sent as it is) and
    every output line must be JSON; otherwise the result is the indented JSON on stdout and the
    log comes from stderr.
    """
    argv = [*PROVISION]
    if root is not None:
        argv += ["--root", str(root)]
    if backend:
        argv.append("--backend")
    argv += words
    stdin = payload if isinstance(payload, str) else json.dumps(payload or {})
    environment = {**os.environ, **(env or {})}
    if env is None:
        environment.pop("AEGIR_ROOT", None)
    done = subprocess.run(
        argv,
        input=stdin if backend else "",
        capture_output=True,
        text=True,
        env=environment,
        timeout=timeout,
        check=False,
    )
    if backend:
        lines = [json.loads(line) for line in done.stdout.splitlines()]
        results = [line for line in lines if line["type"] == "result"]
        assert len(results) == 1 and lines[-1] is results[0], done.stdout
        logs = [line for line in lines if line["type"] == "log"]
        return Run(done.returncode, done.stdout, done.stderr, results[0], logs)
    result = json.loads(done.stdout) if done.stdout.startswith("{") else {}
    return Run(done.returncode, done.stdout, done.stderr, result, _human_logs(done.stderr))


def save_server(root: Path, name: str = "@server_master", **properties: Any) -> Run:
    """``provision save`` of a server context; fails the test if it is refused."""
    words = [f"--{key}={value}" for key, value in properties.items()]
    run = provision(root, "save", name, "--context_type=server", *words)
    assert run.returncode == 0, run.stderr
    return run


def web_server_properties(instance: Any, service_type: str) -> dict[str, Any]:
    """The http properties that point a server context at a private web server instance."""
    return {
        "remote_host": "localhost",
        "http_service_type": service_type,
        "http_port": instance.port,
        "http_configtest_cmd": instance.configtest_cmd,
        "http_restart_cmd": instance.restart_cmd,
        "http_include_dir": str(instance.include_dir),
        "http_reload_settle": instance.reload_settle,
    }
