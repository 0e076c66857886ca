"""Checks shared by the services: host names, addresses, paths and names."""

from __future__ import annotations

import ipaddress
import posixpath
import re

_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{2,8})?$")
_PATH = re.compile(r"^[A-Za-z0-9/._+@~-]+$")


def check_hostname(value: str) -> str | None:
    """None when ``value`` is a lower-case host name (FQDN or single label); else why not."""
    if not value:
        return "Enter a host name."
    if value != value.lower():
        return "Use lower case letters in the host name."
    if len(value) > 253:
        return "A host name has at most 253 characters."
    labels = value.rstrip(".").split(".")
    if not all(_LABEL.match(label) for label in labels):
        return (
            f"'{value}' is not a valid host name: use letters, digits and dashes, "
            "separated by dots."
        )
    return None


def check_domain(value: str, max_length: int = 235) -> str | None:
    """None when ``value`` is a lower-case fully qualified domain name; else why not."""
    if len(value) > max_length:
        return f"A domain has at most {max_length} characters."
    problem = check_hostname(value)
    if problem:
        return problem.replace("host name", "domain")
    if "." not in value.strip("."):
        return f"'{value}' is not a fully qualified domain name (like example.com)."
    return None


def check_language(value: str) -> str | None:
    """None when ``value`` is a language code like ``en`` or ``pt-br``; else why not."""
    if not _LANGUAGE.match(value):
        return "Enter a language code such as en, de or pt-br."
    return None


def check_ip_address(value: str) -> str | None:
    """None when ``value`` is an IPv4 or IPv6 address; else why not."""
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return f"'{value}' is not an IP address."
    return None


def check_absolute_path(value: str) -> str | None:
    """None when ``value`` is an absolute, normalised path with no '..'; else why not."""
    if not value:
        return "Enter a path."
    if not value.startswith("/"):
        return f"'{value}' is not an absolute path: start it with /."
    if ".." in value.split("/"):
        return "A path may not contain '..'."
    if not _PATH.match(value):
        # The path ends up in web server configuration: nothing that could end a quoted value.
        return "A path may use only letters, digits and / . _ - + @ ~ (no spaces or quotes)."
    if "//" in value:
        return f"'{value}' is not a clean path."
    if posixpath.normpath(value) != value.rstrip("/") and value != "/":
        return f"'{value}' is not a clean path."
    if value.rstrip("/") == "":
        return "The root folder cannot be a platform."
    return None


def check_name(value: str, what: str = "name", max_length: int = 64) -> str | None:
    """None when ``value`` is a short machine name (a-z, 0-9, _ and -); else why not."""
    if not value:
        return f"Enter a {what}."
    if len(value) > max_length:
        return f"A {what} has at most {max_length} characters."
    if not _NAME.match(value):
        return (
            f"A {what} uses lower-case letters, digits, '_' and '-', "
            "and starts with a letter or digit."
        )
    return None
