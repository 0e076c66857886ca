"""Backend mode: one JSON object in, JSON lines out, exactly one result line, last."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tests.provision.helpers import PROVISION, provision

SECRET = "pw-\"quoted\"-5ecret"

SERVER: dict[str, Any] = {
    "name": "@server_master",
    "properties": {
        "context_type": "server",
        "remote_host": "localhost",
        "ip_addresses": ["127.0.0.1"],
        "db_service_type": "mysql",
        "db_user": "admin",
        "db_passwd": SECRET,
    },
}


def test_contexts_on_stdin_are_saved_before_the_command_runs(tmp_path: Path) -> None:
    platform = {
        "name": "@platform_x",
        "properties": {
            "context_type": "platform",
            "root": "/srv/x",
            "web_server": "@server_master",
        },
    }
    # Platforms lie in their server's platform base path (default: <aegir root>/platforms).
    server = {"name": "@server_master",
              "properties": {**SERVER["properties"], "platform_base_path": "/srv"}}
    run = provision(
        tmp_path, "@platform_x", "noop", backend=True, payload={"contexts": [server, platform]}
    )

    assert run.returncode == 0, run.stdout
    assert run.result == {
        "type": "result",
        "error_status": 0,
        "context": {
            "context_type": "platform",
            "root": "/srv/x",
            "web_server": "@server_master",
        },
        "object": {},
    }
    assert (tmp_path / "contexts" / "server_master.json").exists()


def test_every_output_line_is_json_and_the_result_comes_last(tmp_path: Path) -> None:
    run = provision(
        tmp_path, "@server_master", "noop", backend=True, payload={"contexts": [SERVER]}
    )

    lines = [json.loads(line) for line in run.stdout.splitlines()]
    assert [line["type"] for line in lines[:-1]] == ["log"] * (len(lines) - 1)
    assert lines[-1]["type"] == "result"
    for line in lines[:-1]:
        assert set(line) == {"type", "level", "message", "time"}
        assert line["level"] in ("debug", "info", "notice", "ok", "success", "warning", "error")
        assert isinstance(line["time"], float)
    assert run.stderr == ""


def test_secrets_sent_on_stdin_never_appear_in_the_output(tmp_path: Path) -> None:
    run = provision(
        tmp_path,
        "@server_master",
        "verify",
        backend=True,
        # The database server is unreachable: the error still must not carry the password.
        payload={"contexts": [{**SERVER, "properties": {**SERVER["properties"], "db_port": 1}}]},
    )

    assert run.returncode == 1
    assert "5ecret" not in run.stdout
    assert "db_passwd" not in run.result["context"]
    assert "provision cannot connect to the database server at localhost:1" in run.errors


def test_options_on_stdin_override_the_command_line(tmp_path: Path) -> None:
    run = provision(
        tmp_path,
        "save",
        "@server_x",
        "--context_type=server",
        "--remote_host=from-the-command-line",
        backend=True,
        payload={"options": {"remote_host": "from-stdin"}},
    )

    assert run.returncode == 0
    assert run.result["context"]["remote_host"] == "from-stdin"


def test_empty_stdin_means_an_empty_request(tmp_path: Path) -> None:
    run = provision(tmp_path, "@anything", "noop", backend=True, payload="")

    assert run.returncode == 0
    assert run.result["error_status"] == 0


def test_unreadable_stdin_fails_with_a_sentence(tmp_path: Path) -> None:
    run = provision(tmp_path, "@anything", "noop", backend=True, payload="{not json")

    assert run.returncode == 1
    assert run.result["error_status"] == 1
    assert "The JSON on standard input cannot be read" in run.errors


def test_a_refused_context_on_stdin_fails_the_task_before_the_command(tmp_path: Path) -> None:
    bad = {"name": "@server_master", "properties": {"context_type": "server", "colour": "red"}}
    run = provision(tmp_path, "@server_master", "noop", backend=True, payload={"contexts": [bad]})

    assert run.returncode == 1
    assert "The property 'colour' is not known" in run.errors


def test_a_hand_edited_context_value_is_refused_on_load_with_a_sentence(tmp_path: Path) -> None:
    provision(tmp_path, "@server_master", "noop", backend=True, payload={"contexts": [SERVER]})
    # A hand-edited context file with a value provision never writes.
    path = tmp_path / "contexts" / "server_master.json"
    document = json.loads(path.read_text())
    document["properties"]["db_port"] = "not a port"
    path.write_text(json.dumps(document))

    run = provision(tmp_path, "@server_master", "verify", backend=True)

    assert run.returncode == 1
    assert run.result["error_status"] == 1
    assert run.messages("error") == [
        "The context file of @server_master holds a value provision refuses (The property "
        "db_port must be a port number between 1 and 65535, not 'not a port'.) Save "
        "@server_master again with a valid value."
    ]
    assert SECRET not in run.stdout


def test_a_closed_stdout_makes_provision_stop_quietly(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [*PROVISION, "--root", str(tmp_path), "--backend", "@x", "noop"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert process.stdout is not None and process.stdin is not None
    process.stdout.close()  # the dispatcher died before reading anything
    _, stderr = process.communicate(b"{}", timeout=30)

    assert process.returncode == 1
    assert b"Traceback" not in stderr and b"Exception ignored" not in stderr


def test_without_backend_logs_go_to_stderr_and_the_result_to_stdout(tmp_path: Path) -> None:
    run = provision(tmp_path, "save", "@server_x", "--context_type=server")

    assert run.stderr.startswith("[info] Saved the server context @server_x")
    assert json.loads(run.stdout)["error_status"] == 0


def test_noop_waits_the_seconds_it_is_given_and_refuses_nonsense(tmp_path: Path) -> None:
    waited = provision(tmp_path, "@x", "noop", backend=True, payload={"options": {"seconds": 0.3}})
    refused = provision(tmp_path, "@x", "noop", "--seconds=soon")

    assert waited.returncode == 0
    assert waited.messages("info") == ["No-op started on @x.", "Waited 0.3 seconds."]
    assert refused.returncode == 1
    assert "--seconds must be a number of seconds" in refused.errors
