"""``make run`` from a fresh copy of the project, as root, the way the README starts it: the
panel, the dispatcher and provision run as the aegir user (read from /proc), a real WordPress
site is installed, migrated and deleted through them on the machine's own Apache and MariaDB,
and provision started as root refuses.

Everything it changes on the machine is its own and undone at the end: an aegir root and a
MariaDB admin account of its own, Apache's include line (put back as it was), Apache itself
(stopped again when it was not running before).
"""

from __future__ import annotations

import http.client
import json
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pymysql
import pytest

from provision.aegir_user import AEGIR_USER, ALLOW_ROOT_VARIABLE
from tests.fixtures import resolver_guard
from tests.fixtures.platforms import make_wordpress_platform
from tests.fixtures.stack_process import free_port

REPOSITORY = Path(__file__).resolve().parent.parent
APACHE_INCLUDE = Path("/etc/apache2/conf-enabled/aegir.conf")
MARIADB_SOCKET = "/run/mysqld/mysqld.sock"
#: make run creates the venv (pip), installs packages when missing, verifies the master.
START_SECONDS = 600

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 and os.environ.get("CI") != "true",
    reason="make run makes the aegir user and runs the machine's Apache: it needs root",
)


@dataclass
class Panel:
    """A ``make run`` serving from a fresh copy: its folder, environment and processes."""

    folder: Path
    env: dict[str, str]
    make: subprocess.Popen[bytes]
    log: Path
    port: int
    seen: set[tuple[int, str, bool]] = field(default_factory=set)

    @property
    def aegir_root(self) -> Path:
        return Path(self.env["AEGIR_ROOT"])

    def hostmaster(self, *words: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
        """``hostmaster WORDS`` of the copy, started as root (it continues as aegir)."""
        return subprocess.run([str(self.folder / ".venv/bin/hostmaster"), *words],
                              cwd=self.folder, env=self.env, capture_output=True, text=True,
                              timeout=timeout, check=False)

    def ok(self, *words: str) -> str:
        """The output of ``hostmaster WORDS``, which must succeed (an install may warn that
        its welcome mail waits in the outbox: the machine has no mail server)."""
        done = self.hostmaster(*words)
        warnings = re.findall(r"^\s*\d\d:\d\d:\d\d warning +(.*)$", done.stdout, re.M)
        mail_only = done.returncode == 3 and len(warnings) == 1 and "welcome mail" in warnings[0]
        assert done.returncode == 0 or mail_only, \
            f"hostmaster {' '.join(words)}:\n{done.stdout}{done.stderr}"
        return done.stdout

    def processes(self) -> dict[int, tuple[int, str, bool]]:
        """Every process started under ``make run``: pid → (uid, command line, whether it
        runs under sudo, that is, is one of the commands contrib/sudoers allows or theirs)."""
        children: dict[int, list[int]] = {}
        found: dict[int, tuple[int, str]] = {}
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                status = (entry / "status").read_text()
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
            except OSError:
                continue
            fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
            parent = int(fields["PPid"])
            children.setdefault(parent, []).append(int(entry.name))
            found[int(entry.name)] = (int(fields["Uid"].split()[1]), cmdline.strip())
        tree: dict[int, tuple[int, str, bool]] = {}
        todo = [(pid, False) for pid in children.get(self.make.pid, [])]
        while todo:
            pid, under_sudo = todo.pop()
            if pid in found:
                uid, cmdline = found[pid]
                under_sudo = under_sudo or cmdline.startswith("sudo -n ")
                tree[pid] = (uid, cmdline, under_sudo)
                todo.extend((child, under_sudo) for child in children.get(pid, []))
        return tree


def _copy_of_the_project(folder: Path) -> None:
    """The project's files as a fresh clone has them (tracked and new, not ignored ones)."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others",
                             "--exclude-standard"], cwd=REPOSITORY, capture_output=True,
                            check=True).stdout
    names = [name for name in listed.decode().split("\0") if name]
    for name in names:
        source = REPOSITORY / name
        if source.is_file():
            target = folder / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def _relocated_venv(folder: Path) -> None:
    """The copy's ``.venv``: this test run's own, copied and pointed at the copy (the packages
    are the same, and a test may not fetch them from the package index). venv.sh then finds it
    up to date."""
    source = Path(sys.prefix)
    target = folder / ".venv"
    shutil.copytree(source, target, symlinks=True)
    for script in (target / "bin").iterdir():
        if script.is_file() and not script.is_symlink():
            head = script.read_bytes()[:2]
            if head == b"#!":
                script.write_text(script.read_text().replace(str(source), str(target), 1))
    for finder in target.glob("lib/python*/site-packages/__editable__*finder.py"):
        finder.write_text(finder.read_text().replace(f"'{REPOSITORY}/", f"'{folder}/"))


def _apache_running() -> bool:
    pid_file = Path("/run/apache2/apache2.pid")
    try:
        return Path(f"/proc/{int(pid_file.read_text())}").exists()
    except (OSError, ValueError):
        return False


def _get(host: str, path: str = "/") -> tuple[int, str, str]:
    """GET http://127.0.0.1:80<path> for ``host``: status, Location, body."""
    connection = http.client.HTTPConnection("127.0.0.1", 80, timeout=30)
    try:
        connection.request("GET", path, headers={"Host": host})
        answer = connection.getresponse()
        return answer.status, answer.getheader("Location") or "", answer.read().decode(
            errors="replace")
    finally:
        connection.close()


def _watch(panel: Panel, stop: threading.Event) -> None:
    """Note every process under make run (its uid and command line) until ``stop``."""
    while not stop.is_set():
        panel.seen.update(panel.processes().values())
        time.sleep(0.02)


@pytest.fixture(scope="module")
def panel() -> Iterator[Panel]:
    if os.geteuid() != 0:
        pytest.fail("make run's test needs root (CI runs as root)")
    folder = Path(tempfile.mkdtemp(prefix="hostmaster-make-run-"))
    folder.chmod(0o755)
    _copy_of_the_project(folder)
    _relocated_venv(folder)
    guard_log = folder / "resolver-guard.log"
    guard_log.touch(mode=0o666)
    guard_log.chmod(0o666)
    admin = f"hm_run_{secrets.token_hex(4)}"
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("HOSTMASTER_", "AEGIR_", "PYTEST_"))
           and key not in (ALLOW_ROOT_VARIABLE, "PYTHONPATH", "VIRTUAL_ENV")}
    env.update({
        "AEGIR_ROOT": str(folder / "aegir"),
        "HOSTMASTER_PORT": str(free_port()),
        "HOSTMASTER_DB_ADMIN": admin,
        "HOSTMASTER_PUBLIC_URL": "http://panel.make-run.test",
        # The copy's own resolver guard: no name leaves the machine here either.
        "PYTHONPATH": str(folder / "tests/fixtures/resolver_guard_site"),
        resolver_guard.LOG_VARIABLE: str(guard_log),
    })
    include_before = APACHE_INCLUDE.read_text() if APACHE_INCLUDE.exists() else None
    apache_before = _apache_running()
    log = folder / "make-run.log"
    with log.open("wb") as output:
        make = subprocess.Popen(["make", "run"], cwd=folder, env=env, stdout=output,
                                stderr=subprocess.STDOUT, start_new_session=True)
    panel = Panel(folder, env, make, log, int(env["HOSTMASTER_PORT"]))
    try:
        _wait_until_served(panel)
        yield panel
        assert guard_log.read_text() == "", "a process under make run resolved a far name"
    finally:
        _stop(panel)
        if include_before is None:
            APACHE_INCLUDE.unlink(missing_ok=True)
        else:
            APACHE_INCLUDE.write_text(include_before)
        subprocess.run(["apache2ctl", "graceful" if apache_before else "stop"],
                       capture_output=True, check=False)
        _drop_admin(admin)
        shutil.rmtree(folder, ignore_errors=True)


