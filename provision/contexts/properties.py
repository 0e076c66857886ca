"""Property definitions: what a context may hold, how a value from the command line is read.

Values arrive as strings from the command line (``--http_port=8080``) or as JSON values from
the dispatcher; :meth:`Property.convert` turns both into the stored form or refuses them with
a sentence naming the property.
"""

from __future__ import annotations

import getpass
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .. import validation
from ..errors import ContextError
from ..validation import InvalidValue
from .names import validate_name

TRUE_WORDS = frozenset({"1", "true", "yes", "on"})
FALSE_WORDS = frozenset({"0", "false", "no", "off", ""})

#: The kinds of value a property can hold.
KINDS = frozenset({"str", "int", "port", "seconds", "bool", "list", "path", "ref",
                   "service_type"})
#: The longest wait a ``seconds`` property may ask for.
MAX_SECONDS = validation.MAX_SECONDS


@dataclass(frozen=True)
class Property:
    """One property a context may hold.

    ``kind`` is one of :data:`KINDS`; a ``ref`` names another context whose type is
    ``ref_type`` and resolves to that context's object when read. ``default`` is used when the
    property is unset; ``default_from`` computes a default from the context's other stored
    properties instead (``db_host`` defaults to the server's ``remote_host``). A ``secret``
    is never shown or logged, and a context holding one is stored with mode 0600. ``check``
    is the property's own rule from :mod:`provision.validation` (``uri`` is a site domain),
    applied to the converted value; it returns the value normalised. Every string, whatever
    its kind, is one line of at most 1024 characters without control characters.
    """

    name: str
    help: str
    kind: str = "str"
    default: Any = None
    default_from: Callable[[Mapping[str, Any]], Any] | None = None
    secret: bool = False
    ref_type: str | None = None
    required: bool = False
    check: Callable[[Any], Any] | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"property {self.name}: unknown kind {self.kind!r}")
        if (self.kind == "ref") != (self.ref_type is not None):
            raise ValueError(f"property {self.name}: a ref needs ref_type and only a ref has one")

    def default_for(self, stored: Mapping[str, Any]) -> Any:
        """The value this property has when it is not stored."""
        if self.default_from is not None:
            return self.default_from(stored)
        return self.default

    def convert(self, value: Any) -> Any:
        """The stored form of ``value`` (a command-line string or a JSON value); a
        ContextError naming the property when the value breaks its rules."""
        converter = getattr(self, f"_convert_{self.kind}")
        try:
            result: Any = converter(value)
            return self.check(result) if self.check is not None else result
        except InvalidValue as refusal:
            if self.secret:
                raise ContextError(
                    f"The property {self.name} must be one line of at most "
                    f"{validation.TEXT_MAX} printable characters (its value is not shown)."
                ) from None
            raise ContextError(f"The property {self.name} is refused: {refusal}") from None

    def _refuse(self, value: Any, wanted: str) -> ContextError:
        shown = "********" if self.secret else validation.shown(value)
        return ContextError(f"The property {self.name} must be {wanted}, not {shown}.")

    def _convert_str(self, value: Any) -> str:
        if isinstance(value, bool) or not isinstance(value, str | int | float):
            raise self._refuse(value, "a string")
        return validation.text(value, self.name)

    def _convert_int(self, value: Any) -> int:
        if isinstance(value, bool):
            raise self._refuse(value, "a whole number")
        try:
            return int(str(value).strip())
        except ValueError:
            raise self._refuse(value, "a whole number") from None

    def _convert_port(self, value: Any) -> int:
        try:
            number = self._convert_int(value)
        except ContextError:
            number = 0
        if not 1 <= number <= 65535:
            raise self._refuse(value, "a port number between 1 and 65535")
        return number

    def _convert_seconds(self, value: Any) -> float:
        try:
            return validation.seconds(value, self.name, maximum=MAX_SECONDS)
        except InvalidValue:
            raise self._refuse(value, f"a number of seconds from 0 to {MAX_SECONDS:g}") from None

    def _convert_bool(self, value: Any) -> bool:
        if isinstance(value, bool):
            return value
        word = str(value).strip().lower()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise self._refuse(value, "true or false")

    def _convert_list(self, value: Any) -> list[str]:
        if isinstance(value, str):
            items = value.split(",")
        elif isinstance(value, list | tuple):
            items = [str(item) for item in value]
        else:
            raise self._refuse(value, "a comma-separated list")
        texts = [validation.text(item, self.name).strip() for item in items]
        return [item for item in texts if item]

    def _convert_path(self, value: Any) -> str:
        return validation.absolute_path(self._convert_str(value), self.name)

    def _convert_ref(self, value: Any) -> str:
        text = self._convert_str(value)
        if not text.startswith("@"):
            raise self._refuse(value, f"a context name such as @{self.ref_type}_name")
        return validate_name(text)

    def _convert_service_type(self, value: Any) -> str:
        text = "" if value is None else self._convert_str(value).strip().lower()
        # The original front end sends NONE (or nothing) for a server without the service.
        return "null" if text in ("", "none") else text


