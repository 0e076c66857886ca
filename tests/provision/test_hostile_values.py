"""The hostile corpus through provision alone: ``provision save`` of every property of every
context type (command-line words and the dispatcher's JSON), context names, hand-edited
context files, and the options of the commands that take them.

Each value is refused with a sentence (and the context file is unchanged), or stored
normalised and harmless: the context loads again under provision's rules and the vhost it
would get has exactly the template's lines. No run may crash, and nothing may be written
outside the aegir root (a snapshot of its parent folder is compared)."""

from __future__ import annotations

import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from provision.cli import execute
from provision.contexts import Contexts
from provision.contexts.schema import definitions
from provision.log import Logger
from provision.render import render
from tests.fixtures.hostile import (
    CORE,
    HOSTILE,
    Tally,
    config_skeleton,
    control_character,
    tree_snapshot,
)

#: The contexts every value is tried on, with the properties they start from.
BASE: dict[str, dict[str, Any]] = {
    "@server_master": {"context_type": "server", "remote_host": "localhost",
                       "http_service_type": "apache", "db_service_type": "mysql",
                       "db_user": "admin", "master_url": "http://hostmaster.example.com"},
    "@server_nginx": {"context_type": "server", "http_service_type": "nginx"},
    "@platform_x": {"context_type": "platform", "web_server": "@server_master"},
    "@site.example": {"context_type": "site", "platform": "@platform_x",
                      "aliases": ["alias.example"]},
}
#: Options of the commands that take them, with a command each (run on @site.example).
COMMAND_OPTIONS = [
    ("clone", "new_uri"), ("migrate", "new_uri"), ("migrate", "target_platform"),
    ("migrate", "target_db_server"), ("restore", "backup_file"),
    ("backup-delete", "backup_files"), ("cron", "cron_key"), ("verify", "dry_run"),
]
#: Properties every value of the corpus is tried on: those the issue found taking anything.
WHOLE_CORPUS = {
    "uri", "aliases", "root", "remote_host", "platform_base_path", "http_include_dir",
    "db_socket", "db_host", "db_user", "http_configtest_cmd", "http_restart_cmd",
}
#: JSON values that are no string, for the dispatcher's channel.
JSON_VALUES: list[Any] = [
    None, True, False, 0, -1, 2**70, 1.5, [], ["a\nb"], ["../../x", "/etc"], {"a": "b"},
    [["nested"]], [None], "", [1, 2],
]


def run(root: Path, *words: str, payload: dict[str, Any] | None = None) -> tuple[int, str]:
    """Run provision in this process; its exit status and error messages."""
    out = io.StringIO()
    stdin = sys.stdin
    if payload is not None:
        sys.stdin = io.StringIO(json.dumps(payload))
    try:
        status = execute(list(words), root=root, backend=payload is not None,
                         logger=Logger(backend=True, out=out))
    finally:
        sys.stdin = stdin
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    errors = "\n".join(line["message"] for line in lines if line.get("level") == "error")
    return status, errors


