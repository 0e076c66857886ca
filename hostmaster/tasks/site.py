"""Site task types: install, verify, backup, disable, enable, delete, login-reset, certificate,
import.

Availability follows the original (hosting_task_menu_access): nothing once deleted or while a
delete is pending; login-reset only on an enabled site; a site that is not enabled (and has no
enable pending) offers only enable and delete; an enabled one everything but enable and,
unless the setting ``require_disable_before_delete`` is off, delete. Disable needs the panel's
public address (the setting ``public_url``), where the site's visitors are sent. Certificate
(a renewal now) needs the site's HTTPS on.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..models import MailStatus, Site, SiteStatus, Task, TaskStatus
from ..services import mail, outbox, settings, site_https, site_results, tasks
from .forms import TaskBackupForm, TaskConfirmForm, TaskUploadedCertificateForm
from .registry import TaskType


def _pending(site: Site, type_name: str) -> bool:
    return tasks.pending_task(site, type_name) is not None


def rule(name: str) -> Callable[[Site], str | None]:
    """The availability rule of site task ``name`` (see the module's docstring): a sentence
    saying why the task may not run on the site now, or None."""

    def refusal(site: Site) -> str | None:
        if site.status != SiteStatus.DELETED and _pending(site, "delete"):
            return f"{site.uri} is being deleted."
        if name in ("install", "import"):
            # queued by the system for a new record only
            return None if site.status == SiteStatus.QUEUED else f"{site.uri} exists already."
        if name == "login-reset" and site.status != SiteStatus.ENABLED:
            return f"A login link is made only for an enabled site; {site.uri} is not enabled."
        if name == "certificate" and site_https.https_of(site).mode == "off":
            return f"{site.uri} has no HTTPS: turn it on in the site's HTTPS settings first."
        enabled = site.status == SiteStatus.ENABLED or _pending(site, "enable")
        if not enabled:
            if name in ("delete", "enable"):
                return None
            return f"{site.uri} is not enabled: enable it or delete it."
        if name == "enable":
            return f"{site.uri} is enabled already."
        if name == "disable" and not settings.public_url():
            return ("A disabled site sends its visitors to the panel's public address, which "
                    "is not set: set it under Administration › Settings first.")
        if name == "delete" and settings.get("require_disable_before_delete"):
            return f"Disable {site.uri} before deleting it (setting require_disable_before_delete)."
        return None

    return refusal


def _installed(task: Task, site: Site, result: dict[str, Any]) -> None:
    """ENABLED and verified; the login link is cached and mailed to the client (through the
    outbox: a mail that fails waits there, and the task ends as a warning saying so)."""
    site.status = SiteStatus.ENABLED
    site_results.store_verified(site, result)
    link = str(result.get("login_link") or "")
    if not link:
        return
    site_results.remember_login_link(site, link)
    to = site.client.email if site.client is not None else ""
    if not to:
        _mail_warning(task, f"The welcome mail of {site.uri} was not sent: its client has no "
                            "e-mail address. Send the site's login link by hand.")
        return
    subject, body = mail.welcome_text(site, link)
    sent = outbox.send(to, subject, body, "site welcome", commit=False)
    if sent.status == MailStatus.SENT:
        tasks.add_log(task, "info", f"The welcome mail with the login link went to {to}.")
    else:
        _mail_warning(task, f"The welcome mail to {to} could not be sent: {sent.last_error}. "
                            "It waits in the outbox (Administration › Outbox): check the mail "
                            "settings, then send it again there.")


def _mail_warning(task: Task, sentence: str) -> None:
    """The site works; only its mail failed, so the task ends as a warning, not an error."""
    tasks.add_log(task, "warning", sentence)
    if task.status == TaskStatus.SUCCESS:
        task.status = TaskStatus.WARNING


def _disabled(task: Task, site: Site, result: dict[str, Any]) -> None:
    """An install or import that failed leaves the site DISABLED (provision removed its parts)."""
    site.status = SiteStatus.DISABLED


def _verified(task: Task, site: Site, result: dict[str, Any]) -> None:
    site_results.store_verified(site, result)


def _verify_failed(task: Task, site: Site, result: dict[str, Any]) -> None:
    site.verified_at = None


def _imported(task: Task, site: Site, result: dict[str, Any]) -> None:
    site.status = SiteStatus.ENABLED
    site_results.store_verified(site, result)


def _backed_up(description: str | None) -> Callable[[Task, Site, dict[str, Any]], None]:
    """A handler recording the backup in the result; ``None``: the user's description."""

    def handler(task: Task, site: Site, result: dict[str, Any]) -> None:
        text = description or str((task.arguments or {}).get("description") or "")
        site_results.record_backup(site, result, text or "Generated on request")
        if task.type == "disable":
            site.status = SiteStatus.DISABLED
        elif task.type == "delete":
            site_results.forget_deleted_site(site)

    return handler


def _enabled(task: Task, site: Site, result: dict[str, Any]) -> None:
    site.status = SiteStatus.ENABLED


def _renewed(task: Task, site: Site, result: dict[str, Any]) -> None:
    site_https.renewed(site, result.get("certificate"))


def _renewal_failed(task: Task, site: Site, result: dict[str, Any]) -> None:
    site_https.renewal_failed(site, tasks.last_error(task))


def _login_reset(task: Task, site: Site, result: dict[str, Any]) -> None:
    site_results.remember_login_link(site, str(result.get("login_link") or ""))


def site_task(name: str, title: str, description: str, **kwargs: Any) -> TaskType:
    """A site task type whose provision command is its name, with the site tasks' rule unless
    ``refusal`` is given."""
    kwargs.setdefault("refusal", rule(name))
    return TaskType(entity_kind="site", name=name, title=title, command=name,
                    description=description, **kwargs)


TASK_TYPES = [


    site_task(
        "install",
        "Install",
        "Create the database, folders, settings and vhost, then install the application.",
        hidden=True,
        on_success=_installed,
        on_failure=_disabled,
    ),
    site_task(
        "verify",
        "Verify",
        "Rewrite the settings and vhost, fix permissions and read the site's packages.",
        on_success=_verified,
        on_failure=_verify_failed,
    ),
    site_task(
        "backup",
        "Backup",
        "Archive the site's files and database.",
        form=TaskBackupForm,
        on_success=_backed_up(None),
    ),
    site_task(
        "disable",
        "Disable",
        'Back up the site, then show visitors a "site disabled" page.',
        form=TaskConfirmForm,
        on_success=_backed_up("Pre-disable"),
    ),
    site_task("enable", "Enable", "Serve the site again.", on_success=_enabled),
    site_task(
        "delete",
        "Delete",
        "Back up the site, then remove its database, files and vhost.",
        form=TaskConfirmForm,
        on_success=_backed_up("Pre-delete"),
    ),
    site_task(
        "login-reset",
        "Reset password",
        "Make a new one-time login link for the site's administrator.",
        on_success=_login_reset,
    ),
    site_task(
        "certificate",
        "Renew certificate",
        "Ask the certificate authority for a new HTTPS certificate now; the old one serves "
        "until the new one is in place.",
        on_success=_renewed,
        on_failure=_renewal_failed,
        options=lambda task, site: {"force": True},
    ),
    TaskType(
        entity_kind="site",
        name="certificate-upload",
        title="Install an uploaded certificate",
        command="certificate",
        description="Serve the certificate and key uploaded on the site's HTTPS page.",
        hidden=True,
        form=TaskUploadedCertificateForm,
        refusal=rule("certificate"),
        on_success=_renewed,
        on_failure=_renewal_failed,
    ),
    site_task(
        "import",
        "Import",
        "Read a site found on a platform into the store.",
        hidden=True,
        on_success=_imported,
        on_failure=_disabled,
    ),
]
