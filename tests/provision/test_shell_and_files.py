"""The one way to run a command, the one way to write a file, and undoable file changes."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from provision.checkpoint import Checkpoint
from provision.errors import CommandFailed, ServiceError
from provision.files import write_atomic
from provision.shell import run
from provision.transport import LocalTransport


def test_a_command_string_is_split_like_a_shell_would_and_run_without_one() -> None:
    done = run("printf '%s|' 'two words' $HOME;")

    assert done.stdout == "two words|$HOME;|"


def test_env_assignments_in_a_command_string_reach_the_program() -> None:
    done = run("env PROVISION_TEST_VALUE=42 sh -c 'echo $PROVISION_TEST_VALUE'")

    assert done.stdout.strip() == "42"


def test_a_failed_command_says_which_and_ends_with_its_error_output() -> None:
    with pytest.raises(CommandFailed) as failure:
        run(["sh", "-c", "echo first >&2; echo 'the real problem' >&2; exit 3"])

    message = str(failure.value)
    assert message.startswith("The command `sh -c")
    assert "failed with exit status 3" in message
    assert message.endswith("first\nthe real problem")
    assert failure.value.completed.returncode == 3


def test_a_missing_program_is_a_sentence_not_a_traceback() -> None:
    with pytest.raises(ServiceError, match="could not be started because no-such-program-x"):
        run("no-such-program-x --version")


def test_a_hung_command_is_stopped_after_its_timeout() -> None:
    with pytest.raises(ServiceError, match="did not finish within 0.2 seconds"):
        run(["sleep", "5"], timeout=0.2)


def test_secrets_go_to_a_command_on_stdin() -> None:
    done = run(["cat"], input=b"pw-on-stdin")

    assert done.stdout == "pw-on-stdin"


def test_write_atomic_gives_the_file_its_mode_and_leaves_no_temporary_file(
    tmp_path: Path,
) -> None:
    target = tmp_path / "secret.json"
    write_atomic(target, "first", 0o600)
    write_atomic(target, "second", 0o600)

    assert target.read_text() == "second"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [path.name for path in tmp_path.iterdir()] == ["secret.json"]


def test_a_checkpoint_puts_back_changed_files_and_removes_new_ones(tmp_path: Path) -> None:
    existing, new = tmp_path / "existing.conf", tmp_path / "new.conf"
    existing.write_text("old content\n")
    existing.chmod(0o640)
    checkpoint = Checkpoint(LocalTransport())

    assert checkpoint.write(existing, "new content\n", 0o644) is True
    assert checkpoint.write(new, "brand new\n", 0o644) is True
    assert checkpoint.write(new, "brand new\n", 0o644) is False
    undone = checkpoint.rollback()

    assert undone == [new, existing]
    assert existing.read_text() == "old content\n"
    assert stat.S_IMODE(existing.stat().st_mode) == 0o640
    assert not new.exists()


def test_a_committed_checkpoint_keeps_the_changes(tmp_path: Path) -> None:
    target = tmp_path / "kept.conf"
    checkpoint = Checkpoint(LocalTransport())
    checkpoint.write(target, "kept\n")
    checkpoint.commit()

    assert checkpoint.rollback() == []
    assert target.read_text() == "kept\n"


def test_a_checkpoint_can_undo_a_removal(tmp_path: Path) -> None:
    target = tmp_path / "vhost.conf"
    target.write_text("a site\n")
    checkpoint = Checkpoint(LocalTransport())

    assert checkpoint.remove(target) is True
    assert not target.exists()
    checkpoint.rollback()
    assert target.read_text() == "a site\n"
