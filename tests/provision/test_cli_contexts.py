"""``provision save``, ``show`` and ``save --delete``: what they store and what they refuse."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from tests.provision.helpers import provision, save_server


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def stored(root: Path, name: str) -> dict:
    return json.loads((root / "contexts" / f"{name.lstrip('@')}.json").read_text())


def test_save_writes_one_json_file_per_context_in_a_private_folder(tmp_path: Path) -> None:
    run = save_server(tmp_path, remote_host="localhost", ip_addresses="127.0.0.1, 10.0.0.1")

    document = stored(tmp_path, "@server_master")
    assert document == {
        "name": "@server_master",
        "context_type": "server",
        "properties": {"remote_host": "localhost", "ip_addresses": ["127.0.0.1", "10.0.0.1"]},
    }
    assert mode_of(tmp_path / "contexts") == 0o700
    assert mode_of(tmp_path / "contexts" / "server_master.json") == 0o640
    assert run.result["error_status"] == 0
    assert run.result["context"]["remote_host"] == "localhost"


def test_a_context_holding_a_secret_is_readable_by_its_owner_only(tmp_path: Path) -> None:
    save_server(tmp_path, db_service_type="mysql", db_user="admin", db_passwd="pw-5ecret")

    assert mode_of(tmp_path / "contexts" / "server_master.json") == 0o600
    assert stored(tmp_path, "@server_master")["properties"]["db_passwd"] == "pw-5ecret"


def test_show_masks_secrets_and_no_output_ever_contains_them(tmp_path: Path) -> None:
    save = provision(
        tmp_path, "save", "@server_db", "--context_type=server", "--db_service_type=mysql",
        "--db_user=admin", "--db_passwd=pw-5ecret",
    )
    show = provision(tmp_path, "show", "@server_db")

    assert show.returncode == 0
    assert show.result["object"]["properties"]["db_passwd"] == "********"
    assert show.result["object"]["properties"]["db_user"] == "admin"
    assert "db_passwd" not in show.result["context"]
    for run in (save, show):
        assert "pw-5ecret" not in run.stdout + run.stderr


def test_save_changes_only_the_given_properties_and_null_unsets_one(tmp_path: Path) -> None:
    save_server(tmp_path, remote_host="a.example.com", ip_addresses="10.0.0.1")
    save_server(tmp_path, remote_host="b.example.com")
    save_server(tmp_path, ip_addresses="null")

    assert stored(tmp_path, "@server_master")["properties"] == {"remote_host": "b.example.com"}


def test_an_unknown_property_is_refused_with_the_known_ones_listed(tmp_path: Path) -> None:
    run = provision(tmp_path, "save", "@server_x", "--context_type=server", "--colour=blue")

    assert run.returncode == 1
    assert run.result["error_status"] == 1
    assert "The property 'colour' is not known for a server context" in run.errors
    assert "remote_host" in run.errors and "http_service_type" in run.errors
    assert not (tmp_path / "contexts" / "server_x.json").exists()


def test_service_properties_exist_only_once_the_service_is_chosen(tmp_path: Path) -> None:
    refused = provision(tmp_path, "save", "@server_x", "--context_type=server", "--http_port=8080")
    accepted = provision(
        tmp_path, "save", "@server_x", "--context_type=server", "--http_service_type=nginx",
        "--http_port", "8080",
    )

    assert refused.returncode == 1 and "'http_port' is not known" in refused.errors
    assert accepted.returncode == 0, accepted.stderr
    assert stored(tmp_path, "@server_x")["properties"]["http_port"] == 8080


def test_a_bad_value_is_refused_with_a_sentence_naming_the_property(tmp_path: Path) -> None:
    run = provision(
        tmp_path, "save", "@server_x", "--context_type=server", "--http_service_type=apache",
        "--http_port=eighty",
    )

    assert run.returncode == 1
    assert "The property http_port must be a port number" in run.errors


def test_an_unknown_service_type_is_refused_with_the_known_types(tmp_path: Path) -> None:
    run = provision(
        tmp_path, "save", "@server_x", "--context_type=server", "--http_service_type=lighttpd"
    )

    assert run.returncode == 1
    assert "The http service type 'lighttpd' is not known. Known types: apache, nginx, null." in (
        run.errors
    )


def test_none_or_an_empty_service_type_means_the_null_service(tmp_path: Path) -> None:
    save_server(tmp_path, http_service_type="NONE", db_service_type="")

    properties = stored(tmp_path, "@server_master")["properties"]
    assert properties["http_service_type"] == "null"
    assert properties["db_service_type"] == "null"


def test_a_bad_context_name_is_refused(tmp_path: Path) -> None:
    for name in ("@", "@-dash-first", "@has space", "@" + "a" * 256, "@semi;colon"):
        run = provision(tmp_path, "save", name, "--context_type=server")
        assert run.returncode == 1, name
        assert "is not a valid context name" in run.errors
    assert not (tmp_path / "contexts").exists() or not any((tmp_path / "contexts").iterdir())


def test_a_new_context_needs_a_known_type(tmp_path: Path) -> None:
    missing = provision(tmp_path, "save", "@server_x", "--remote_host=x")
    unknown = provision(tmp_path, "save", "@server_x", "--context_type=toaster")

    assert missing.returncode == 1 and "needs a type" in missing.errors
    assert unknown.returncode == 1
    assert "The context type 'toaster' is not known" in unknown.errors


def test_a_reference_must_name_an_existing_context_of_the_right_type(tmp_path: Path) -> None:
    save_server(tmp_path)
    base = ["save", "@platform_x", "--context_type=platform", f"--root={tmp_path}/platforms/x"]

    missing = provision(tmp_path, *base, "--web_server=@server_gone")
    wrong_type = provision(tmp_path, *base, "--web_server=@platform_y")
    provision(tmp_path, "save", "@platform_y", "--context_type=platform",
              f"--root={tmp_path}/platforms/y")
    wrong_type = provision(tmp_path, *base, "--web_server=@platform_y")
    good = provision(tmp_path, *base, "--web_server=@server_master")

    assert missing.returncode == 1
    assert "names @server_gone, which does not exist" in missing.errors
    assert wrong_type.returncode == 1
    assert "names @platform_y, which is a platform, not a server" in wrong_type.errors
    assert good.returncode == 0, good.stderr


def test_a_platform_needs_an_absolute_root(tmp_path: Path) -> None:
    without = provision(tmp_path, "save", "@platform_x", "--context_type=platform")
    relative = provision(
        tmp_path, "save", "@platform_x", "--context_type=platform", "--root=relative/path"
    )

    assert without.returncode == 1
    assert "A platform context needs the property root" in without.errors
    assert relative.returncode == 1
    assert "is not an absolute path: start it with /" in relative.errors


def test_a_context_cannot_change_its_type(tmp_path: Path) -> None:
    save_server(tmp_path, name="@thing")
    run = provision(tmp_path, "save", "@thing", "--context_type=platform", "--root=/srv")

    assert run.returncode == 1
    assert "@thing is a server; it cannot become a platform" in run.errors


def test_delete_removes_the_context_file(tmp_path: Path) -> None:
    save_server(tmp_path)
    deleted = provision(tmp_path, "save", "@server_master", "--delete")
    shown = provision(tmp_path, "show", "@server_master")

    assert deleted.returncode == 0
    assert not (tmp_path / "contexts" / "server_master.json").exists()
    assert shown.returncode == 1
    assert "The context @server_master does not exist" in shown.errors


def test_switching_service_type_drops_the_old_services_properties(tmp_path: Path) -> None:
    save_server(tmp_path, db_service_type="mysql", db_user="admin", db_passwd="pw-5ecret")
    run = save_server(tmp_path, db_service_type="null")

    assert stored(tmp_path, "@server_master")["properties"] == {}
    assert mode_of(tmp_path / "contexts" / "server_master.json") == 0o640
    assert any("Dropped the property db_passwd" in line for line in run.messages("notice"))


def test_the_root_comes_from_the_option_then_aegir_root_then_the_default(
    tmp_path: Path,
) -> None:
    from_option, from_environment = tmp_path / "option", tmp_path / "environment"

    provision(
        from_option, "save", "@server_a", "--context_type=server",
        env={"AEGIR_ROOT": str(from_environment)},
    )
    provision(None, "save", "@server_b", "--context_type=server",
              env={"AEGIR_ROOT": str(from_environment)})
    help_text = provision(None, "--help").stdout

    assert (from_option / "contexts" / "server_a.json").exists()
    assert not (from_environment / "contexts" / "server_a.json").exists()
    assert (from_environment / "contexts" / "server_b.json").exists()
    assert "/var/aegir" in help_text


def test_a_root_option_after_the_verb_is_the_platform_property(tmp_path: Path) -> None:
    save_server(tmp_path)
    codebase = f"{tmp_path}/platforms/codebase"
    run = provision(tmp_path, "save", "@platform_x", "--context_type=platform",
                    f"--root={codebase}")

    assert run.returncode == 0, run.stderr
    assert stored(tmp_path, "@platform_x")["properties"]["root"] == codebase


def test_a_command_line_without_a_command_says_what_to_write(tmp_path: Path) -> None:
    nothing = provision(tmp_path)
    name_only = provision(tmp_path, "@server_master")
    unknown = provision(tmp_path, "@server_master", "dance")

    assert nothing.returncode == 1 and "Say what to do" in nothing.errors
    assert name_only.returncode == 1
    assert "Say which command to run on @server_master" in name_only.errors
    assert unknown.returncode == 1 and "provision has no command 'dance'" in unknown.errors


def test_a_site_uri_that_is_no_domain_is_refused_before_anything_is_written(
    tmp_path: Path,
) -> None:
    root = tmp_path / "aegir"
    save_server(root)
    provision(root, "save", "@platform_x", "--context_type=platform",
              f"--root={root}/platforms/x")
    before = sorted(tmp_path.rglob("*"))

    traversal = provision(root, "save", "@x.example", "--context_type=site",
                          "--platform=@platform_x", "--uri=../../../../outside/x.conf")
    newline = provision(root, "save", "@x.example", "--context_type=site",
                        "--platform=@platform_x", "--aliases=a.example\nInclude /some/file")
    verify = provision(root, "@x.example", "verify")

    assert traversal.returncode == newline.returncode == verify.returncode == 1
    assert "The property uri is refused: '../../../../outside/x.conf' is not a valid domain" in (
        traversal.errors)
    assert "holds a line break or another control character" in newline.errors
    assert "The context @x.example does not exist" in verify.errors
    assert sorted(tmp_path.rglob("*")) == before


def test_a_name_too_long_for_its_file_is_refused_with_a_sentence_not_a_crash(
    tmp_path: Path,
) -> None:
    run = provision(tmp_path, "save", "@" + "a" * 255, "--context_type=server")

    assert run.returncode == 1
    assert "is not a valid context name" in run.errors and "at most 232" in run.errors
    assert "bug" not in run.errors


def test_a_platform_outside_the_base_path_or_in_a_system_folder_is_refused(
    tmp_path: Path,
) -> None:
    save_server(tmp_path, platform_base_path="/srv/platforms")
    refused = {
        root: provision(tmp_path, "save", "@platform_x", "--context_type=platform",
                        f"--root={root}").errors
        for root in ("/etc", "/proc/self/environ", "/dev/null", str(tmp_path),
                     f"{tmp_path}/platforms/x", "/srv/platforms")
    }
    accepted = provision(tmp_path, "save", "@platform_x", "--context_type=platform",
                         "--root=/srv/platforms/x")

    assert "is in the system folder /etc" in refused["/etc"]
    assert "is in the system folder /proc" in refused["/proc/self/environ"]
    assert "is in the system folder /dev" in refused["/dev/null"]
    assert "is the aegir root or holds it" in refused[str(tmp_path)]
    assert "not inside the platform base path /srv/platforms" in refused[
        f"{tmp_path}/platforms/x"]
    assert "not inside the platform base path" in refused["/srv/platforms"]
    assert accepted.returncode == 0, accepted.stderr


def test_an_alias_that_both_serves_and_redirects_is_refused_and_nothing_is_written(
    tmp_path: Path,
) -> None:
    root = tmp_path / "aegir"
    save_server(root)
    provision(root, "save", "@platform_x", "--context_type=platform",
              f"--root={root}/platforms/x")
    before = sorted(tmp_path.rglob("*"))

    both = provision(root, "save", "@x.example", "--context_type=site", "--platform=@platform_x",
                     "--aliases=a.example,b.example", "--redirect_aliases=B.example")
    own = provision(root, "save", "@x.example", "--context_type=site", "--platform=@platform_x",
                    "--redirect_aliases=x.example")

    assert both.returncode == own.returncode == 1
    assert "b.example is listed both as an alias that serves the site and as one that " \
           "redirects; list it once" in both.errors
    assert "x.example is the site's own domain; it needs no alias" in own.errors
    assert sorted(tmp_path.rglob("*")) == before