class Corpus:
    """An aegir root with the BASE contexts, and the checks every hostile run goes through."""

    def __init__(self, parent: Path, tally: Tally) -> None:
        self.parent = parent
        self.root = parent / "aegir"
        self.tally = tally
        platforms = self.root / "platforms"
        (parent / "outside").mkdir(parents=True)
        (platforms / "x").mkdir(parents=True)
        # Symbolic links out of the root, for paths that look as if they were inside it.
        (platforms / "escape").symlink_to(parent / "outside")
        (platforms / "to-etc").symlink_to("/etc")
        self.base = {**BASE, "@platform_x": {**BASE["@platform_x"],
                                             "root": str(platforms / "x")}}
        contexts = Contexts(self.root)
        for name, properties in self.base.items():
            contexts.save(name, properties)
        self.base_files = {name: contexts.store.path_for(name).read_bytes() for name in self.base}
        #: The corpus, and paths inside the root that lead out of it or into its own folders.
        self.values = [*HOSTILE, str(platforms / "escape"), str(platforms / "escape" / "x"),
                       str(platforms / "to-etc"), str(platforms / "to-etc" / "apache2"),
                       str(self.root), str(self.root / "contexts"), str(platforms),
                       str(parent / "outside" / "x"), str(platforms / "y") + "/",
                       *(str(platforms / payload) for payload in CORE)]
        self.before = tree_snapshot(parent, skip=self.root)

    def reset(self, name: str) -> None:
        """Put back context ``name`` exactly as the base has it (its file as first saved)."""
        Contexts(self.root).store.path_for(name).write_bytes(self.base_files[name])

    def file_of(self, name: str) -> str:
        """The contexts folder as it is now (a refusal must leave it as it was): each file's
        name, inode, size and time (an atomic write makes a new inode)."""
        with os.scandir(self.root / "contexts") as entries:
            return repr(sorted((entry.name, entry.inode(), entry.stat().st_size,
                                entry.stat().st_mtime_ns) for entry in entries))

    def check(self, where: str, value: object, status: int, errors: str, name: str,
              before: str) -> None:
        """Count one run: refused with a sentence and nothing changed, or stored harmless."""
        if "unexpected" in errors or "this is a bug" in errors:
            self.tally.harm(where, value, f"provision crashed: {errors[:200]}")
        elif status != 0:
            if not errors.strip():
                self.tally.harm(where, value, "refused without saying why")
            elif self.file_of(name) != before:
                self.tally.harm(where, value, "refused, but a context file changed")
            else:
                self.tally.refused_one()
        else:
            problem = self.harmless(name)
            if problem:
                self.tally.harm(where, value, problem)
            else:
                self.tally.stored_one()
            if name in self.base:
                self.reset(name)
            else:
                Contexts(self.root).delete(name)

    def harmless(self, name: str) -> str | None:
        """Why the stored context ``name`` is harmful, or None: it loads again under
        provision's rules, holds no control character, and its vhost (a site's) has
        exactly the template's lines."""
        try:
            context = Contexts(self.root).load(name)
        except Exception as error:  # any refusal on reading back is harm
            return f"stored, then refused when read back: {error}"
        if any(control_character(text) for text in _strings(context.stored.properties)):
            return "a control character was stored"
        if context.context_type == "site":
            https = str(context.raw("https"))
            values = vhost_values(context.raw("uri") or name[1:], context.raw("aliases") or [],
                                  https)
            for server_type in ("apache", "nginx"):
                got = config_skeleton(render(f"{server_type}/vhost.conf.j2", **values))
                wanted = config_skeleton(render(f"{server_type}/vhost.conf.j2", **vhost_values(
                    "site.example", ["alias.example"] * len(values["aliases"]), https)))
                if got != wanted:
                    return f"the {server_type} vhost has lines the template does not have"
        return None

    def written_outside(self) -> list[str]:
        """Paths under the parent folder, outside the aegir root, that changed."""
        after = tree_snapshot(self.parent, skip=self.root)
        return sorted(set(after.items()) ^ set(self.before.items()))


def _strings(value: Any) -> list[str]:
    """Every string in a stored value (lists and mappings opened)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in value.values() for text in _strings(item)]
    if isinstance(value, list):
        return [text for item in value for text in _strings(item)]
    return []


def vhost_values(uri: str, aliases: list[str], https: str = "off") -> dict[str, Any]:
    """What a site's vhost is rendered with."""
    tls = None if https == "off" else {"certificate": f"/var/aegir/config/x/tls/{uri}/c.pem",
                                       "key": f"/var/aegir/config/x/tls/{uri}/k.pem"}
    return {"uri": uri, "aliases": aliases, "redirects": [], "enabled": True, "port": 80,
            "docroot": "/var/aegir/platforms/x", "sites_dir": "/var/aegir/platforms/x/sites",
            "denied_files": [], "variables": {"db_name": "x"}, "disabled_url": "",
            "php_fpm_socket": "/run/php/php8.2-fpm.sock", "extra": [], "https": https,
            "https_port": 443, "https_authority": "", "hsts": True, "tls": tls,
            "tls_ciphers": "ECDHE-RSA-AES128-GCM-SHA256",
            "challenge_folder": "/var/aegir/config/x/acme-challenge",
            "site_url": f"http://{uri}"}


@pytest.fixture
def corpus(tmp_path: Path, hostile_tally: Tally) -> Corpus:
    """The hostile corpus's aegir root, in a parent folder watched for writes."""
    return Corpus(tmp_path / "parent", hostile_tally)


def every_property() -> list[tuple[str, str]]:
    """(context, property) for every property of every context type, with every service (and
    every plugin's), each property once."""
    found: dict[str, str] = {}
    for name, base in BASE.items():
        for prop in definitions(base["context_type"], base):
            found.setdefault(prop, name)
    return sorted((name, prop) for prop, name in found.items())


