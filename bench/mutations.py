"""Break each safety guard on purpose and show that a test catches it.

For every mutation below (a guard of the dispatcher, the journal, access, cloaking, secrets,
sessions, validation ...), a copy of the project is made with that one change, the tests that
guard it run against the copy, and the line printed says which test caught it, or SURVIVED.
A mutation that survives means a guard no test checks: the script exits 1.

    .venv/bin/python bench/mutations.py            # every mutation (about 2 minutes here)
    .venv/bin/python bench/mutations.py --list     # what they are
    .venv/bin/python bench/mutations.py lease      # those whose name holds "lease"

The copy runs with the project's own virtualenv; ``PYTHONPATH`` puts the copy's packages
first, for the tests and for every provision or dispatcher process they start.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT))

from bench.guarded import run_guarded  # noqa: E402  (the project's own path first)

#: The folders the copy needs (the virtualenv, caches and the store stay behind).
COPIED = ("hostmaster", "provision", "tests", "templates", "static", "migrations", "contrib",
          "setup.cfg", "pyproject.toml", "dispatch.py", "bench")


@dataclass(frozen=True)
class Mutation:
    """One guard broken: in ``path``, ``old`` (which must appear once) becomes ``new``; the
    ``tests`` (pytest node ids or files, with an optional ``-k`` expression) must fail."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]
    keyword: str = ""


