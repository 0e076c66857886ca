"""Every bench runs under the suite's resolver guard (tests/fixtures/resolver_guard.py).

A bench, like a test, may resolve only loopback names and the test hosts' addresses; this
holds for the bench's own process and for every Python process it starts (the dispatcher
daemon, provision). ``run_guarded(main)`` runs ``main`` with the guard on and, if anything was
refused, names it and exits with status 1, whatever ``main`` measured.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.fixtures import resolver_guard  # noqa: E402


def run_guarded(main: Callable[[], int | None]) -> int:
    """Run ``main`` with the resolver guard on; its status, or 1 when a name was refused."""
    guard = resolver_guard.start()
    try:
        status = main() or 0
    finally:
        refused = guard.refusals_since()
        guard.stop()
    if refused:
        print("The resolver guard refused names that would leave the machine:", file=sys.stderr)
        for line in refused:
            print(f"  {line}", file=sys.stderr)
        return 1
    print("resolver guard: no name left the machine")
    return status
