"""Every rule a value must pass before provision stores it or writes it into a file.

One module holds them all: provision's context properties and command options use them, and
so does the panel (``hostmaster/services/validation.py`` only wraps them), so a value the
panel accepts is one provision accepts. Each function returns the value normalised (a domain
lower-cased and in IDNA form, a path without its trailing slash) or raises
:class:`InvalidValue`, whose message is a sentence saying what is wrong and how to write it.
"""

from __future__ import annotations

import ipaddress
import os
import posixpath
import re
import shlex
from collections.abc import Callable, Iterable
from pathlib import Path

#: The longest name a file may have on the file systems provision writes to.
MAX_FILE_NAME = 255
#: The longest suffix provision adds to a site's domain in a file name (its backup archives:
#: ``<uri>-20261205.120000.tar.gz``), so a site's domain has at most 232 characters.
BACKUP_SUFFIX = len("-20261205.120000.tar.gz")
SITE_DOMAIN_MAX = MAX_FILE_NAME - BACKUP_SUFFIX
#: A host name or domain in DNS.
DOMAIN_MAX = 253
#: A context name without its ``@`` is a file name (``contexts/<name>.json``) and a folder
#: name, and a site's context name is its domain.
CONTEXT_NAME_MAX = SITE_DOMAIN_MAX
#: Paths are stored in columns of this size, and are far below the system's PATH_MAX.
PATH_MAX = 1024
#: A single line of free text (a name, a description, a command).
TEXT_MAX = 1024

#: Folders of the operating system: never a platform, never a base for platforms.
SYSTEM_FOLDERS = (
    "/bin", "/boot", "/dev", "/etc", "/lib", "/lib32", "/lib64", "/libx32", "/proc", "/root",
    "/run", "/sbin", "/sys", "/usr", "/var/cache", "/var/lib", "/var/log", "/var/mail",
    "/var/run", "/var/spool",
)

#: Folders of the aegir root that hold provision's own files: never a place for platforms.
PRIVATE_FOLDERS = (".ssh", "backups", "clients", "config", "contexts")

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")
_CONTEXT_NAME = re.compile(r"@[A-Za-z0-9](?:[A-Za-z0-9_-]|\.(?!\.))*")
_MACHINE_NAME = re.compile(r"[a-z0-9][a-z0-9_-]*")
_LANGUAGE = re.compile(r"[a-z]{2,3}(-[a-z0-9]{2,8})?")
# Paths end up in web server configuration: nothing that could end a quoted value or start
# a variable.
_PATH = re.compile(r"[A-Za-z0-9/._+@~-]+")
_SYSTEM_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,31}")
_DB_USER = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.@-]{0,79}")
_EMAIL_LOCAL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}")
_KEY = re.compile(r"[A-Za-z0-9_-]{1,128}")


class InvalidValue(ValueError):
    """A value that provision will not store or write; the message says why and what to do."""


def shown(value: object, limit: int = 60) -> str:
    """``value`` for a message: quoted, control characters visible, long values shortened."""
    text = repr(value) if not isinstance(value, str) else repr(value)[1:-1]
    return f"'{text[:limit - 3]}...'" if len(text) > limit else f"'{text}'"


def text(value: object, what: str = "value", *, max_length: int = TEXT_MAX) -> str:
    """A single line of printable text of at most ``max_length`` characters."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise InvalidValue(f"The {what} must be text, not {shown(value)}.")
    result = str(value)
    if len(result) > max_length:
        raise InvalidValue(f"The {what} has {len(result)} characters; at most {max_length}.")
    if _CONTROL.search(result):
        raise InvalidValue(
            f"The {what} {shown(result)} holds a line break or another control character; "
            "write it on one line."
        )
    return result


def domain(value: object, what: str = "domain", *, max_length: int = DOMAIN_MAX,
           single_label: bool = False) -> str:
    """A fully qualified domain name, lower-cased, in IDNA (``xn--``) form, without a final dot.

    Each label has 1 to 63 letters, digits and dashes and neither starts nor ends with a dash;
    IP addresses and names whose last label is a number (``1.0``, ``999.1.1.1``) are refused.
    ``single_label`` also accepts a name without dots (a host name such as ``localhost``).
    """
    name = text(value, what).strip().lower()
    example = "localhost or web1.example.com" if single_label else "www.example.com"
    if name.endswith(".") and not name.endswith(".."):
        name = name[:-1]  # the root of DNS, written or not, is the same name
    if not name:
        raise InvalidValue(f"Enter a {what}, e.g. {example}.")
    if _is_ip_address(name):
        raise InvalidValue(f"{shown(name)} is an IP address, not a {what}; write a name, e.g. "
                           f"{example}.")
    try:
        name = name.encode("idna").decode("ascii") if not name.isascii() else name
    except UnicodeError:
        raise InvalidValue(f"{shown(name)} is not a {what} that can be written in IDNA; "
                           f"use letters, digits and dashes, e.g. {example}.") from None
    if len(name) > max_length:
        raise InvalidValue(f"A {what} has at most {max_length} characters; "
                           f"{shown(name)} has {len(name)}.")
    labels = name.split(".")
    if not all(_LABEL.fullmatch(label) for label in labels):
        raise InvalidValue(
            f"{shown(name)} is not a valid {what}: use letters, digits and dashes, in parts "
            f"of at most 63 characters separated by single dots, e.g. {example}."
        )
    if len(labels) < 2 and not single_label:
        raise InvalidValue(f"{shown(name)} is not a fully qualified domain name; write it "
                           f"like {example}.")
    if labels[-1].isdigit():
        raise InvalidValue(f"{shown(name)} ends with a number, so it is no {what}; write a "
                           f"name, e.g. {example}.")
    return name


def site_domain(value: object, what: str = "domain") -> str:
    """A site's domain: :func:`domain`, short enough for every file named after it."""
    return domain(value, what, max_length=SITE_DOMAIN_MAX)


