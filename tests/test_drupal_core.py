"""The real Drupal core fixture (tests/fixtures/drupal_core.py) keeps its promises, checked on
small tarballs made here: the SHA-256 is checked, a missing tarball skips (fails in CI), Drupal
9.1 gets its PHP 8.2 line, platforms link to the unpacked files but copy ``sites/``, a file
changed through a link is reported, and ``reset_sites`` puts a test's sites away."""

from __future__ import annotations

import hashlib
import io
import os
import tarfile
from pathlib import Path

import pytest

from tests.fixtures import drupal_core
from tests.fixtures.drupal_core import (
    D9_ERROR_REPORTING,
    D9_ERROR_REPORTING_PHP82,
    D9_KERNEL,
    TARBALLS_VARIABLE,
    DrupalCore,
    UnpackedCores,
)
from tests.fixtures.stack_process import make_traversable_dir


def make_tarball(folder: Path, top: str, files: dict[str, str]) -> str:
    """Write ``folder/<top>.tar.gz`` holding ``files`` under ``top/``; its SHA-256."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    (folder / f"{top}.tar.gz").write_bytes(buffer.getvalue())
    return hashlib.sha256(buffer.getvalue()).hexdigest()


@pytest.fixture
def tarballs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty tarball folder the fixture reads instead of ../shared/data/drupal."""
    folder = tmp_path / "tarballs"
    folder.mkdir()
    monkeypatch.setenv(TARBALLS_VARIABLE, str(folder))
    return folder


@pytest.fixture
def cores(stack_base_dir: Path) -> UnpackedCores:
    """A fresh set of unpacked cores (not the session's)."""
    return UnpackedCores(make_traversable_dir(stack_base_dir, "cores-test-"))


def fake_drupal9(tarballs: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    sha = make_tarball(tarballs, "drupal-9.1.0", {
        str(D9_KERNEL): f"<?php\n    {D9_ERROR_REPORTING}\n",
        "index.php": "<?php\n",
        "sites/default/default.settings.php": "<?php\n",
    })
    monkeypatch.setitem(drupal_core.CORES, "drupal9",
                        DrupalCore("9.1.0", "drupal-9.1.0.tar.gz", sha))


def test_drupal_9_is_unpacked_with_its_php_8_2_line(
    tarballs: Path, cores: UnpackedCores, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_drupal9(tarballs, monkeypatch)
    kernel = (cores.tree("drupal9") / D9_KERNEL).read_text()
    assert D9_ERROR_REPORTING_PHP82 in kernel and D9_ERROR_REPORTING not in kernel


def test_a_tarball_with_another_sha256_fails_saying_so(
    tarballs: Path, cores: UnpackedCores, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_tarball(tarballs, "drupal-7.103", {"index.php": "<?php\n"})
    monkeypatch.setitem(drupal_core.CORES, "drupal7",
                        DrupalCore("7.103", "drupal-7.103.tar.gz", "0" * 64))
    with pytest.raises(pytest.fail.Exception, match="has SHA-256 .* not 0000"):
        cores.tree("drupal7")


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_missing_tarball_skips_with_the_reason_and_fails_in_ci(
    tarballs: Path, cores: UnpackedCores, monkeypatch: pytest.MonkeyPatch, ci: str
) -> None:
    monkeypatch.setenv("CI", ci)
    # Both outcomes are caught, so that a skip where a failure is due fails this test.
    with pytest.raises((pytest.fail.Exception, pytest.skip.Exception),
                       match=f"drupal-7.103.tar.gz does not exist.*{TARBALLS_VARIABLE}") as ended:
        cores.tree("drupal7")
    wanted = pytest.fail.Exception if ci == "true" else pytest.skip.Exception
    assert ended.type is wanted


def test_platforms_link_to_the_unpacked_files_copy_sites_and_are_checked_and_reset(
    tarballs: Path, cores: UnpackedCores, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_drupal9(tarballs, monkeypatch)
    tree = cores.tree("drupal9")
    first, second = cores.platforms("drupal9")
    assert first != second and first.name == second.name == "drupal9"
    for platform in (first, second):
        assert os.stat(platform / "index.php").st_ino == os.stat(tree / "index.php").st_ino
        copied = platform / "sites/default/default.settings.php"
        assert os.stat(copied).st_ino != os.stat(tree / copied.relative_to(platform)).st_ino
    assert cores.changed_files() == []

    (first / "sites" / "site.test").mkdir()  # what a test's install leaves
    (first / "sites" / "site.test").chmod(0o555)  # as Drupal leaves it
    cores.reset_sites("drupal9")
    assert sorted(p.name for p in (first / "sites").iterdir()) == ["default"]

    with open(first / "index.php", "a") as linked:  # a change in place, through the link
        linked.write("// changed\n")
    assert cores.changed_files() == ["drupal9: index.php"]
