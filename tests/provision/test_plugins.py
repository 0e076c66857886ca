"""Plugins change what provision does through the hooks of provision.hookspecs.

These tests run provision in this process (``provision.cli.execute``) so that a plugin object
can be registered on the plugin manager for the length of one test.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from provision.cli import execute
from provision.contexts import Property
from provision.hookspecs import hookimpl
from provision.log import Logger
from provision.plugins import plugin_manager
from tests.fixtures.stack import ApacheInstance
from tests.provision.helpers import save_server, web_server_properties


def run_here(root: Path, *words: str) -> tuple[int, list[dict[str, Any]]]:
    """Run provision in this process; returns the exit status and the JSON lines it wrote."""
    out = io.StringIO()
    status = execute(list(words), root=root, backend=False, logger=Logger(backend=True, out=out))
    return status, [json.loads(line) for line in out.getvalue().splitlines()]


def errors(lines: list[dict[str, Any]]) -> str:
    return "\n".join(line["message"] for line in lines if line.get("level") == "error")


@pytest.fixture
def register() -> Iterator[Any]:
    """Register plugin objects for one test; they are unregistered afterwards."""
    registered: list[object] = []

    def add(plugin: object) -> object:
        plugin_manager().register(plugin)
        registered.append(plugin)
        return plugin

    yield add
    for plugin in registered:
        plugin_manager().unregister(plugin)


class Recorder:
    """A plugin that writes down the command hooks it sees."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str | None]] = []

    @hookimpl
    def provision_pre_command(self, command: str, context: Any) -> None:
        self.calls.append(("pre", command, context.name if context else None))

    @hookimpl
    def provision_post_command(self, command: str, context: Any, result: dict) -> None:
        result["recorded"] = True
        self.calls.append(("post", command, context.name if context else None))

    @hookimpl
    def provision_rollback_command(self, command: str, error: BaseException) -> None:
        self.calls.append(("rollback", command, type(error).__name__))


def test_command_hooks_run_before_and_after_and_can_add_to_the_result(
    tmp_path: Path, register: Any
) -> None:
    recorder = register(Recorder())
    save_server(tmp_path)

    status, lines = run_here(tmp_path, "@server_master", "noop")

    assert status == 0
    assert lines[-1]["object"] == {"recorded": True}
    assert recorder.calls == [("pre", "noop", "@server_master"), ("post", "noop", "@server_master")]


def test_a_failed_command_runs_the_rollback_hooks(tmp_path: Path, register: Any) -> None:
    save_server(tmp_path)
    run_here(tmp_path, "save", "@platform_x", "--context_type=platform",
             f"--root={tmp_path}/platforms/x")
    run_here(tmp_path, "save", "@example.com", "--context_type=site", "--platform=@platform_x")
    recorder = register(Recorder())

    status, lines = run_here(tmp_path, "@example.com", "verify")

    assert status == 1
    assert "holds no database credentials" in errors(lines)
    assert recorder.calls == [
        ("pre", "verify", "@example.com"),
        ("rollback", "verify", "ContextError"),
    ]


def test_a_plugin_can_add_context_properties(tmp_path: Path, register: Any) -> None:
    class Billing:
        @hookimpl
        def provision_context_properties(self, context_type: str) -> list[Property]:
            return [Property("billing_code", "the client's billing code")] if (
                context_type == "server"
            ) else []

    refused, _ = run_here(tmp_path, "save", "@server_x", "--context_type=server",
                          "--billing_code=B-7")
    register(Billing())
    accepted, lines = run_here(tmp_path, "save", "@server_x", "--context_type=server",
                               "--billing_code=B-7")

    assert refused == 1
    assert accepted == 0
    assert lines[-1]["context"]["billing_code"] == "B-7"


@pytest.mark.apache
def test_a_plugin_adds_lines_to_the_server_configuration(
    apache_instance: ApacheInstance, aegir_root: Path, register: Any
) -> None:
    class Header:
        @hookimpl
        def provision_http_extra_config(self, service: Any, config: str) -> list[str]:
            return ["# added by the header plugin", "ServerSignature Off"] if (
                config == "server"
            ) else []

    register(Header())
    save_server(aegir_root, **web_server_properties(apache_instance, "apache"))

    status, lines = run_here(aegir_root, "@server_master", "verify")

    assert status == 0, errors(lines)
    config = (aegir_root / "config" / "server_master" / "apache.conf").read_text()
    assert "# added by the header plugin\nServerSignature Off\n" in config


@pytest.mark.apache
def test_a_broken_change_puts_the_previous_configuration_back(
    apache_instance: ApacheInstance, aegir_root: Path, register: Any
) -> None:
    class Broken:
        @hookimpl
        def provision_http_extra_config(self, config: str) -> list[str]:
            return ["NoSuchDirective on"] if config == "server" else []

    save_server(aegir_root, **web_server_properties(apache_instance, "apache"))
    # The broken change follows the first verify's reload at once: Apache must not read it
    # while re-reading its configuration (provision.locks makes the second verify wait).
    first, _ = run_here(aegir_root, "@server_master", "verify")
    config = aegir_root / "config" / "server_master" / "apache.conf"
    include = apache_instance.include_dir / "aegir-server_master.conf"
    before = (config.read_text(), include.read_text())
    register(Broken())

    status, lines = run_here(aegir_root, "@server_master", "verify")

    assert first == 0
    assert status == 1
    assert "NoSuchDirective" in errors(lines)
    assert f"were put back as they were ({config})" in errors(lines)
    assert (config.read_text(), include.read_text()) == before
    apache_instance.configtest()
    body = apache_instance.wait_for_body("No site is configured", host="unknown.example")
    assert "No site is configured for this address." in body


class Breaker:
    """A plugin with a bug: its pre-command hook fails in a way provision cannot foresee."""

    @hookimpl
    def provision_pre_command(self, command: str) -> None:
        raise KeyError("a plugin's own bug")


def test_an_unexpected_failure_is_one_error_line_with_the_traceback_at_debug(
    tmp_path: Path, register: Any
) -> None:
    save_server(tmp_path)
    register(Breaker())

    status, lines = run_here(tmp_path, "@server_master", "noop")

    assert status == 1
    assert lines[-1]["type"] == "result" and lines[-1]["error_status"] == 1
    error_lines = [line for line in lines if line.get("level") == "error"]
    assert len(error_lines) == 1
    assert errors(lines).startswith("provision stopped on an unexpected KeyError")
    assert "Traceback" not in errors(lines)
    assert any("Traceback" in line["message"] for line in lines if line.get("level") == "debug")