def hostname(value: object, what: str = "host name") -> str:
    """A server's host name: a domain, or a single label such as ``localhost``."""
    return domain(value, what, single_label=True)


def ip_address(value: object, what: str = "IP address") -> str:
    """An IPv4 or IPv6 address, in its normal written form."""
    candidate = text(value, what, max_length=64).strip()
    try:
        return ipaddress.ip_address(candidate).compressed
    except ValueError:
        raise InvalidValue(f"{shown(candidate)} is not an IP address.") from None


def host(value: object, what: str = "host") -> str:
    """A host name or an IP address (how provision reaches a server or a database)."""
    candidate = text(value, what, max_length=4 * DOMAIN_MAX).strip()
    if _is_ip_address(candidate):
        return ip_address(candidate, what)
    return hostname(candidate, what)


def alias_list(values: Iterable[object], uri: str | None = None) -> list[str]:
    """A site's aliases: each a site domain, in order, each once, never the site's own."""
    found: list[str] = []
    for value in values:
        alias = site_domain(value, "alias")
        if alias == uri:
            raise InvalidValue(f"{alias} is the site's own domain; it needs no alias.")
        if alias not in found:
            found.append(alias)
    return found


def alias_lists(served: Iterable[object], redirected: Iterable[object], uri: str) -> None:
    """A site's served and redirecting aliases: each list valid, and no alias in both."""
    both = set(alias_list(served, uri)) & set(alias_list(redirected, uri))
    if both:
        raise InvalidValue(
            f"{min(both)} is listed both as an alias that serves the site and as one that "
            "redirects; list it once.")


def context_name(value: object) -> str:
    """A context name: ``@``, then letters, digits, ``_``, ``-`` and single dots."""
    name = text(value, "context name", max_length=TEXT_MAX)
    too_long = len(name) > CONTEXT_NAME_MAX + 1
    if too_long or not _CONTEXT_NAME.fullmatch(name) or name.endswith("."):
        raise InvalidValue(
            f"{shown(name)} is not a valid context name: use @ followed by letters, digits, "
            "_, - and single dots, starting with a letter or digit and not ending with a dot "
            f"(at most {CONTEXT_NAME_MAX} characters), e.g. @server_master or @example.com."
        )
    return name


def machine_name(value: object, what: str = "name", *, max_length: int = 64) -> str:
    """A short machine name: lower-case letters, digits, ``_`` and ``-``."""
    name = text(value, what, max_length=max_length)
    if not name:
        raise InvalidValue(f"Enter a {what}.")
    if not _MACHINE_NAME.fullmatch(name):
        raise InvalidValue(f"The {what} may use only lower-case letters, digits, '_' and '-', "
                           "and starts with a letter or digit.")
    return name


def language(value: object) -> str:
    """A language code such as ``en`` or ``pt-br``."""
    code = text(value, "language", max_length=12).strip().lower()
    if not _LANGUAGE.fullmatch(code):
        raise InvalidValue("Enter a language code such as en, de or pt-br.")
    return code


def port(value: object, what: str = "port") -> int:
    """A TCP port number, 1 to 65535."""
    try:
        number = int(str(value).strip()) if not isinstance(value, bool) else 0
    except ValueError:
        number = 0
    if not 1 <= number <= 65535:
        raise InvalidValue(f"The {what} must be a number from 1 to 65535, not {shown(value)}.")
    return number


