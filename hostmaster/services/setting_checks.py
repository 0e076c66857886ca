"""Checking, reading and showing setting values: the rules of single settings (a mail that
needs its $link, the panel's public address that is never a loopback one ...), whether a
value suits its setting, text typed on a command line as a value, and a value as it is shown.
The settings themselves are declared in hostmaster/services/setting_registry.py."""

from __future__ import annotations

import ipaddress
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from .errors import ValidationError
from .validation import check_hostname, check_ip_address

if TYPE_CHECKING:
    from .setting_registry import SettingSpec

TRUE_WORDS = {"1", "on", "yes", "true"}
FALSE_WORDS = {"0", "off", "no", "false"}


def needs_link(value: Any) -> str | None:
    text = str(value)
    if "$link" not in text and "${link}" not in text:
        return "The mail must contain $link: without it nobody can set a password."
    return None


def short_name_prefix(value: Any) -> str | None:
    text = str(value)
    if any(not (c.isascii() and (c.islower() or c.isdigit())) for c in text):
        return "A prefix has only lower-case letters and digits."
    return None


def absolute_file(value: Any) -> str | None:
    """A file named by its absolute path, as provision takes paths (provision.validation)."""
    from provision.validation import InvalidValue, absolute_path

    try:
        absolute_path(value, "file")
    except InvalidValue as refusal:
        return str(refusal)
    return None


def public_address(value: Any) -> str | None:
    """A public http(s) address of the panel: never a loopback one, which on a visitor's
    machine would be the visitor's own."""
    parts = urlsplit(str(value))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return "Enter the panel's address with http:// or https://, e.g. https://panel.example.com."
    if parts.query or parts.fragment or parts.username or parts.password:
        return "Give only the address (and a path, if any): no query, fragment or user name."
    host = parts.hostname
    try:
        port = parts.port
    except ValueError:
        return "The port of the address is not a number from 1 to 65535."
    if port == 0:
        return "The port of the address is not a number from 1 to 65535."
    try:
        address = ipaddress.ip_address(host)
        loopback = address.is_loopback or address.is_unspecified
    except ValueError:
        loopback = host == "localhost" or host.endswith(".localhost")
        problem = check_hostname(host)
        if problem:
            return problem
    if loopback:
        return (f"{host} is a loopback address: a visitor's browser would look for the panel on "
                "the visitor's own machine. Give the name or address people reach the panel at.")
    return _published_elsewhere(parts.scheme, host, parts.port, parts.path)


def _published_elsewhere(scheme: str, host: str, port: int | None, path: str) -> str | None:
    """While the panel is published (hostmaster publish), its address keeps its name and stays
    https://<name>: the master's web server answers that name with the panel's certificate."""
    from . import panel_publishing

    if not panel_publishing.published():
        return None
    if (scheme, host, port, path.rstrip("/")) != ("https", panel_publishing.hostname(), None, ""):
        return (f"The panel is published at https://{panel_publishing.hostname()}/ (hostmaster "
                "publish): run `hostmaster publish --off`, change the address, then publish "
                "again.")
    return None


def host_or_address(value: Any) -> str | None:
    text = str(value)
    if check_ip_address(text) is None:
        return None
    return check_hostname(text)


def problem(setting: SettingSpec, value: Any) -> str | None:
    """None when ``value`` is a valid value of ``setting``; else a sentence saying why not."""
    if setting.kind == "bool":
        return None if isinstance(value, bool) else "Choose on or off."
    if setting.kind == "int":
        return _int_problem(setting, value)
    if setting.kind in ("ids", "names"):
        wanted = int if setting.kind == "ids" else str
        if not isinstance(value, list) or not all(
                isinstance(v, wanted) and not isinstance(v, bool) for v in value):
            return "Give a list of " + ("numbers." if setting.kind == "ids" else "names.")
        return None
    if not isinstance(value, str):
        return "Give a text."
    if setting.kind == "choice" and value not in {key for key, _ in setting.choices}:
        return "Choose one of: " + ", ".join(key for key, _ in setting.choices) + "."
    if not value.strip():
        return None if setting.optional else f"Enter the {setting.title.lower()}."
    if len(value) > setting.max_length:
        return f"At most {setting.max_length} characters."
    if setting.kind == "email":
        from .users import check_email

        found = check_email(value)
        if found:
            return found
    return setting.rule(value) if setting.rule is not None else None


def _int_problem(setting: SettingSpec, value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, int):
        return "Enter a whole number."
    low, high = setting.minimum, setting.maximum
    if (low is not None and value < low) or (high is not None and value > high):
        return f"Enter a whole number from {low} to {high}."
    return None


def parse(setting: SettingSpec, text: str) -> Any:
    """The value that ``text`` (as typed on a command line) stands for; ValidationError when
    it stands for none."""
    text = text.strip() if setting.kind not in ("multiline",) else text
    if setting.kind == "bool":
        if text.lower() in TRUE_WORDS | FALSE_WORDS:
            return text.lower() in TRUE_WORDS
        raise ValidationError.field(setting.name, f"{setting.name} is on or off, not {text!r}.")
    if setting.kind in ("int", "ids"):
        parts = [text] if setting.kind == "int" else [p for p in text.split(",") if p.strip()]
        try:
            numbers = [int(p) for p in parts]
        except ValueError:
            raise ValidationError.field(
                setting.name, f"{setting.name} takes whole numbers, not {text!r}.") from None
        return numbers[0] if setting.kind == "int" else numbers
    if setting.kind == "names":
        return [p.strip() for p in text.split(",") if p.strip()]
    return text


def shown(setting: SettingSpec, value: Any) -> str:
    """``value`` as the Settings page and the CLI show it (a secret only as set or not)."""
    if setting.secret:
        return "(set)" if value else "(not set)"
    if value is None or value == "":
        return setting.default_text or "(empty)"
    if setting.kind == "bool":
        return "on" if value else "off"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value) or "(none)"
    return str(value)