def _wait_until_served(panel: Panel) -> None:
    """Until the panel answers on its port and the master's verify has ended."""
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if panel.make.poll() is not None:
            pytest.fail(f"make run ended ({panel.make.returncode}):\n{panel.log.read_text()}")
        try:
            connection = http.client.HTTPConnection("127.0.0.1", panel.port, timeout=5)
            connection.request("GET", "/login")
            answered = connection.getresponse().status == 200
            connection.close()
        except OSError:
            answered = False
        if answered:
            tasks = json.loads(panel.ok("task", "list", "--json"))
            verify = [task for task in tasks["items"] if task["type"] == "verify"]
            if verify and all(task["status"] not in ("queued", "processing")
                              for task in verify):
                assert [task["status"] for task in verify] == ["success"], \
                    panel.ok("task", "show", str(verify[0]["id"]))
                return
        time.sleep(1)
    pytest.fail(f"make run did not serve within {START_SECONDS} s:\n{panel.log.read_text()}")


def _stop(panel: Panel) -> None:
    if panel.make.poll() is None:
        os.killpg(panel.make.pid, signal.SIGTERM)
        try:
            panel.make.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(panel.make.pid, signal.SIGKILL)
            panel.make.wait()


def _drop_admin(admin: str) -> None:
    connection = pymysql.connect(unix_socket=MARIADB_SOCKET, user="root")
    try:
        with connection.cursor() as cursor:
            for host in ("localhost", "127.0.0.1"):
                cursor.execute("DROP USER IF EXISTS %s@%s", (admin, host))
    finally:
        connection.close()


