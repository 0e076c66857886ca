"""provision.validation: the one set of rules for domains, names, paths, hosts, ports and
commands, each refusing with a sentence or returning the value normalised."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from provision import validation


def refusal(check: object, *args: object) -> str:
    """The message ``check(*args)`` refuses with (the test fails when it accepts)."""
    message = validation.problem(check, *args)  # type: ignore[arg-type]
    assert message is not None, f"{args!r} was accepted"
    return message


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("www.example.com", "www.example.com"),
        ("  WWW.Example.COM ", "www.example.com"),
        ("b2.example.", "b2.example"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("MÜNCHEN.example.", "xn--mnchen-3ya.example"),
        ("a-b.c-d.example", "a-b.c-d.example"),
    ],
)
def test_a_domain_is_stored_lower_case_in_idna_form_without_its_final_dot(
    typed: str, stored: str
) -> None:
    assert validation.site_domain(typed) == stored


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("b2.example..", "is not a valid domain"),
        ("..", "is not a valid domain"),
        ("a..b.example", "is not a valid domain"),
        (".example.com", "is not a valid domain"),
        ("127.0.0.1", "is an IP address"),
        ("::1", "is an IP address"),
        ("999.1.1.1", "ends with a number"),
        ("1.0", "ends with a number"),
        ("example.123", "ends with a number"),
        ("localhost", "is not a fully qualified domain name"),
        ("-a.example.com", "is not a valid domain"),
        ("a-.example.com", "is not a valid domain"),
        ("a_b.example.com", "is not a valid domain"),
        ("www example.com", "is not a valid domain"),
        ("../../../../outside/x.conf", "is not a valid domain"),
        ("a.example.com/x", "is not a valid domain"),
        ('a".example.com', "is not a valid domain"),
        ("a.example.com\nInclude /etc/passwd", "line break or another control character"),
        ("a.example.com\x00", "line break or another control character"),
        ("a" * 64 + ".example.com", "is not a valid domain"),
        (".".join(["a" * 60] * 4), "has at most 232 characters"),
        ("", "Enter a domain"),
        ("x" * 10_000, "has 10000 characters"),
    ],
)
def test_a_bad_domain_is_refused_with_the_reason(value: str, reason: str) -> None:
    assert reason in refusal(validation.site_domain, value)


def test_a_site_domain_fits_every_file_named_after_it() -> None:
    longest = ".".join(["a" * 57, "b" * 57, "c" * 57, "d" * 55, "ex"])
    assert len(longest) == validation.SITE_DOMAIN_MAX == 232
    assert validation.site_domain(longest) == longest
    assert len(f"{longest}-20261205.120000.tar.gz") == validation.MAX_FILE_NAME
    assert "at most 232 characters" in refusal(validation.site_domain, "a" + longest)


def test_a_host_name_may_be_a_single_label_and_a_host_an_address() -> None:
    assert validation.hostname("LocalHost") == "localhost"
    assert validation.host("10.0.0.1") == "10.0.0.1"
    assert validation.host("2001:DB8::1") == "2001:db8::1"
    assert validation.host("db1.example.com.") == "db1.example.com"
    assert "is an IP address" in refusal(validation.hostname, "10.0.0.1")
    assert "ends with a number" in refusal(validation.host, "999.1.1.1")
    assert "not an IP address" in refusal(validation.ip_address, "10.0.0.256")


def test_aliases_are_domains_each_once_and_never_the_sites_own() -> None:
    assert validation.alias_list(["A.example.", "a.example", "b.example"]) == [
        "a.example", "b.example"]
    assert "the site's own domain" in refusal(
        validation.alias_list, ["www.example.com"], "www.example.com")
    assert "line break" in refusal(validation.alias_list, ["a.example\nInclude /x"])


@pytest.mark.parametrize(
    "name", ["@", "@-dash", "@a..b", "@a.", "@has space", "@a/b", "@../x", "@a\nb",
             "@" + "a" * 233, "server_master"],
)
def test_a_bad_context_name_is_refused(name: str) -> None:
    assert "context name" in refusal(validation.context_name, name)


def test_a_context_name_of_232_characters_fits_its_file_name() -> None:
    name = "@" + "a" * 232
    assert validation.context_name(name) == name
    assert len(name[1:] + ".json") <= validation.MAX_FILE_NAME


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        ("relative/path", "is not an absolute path"),
        ("/var/aegir/../etc", "contains '..'"),
        ("/var//aegir", "is not a clean path"),
        ("/var/./aegir", "is not a clean path"),
        ("/var/aegir/my site", "no spaces or quotes"),
        ('/var/aegir/"quoted"', "no spaces or quotes"),
        ("/var/aegir/$HOME", "no spaces or quotes"),
        ("/var/aegir/x\nInclude /y", "control character"),
        ("/", "cannot be the root folder"),
        ("", "Enter the path"),
        ("/" + "a" * 2000, "has 2001 characters"),
    ],
)
def test_a_bad_path_is_refused(value: str, reason: str) -> None:
    assert reason in refusal(validation.absolute_path, value)


def test_a_path_loses_its_trailing_slash() -> None:
    assert validation.absolute_path("/var/aegir/platforms/d7/") == "/var/aegir/platforms/d7"


@pytest.mark.parametrize(
    ("root", "reason"),
    [
        ("/etc", "system folder /etc"),
        ("/etc/apache2", "system folder /etc"),
        ("/proc/self/environ", "system folder /proc"),
        ("/dev/null", "system folder /dev"),
        ("/usr/share/wordpress", "system folder /usr"),
        ("{aegir}", "is the aegir root or holds it"),
        ("{aegir}/platforms", "is not inside the platform base path"),
        ("{aegir}/contexts", "is not inside the platform base path"),
        ("/srv/codebase", "is not inside the platform base path"),
        ("{aegir}/platforms/escape", "(symbolic links followed)"),
        ("{aegir}/platforms/to-etc", "system folder /etc"),
    ],
)
def test_a_platform_root_lies_inside_the_base_path_and_in_no_system_folder(
    tmp_path: Path, root: str, reason: str
) -> None:
    aegir = tmp_path / "aegir"
    (aegir / "platforms").mkdir(parents=True)
    (tmp_path / "elsewhere").mkdir()
    os.symlink(tmp_path / "elsewhere", aegir / "platforms" / "escape")
    os.symlink("/etc", aegir / "platforms" / "to-etc")

    message = refusal(validation.platform_root, root.format(aegir=aegir), aegir / "platforms",
                      aegir)

    assert reason in message


def test_a_platform_root_inside_the_base_path_is_accepted(tmp_path: Path) -> None:
    base = tmp_path / "platforms"
    assert validation.platform_root(f"{base}/d7/", base, tmp_path) == f"{base}/d7"


@pytest.mark.parametrize(
    ("base", "reason"),
    [("/etc/platforms", "system folder /etc"), ("{aegir}", "holds the aegir root"),
     ("/", "cannot be the root folder"), ("{aegir}/contexts/x", "private folder contexts")],
)
def test_a_platform_base_path_is_never_a_system_folder_or_the_aegir_root(
    tmp_path: Path, base: str, reason: str
) -> None:
    assert reason in refusal(validation.platform_base, base.format(aegir=tmp_path), tmp_path)


@pytest.mark.parametrize(
    ("check", "value", "reason"),
    [
        (validation.command, "apache2ctl graceful\nrm -rf /", "control character"),
        (validation.command, "apache2ctl 'graceful", "check its quotes"),
        (validation.command, "   ", "Enter the command"),
        (validation.text, "a\x00b", "control character"),
        (validation.text, "a\u2028b", "control character"),
        (validation.port, "0", "from 1 to 65535"),
        (validation.port, "65536", "from 1 to 65535"),
        (validation.port, "80; reboot", "from 1 to 65535"),
        (validation.port, "9" * 30, "from 1 to 65535"),
        (validation.system_user, "root; id", "user name may use only letters"),
        (validation.database_user, "admin'--", "database user may use only letters"),
        (validation.language, "en\n", "control character"),
        (validation.language, "english", "language code"),
        (validation.machine_name, "Standard", "only lower-case letters"),
        (validation.email, "jane@example.com\nBcc: x@y.z", "control character"),
        (validation.email, "jane@127.0.0.1", "is not an e-mail address"),
        (validation.url, "http://host/a b", "is not an http:// or https:// address"),
        (validation.url, "javascript:alert(1)", "is not an http:// or https:// address"),
        (validation.key, "abc/../x", "only letters, digits"),
    ],
)
def test_commands_ports_names_and_service_fields_refuse_what_config_cannot_hold(
    check: object, value: str, reason: str
) -> None:
    assert reason in refusal(check, value)


def test_a_refusal_shows_a_hostile_value_visibly_and_a_long_one_short() -> None:
    hidden = refusal(validation.site_domain, "a\x00b.example")
    long = refusal(validation.absolute_path, "/" + "a" * 900 + "/ b")

    assert "\x00" not in hidden and "a\\x00b.example" in hidden
    assert len(long) < 200 and "..." in long


@pytest.mark.parametrize("options, refusal", [
    ({"aliases": 5}, "Give the aliases as a list or as domains separated by commas"),
    ({"redirect_aliases": ["ok.example", "not a domain"]}, "is not a valid alias"),
    ({"keep_old_uri": "maybe"}, "'maybe' is neither on nor off"),
])
def test_migrate_options_for_aliases_are_refused_unless_valid(
    options: dict[str, object], refusal: str
) -> None:
    from provision.commands.options import check_options
    from provision.errors import ProvisionError

    with pytest.raises(ProvisionError, match=refusal):
        check_options(options)


def test_a_renamed_site_drops_its_new_domain_and_may_keep_its_old_one_as_a_redirect() -> None:
    from provision.sites.moves import renamed_aliases

    own = {"aliases": ["b.example", "new.example"], "redirect_aliases": ["c.example"]}
    given = {"aliases": ["d.example"], "redirect_aliases": [], "keep_old_uri": True}

    assert renamed_aliases(own, "old.example", "new.example", {}) == {
        "aliases": ["b.example"], "redirect_aliases": ["c.example"], "redirection": False}
    assert renamed_aliases(own, "old.example", "new.example", given) == {
        "aliases": ["d.example"], "redirect_aliases": ["old.example"], "redirection": False}
    assert renamed_aliases({**own, "redirection": True}, "old.example", "new.example", {}) == {
        "aliases": [], "redirect_aliases": ["b.example", "c.example"], "redirection": False}