MUTATIONS = [
    Mutation(
        "lease renewal does nothing", "hostmaster/dispatcher/claim.py",
        '    """Push the leases of this dispatcher\'s running tasks forward."""\n',
        '    """Push the leases of this dispatcher\'s running tasks forward."""\n    return\n',
        ("tests/hostmaster/test_dispatcher.py",), "keeps_it_by_renewal"),
    Mutation(
        "a claim ignores the task's status (claimed twice)", "hostmaster/dispatcher/claim.py",
        ".where(Task.id == task_id, Task.status == TaskStatus.QUEUED)",
        ".where(Task.id == task_id)",
        ("tests/hostmaster/test_dispatcher.py",), "exactly_once or once"),
    Mutation(
        "the journal records no file before writing it", "provision/journal_actions.py",
        '    """A file is about to be written or removed: keep what it holds now (or that it is '
        'not)."""\n    journal = current()\n',
        '    """A file is about to be written or removed: keep what it holds now (or that it is '
        'not)."""\n    return\n    journal = current()\n',
        ("tests/provision/test_journal.py",), "before_it_is_made"),
    Mutation(
        "a rollback undoes nothing", "provision/journal.py",
        "            self._run_undo(run_undo, action)\n        for action in deferred:",
        "            pass\n        for action in deferred:",
        ("tests/provision/test_site_lifecycle.py",), "failed_application_install and apache"),
    Mutation(
        "an interrupted command is not recovered at the next start",
        "provision/commands/__init__.py",
        "        recover(contexts, logger, context=invocation.name)\n",
        "        pass\n",
        ("tests/provision/test_crash_recovery.py",), "recovers_it_first"),
    Mutation(
        "a database this command did not create may be dropped before the commit point",
        "provision/services/db/sites.py",
        "        if journal is not None and not journal.created(kind, self.server.name, name):",
        "        if False:",
        ("tests/provision/test_journal.py",), "another_made"),
    Mutation(
        "database names are not reserved", "provision/services/db/sites.py",
        "            if journal is not None and not reserve_name(",
        "            if False and not reserve_name(",
        ("tests/provision/test_journal.py",), "reserved_by_a_running"),
    Mutation(
        "a name taken between the check and CREATE DATABASE is not skipped",
        "provision/services/db/sites.py",
        "                    if _error_code(error) == ER_DB_CREATE_EXISTS:",
        "                    if False:",
        ("tests/provision/test_journal.py",), "between_the_check"),
    Mutation(
        "a journal gets its name before its lock (recovery may take it)", "provision/journal.py",
        "        opening = path.with_suffix(OPENING)\n",
        "        opening = path\n",
        ("tests/provision/test_journal_races.py",), "being_opened"),
    Mutation(
        "recovery reads a journal its command ended meanwhile", "provision/journal.py",
        "        if os.fstat(fd).st_nlink == 0:",
        "        if False:",
        ("tests/provision/test_journal_races.py",), "ends_while"),
    Mutation(
        "WordPress runs its cron on page views", "provision/apps/wordpress/settings.py",
        "define('DISABLE_WP_CRON', true);",
        "define('DISABLE_WP_CRON', false);",
        ("tests/provision/test_site_real_drivers.py",), "wordpress-apache"),
    Mutation(
        "children of a killed provision live on", "provision/shell.py",
        '        _SETPRIV = [found, "--pdeathsig", "KILL", "--"] if found else []',
        "        _SETPRIV = []",
        ("tests/provision/test_shell_children.py",)),
    Mutation(
        "the dispatcher does not recover a provision that died", "hostmaster/dispatcher/runner.py",
        "    found = recovery.recover_task(start.argv, recorder.task_id)\n",
        "    found = recovery.Recovery()\n",
        ("tests/hostmaster/test_interrupted_tasks.py",), "rolled_back_or_completed and sqlite"),
    Mutation(
        "every user may do everything", "hostmaster/access/holders.py",
        '    """The user (or, for None and anonymous visitors, the anonymous role) holds '
        '``permission``."""\n',
        '    """The user (or, for None and anonymous visitors, the anonymous role) holds '
        '``permission``."""\n    return True\n',
        ("tests/hostmaster/test_permissions.py",), "sqlite"),
    Mutation(
        "every client sees every client's sites", "hostmaster/access/scope.py",
        "    return Site.client_id.in_(ids)\n", "    return None\n",
        ("tests/hostmaster/test_access_matrix.py",), "mariadb and tasks.run-site-backup"),
    Mutation(
        "the settings file keeps an archive's credentials in $_SERVER (no cloaking cleanup)",
        "provision/apps/sitefiles.py",
        '        "    unset($_SERVER[$aegir_key], $_SERVER[\'REDIRECT_\' . $aegir_key]);",\n',
        "",
        ("tests/provision/apps/test_wordpress_sites.py",), "installed_wordpress"),
    Mutation(
        "the dump's command line carries the database admin's password",
        "provision/services/db/dump.py",
        'f"--result-file={raw}", database], pass_fds',
        'f"--result-file={raw}", f"--ignore-table={database}.{credentials.password}", '
        'database], pass_fds',
        ("tests/provision/test_site_secrets.py",), "only_in_context_and_credentials"),
    Mutation(
        "the credentials file is readable by everyone", "provision/layout.py",
        "CREDENTIALS_MODE = 0o640\n", "CREDENTIALS_MODE = 0o644\n",
        ("tests/provision/test_site_secrets.py",), "only_in_context_and_credentials"),
    Mutation(
        "a rolled-back credentials file loses the web group (folder not setgid)",
        "provision/layout.py",
        "CREDENTIALS_FOLDER_MODE = 0o2710\n", "CREDENTIALS_FOLDER_MODE = 0o710\n",
        ("tests/provision/test_site_vhosts.py",), "previous_vhost_and_credentials"),
    Mutation(
        "a session cookie survives logout", "hostmaster/auth/views.py",
        "        users.end_sessions(current_user._get_current_object())",
        "        pass",
        ("tests/hostmaster/test_sessions_http.py",), "copied_session_cookie"),
    Mutation(
        "failed logins are not slowed down", "hostmaster/services/login_throttle.py",
        '    """Count a failed login (committed)."""\n',
        '    """Count a failed login (committed)."""\n    return\n',
        ("tests/hostmaster/test_sessions_http.py",), "double"),
    Mutation(
        "secrets are stored in clear", "hostmaster/store_secrets.py",
        "def encrypt(value: str) -> str:\n", "def encrypt(value: str) -> str:\n    return value\n",
        ("tests/hostmaster/test_store_secrets.py",), "dump"),
    Mutation(
        "the resolver guard lets every name through", "tests/fixtures/resolver_guard.py",
        '    """Whether resolving ``host`` stays on this machine."""\n',
        '    """Whether resolving ``host`` stays on this machine."""\n    return True\n',
        ("tests/test_resolver_guard.py",)),
    Mutation(
        "a backup's members may lead out of the site folder", "provision/sites/deploy.py",
        "        if leaves:\n", "        if False:\n",
        ("tests/provision/test_site_restore.py",), "lead_out"),
    Mutation(
        "provision runs as root", "provision/cli.py",
        "        if refused_as_root():\n", "        if False:\n",
        ("tests/provision/test_aegir_user.py",)),
    Mutation(
        "a credentials file is named after its domain", "provision/services/http/vhost.py",
        "        return self.config_dir / CREDENTIALS_FOLDER / f\"{name}.json\"\n",
        "        return self.config_dir / CREDENTIALS_FOLDER / f\"{site.uri}.json\"\n",
        ("tests/provision/test_site_secrets.py",), "cannot_find"),
    Mutation(
        "delete leaves the drush aliases behind", "provision/commands/delete.py",
        "    remove_aliases_after_commit(site, journal)\n", "",
        ("tests/provision/test_site_real_drivers.py",), "drupal7 and apache"),
    Mutation(
        "Apache sends no clean URL to the front controller",
        "provision/templates/apache/platform.conf.j2",
        "    FallbackResource /index.php\n", "",
        ("tests/provision/test_site_real_drivers.py",), "wordpress and apache"),
    Mutation(
        "server delete queued while a platform uses the server", "hostmaster/tasks/server.py",
        "    uses = server_edits.uses_of(server)\n    if uses:\n",
        "    uses = server_edits.uses_of(server)\n    if False:\n",
        ("tests/hostmaster/test_server_delete.py",), "refuses and sqlite"),
    Mutation(
        "server delete of the master queued", "hostmaster/tasks/server.py",
        "    if contexts.master_server() is server:\n", "    if False:\n",
        ("tests/hostmaster/test_server_delete.py",), "refuses and sqlite"),
    Mutation(
        "server delete in provision ignores the contexts that name it",
        "provision/commands/delete.py", "        if uses:\n", "        if False:\n",
        ("tests/provision/test_platform_delete.py",), "server"),
    Mutation(
        "server delete leaves its web server's include file", "provision/commands/delete.py",
        '        journal.after_commit({"type": "remove_config", "server": server.name,\n'
        '                              "path": str(http.include_file)})\n', "",
        ("tests/hostmaster/test_server_delete.py",), "unused"),
    Mutation(
        "server delete of a remote server leaves its config folder on the master",
        "provision/commands/delete.py",
        '            journal.after_commit({"type": "remove_tree", "server": None,\n'
        '                                  "path": str(http.config_dir)})\n', "            pass\n",
        ("tests/hostmaster/test_remote_servers.py",), "deleted_over_ssh"),
    Mutation(
        "server edit changes the type of a service in use", "hostmaster/services/server_edits.py",
        "            if uses:\n", "            if False:\n",
        ("tests/hostmaster/test_server_edits.py",), "platform_uses and sqlite"),
    Mutation(
        "server edit blanks the database password left empty", "hostmaster/services/servers.py",
        "    if spec.db_password or not row.db_password_encrypted:\n", "    if True:\n",
        ("tests/hostmaster/test_server_edits.py",), "every_service and sqlite"),
    Mutation(
        "smtp password stored in clear", "hostmaster/services/settings.py",
        'return store_secrets.encrypt(str(value or "")) if setting.secret else value',
        "return value", ("tests/hostmaster/test_settings.py",), "kept_encrypted and sqlite"),
    Mutation(
        "an uploaded key is not checked against its certificate",
        "provision/tls/certificates.py",
        "            leaf.public_key().public_bytes(serialization.Encoding.PEM, public)):",
        "            key.public_key().public_bytes(serialization.Encoding.PEM, public)):",
        ("tests/provision/test_tls_certificates.py",), "does_not_match"),
    Mutation(
        "a certificate that does not cover a new alias keeps serving",
        "provision/tls/site_tls.py",
        "        if any(not problem.startswith(\"The chain is\") for problem in problems):",
        "        if False:",
        ("tests/provision/test_site_https.py",), "self_signed and apache"),
    Mutation(
        "required HTTPS leaves HTTP serving the site", "provision/templates/apache/vhost.conf.j2",
        '{%- if https == "required" %}', '{%- if https == "never" %}',
        ("tests/provision/test_site_https.py",), "required and apache"),
    Mutation(
        "HSTS without HTTPS is accepted", "hostmaster/services/site_https.py",
        '    if hsts and checked == "off":', '    if False:',
        ("tests/hostmaster/test_site_https.py",), "bad_https_input and sqlite"),
    Mutation(
        "the published panel does not believe its proxy (every visitor has the proxy's address)",
        "hostmaster/cli.py",
        '        os.environ["HOSTMASTER_PROXY_COUNT"] = "1"', "        pass",
        ("tests/test_panel_published.py",), "secure_cookie"),
    Mutation(
        "the panel's upstream may be any host", "provision/validation.py",
        "    if not colon or not loopback or", "    if not colon or",
        ("tests/provision/test_panel_vhost.py",), "hostile_panel_values and apache"),
    Mutation(
        "a site may take the published panel's name", "hostmaster/services/site_domains.py",
        "    if panel_publishing.published() and domain == panel_publishing.hostname():",
        "    if False:",
        ("tests/hostmaster/test_panel_publishing.py",), "no_site_may_take_the_name and sqlite"),
]


