"""The registry of settings: every setting the code reads, with its type, default, help and
validation. The Settings page, ``hostmaster settings`` and the code all go through it
(hostmaster/services/settings.py reads and writes the values; setting_checks.py checks,
parses and shows them).

A setting marked ``secret`` (the SMTP password) is never shown back: forms leave it blank with
the placeholder "unchanged", the CLI and the settings list say only whether it is set.
``edited_on`` names the page where a setting is changed when that is not the Settings page
(the dispatcher's, the queues', the clients' settings); an empty ``edited_on`` marks state that
commands set (``hostmaster pause``), which the Settings page and ``settings set`` leave alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import ValidationError
from .setting_checks import (
    absolute_file,
    host_or_address,
    needs_link,
    public_address,
    short_name_prefix,
)
from .validation import check_domain, check_language

#: The groups of the Settings page, in order: key → title.
GROUPS = {
    "panel": "Panel",
    "mail": "Mail",
    "sites": "Sites and platforms",
    "https": "HTTPS certificates",
    "tasks": "Tasks and the dispatcher",
    "backups": "Scheduled backups",
    "clients": "Clients",
    "signup": "Sign-up",
}
KINDS = ("bool", "int", "text", "multiline", "email", "host", "url", "choice", "ids", "names")
MAIL_PLACEHOLDERS = "$name, $client, $username, $link, $hours"


@dataclass(frozen=True)
class SettingSpec:
    """One setting: its name, group, label, kind, default and what it is for.

    ``kind`` is one of KINDS; ``minimum``/``maximum`` bound an int; ``optional`` lets a text,
    e-mail, host or URL be empty; ``rule`` adds a check of its own (a sentence, or None).
    """

    name: str
    group: str
    title: str
    kind: str
    default: Any
    help: str = ""
    minimum: int | None = None
    maximum: int | None = None
    max_length: int = 255
    optional: bool = False
    choices: tuple[tuple[str, str], ...] = ()
    secret: bool = False
    rule: Callable[[Any], str | None] | None = None
    edited_on: str = "settings.index"
    default_text: str = ""

    @property
    def settable(self) -> bool:
        """Whether people set it (the page, ``settings set``), rather than commands."""
        return bool(self.edited_on)


def _text(name: str, title: str, default: str, help: str, group: str = "mail",
          **more: Any) -> SettingSpec:
    return SettingSpec(name, group, title, "text", default, help, **more)


SPECS: tuple[SettingSpec, ...] = (
    SettingSpec(
        "public_url", "panel", "Public address of the panel", "url", "",
        "The address clients and site visitors reach the panel at, e.g. "
        "https://panel.example.com: links in mails, and the page a disabled site sends its "
        "visitors to. Never a loopback address. Until it is set, sites cannot be disabled.",
        optional=True, rule=public_address,
    ),
    SettingSpec("panel_published", "panel", "Published on the master's web server", "bool",
                False, "Set by `hostmaster publish`: the master's web server answers "
                "https://<public address>/ and passes requests to the panel.", edited_on=""),
    _text("panel_upstream", "Address of `hostmaster serve`", "",
          "Set by `hostmaster publish --upstream`: where the published panel's requests go.",
          "panel", optional=True, edited_on="", default_text="127.0.0.1:5000"),
    _text("panel_certificate_expires", "Panel certificate expires", "",
          "Kept from the master's verify: when the published panel's certificate expires.",
          "panel", optional=True, edited_on="", default_text="unknown"),
    SettingSpec("smtp_host", "mail", "SMTP server", "host", "localhost",
                "The server mail is sent through (a name or an address).", rule=host_or_address),
    SettingSpec("smtp_port", "mail", "SMTP port", "int", 25,
                "25 for a local relay, 587 with STARTTLS, 465 with TLS.", 1, 65535),
    SettingSpec("smtp_security", "mail", "Encryption", "choice", "none",
                "How the connection to the SMTP server is protected.",
                choices=(("none", "None"), ("starttls", "STARTTLS"),
                         ("tls", "TLS from the start"))),
    _text("smtp_username", "SMTP user name", "",
          "Only when the SMTP server asks to log in; empty: send without logging in.",
          optional=True),
    _text("smtp_password", "SMTP password", "", "The password of the SMTP user.",
          optional=True, secret=True),
    SettingSpec("mail_from", "mail", "Sender address", "email",
                "hostmaster@localhost.localdomain",
                "The From address of every mail the panel sends."),
    SettingSpec("acme_ca", "https", "Certificate authority", "choice", "none",
                "Where sites set to HTTPS get their certificates (ACME, HTTP-01 through the "
                "site's own web server). None: they serve self-signed certificates.",
                choices=(("none", "None (self-signed certificates)"),
                         ("letsencrypt", "Let's Encrypt"),
                         ("letsencrypt_staging", "Let's Encrypt staging (for trials)"),
                         ("custom", "Another ACME CA (directory URL below)"))),
    SettingSpec("acme_directory_url", "https", "ACME directory URL", "url", "",
                "The directory of another ACME CA, e.g. https://acme.example.com/directory "
                "(only with \"Another ACME CA\").", optional=True),
    SettingSpec("acme_email", "https", "Contact e-mail for the CA", "email", "",
                "Where the CA writes about certificates that are about to expire.",
                optional=True),
    _text("acme_ca_bundle", "CA certificates of the ACME server", "",
          "A file of certificates that verify the ACME server itself, for a CA inside your "
          "network; empty: the machine's.", "https", optional=True, max_length=1024,
          rule=absolute_file),
    SettingSpec("certificate_renew_days", "https", "Renew certificates (days before expiry)",
                "int", 30, "The renewal queue renews a certificate this many days before it "
                "expires.", 1, 365),
    SettingSpec("site_language", "sites", "Language of new sites", "text", "en",
                "The language code the Add-a-site form starts with, e.g. en, de or pt-br.",
                max_length=12, rule=check_language),
    SettingSpec("require_disable_before_delete", "sites", "A site must be disabled before it "
                "is deleted", "bool", True, "The original's rule: delete only a disabled site."),
    SettingSpec("lock_platforms_by_default", "sites", "Lock new platforms", "bool", False,
                "A newly verified platform starts locked (not offered for new sites)."),
    SettingSpec("alias_automatic_subdomain", "sites", "Domain for automatic aliases", "text",
                "", "Every site gets an alias under this domain, e.g. hosting.example.net gives "
                "my-shop.com the alias my--shop-com.hosting.example.net (a wildcard DNS entry "
                "must point it at the web server). Empty: none.", optional=True,
                rule=check_domain),
    SettingSpec("alias_automatic_www", "sites", "Automatic www aliases", "bool", False,
                "A site gets www.<its domain> as an alias, or, when its domain starts with "
                "www., the domain without it."),
    SettingSpec("dispatch_concurrency", "tasks", "Tasks at once", "int", None,
                "How many tasks may run at once over all dispatchers.", 1, 64,
                edited_on="tasks.dispatch",
                default_text="HOSTMASTER_DISPATCH_CONCURRENCY (4 unless set)"),
    SettingSpec("task_retention_days", "tasks", "Keep finished tasks (days)", "int", 90,
                "Finished tasks older than this are removed with their logs, except each "
                "entity's newest of each type; 0 keeps them forever.", 0, 3650,
                edited_on="tasks.dispatch"),
    SettingSpec("dispatch_paused", "tasks", "Dispatch paused since", "text", None,
                "Set by `hostmaster pause` (or the Dispatcher page), cleared by resume.",
                edited_on="", default_text="not paused"),
    *(SettingSpec(f"backup_keep_{name}", "backups", title, "int", default,
                  "Scheduled backups kept per site, unless a site sets its own.", 0, 1000,
                  edited_on="queues.index")
      for name, title, default in (("last", "Keep the last", 3), ("daily", "Daily backups", 7),
                                   ("weekly", "Weekly backups", 4),
                                   ("monthly", "Monthly backups", 3))),
    _text("client_uname_prefix", "Short name prefix", "",
          "Put before every short name made from a client's name.", "clients",
          optional=True, max_length=8, rule=short_name_prefix, edited_on="clients.settings"),
    SettingSpec("client_create_user", "clients", "Make an account for a new client", "bool",
                True, "A new client that names no users gets an account (role client).",
                edited_on="clients.settings"),
    SettingSpec("client_welcome_mail", "clients", "Mail that account a password link", "bool",
                True, "", edited_on="clients.settings"),
    _text("client_welcome_subject", "Welcome mail subject", "Your Hostmaster account $username",
          f"Placeholders: {MAIL_PLACEHOLDERS}.", "clients", max_length=200,
          edited_on="clients.settings"),
    SettingSpec(
        "client_welcome_body", "clients", "Welcome mail text", "multiline",
        "Hello $name,\n\n"
        "An account on Hostmaster has been made for $client: your user name is $username.\n"
        "Set your password with this link within $hours hours; the link works once:\n"
        "$link\n",
        f"Placeholders: {MAIL_PLACEHOLDERS}.", max_length=10000, rule=needs_link,
        edited_on="clients.settings",
    ),
    SettingSpec("signup_platforms", "signup", "Platforms offered", "ids", [],
                "The platforms the sign-up form offers (their ids).",
                edited_on="clients.settings"),
    SettingSpec("signup_profiles", "signup", "Install profiles offered", "names", [],
                "The install profiles the sign-up form offers.", edited_on="clients.settings"),
    SettingSpec("signup_rate_limit", "signup", "Sign-ups per address and hour", "int", 5,
                "Tries from one address within an hour before it must wait.", 1, 1000,
                edited_on="clients.settings"),
    _text("signup_subject", "Sign-up mail subject", "Your new site $site",
          "Placeholders: $name, $site, $username, $link, $hours.", "signup", max_length=200,
          edited_on="clients.settings"),
    SettingSpec(
        "signup_body", "signup", "Sign-up mail text", "multiline",
        "Hello $name,\n\n"
        "Thank you for signing up. Your site $site is being installed, and your Hostmaster "
        "user name is $username.\n"
        "Set your password with this link within $hours hours; the link works once:\n"
        "$link\n",
        "Placeholders: $name, $site, $username, $link, $hours.", max_length=10000,
        rule=needs_link, edited_on="clients.settings",
    ),
)
REGISTRY: dict[str, SettingSpec] = {spec.name: spec for spec in SPECS}


def spec(name: str) -> SettingSpec:
    """The registered setting ``name``; ValidationError (a sentence) when there is none."""
    found = REGISTRY.get(name)
    if found is None:
        raise ValidationError.field(
            name, f"There is no setting called {name!r}; `hostmaster settings list` names them.")
    return found


def in_group(group: str) -> list[SettingSpec]:
    """The settings of ``group``, in registry order."""
    return [s for s in SPECS if s.group == group]


#: What the processes read from their environment when they start (not stored; a change needs
#: a restart): the config key, its environment variable, and what it is.
ENVIRONMENT: tuple[tuple[str, str, str], ...] = (
    ("HOSTMASTER_URL", "HOSTMASTER_URL", "The address the panel is served on, for links in "
     "mails while no public address is set."),
    ("AEGIR_ROOT", "AEGIR_ROOT", "The folder provision works in."),
    ("DISPATCH_CONCURRENCY", "HOSTMASTER_DISPATCH_CONCURRENCY",
     "Tasks at once, until the setting is set."),
    ("DISPATCH_LEASE_SECONDS", "HOSTMASTER_LEASE_SECONDS",
     "How long a running task's claim lasts between renewals."),
    ("DISPATCH_POLL_SECONDS", "HOSTMASTER_POLL_SECONDS", "How often a dispatcher daemon looks "
     "for queued tasks."),
    ("TASK_TIMEOUT_SECONDS", "HOSTMASTER_TASK_TIMEOUT", "When a task's provision is stopped."),
    ("PROVISION_COMMAND", "HOSTMASTER_PROVISION_COMMAND", "How the dispatcher starts provision "
     "(empty: this installation's provision)."),
    ("DISPATCH_STORE_TIMEOUT_SECONDS", "HOSTMASTER_STORE_TIMEOUT", "How long the dispatcher "
     "waits for the store to answer one statement before it tries again (0: no limit)."),
    ("PLATFORM_BASE_PATH", "HOSTMASTER_PLATFORM_BASE_PATH", "The folder every platform lies in "
     "(empty: the aegir root's platforms folder)."),
    ("SECRETS_KEY_FILE", "HOSTMASTER_SECRET_KEY_FILE", "The key file that encrypts the secrets "
     "in the store (the SMTP password, database admin passwords); back it up apart from the "
     "store."),
    ("PROXY_COUNT", "HOSTMASTER_PROXY_COUNT", "How many reverse proxies in front of the panel "
     "set X-Forwarded-For and X-Forwarded-Proto (0 trusts neither header)."),
)
