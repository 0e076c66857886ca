"""The files of the store are private: the SQLite store is made 0600 before SQLite writes a
byte (in the folder bootstrap makes 0700; a missing folder is an error the command line
explains, not something to create), and an app that starts on looser ones makes them private
again, saying so in its log. (These are SQLite's files; a MariaDB store has none here.)"""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest
from flask_migrate import upgrade

from hostmaster.extensions import db
from hostmaster.store import make_store_private
from tests.fixtures.app import make_app


def mode(path: Path) -> int:
    """The permission bits of ``path``."""
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_sqlite_store_is_private_from_the_start(tmp_path: Path) -> None:
    store = tmp_path / "var" / "hostmaster.db"
    store.parent.mkdir(mode=0o700)
    app = make_app(f"sqlite:///{store}", tmp_path / "aegir",
                   SECRETS_KEY_FILE=str(tmp_path / "var" / "secrets.key"))
    with app.app_context():
        upgrade()
        companions = [Path(f"{store}{suffix}") for suffix in ("-wal", "-shm")]
        assert all(path.exists() for path in companions)  # while a connection is open
        assert [mode(path) for path in (store, *companions)] == [0o600] * 3
        db.engine.dispose()
    assert mode(store.parent) == 0o700
    assert mode(tmp_path / "var" / "secrets.key") == 0o600  # made by the revision


def test_an_app_makes_a_readable_store_private_again_and_logs_it(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    store = tmp_path / "hostmaster.db"
    key = tmp_path / "secrets.key"
    app = make_app(f"sqlite:///{store}", tmp_path / "aegir", SECRETS_KEY_FILE=str(key))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    store.chmod(0o644)
    key.chmod(0o640)
    with caplog.at_level(logging.WARNING, logger="hostmaster"):
        again = make_app(f"sqlite:///{store}", tmp_path / "aegir", SECRETS_KEY_FILE=str(key))
    assert (mode(store), mode(key)) == (0o600, 0o600)
    assert f"{store} was readable by others (mode 0644); it is now 0600." in caplog.messages
    assert f"{key} was readable by others (mode 0640); it is now 0600." in caplog.messages
    with again.app_context():
        db.engine.dispose()


def test_the_var_folder_is_made_0700_when_the_store_or_a_key_lives_in_it(
    tmp_path: Path,
) -> None:
    var, shared = tmp_path / "var", tmp_path / "shared"
    var.mkdir(mode=0o755)
    shared.mkdir(mode=0o755)
    var.chmod(0o755)
    shared.chmod(0o755)
    (shared / "store.db").write_bytes(b"")
    (shared / "store.db").chmod(0o644)
    changed = make_store_private(f"sqlite:///{shared / 'store.db'}", var, [var / "secrets.key"])
    assert mode(var) == 0o700
    assert f"{var} was readable by others (mode 0755); it is now 0700." in changed
    assert mode(shared) == 0o755  # a folder of someone else's choosing keeps its mode
    assert mode(shared / "store.db") == 0o600
