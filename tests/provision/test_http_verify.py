"""Server verify of apache and nginx against private real instances.

Each test runs its own Apache (mod_php) or nginx from tests/fixtures/stack.py, points a server
context at it and checks what a hosting admin would: the include file, a configuration the
web server accepts, the catch-all page for unknown addresses after the reload, and that a
broken configuration is refused without disturbing the running server.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.stack import WebServerInstance
from tests.provision.helpers import provision, save_server, web_server_properties

CATCH_ALL = "No site is configured for this address."
UNKNOWN_HOST = "nobody-configured-this.example"


@pytest.fixture(
    params=[
        pytest.param("apache", marks=pytest.mark.apache),
        pytest.param("nginx", marks=pytest.mark.nginx),
    ]
)
def web_server(request: pytest.FixtureRequest) -> tuple[str, WebServerInstance]:
    """One private web server per run of a test: first Apache, then nginx."""
    service_type = request.param
    return service_type, request.getfixturevalue(f"{service_type}_instance")


def test_server_verify_installs_the_include_and_serves_the_catch_all_page(
    web_server: tuple[str, WebServerInstance], aegir_root: Path
) -> None:
    service_type, instance = web_server
    save_server(aegir_root, **web_server_properties(instance, service_type))
    before = instance.get("/", host=UNKNOWN_HOST)

    run = provision(aegir_root, "@server_master", "verify", backend=True)

    assert run.returncode == 0, run.stdout
    assert CATCH_ALL not in before[1]
    http = run.result["object"]["services"]["http"]
    include = instance.include_dir / "aegir-server_master.conf"
    config = aegir_root / "config" / "server_master" / f"{service_type}.conf"
    assert http == {
        "type": service_type,
        "config_file": str(config),
        "include_file": str(include),
        "reloaded": True,
        "panel": None,  # the panel is not published on this server
    }
    assert str(config) in include.read_text()
    instance.configtest()
    body = instance.wait_for_body(CATCH_ALL, host=UNKNOWN_HOST)
    assert body.strip() == CATCH_ALL
    assert instance.get("/any/path", host=UNKNOWN_HOST)[0] == 404
    assert any("configuration test passed" in line for line in run.messages("ok"))
    assert any(line.startswith(f"Reloaded {service_type}") for line in run.messages("success"))


def test_server_verify_creates_the_aegir_root_folders_with_their_modes(
    web_server: tuple[str, WebServerInstance], aegir_root: Path
) -> None:
    service_type, instance = web_server
    save_server(aegir_root, **web_server_properties(instance, service_type))

    run = provision(aegir_root, "@server_master", "verify")

    assert run.returncode == 0, run.stderr
    modes = {
        "contexts": 0o700,
        "config": 0o711,
        "config/includes": 0o711,
        "clients": 0o711,
        "backups": 0o700,
        "platforms": 0o755,
        "config/server_master": 0o711,
        **{f"config/server_master/{service_type}/{name}": 0o700
           for name in ("pre.d", "platform.d", "vhost.d", "post.d")},
    }
    for relative, mode in modes.items():
        assert (aegir_root / relative).stat().st_mode & 0o777 == mode, relative


def test_verify_twice_rewrites_nothing_and_still_succeeds(
    web_server: tuple[str, WebServerInstance], aegir_root: Path
) -> None:
    service_type, instance = web_server
    save_server(aegir_root, **web_server_properties(instance, service_type))
    provision(aegir_root, "@server_master", "verify")
    include = instance.include_dir / "aegir-server_master.conf"
    written = include.stat().st_mtime_ns

    again = provision(aegir_root, "@server_master", "verify")

    assert again.returncode == 0, again.stderr
    assert include.stat().st_mtime_ns == written
    assert not any("Wrote" in line for line in again.messages("info"))


def test_a_broken_configuration_fails_verify_and_removes_what_it_added(
    web_server: tuple[str, WebServerInstance], aegir_root: Path
) -> None:
    service_type, instance = web_server
    save_server(aegir_root, **web_server_properties(instance, service_type))
    pre_d = aegir_root / "config" / "server_master" / service_type / "pre.d"
    pre_d.mkdir(parents=True)
    (pre_d / "garbage.conf").write_text("this is not a configuration directive\n")

    run = provision(aegir_root, "@server_master", "verify", backend=True)

    assert run.returncode == 1
    assert run.result["error_status"] == 1
    assert f"The {service_type} configuration test failed:" in run.errors
    assert "put back as they were" in run.errors
    assert not (instance.include_dir / "aegir-server_master.conf").exists()
    assert not (aegir_root / "config" / "server_master" / f"{service_type}.conf").exists()
    # The running server never saw the broken files: it still answers as before.
    (pre_d / "garbage.conf").unlink()
    instance.configtest()
    assert CATCH_ALL not in instance.get("/", host=UNKNOWN_HOST)[1]


def test_a_wrong_include_folder_fails_with_a_sentence(
    web_server: tuple[str, WebServerInstance], aegir_root: Path
) -> None:
    service_type, instance = web_server
    properties = web_server_properties(instance, service_type)
    save_server(aegir_root, **{**properties, "http_include_dir": str(aegir_root / "missing")})

    run = provision(aegir_root, "@server_master", "verify")

    assert run.returncode == 1
    assert f"The {service_type} include folder {aegir_root / 'missing'} does not exist" in (
        run.errors
    )
