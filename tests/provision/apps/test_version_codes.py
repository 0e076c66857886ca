"""Version codes: every spelling of a version packs into an integer that grows with the release."""

from __future__ import annotations

import pytest

from provision.apps import version_code


@pytest.mark.parametrize(
    ("core", "version", "code"),
    [
        ("7", "7.x-3.12", 7_003_012_000_005_000),
        ("7", "7.103", 7_007_103_000_005_000),
        ("7", "7.x-2.0-dev", 7_002_000_000_000_000),
        ("7", "7.x-2.x-dev", 7_002_000_000_000_000),
        ("7", "7.x-1.0+5-dev", 7_001_000_000_005_005),
        ("10", "8.x-1.0-beta2", 10_001_000_000_003_002),
        ("10", "2.1.0", 10_002_001_000_005_000),
        ("10", "10.2.3", 10_010_002_003_005_000),
        ("10", "1.0.0-rc1", 10_001_000_000_004_001),
        ("10", "1.0.x-dev", 10_001_000_000_000_000),
        ("6.1", "6.1.9", 6_006_001_009_005_000),
        ("6.1", "6.2-RC1", 6_006_002_000_004_001),
        ("6.1", "5.0.2", 6_005_000_002_005_000),
        ("", "7.x-3.12", 7_003_012_000_005_000),
    ],
)
def test_a_version_packs_into_six_three_digit_fields(core: str, version: str, code: int) -> None:
    assert version_code(core, version) == code


@pytest.mark.parametrize(
    "version", ["", "VERSION", "Unknown", "trunk", "7.x-3.12-banana", "1000.0"]
)
def test_an_unreadable_version_has_code_zero(version: str) -> None:
    assert version_code("7", version) == 0


@pytest.mark.parametrize(
    ("core", "older", "newer"),
    [
        ("7", "7.x-3.0-dev", "7.x-3.0-unstable1"),
        ("7", "7.x-3.0-unstable1", "7.x-3.0-alpha1"),
        ("7", "7.x-3.0-alpha1", "7.x-3.0-alpha2"),
        ("7", "7.x-3.0-alpha2", "7.x-3.0-beta1"),
        ("7", "7.x-3.0-beta1", "7.x-3.0-rc1"),
        ("7", "7.x-3.0-rc1", "7.x-3.0"),
        ("7", "7.x-3.9", "7.x-3.10"),
        ("7", "7.x-3.10", "7.x-3.10+2-dev"),
        ("7", "7.x-3.10+2-dev", "7.x-3.11"),
        ("7", "7.x-3.29", "7.x-4.0-alpha1"),
        ("7", "7.99", "7.103"),
        ("10", "10.1.8", "10.2.0-beta1"),
        ("10", "10.2.0-rc1", "10.2.0"),
        ("10", "10.2.9", "10.2.10"),
        ("10", "8.x-1.13", "1.14.0"),
        ("10", "1.14.0", "8.x-2.0"),
        ("10", "2.0.0-beta1", "2.0.0"),
        ("6.1", "1.0", "1.1"),
    ],
)
def test_a_newer_release_always_has_a_larger_code(core: str, older: str, newer: str) -> None:
    assert 0 < version_code(core, older) < version_code(core, newer)


def test_the_same_package_is_newer_on_a_newer_core() -> None:
    assert version_code("7", "7.x-3.29") < version_code("10", "8.x-1.0")
