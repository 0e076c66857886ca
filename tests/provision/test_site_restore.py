"""Restore: a site put back as one of its backups holds it (a backup of the present state made
first); backup-delete: archives removed, and nothing outside the backups folder."""

from __future__ import annotations

import io
import tarfile
from pathlib import Path

from tests.provision.moves_support import (
    databases_of,
    failing_at,
    install_on_a,
    moves_stack,
    write_content,
)
from tests.provision.sites_support import SiteStack

__all__ = ["moves_stack"]  # the fixture, imported for pytest


def test_content_written_after_a_backup_is_gone_once_that_backup_is_restored(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri = install_on_a(stack)
    backup = Path(stack.must(f"@{uri}", "backup").result["backup_file"])
    write_content(stack, uri, "Written after the backup")
    stack.instance.wait_for_body("<title>Written after the backup", host=uri)
    before = stack.context(uri)

    with stack.instance.expect_reload():
        result = stack.must(f"@{uri}", "restore", f"--backup_file={backup}").result

    assert stack.instance.wait_for_body(f"<title>Content of {uri}", host=uri)
    pre_restore = Path(result["backup_file"])
    assert pre_restore.is_file() and pre_restore != backup
    after = stack.context(uri)
    assert after["db_name"] != before["db_name"]
    assert databases_of(stack, uri) == [after["db_name"]]
    assert stack.users_named(before["db_user"]) == []
    assert not (stack.root / "platforms/d7a/sites" / f"{uri}.previous").exists()
    settings = (stack.root / "platforms/d7a/sites" / uri / "settings.php").read_text()
    assert after["db_passwd"] not in settings and before["db_passwd"] not in settings


def test_a_restore_that_fails_at_a_step_leaves_the_site_as_it_was(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri = install_on_a(stack)
    backup = stack.must(f"@{uri}", "backup").result["backup_file"]
    write_content(stack, uri, "Kept after the failure")
    before = stack.context(uri)
    for step in ("maintenance", "unpack", "import", "updates", "verify", "cleanup"):
        with failing_at(step):
            ran = stack.run(f"@{uri}", "restore", f"--backup_file={backup}")
        assert ran.status == 1 and f"The step {step} of restore failed" in ran.text, step
        assert stack.context(uri) == before, step
        assert databases_of(stack, uri) == [before["db_name"]], step
        stack.instance.wait_for_body("<title>Kept after the failure", host=uri)
    sites = stack.root / "platforms/d7a/sites"
    assert sorted(p.name for p in sites.iterdir() if p.name.startswith(uri)) == [uri]


def test_restore_refuses_a_file_outside_the_backups_folder(moves_stack: SiteStack) -> None:
    uri = install_on_a(moves_stack)
    outside = moves_stack.root / "platforms" / "elsewhere.tar.gz"
    outside.write_bytes(b"")
    ran = moves_stack.run(f"@{uri}", "restore", f"--backup_file={outside}")
    assert ran.status == 1 and "is not a backup in" in ran.text
    assert outside.exists()


def test_backup_delete_removes_the_chosen_archives_and_refuses_other_paths(
    moves_stack: SiteStack,
) -> None:
    stack = moves_stack
    uri = install_on_a(stack)
    first = stack.must(f"@{uri}", "backup").result["backup_file"]
    second = stack.must(f"@{uri}", "backup").result["backup_file"]
    settings = stack.root / "platforms/d7a/sites" / uri / "settings.php"

    refused = stack.run(f"@{uri}", "backup-delete", f"--backup_files={first},{settings}")
    assert refused.status == 1 and Path(first).is_file() and settings.is_file()

    result = stack.must(f"@{uri}", "backup-delete", f"--backup_files={first}").result
    assert result == {"deleted": [first], "missing": []}
    assert not Path(first).exists() and Path(second).is_file()
    again = stack.must(f"@{uri}", "backup-delete", f"--backup_files={first}")
    assert again.result["missing"] == [first] and again.messages("warning")


def test_restore_refuses_an_archive_whose_members_lead_out_of_the_site_folder(
    moves_stack: SiteStack,
) -> None:
    """A backup edited to carry ``../`` names or a link out of the folder: refused before
    anything is unpacked (Debian 12's Python has no tar extraction filter of its own)."""
    uri = install_on_a(moves_stack)
    backup = Path(moves_stack.must(f"@{uri}", "backup").result["backup_file"])
    before = moves_stack.context(uri)
    outside = moves_stack.root / "platforms" / "escaped"
    for name, hostile in [
        ("../../escaped", tarfile.TarInfo("../../escaped")),
        ("a link out", _link("files/out", "../../../../escaped")),
        ("an absolute link", _link("files/abs", str(outside))),
        ("a hard link out", _link("files/hard", "../../escaped", hard=True)),
    ]:
        edited = backup.with_name(f"edited-{len(name)}.tar.gz")
        with tarfile.open(backup, "r:gz") as source, tarfile.open(edited, "w:gz") as target:
            for member in source.getmembers():
                target.addfile(member, source.extractfile(member) if member.isfile() else None)
            target.addfile(hostile, io.BytesIO(b"") if hostile.isfile() else None)
        ran = moves_stack.run(f"@{uri}", "restore", f"--backup_file={edited}")
        assert ran.status == 1 and "leads out of the site's folder" in ran.text, name
        assert not outside.exists(), name
        assert moves_stack.context(uri) == before, name
        moves_stack.instance.wait_for_body("<title>", host=uri)


def _link(name: str, target: str, hard: bool = False) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type = tarfile.LNKTYPE if hard else tarfile.SYMTYPE
    member.linkname = target
    return member