def loopback_upstream(value: object, what: str = "panel upstream") -> str:
    """``host:port`` of a server on this machine's loopback (``127.0.0.1:5000``, ``[::1]:5000``,
    ``localhost:5000``): where a web server passes the published panel's requests."""
    candidate = text(value, what).strip()
    host_part, colon, port_part = candidate.rpartition(":")
    bare = host_part[1:-1] if host_part.startswith("[") and host_part.endswith("]") else host_part
    loopback = bare == "localhost" or (
        _is_ip_address(bare) and ipaddress.ip_address(bare).is_loopback)
    if not colon or not loopback or (":" in bare and bare == host_part):
        raise InvalidValue(f"The {what} must be a loopback address and a port, e.g. "
                           f"127.0.0.1:5000, not {shown(value)}.")
    return f"{host_part}:{port(port_part, f'port of the {what}')}"


#: The longest wait a number of seconds may ask for (a reload's settle time).
MAX_SECONDS = 60.0


def seconds(value: object, what: str = "time", *, maximum: float = MAX_SECONDS) -> float:
    """A number of seconds from 0 to ``maximum`` (a fraction is fine: 0.5)."""
    try:
        number = float(str(value).strip()) if not isinstance(value, bool) else -1.0
    except ValueError:
        number = -1.0
    if not 0 <= number <= maximum:  # also refuses nan
        raise InvalidValue(f"The {what} must be a number of seconds from 0 to {maximum:g}, "
                           f"not {shown(value)}.")
    return number


def system_user(value: object, what: str = "user name") -> str:
    """A user or group name of the operating system."""
    name = text(value, what, max_length=32)
    if not _SYSTEM_USER.fullmatch(name):
        raise InvalidValue(f"The {what} may use only letters, digits, '_', '.' and '-' (at most "
                           "32), starting with a letter, digit or '_'.")
    return name


def database_user(value: object, what: str = "database user") -> str:
    """A MySQL account name: letters, digits, ``_``, ``.``, ``@`` and ``-``."""
    name = text(value, what, max_length=80)
    if not _DB_USER.fullmatch(name):
        raise InvalidValue(f"The {what} may use only letters, digits, '_', '.', '@' and '-' "
                           "(at most 80).")
    return name


def email(value: object, what: str = "e-mail address") -> str:
    """An e-mail address: a plain local part, ``@``, and a domain."""
    address = text(value, what, max_length=254).strip()
    local, at, domain_part = address.rpartition("@")
    try:
        if not at or not _EMAIL_LOCAL.fullmatch(local):
            raise InvalidValue(what)
        domain_part = domain(domain_part, "mail domain")
    except InvalidValue:
        raise InvalidValue(f"{shown(address)} is not an {what}; enter one like "
                           "jane@example.com.") from None
    return f"{local}@{domain_part}"


def key(value: object, what: str = "key") -> str:
    """A token such as a cron key: letters, digits, ``_`` and ``-``."""
    token = text(value, what, max_length=128)
    if not _KEY.fullmatch(token):
        raise InvalidValue(f"The {what} may use only letters, digits, '_' and '-' (1 to 128).")
    return token


def command(value: object, what: str = "command") -> str:
    """A command line for a setting (run without a shell): one line whose quotes balance."""
    line = text(value, what).strip()
    try:
        words = shlex.split(line)
    except ValueError:
        raise InvalidValue(f"The {what} {shown(line)} cannot be read: check its quotes.") from None
    if not words:
        raise InvalidValue(f"Enter the {what}.")
    return line


def url(value: object, what: str = "address") -> str:
    """An http or https address with a host name, and nothing that needs quoting."""
    address = text(value, what, max_length=2048).strip().rstrip("/")
    match = re.fullmatch(r"(https?)://([^/:]+)(:\d+)?(/[A-Za-z0-9/._~%+-]*)?", address)
    if match is None:
        raise InvalidValue(f"{shown(address)} is not an http:// or https:// address, e.g. "
                           "https://hostmaster.example.com.")
    host(match[2], f"host of the {what}")
    if match[3]:
        port(match[3][1:], f"port of the {what}")
    return address


#: A site's HTTPS, as in the original's hosting_https: none, beside HTTP, or instead of it.
HTTPS_MODES = ("off", "enabled", "required")


def https_mode(value: object) -> str:
    """``off``, ``enabled`` (HTTP and HTTPS both serve) or ``required`` (HTTP redirects)."""
    mode = str(value or "off").strip().lower()
    if mode not in HTTPS_MODES:
        raise InvalidValue(f"HTTPS is one of {', '.join(HTTPS_MODES)}, not {shown(value)}.")
    return mode


def certificate_source(value: object) -> str:
    """``acme`` or ``uploaded``."""
    source = str(value or "acme").strip().lower()
    if source not in ("acme", "uploaded"):
        raise InvalidValue(f"A certificate comes from acme or is uploaded, not {shown(value)}.")
    return source


