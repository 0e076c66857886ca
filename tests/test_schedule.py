"""The order the workers take the test files in (tests/fixtures/schedule.py)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.fixtures.schedule import LONGEST_FIRST, longest_first

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Named:
    """What longest_first reads of a test item: its node id."""

    nodeid: str


def test_every_file_the_schedule_names_exists() -> None:
    assert [path for path in LONGEST_FIRST if not (ROOT / path).is_file()] == []


def test_the_longest_files_go_first_and_the_rest_keep_their_order() -> None:
    items: list[Any] = [Named("tests/a.py::one"), Named(f"{LONGEST_FIRST[1]}::x"),
                        Named("tests/b.py::two"), Named(f"{LONGEST_FIRST[0]}::y"),
                        Named("tests/a.py::three"), Named(f"{LONGEST_FIRST[1]}::z")]
    longest_first(items)
    assert [item.nodeid for item in items] == [
        f"{LONGEST_FIRST[0]}::y", f"{LONGEST_FIRST[1]}::x", f"{LONGEST_FIRST[1]}::z",
        "tests/a.py::one", "tests/b.py::two", "tests/a.py::three"]
