"""The panel's checks: provision's own rules (provision/validation.py) as sentences for forms.

No rule lives here: each function asks provision's rule and returns its message, or None when
the value passes, so a value the panel stores is one provision will accept.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import current_app

from provision import validation as rules
from provision.validation import InvalidValue

__all__ = ["InvalidValue", "normalised", "rules"]


def normalised(rule: Callable[[Any], Any], value: Any, default: Any = None) -> Any:
    """``value`` as ``rule`` normalises it, or ``default`` (the value itself when None) when
    the rule refuses it; the refusal is reported by the check that follows."""
    try:
        return rule(value)
    except InvalidValue:
        return value if default is None else default


def check_hostname(value: str) -> str | None:
    """None when ``value`` is a host name (FQDN or single label); else why not."""
    return rules.problem(rules.hostname, value)


def check_host(value: str, what: str = "host") -> str | None:
    """None when ``value`` is a host name or an IP address; else why not."""
    return rules.problem(rules.host, value, what)


def check_domain(value: str) -> str | None:
    """None when ``value`` may be a site's domain (fully qualified, short enough); else why not."""
    return rules.problem(rules.site_domain, value)


def check_language(value: str) -> str | None:
    """None when ``value`` is a language code like ``en`` or ``pt-br``; else why not."""
    return rules.problem(rules.language, value)


def check_ip_address(value: str) -> str | None:
    """None when ``value`` is an IPv4 or IPv6 address; else why not."""
    return rules.problem(rules.ip_address, value)


def check_absolute_path(value: str, what: str = "path") -> str | None:
    """None when ``value`` is an absolute, clean path that configuration can hold."""
    return rules.problem(rules.absolute_path, value, what)


def check_command(value: str, what: str = "command") -> str | None:
    """None when ``value`` is a one-line command whose quotes balance; else why not."""
    return rules.problem(rules.command, value, what)


def check_text(value: str, what: str, max_length: int = rules.TEXT_MAX) -> str | None:
    """None when ``value`` is one line of printable text of at most ``max_length``."""
    return rules.problem(rules.text, value, what, max_length=max_length)


def check_name(value: str, what: str = "name", max_length: int = 64) -> str | None:
    """None when ``value`` is a short machine name (a-z, 0-9, _ and -); else why not."""
    return rules.problem(rules.machine_name, value, what, max_length=max_length)


def platform_base_path() -> str:
    """The folder every platform lies in: ``PLATFORM_BASE_PATH`` (the environment variable
    ``HOSTMASTER_PLATFORM_BASE_PATH``), else ``<AEGIR_ROOT>/platforms``."""
    configured = str(current_app.config.get("PLATFORM_BASE_PATH") or "")
    return configured or str(Path(current_app.config["AEGIR_ROOT"]) / "platforms")


def check_platform_root(value: str) -> str | None:
    """None when ``value`` may be a platform's root: inside the platform base path, never a
    system folder or the aegir root (symbolic links followed); else why not."""
    root = Path(current_app.config["AEGIR_ROOT"]).absolute()
    return rules.problem(rules.platform_root, value, platform_base_path(), root)