def values_for(corpus: Corpus, prop: str, index: int, count: int) -> list[str]:
    """The whole corpus for the properties issue 15 found open; for every other property the
    core attacks and its share of the corpus (every value reaches some property of each)."""
    if prop in WHOLE_CORPUS:
        return corpus.values
    return [*CORE, *corpus.values[-9:], *corpus.values[index::count]]


def test_every_property_refuses_hostile_words_or_stores_them_harmless(
    corpus: Corpus,
) -> None:
    properties = every_property()
    for index, (name, prop) in enumerate(properties):
        for value in values_for(corpus, prop, index, len(properties)):
            before = corpus.file_of(name)
            status, errors = run(corpus.root, "save", name, f"--{prop}={value}")
            corpus.check(f"provision save {name} --{prop}", value, status, errors, name, before)

    assert corpus.written_outside() == []
    assert corpus.tally.harmful == []


def test_every_property_refuses_hostile_json_from_the_dispatcher_or_stores_it_harmless(
    corpus: Corpus,
) -> None:
    for name, prop in every_property():
        for value in [*CORE, *JSON_VALUES]:
            before = corpus.file_of(name)
            payload = {"contexts": [{"name": name, "properties": {prop: value}}]}
            status, errors = run(corpus.root, name, "noop", payload=payload)
            corpus.check(f"backend context {name} {prop}", value, status, errors, name, before)

    assert corpus.written_outside() == []
    assert corpus.tally.harmful == []


def test_hostile_context_names_and_types_are_refused_or_harmless(corpus: Corpus) -> None:
    for value in HOSTILE:
        name = value if value.startswith("@") else f"@{value}"
        before = corpus.file_of(name)
        status, errors = run(corpus.root, "save", name, "--context_type=site",
                             "--platform=@platform_x")
        corpus.check("provision save @NAME", value, status, errors, name, before)
        before = corpus.file_of("@site.example")
        status, errors = run(corpus.root, "save", "@site.example", f"--context_type={value}")
        corpus.check("--context_type", value, status, errors, "@site.example", before)

    assert corpus.written_outside() == []
    assert corpus.tally.harmful == []


def test_a_hand_edited_context_with_a_hostile_value_is_refused_before_any_command(
    corpus: Corpus,
) -> None:
    path = Contexts(corpus.root).store.path_for("@site.example")
    original = path.read_text()
    for prop in ("uri", "aliases", "db_name", "profile", "client_email"):
        for value in CORE:
            document = json.loads(original)
            document["properties"][prop] = [value] if prop == "aliases" else value
            path.write_text(json.dumps(document))
            before = corpus.file_of("@site.example")
            status, errors = run(corpus.root, "@site.example", "verify")
            # A value provision refuses stops at load; a valid one (normalised when read)
            # reaches verify, which refuses the never-installed site.
            if status == 0:
                corpus.tally.harm(f"hand-edited {prop}", value, "verified")
            else:
                corpus.check(f"hand-edited {prop}", value, status, errors, "@site.example",
                             before)
    path.write_text(original)

    assert corpus.written_outside() == []
    assert corpus.tally.harmful == []


def test_hostile_command_options_and_arguments_are_refused_before_the_command_works(
    corpus: Corpus,
) -> None:
    for command, option in COMMAND_OPTIONS:
        for value in corpus.values:
            before = corpus.file_of("@site.example")
            status, errors = run(corpus.root, "@site.example", command, f"--{option}={value}")
            # A valid value reaches the command, which refuses the never-installed site.
            where = f"provision @site.example {command} --{option}"
            if status == 0:
                corpus.tally.harm(where, value, "a command on an uninstalled site succeeded")
            else:
                corpus.check(where, value, status, errors, "@site.example", before)
    for value in CORE:
        status, errors = run(corpus.root, "@site.example", "restore", value)
        corpus.check("provision restore ARG", value, status, errors, "@site.example",
                     corpus.file_of("@site.example"))

    assert corpus.written_outside() == []
    assert corpus.tally.harmful == []


def test_the_corpus_holds_every_kind_of_attack() -> None:
    assert len(HOSTILE) >= 200
    kinds = {
        "traversal": "../../../../outside/x.conf", "newline": "a\nb", "NUL": "a\x00b",
        "quote": '"', "shell": "$(id)", "10 kB": "x" * 10_240, "IDN": "bücher.example",
        "trailing dot": "b2.example.", "IP literal": "127.0.0.1", "huge id":
        "99999999999999999999",
    }
    assert {kind for kind, value in kinds.items() if value in HOSTILE} == set(kinds)
