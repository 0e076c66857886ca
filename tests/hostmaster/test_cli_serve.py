"""``hostmaster serve``: two runs by the same user, side by side, each have their own gunicorn
control socket (gunicorn's default is one path in the user's home, which the second run would
take over), in a private folder removed when the run ends."""

from __future__ import annotations

import os
import signal
import stat
import subprocess
from pathlib import Path

from tests.fixtures.console import BIN, CONSOLE_STORE, Console
from tests.fixtures.stack_process import (
    child_pids,
    free_port,
    pid_alive,
    port_answers,
    stop_processes,
    wait_until,
)


def control_socket_of(serve_pid: int) -> Path:
    """The --control-socket its gunicorn was started with."""
    for pid in child_pids(serve_pid):
        try:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
        except OSError:
            continue
        if "--control-socket" in argv and any(a.endswith("gunicorn") for a in argv[:2]):
            return Path(argv[argv.index("--control-socket") + 1])
    raise AssertionError(f"no gunicorn with a control socket under {serve_pid}")


@CONSOLE_STORE
def test_two_serves_side_by_side_each_have_their_own_control_socket(console: Console) -> None:
    ports = [free_port(), free_port()]
    serves = [subprocess.Popen([str(BIN / "hostmaster"), "serve", "--port", str(port),
                                "--workers", "1", "--threads", "2"], env=console.env,
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
              for port in ports]
    everything: list[int] = []
    try:
        for port in ports:
            wait_until(lambda port=port: port_answers(port), f"serve on {port} did not start", 60)
        everything = [pid for serve in serves for pid in [serve.pid, *child_pids(serve.pid)]]
        sockets = [control_socket_of(serve.pid) for serve in serves]
        assert sockets[0] != sockets[1]
        home = Path(os.path.expanduser("~")) / ".gunicorn"
        for path in sockets:
            assert home not in path.parents
            wait_until(lambda path=path: path.exists(), f"gunicorn made no {path}", 30)
            assert stat.S_ISSOCK(path.stat().st_mode)
            assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
        os.kill(serves[0].pid, signal.SIGTERM)
        serves[0].wait(timeout=60)
        assert not sockets[0].parent.exists()  # the ended run's folder is gone ...
        assert sockets[1].exists() and port_answers(ports[1])  # ... the other run's is not
    finally:
        live = [serve.pid for serve in serves if serve.poll() is None]
        stop_processes(live, [pid for pid in everything if pid_alive(pid)] + live)
        for serve in serves:
            serve.wait(timeout=60)