def _current_user(stored: Mapping[str, Any]) -> str:
    return getpass.getuser()


def service_type_property(service: str) -> Property:
    """The ``<service>_service_type`` property of servers (``null`` when unset)."""
    return Property(
        f"{service}_service_type",
        f"which {service} service the server runs (null: none)",
        kind="service_type",
        default="null",
    )


def _each(check: Callable[[Any], Any]) -> Callable[[list[Any]], list[Any]]:
    """A check of every item of a list property."""
    return lambda items: [check(item) for item in items]


SERVER_PROPERTIES = (
    Property("remote_host", "FQDN or address of the server (localhost for @server_master)",
             check=validation.host),
    Property("ip_addresses", "the server's IP addresses", kind="list", default=[],
             check=_each(validation.ip_address)),
    Property(
        "script_user",
        "the user that owns the aegir root",
        default_from=_current_user,
        check=validation.system_user,
    ),
    Property("master_url", "the front end's base URL (disabled sites redirect to its page)",
             check=validation.url),
    Property("ssh_user", "the user provision logs in as on a remote server (default: "
             "script_user)", check=validation.system_user),
    Property("ssh_port", "the port of a remote server's sshd", kind="port", default=22),
    Property("ssh_key_file", "the private key provision logs in to a remote server with "
             "(default: the usual keys of the user running provision)", kind="path"),
    Property("acme_directory_url", "the ACME directory of the CA that issues the sites' "
             "certificates (read from @server_master; none: sites keep self-signed ones), e.g. "
             "https://acme-v02.api.letsencrypt.org/directory", check=validation.url),
    Property("acme_email", "where the CA writes about expiring certificates (read from "
             "@server_master)", check=validation.email),
    Property("acme_ca_bundle", "the CA certificates that verify the ACME server itself "
             "(default: the machine's; a private CA's for one inside the network)", kind="path"),
    Property("panel_hostname", "the name this server's web server publishes the control panel at "
             "(https://<name>/, passed to panel_upstream); unset: not published",
             check=validation.domain),
    Property("panel_upstream", "where the published panel's own server listens, on this "
             "machine's loopback (default 127.0.0.1:5000)", check=validation.loopback_upstream),
    Property("platform_base_path", "the folder every platform of this server lies in "
             "(default: <aegir root>/platforms); never a system folder", kind="path"),
)

PLATFORM_PROPERTIES = (
    Property("root", "absolute path of the codebase, inside the platform base path of its "
             "server", kind="path", required=True),
    Property(
        "web_server",
        "the server whose web service serves the platform",
        kind="ref",
        ref_type="server",
        default="@server_master",
    ),
    Property(
        "server",
        "where the platform's master copy lives",
        kind="ref",
        ref_type="server",
        default="@server_master",
    ),
    Property("makefile", "recorded only: building from a makefile is not supported"),
)

SITE_PROPERTIES = (
    Property("uri", "the site's address (default: the context name without @)",
             check=validation.site_domain),
    Property("platform", "the platform the site runs on", kind="ref", ref_type="platform",
             required=True),
    Property("db_server", "the server holding the site's database", kind="ref",
             ref_type="server", default="@server_master"),
    Property("client_name", "the client that owns the site", check=validation.key),
    Property("client_email", "where the site's administrator mail goes",
             check=validation.email),
    Property("profile", "the install profile", default="standard",
             check=validation.machine_name),
    Property("language", "the site's default language", default="en",
             check=validation.language),
    Property("aliases", "other addresses of the site", kind="list", default=[],
             check=validation.alias_list),
    Property("redirect_aliases", "other addresses of the site that answer with a permanent "
             "redirect to the uri (never also in aliases)", kind="list", default=[],
             check=validation.alias_list),
    Property("redirection", "whether every alias answers with a redirect to the uri (the "
             "original's switch for all of them at once)", kind="bool", default=False),
    Property("https", "HTTPS: off, enabled (HTTP and HTTPS serve) or required (HTTP answers "
             "301 to HTTPS)", default="off", check=validation.https_mode),
    Property("hsts", "whether HTTPS answers tell browsers to use only HTTPS for a year "
             "(Strict-Transport-Security)", kind="bool", default=False),
    Property("https_certificate", "where the site's certificate comes from: acme (the CA "
             "of @server_master, renewed) or uploaded (by an admin; never replaced by the CA)",
             default="acme", check=validation.certificate_source),
    Property("install_method", "how the site is installed (profile or manual)",
             default="profile", check=validation.machine_name),
    Property("cron_key", "the key of the site's cron address", check=validation.key),
    Property("db_name", "the site's database", check=validation.key),
    Property("db_user", "the site's database user", check=validation.database_user),
    Property("db_passwd", "the site's database password", secret=True),
    Property("site_enabled", "whether the site is served", kind="bool", default=True),
)

BASE_PROPERTIES: dict[str, tuple[Property, ...]] = {
    "server": SERVER_PROPERTIES,
    "platform": PLATFORM_PROPERTIES,
    "site": SITE_PROPERTIES,
}

CONTEXT_TYPES = tuple(BASE_PROPERTIES)