def copy_project(into: Path) -> Path:
    """A copy of what the tests need, in ``into``."""
    for name in COPIED:
        source = PROJECT / name
        target = into / name
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns(
                "__pycache__", "*.pyc", "_screenshots", "artifacts"))
        else:
            shutil.copy2(source, target)
    return into


def run_tests(copy: Path, mutation: Mutation) -> tuple[bool, str]:
    """Run the mutation's tests on the copy; (caught, the failing test or the tail)."""
    argv = [str(PROJECT / ".venv" / "bin" / "python"), "-m", "pytest", "-q", "-x", "-n", "0",
            "-p", "no:cacheprovider", *mutation.tests]
    if mutation.keyword:
        argv += ["-k", mutation.keyword]
    env = {**os.environ, "PYTHONPATH": str(copy), "CI": os.environ.get("CI", "true")}
    done = subprocess.run(argv, cwd=copy, env=env, capture_output=True, text=True,
                          timeout=1800, check=False)
    output = done.stdout + done.stderr
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", output, re.M)
    if done.returncode == 1 and failed:
        return True, failed[0]
    if done.returncode == 5:
        return False, "no test selected: fix the mutation's tests or keyword"
    return False, output.strip().splitlines()[-1] if output.strip() else f"exit {done.returncode}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("only", nargs="?", default="", help="run the mutations whose name "
                        "holds this word")
    parser.add_argument("--list", action="store_true", help="list the mutations and stop")
    options = parser.parse_args()
    chosen = [m for m in MUTATIONS if options.only.lower() in m.name.lower()]
    if options.list:
        for mutation in chosen:
            print(f"{mutation.name}: {mutation.path} -> {' '.join(mutation.tests)} "
                  f"{('-k ' + mutation.keyword) if mutation.keyword else ''}")
        return 0
    survived = 0
    with tempfile.TemporaryDirectory(prefix="hostmaster-mutants-") as folder:
        copy = copy_project(Path(folder))
        for mutation in chosen:
            target = copy / mutation.path
            original = target.read_text()
            if original.count(mutation.old) != 1:
                print(f"{mutation.name}: its code is not found once in {mutation.path}; "
                      "update the mutation")
                survived += 1
                continue
            target.write_text(original.replace(mutation.old, mutation.new))
            started = time.monotonic()
            try:
                caught, detail = run_tests(copy, mutation)
            finally:
                target.write_text(original)
            took = time.monotonic() - started
            verdict = f"caught by {detail}" if caught else f"SURVIVED ({detail})"
            print(f"{mutation.name} -> {verdict} [{took:.0f} s]", flush=True)
            survived += 0 if caught else 1
    print(f"{len(chosen)} mutations, {len(chosen) - survived} caught, {survived} survived")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(run_guarded(main))
