"""Version codes: one integer per package version, so that "is this newer?" is a comparison.

The layout is described in docs/protocol.md ("Version codes"): six fields of three digits,
``core major, package major, package minor, package patch, release type, release number``.
Both spellings Drupal has used map onto it the same way, so that ``8.x-1.5`` and ``1.5.0``
(which drupal.org declares equal) get the same code on the same core.
"""

from __future__ import annotations

import re

# Release types, oldest first; a plain release sorts after every pre-release of it.
RELEASE_TYPES = {"dev": 0, "unstable": 1, "alpha": 2, "beta": 3, "rc": 4}
RELEASE = 5

_FIELD_LIMIT = 1000

# "7.x-3.12", "8.x-1.0-beta2", "7.x-2.x-dev", "7.x-1.0+5-dev": Drupal's legacy contrib form.
_LEGACY = re.compile(
    r"^(?P<core>\d+)\.x-(?P<major>\d+)\.(?P<minor>\d+|x)(?P<extra>.*)$",
    re.IGNORECASE,
)
# "7.103", "10.2.3", "2.1.0", "1.0.0-rc1", "6.2-RC1", "1.0.x-dev", "v2.0": everything else.
_NUMERIC = re.compile(
    r"^v?(?P<major>\d+)(?:\.(?P<minor>\d+|x))?(?:\.(?P<patch>\d+|x))?(?:\.\d+)*(?P<extra>.*)$",
    re.IGNORECASE,
)
# What may follow the numbers: "-beta2", "-alpha.1", "RC1", "-dev", "+5-dev".
_EXTRA = re.compile(
    r"^(?:[-.]?(?P<type>dev|unstable|alpha|beta|rc)[-.]?(?P<number>\d*)"
    r"|\+(?P<commits>\d+)-dev)?$",
    re.IGNORECASE,
)


def version_code(core: str, version: str) -> int:
    """Pack ``version`` of a package on a platform whose core is ``core`` ("7", "10", "6.1")
    into an integer that grows with every newer release; an unreadable version gives 0.

    The core major comes from ``core`` (the platform's), falling back to the ``7.x-`` prefix
    of a legacy version when ``core`` is unknown: a D10 module called ``8.x-1.5`` is a D10
    package, whatever its prefix says.
    """
    text = version.strip()
    legacy = _LEGACY.match(text)
    if legacy:
        prefix_core = legacy["core"]
        numbers = [legacy["major"], legacy["minor"], "0"]
        extra = legacy["extra"]
    else:
        numeric = _NUMERIC.match(text)
        if not numeric:
            return 0
        prefix_core = ""
        numbers = [numeric["major"], numeric["minor"] or "0", numeric["patch"] or "0"]
        extra = numeric["extra"]
    release = _release(extra)
    if release is None:
        return 0
    core_major = _core_major(core) or _as_int(prefix_core)
    fields = [core_major, *(_as_int(n) for n in numbers), *release]
    if any(field >= _FIELD_LIMIT for field in fields):
        return 0
    code = 0
    for field in fields:
        code = code * _FIELD_LIMIT + field
    return code


def _release(extra: str) -> tuple[int, int] | None:
    """(release type, release number) from what follows the version numbers, None if unknown.

    A dev snapshot after a release ("+5-dev", five commits after it) is newer than the release
    and older than the next one, so it counts as the release with a number of its own.
    """
    match = _EXTRA.match(extra)
    if not match:
        return None
    if match["commits"]:
        return RELEASE, int(match["commits"])
    if match["type"]:
        return RELEASE_TYPES[match["type"].lower()], _as_int(match["number"])
    return RELEASE, 0


def _core_major(core: str) -> int:
    """The major version of a core string ("7", "10", "6.1" → 7, 10, 6); 0 when unknown."""
    head = core.strip().split(".", 1)[0]
    return int(head) if head.isdigit() else 0


def _as_int(text: str | None) -> int:
    """A version number field; ``x`` (a branch, any release) and empty count as 0."""
    return int(text) if text and text.isdigit() else 0
