"""Find the modules, themes and profiles of a Drupal codebase and read their description files.

Drupal 7 marks a module by its ``<name>.module`` file beside ``<name>.info``, a theme by living
under a ``themes`` folder and a profile by ``profiles/<name>/<name>.info``; Drupal 8 and later
say it in the ``type`` key of ``<name>.info.yml``. Test modules (under ``tests`` folders) and
hidden packages are left out, as Drupal's own lists leave them out.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..base import read_text
from .info import is_true, parse_info, parse_info_yml

# Folders no package description lives in: test fixtures, front-end and PHP dependencies
# (dot-folders such as .git are skipped as well).
_SKIPPED_DIRS = {"tests", "node_modules", "vendor", "bower_components"}
_KINDS = {"module", "theme", "profile"}


@dataclass(frozen=True)
class FoundPackage:
    """A module, theme or profile read from its description file."""

    short_name: str
    kind: str
    info_file: Path
    info: dict[str, Any]
    profile: str | None


@dataclass(frozen=True)
class Layout:
    """Where one major version of Drupal keeps its packages, relative to the docroot."""

    info_suffix: str
    search_roots: tuple[str, ...]  # later roots override earlier ones, as in Drupal


DRUPAL7 = Layout(
    info_suffix=".info",
    search_roots=("modules", "themes", "profiles", "sites/all"),
)
DRUPAL8 = Layout(
    info_suffix=".info.yml",
    search_roots=(
        "core/modules",
        "core/themes",
        "core/profiles",
        "profiles",
        "modules",
        "themes",
        "sites/all/modules",
        "sites/all/themes",
    ),
)


def scan(docroot: Path, layout: Layout) -> list[FoundPackage]:
    """Every visible package under the docroot's search roots; a later root's copy of a package
    (``sites/all/modules/x`` over ``modules/x``) replaces an earlier one."""
    described = [
        (info_file, *_describe(docroot, info_file, layout))
        for root_name in layout.search_roots
        for info_file in _info_files(docroot / root_name, layout.info_suffix)
    ]
    # Hidden profiles own their folders too (testing's modules are testing's).
    suffix_length = len(layout.info_suffix)
    profile_dirs = {
        f.parent: f.name[:-suffix_length] for f, kind, *_ in described if kind == "profile"
    }
    found: dict[tuple[str, str, str | None], FoundPackage] = {}
    for info_file, kind, info, hidden in described:
        if kind not in _KINDS or hidden:
            continue
        short_name = info_file.name[:-suffix_length]
        profile = None if kind == "profile" else _owning_profile(info_file, profile_dirs)
        found[(kind, short_name, profile)] = FoundPackage(
            short_name, kind, info_file, info, profile
        )
    return sorted(found.values(), key=lambda p: (p.kind, p.short_name, p.profile or ""))


#: The schema Drupal 8+ gives a module that has no update of its own (Drupal's
#: CORE_MINIMUM_SCHEMA_VERSION).
D8_MINIMUM_SCHEMA = 8000


def schema_version(package: FoundPackage) -> int:
    """The schema a site reaches by running this code's updates: the highest N of the
    ``<name>_update_N()`` functions in the package's ``.install`` file, or of its
    ``<name>_update_last_removed()`` when updates were removed; at least 8000 for a Drupal 8+
    module (what Drupal records for one without updates), else 0 when it has none."""
    drupal8 = package.info_file.name.endswith(".info.yml")
    floor = D8_MINIMUM_SCHEMA if drupal8 and package.kind in ("module", "profile") else 0
    install = package.info_file.parent / f"{package.short_name}.install"
    if package.kind == "theme" or not install.is_file():
        return floor
    text = read_text(install)
    name = re.escape(package.short_name)
    updates = [int(n) for n in re.findall(rf"function\s+{name}_update_(\d+)\s*\(", text)]
    removed = re.search(
        rf"function\s+{name}_update_last_removed\s*\(\s*\)\s*(?::\s*\w+\s*)?\{{\s*return\s+(\d+)\s*;",
        text,
    )
    if removed:
        updates.append(int(removed[1]))
    return max([floor, *updates])


def _describe(docroot: Path, info_file: Path, layout: Layout) -> tuple[str, dict[str, Any], bool]:
    """The kind ("" when the file describes no package), the keys and the hidden flag of a
    description file."""
    short_name = info_file.name[: -len(layout.info_suffix)]
    text = read_text(info_file)
    if layout.info_suffix == ".info":
        info = parse_info(text)
        kind = _drupal7_kind(docroot, info_file, short_name)
    else:
        info = parse_info_yml(text)
        kind = str(info.get("type", ""))
    return kind, info, is_true(info.get("hidden"))


def _drupal7_kind(docroot: Path, info_file: Path, short_name: str) -> str:
    """module, theme or profile for a Drupal 7 ``.info`` file, "" when it is none of them."""
    folder = info_file.parent
    if (folder / f"{short_name}.module").is_file():
        return "module"
    relative = folder.relative_to(docroot).parts
    if len(relative) == 2 and relative[0] == "profiles" and relative[1] == short_name:
        return "profile"
    if "themes" in relative:
        return "theme"
    return ""


def _owning_profile(info_file: Path, profile_dirs: dict[Path, str]) -> str | None:
    """The profile whose folder holds ``info_file`` (``profiles/<p>/modules/...``), if any."""
    for folder in info_file.parents:
        if folder in profile_dirs:
            return profile_dirs[folder]
    return None


def _info_files(top: Path, suffix: str) -> Iterator[Path]:
    """Description files under ``top`` in a stable order, following symlinked folders once.

    Platforms often link shared module folders in, so links are followed; the set of real
    paths already seen stops a link that points back up the tree from looping forever.
    """
    if not top.is_dir():
        return
    seen: set[str] = set()
    stack = [str(top)]
    while stack:
        folder = stack.pop()
        real = os.path.realpath(folder)
        if real in seen:
            continue
        seen.add(real)
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError:
            continue  # an unreadable folder hides its packages; the rest still count
        for entry in entries:
            if entry.name.startswith("."):
                continue
            if entry.is_dir():
                if entry.name not in _SKIPPED_DIRS:
                    stack.append(entry.path)
            elif entry.name.endswith(suffix) and entry.is_file():
                yield Path(entry.path)
