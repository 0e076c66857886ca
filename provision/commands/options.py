"""The rules of command options (``--new_uri``, ``--backup_file`` ...), checked before a
command runs: options come from a command line or the dispatcher's JSON, and provision never
trusts its caller (provision.validation)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .. import validation
from ..errors import ProvisionError
from ..validation import InvalidValue

#: Option names whose values are masked in logs and messages, whatever the command.
SECRET_OPTION_WORDS = ("passw", "secret")


def _names(value: Any) -> Any:
    """A context name given with or without its ``@``."""
    return validation.context_name("@" + validation.text(value, "context name").lstrip("@"))


def _files(value: Any) -> list[str]:
    """A list of file names, or one comma-separated string of them."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InvalidValue("Give the backup files as a list or as names separated by commas.")
    files = [validation.text(item, "backup file").strip() for item in items]
    if not all(files):
        raise InvalidValue("Name each backup file; an empty name is no backup.")
    return files


def _aliases(value: Any) -> list[str]:
    """Site domains, as a list or one comma-separated string of them."""
    items = value.split(",") if isinstance(value, str) else value
    if not isinstance(items, list):
        raise InvalidValue("Give the aliases as a list or as domains separated by commas.")
    return validation.alias_list(item for item in items if str(item).strip())


def _flag(value: Any) -> bool:
    """On or off: true or false, or one of the words 1/0, yes/no, on/off, true/false."""
    word = str(value).strip().lower()
    if value is True or word in ("1", "true", "yes", "on"):
        return True
    if value is False or word in ("0", "false", "no", "off", ""):
        return False
    raise InvalidValue(f"{validation.shown(value)} is neither on nor off; give true or false.")


def _seconds(value: Any) -> float:
    try:
        seconds = float(value) if not isinstance(value, bool) else -1.0
    except (TypeError, ValueError):
        seconds = -1.0
    if not 0 <= seconds <= 86400:
        raise InvalidValue(f"--seconds must be a number of seconds between 0 and 86400, not "
                           f"{validation.shown(value)}.")
    return seconds


def _days(value: Any) -> float:
    try:
        days = float(value) if not isinstance(value, bool) else -1.0
    except (TypeError, ValueError):
        days = -1.0
    if not 0 <= days <= 3650:
        raise InvalidValue(f"--renew_days must be a number of days between 0 and 3650, not "
                           f"{validation.shown(value)}.")
    return days


#: Each option's own rule; the result replaces the value given.
OPTION_RULES: dict[str, Callable[[Any], Any]] = {
    "new_uri": validation.site_domain,
    "aliases": _aliases,
    "redirect_aliases": _aliases,
    "keep_old_uri": _flag,
    "target_platform": _names,
    "target_db_server": _names,
    "backup_file": lambda value: validation.text(value, "backup file"),
    "backup_files": _files,
    "cron_key": validation.key,
    "seconds": _seconds,
    "renew_days": _days,
    "certificate_file": lambda value: validation.absolute_path(value, "certificate file"),
    "key_file": lambda value: validation.absolute_path(value, "key file"),
}


def check_options(options: dict[str, Any]) -> dict[str, Any]:
    """``options`` with each value checked (and normalised) by its rule; every other string,
    and every string in a list, must be one line of printable text. Raises ProvisionError
    naming the option."""
    checked: dict[str, Any] = {}
    for name, value in options.items():
        try:
            validation.text(name, "option name", max_length=64)
            if name in OPTION_RULES and value not in (None, "", False):
                checked[name] = OPTION_RULES[name](value)
            else:
                checked[name] = _plain(name, value)
        except InvalidValue as refusal:
            secret = any(word in name.lower() for word in SECRET_OPTION_WORDS)
            reason = "it must be one line of printable text" if secret else str(refusal)
            raise ProvisionError(
                f"The option --{validation.shown(name)[1:-1]} is refused: {reason}"
            ) from None
    return checked


def _plain(name: str, value: Any) -> Any:
    """A value with no rule of its own: strings (alone or in lists) must be one line."""
    if isinstance(value, str):
        return validation.text(value, f"--{name} option")
    if isinstance(value, list):
        return [_plain(name, item) for item in value]
    return value
