"""The journal between processes: one provision's recovery meets another's journal at the
instant it is being opened or ended (two dispatchers run many provisions at once)."""

from __future__ import annotations

import fcntl
import io
import os
import time
from pathlib import Path

import pytest

from provision.contexts import Contexts
from provision.journal import OPENING, Journal, is_running, recover
from provision.log import Logger


def contexts_at(root: Path) -> Contexts:
    return Contexts(root, Logger(backend=True, out=io.StringIO()))


def test_a_journal_being_opened_is_never_taken_by_recovery(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contexts = contexts_at(tmp_path)
    really_flock = fcntl.flock
    recoveries: list[list[dict[str, object]]] = []

    def another_recovery_first(fd: int, operation: int) -> None:
        """Another provision recovers everything between the journal's creation and its lock."""
        if operation == fcntl.LOCK_EX and not recoveries:
            recoveries.append(recover(contexts, contexts.logger))
        really_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", another_recovery_first)
    journal = Journal.begin(contexts, contexts.logger, "noop", "@x")
    monkeypatch.undo()
    assert recoveries == [[]], "the other recovery found nothing to recover"
    assert journal.path.exists() and is_running(journal.path)
    journal.finish({})
    assert list((tmp_path / "journal").iterdir()) == []


def test_a_journal_that_ends_while_recovery_opens_it_is_left_alone(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    contexts = contexts_at(tmp_path)
    journal = Journal.begin(contexts, contexts.logger, "noop", "@x")
    really_flock = fcntl.flock

    def the_command_ends_first(fd: int, operation: int) -> None:
        """The journal's command ends (removes its file, lets go of its lock) between the
        other provision's open and its lock."""
        if operation & fcntl.LOCK_NB and journal.state != "ended":
            journal.finish({})
        really_flock(fd, operation)

    monkeypatch.setattr(fcntl, "flock", the_command_ends_first)
    assert recover(contexts, contexts.logger, context="@x") == []
    assert journal.state == "ended" and not journal.path.exists()


def test_a_journal_left_half_opened_by_a_kill_is_removed_after_an_hour(tmp_path: Path) -> None:
    contexts = contexts_at(tmp_path)
    folder = tmp_path / "journal"
    folder.mkdir()
    old, new = folder / f"old{OPENING}", folder / f"new{OPENING}"
    old.touch()
    new.touch()
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))
    assert recover(contexts, contexts.logger) == []
    assert not old.exists() and new.exists(), "a fresh one may be opening right now"