def _aegir_uid() -> int:
    return pwd.getpwnam(AEGIR_USER).pw_uid


def test_the_panel_and_the_dispatcher_run_as_the_aegir_user(panel: Panel) -> None:
    running = panel.processes()
    commands = {cmdline: uid for uid, cmdline, _ in running.values()}
    served = [c for c in commands if "gunicorn" in c]
    dispatching = [c for c in commands if "dispatch --daemon" in c]
    assert served and dispatching, f"make run's processes: {running}"
    aegir = _aegir_uid()
    for cmdline in [*served, *dispatching]:
        assert commands[cmdline] == aegir, f"{cmdline} runs as uid {commands[cmdline]}"
    store = panel.folder / "var/hostmaster.db"
    assert store.stat().st_uid == aegir
    assert store.stat().st_mode & 0o777 == 0o600


def test_a_wordpress_site_is_installed_migrated_and_deleted_as_the_aegir_user(
    panel: Panel,
) -> None:
    platforms = panel.aegir_root / "platforms"
    for name in ("wp_first", "wp_second"):
        make_wordpress_platform(platforms / name)
    subprocess.run(["chown", "-R", f"{AEGIR_USER}:{AEGIR_USER}", str(platforms)], check=True)
    master = json.loads(panel.ok("server", "list", "--json"))["items"][0]["hostname"]
    for name in ("wp_first", "wp_second"):
        panel.ok("platform", "add", name, "--root", str(platforms / name), "--web-server",
                 master, "--wait")
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(panel, stop), daemon=True)
    watcher.start()
    try:
        panel.ok("site", "add", "wp-aegir.test", "--platform", "wp_first", "--db-server", master,
                 "--wait")
        status, _, body = _get("wp-aegir.test")
        assert status == 200 and "wp-aegir.test" in body, body[:500]
        site_folder = platforms / "wp_first/sites/wp-aegir.test"
        assert site_folder.stat().st_uid == _aegir_uid()

        panel.ok("site", "migrate", "wp-aegir.test", "--platform", "wp_second", "--wait")
        status, _, body = _get("wp-aegir.test")
        assert status == 200 and "wp-aegir.test" in body, body[:500]
        assert (platforms / "wp_second/sites/wp-aegir.test").is_dir()
        assert not site_folder.exists()

        panel.ok("site", "disable", "wp-aegir.test", "--wait")
        panel.ok("site", "delete", "wp-aegir.test", "--wait")
    finally:
        stop.set()
        watcher.join()
        if "wp-aegir.test" in panel.ok("site", "list"):  # a failure above: leave no database
            panel.hostmaster("site", "disable", "wp-aegir.test", "--wait")
            panel.hostmaster("site", "delete", "wp-aegir.test", "--wait")
    provisions = {uid for uid, cmdline, _ in panel.seen if "/bin/provision " in cmdline}
    assert provisions == {_aegir_uid()}, panel.seen
    sudo_rules = {cmdline for _, cmdline, under_sudo in panel.seen
                  if cmdline.startswith("sudo -n ")}
    assert sudo_rules <= {"sudo -n /usr/sbin/apache2ctl configtest",
                          "sudo -n /usr/sbin/apache2ctl graceful"}, sudo_rules
    as_root = {cmdline for uid, cmdline, under_sudo in panel.seen
               if cmdline and uid != _aegir_uid() and not under_sudo}
    assert as_root == set(), "these ran as another user than aegir"
    assert not (platforms / "wp_second/sites/wp-aegir.test").exists()
    status, _, _ = _get("wp-aegir.test")
    assert status != 200 or "wp-aegir.test" not in _get("wp-aegir.test")[2]


def test_provision_started_as_root_refuses_and_writes_nothing(panel: Panel) -> None:
    config = panel.aegir_root / "config"
    before = {path: path.stat().st_mtime_ns for path in config.rglob("*")}
    done = subprocess.run(
        [str(panel.folder / ".venv/bin/provision"), "--root", str(panel.aegir_root),
         "@server_master", "verify"],
        env=panel.env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1
    assert "provision does not run as root" in done.stderr
    assert {path: path.stat().st_mtime_ns for path in config.rglob("*")} == before
