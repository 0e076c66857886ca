"""The resolver guard of the suite (tests/fixtures/resolver_guard.py): names that would leave
the machine are refused, here and in the Python processes the tests start; names that stay on
the machine resolve as before. No test here sends a query: every refused name is refused
before the system's resolver sees it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator

import pytest

from tests.fixtures import resolver_guard

#: A name only DNS could answer (RFC 6761 reserves .invalid, but the resolver still asks).
OFF_THE_MACHINE = "bench3.example.invalid"


@pytest.fixture
def forget_refusals(no_name_leaves_the_machine: None) -> Iterator[None]:
    """The refusals this test provokes on purpose are not held against it (taken back before
    the suite's check, which this fixture therefore requests)."""
    before = len(resolver_guard.REFUSED)
    yield
    del resolver_guard.REFUSED[before:]


def test_a_name_off_the_machine_is_refused_before_any_query_and_recorded(
    forget_refusals: None,
) -> None:
    assert resolver_guard.installed(), "the suite's conftest did not install the guard"
    for resolve in (lambda: socket.getaddrinfo(OFF_THE_MACHINE, 22),
                    lambda: socket.gethostbyname(OFF_THE_MACHINE),
                    lambda: socket.create_connection((OFF_THE_MACHINE, 22), timeout=1)):
        with pytest.raises(socket.gaierror, match="resolver guard .* refused"):
            resolve()
    assert resolver_guard.REFUSED[-1].startswith(f"getaddrinfo('{OFF_THE_MACHINE}'")


def test_an_address_off_the_machine_is_refused_too(forget_refusals: None) -> None:
    assert resolver_guard.installed()
    with pytest.raises(socket.gaierror, match="resolver guard"):
        socket.getaddrinfo("192.0.2.10", 22)


def test_a_child_python_process_is_guarded_and_its_refusal_reaches_the_log() -> None:
    log = os.environ[resolver_guard.LOG_VARIABLE]
    before = os.path.getsize(log)
    script = (f"import socket\ntry:\n    socket.getaddrinfo('{OFF_THE_MACHINE}', 80)\n"
              "except socket.gaierror as error:\n    print(error)\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, check=True)
    assert "resolver guard" in done.stdout, done.stdout + done.stderr
    with open(log) as handle:
        handle.seek(before)
        written = handle.read()
    assert f"getaddrinfo('{OFF_THE_MACHINE}'" in written
    # Taken back out, so that this test itself is not failed for the refusal it provoked.
    with open(log, "r+") as handle:
        handle.truncate(before)


def test_loopback_names_test_hosts_and_the_machines_own_name_resolve() -> None:
    assert socket.getaddrinfo("localhost", 80, type=socket.SOCK_STREAM)
    assert socket.getaddrinfo("127.0.0.1", 80)
    assert socket.getaddrinfo("10.99.1.2", 22)
    assert socket.getfqdn()  # looks the machine's own name up, which /etc/hosts answers
    assert resolver_guard.allowed(None) and resolver_guard.allowed("::1")


def test_a_name_a_fixture_maps_is_answered_with_its_address() -> None:
    assert resolver_guard.installed()
    resolver_guard.map_name("web7.test", "10.99.7.2")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo("web7.test", 22)}
        assert addresses == {"10.99.7.2"}
        assert os.environ[resolver_guard.MAP_VARIABLE] == "web7.test=10.99.7.2"
    finally:
        resolver_guard.unmap_name("web7.test")
    assert not resolver_guard.allowed("web7.test")
    with pytest.raises(ValueError):
        resolver_guard.map_name("web7.test", "192.0.2.7")