def absolute_path(value: object, what: str = "path") -> str:
    """An absolute, normalised path (no ``..``, no ``//``, no trailing ``/``), not ``/``."""
    path = text(value, what, max_length=PATH_MAX)
    if not path:
        raise InvalidValue(f"Enter the {what}.")
    if not path.startswith("/"):
        raise InvalidValue(f"The {what} {shown(path)} is not an absolute path: start it with /.")
    if ".." in path.split("/"):
        raise InvalidValue(f"The {what} {shown(path)} contains '..'; write the folder itself.")
    if not _PATH.fullmatch(path):
        raise InvalidValue(f"The {what} {shown(path)} may use only letters, digits and "
                           "/ . _ - + @ ~ (no spaces or quotes).")
    path = path.rstrip("/") or "/"
    if posixpath.normpath(path) != path:
        raise InvalidValue(f"The {what} {shown(path)} is not a clean path; write it without "
                           "'//' and '/./'.")
    if path == "/":
        raise InvalidValue(f"The {what} cannot be the root folder /.")
    return path


def platform_base(value: object, aegir_root: Path | str) -> str:
    """The folder platforms must lie in: absolute, not a system folder, not the aegir root."""
    base = absolute_path(value, "platform base path")
    _check_base(_Place(base), _Place(str(aegir_root)))
    return base


def platform_root(value: object, base: Path | str, aegir_root: Path | str) -> str:
    """A platform's root: a folder inside ``base`` (symlinks resolved), never a system folder
    and never the aegir root or a folder holding it."""
    root = _Place(absolute_path(value, "platform root"))
    base_place = _Place(absolute_path(str(base), "platform base path"))
    aegir = _Place(str(aegir_root))
    _check_base(base_place, aegir)
    folder = _system_folder(root)
    if folder is not None:
        raise InvalidValue(f"The platform root {root} is in the system folder {folder}; "
                           f"put the codebase in {base_place}.")
    if root.holds(aegir):
        raise InvalidValue(f"The platform root {root} is the aegir root or holds it; put the "
                           f"codebase in {base_place}.")
    if root == base_place or not base_place.surely_holds(root):
        raise InvalidValue(
            f"The platform root {root} is not inside the platform base path {base_place} "
            "(symbolic links followed); put the codebase in a folder of its own there."
        )
    return root.literal


class _Place:
    """A path as written and with its symbolic links resolved (both are checked)."""

    def __init__(self, path: str) -> None:
        self.literal = path
        self.real = os.path.realpath(path)

    def __str__(self) -> str:
        return self.literal

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Place) and (
            self.literal == other.literal or self.real == other.real)

    def __hash__(self) -> int:
        return hash(self.real)

    def holds(self, other: _Place) -> bool:
        """Whether ``other`` is this folder or lies in it, as written or as resolved (either
        is enough: the check of what must not be)."""
        return any(_within(b, a) for a, b in self._pairs(other))

    def surely_holds(self, other: _Place) -> bool:
        """Whether ``other`` is this folder or lies in it both as written and as resolved (the
        check of what is allowed)."""
        return all(_within(b, a) for a, b in self._pairs(other))

    def _pairs(self, other: _Place) -> tuple[tuple[str, str], tuple[str, str]]:
        return (self.literal, other.literal), (self.real, other.real)


def _within(path: str, folder: str) -> bool:
    return path == folder or path.startswith(folder.rstrip("/") + "/")


def _system_folder(place: _Place) -> str | None:
    for folder in SYSTEM_FOLDERS:
        if _Place.holds(_PlainFolder(folder), place):
            return folder
    return None


class _PlainFolder(_Place):
    """A folder of the system, compared as written (its own links do not matter)."""

    def __init__(self, path: str) -> None:  # no realpath: /var/run is a link to /run
        self.literal = self.real = path


def _check_base(base: _Place, aegir: _Place) -> None:
    """Refuse a platform base path in a system folder, holding the aegir root, or inside one
    of the aegir root's private folders."""
    folder = _system_folder(base)
    if folder is not None:
        raise InvalidValue(f"The platform base path {base} is in the system folder {folder}; "
                           "choose a folder of its own, e.g. /var/aegir/platforms.")
    if base.holds(aegir):
        raise InvalidValue(f"The platform base path {base} holds the aegir root {aegir}; "
                           "choose a folder inside it, such as its platforms folder.")
    for private in PRIVATE_FOLDERS:
        if _Place(f"{aegir.literal.rstrip('/')}/{private}").holds(base):
            raise InvalidValue(f"The platform base path {base} is in the aegir root's private "
                               f"folder {private}; choose its platforms folder instead.")


def _is_ip_address(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


def problem(check: Callable[..., object], *args: object, **kwargs: object) -> str | None:
    """The message ``check(*args)`` raises, or None when the value passes (for forms)."""
    try:
        check(*args, **kwargs)
    except InvalidValue as refusal:
        return str(refusal)
    return None
