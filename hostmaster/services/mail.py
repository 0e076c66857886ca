"""Mail to people: the welcome mail of a new site, sent through the SMTP settings."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage

from ..models import Site
from . import settings

SMTP_TIMEOUT = 20


def welcome_message(site: Site, login_link: str, to: str) -> EmailMessage:
    """The welcome mail of ``site``: its address and the one-time login link."""
    message = EmailMessage()
    message["Subject"] = f"Your new site {site.uri} is ready"
    message["From"] = str(settings.get("mail_from"))
    message["To"] = to
    message.set_content(
        f"Hello,\n\n"
        f"Your new site {site.uri} is installed: http://{site.uri}/\n\n"
        f"Log in once with this link within 24 hours, then set your password:\n"
        f"{login_link}\n\n"
        f"If the link has expired, ask for a new one with the site's \"Reset password\" task.\n"
    )
    return message


def send_welcome(site: Site, login_link: str) -> str | None:
    """Send the welcome mail to the site's client; None when sent, else a sentence saying
    what went wrong and what to do."""
    to = site.client.email if site.client is not None else ""
    if not to:
        return f"The welcome mail of {site.uri} was not sent: its client has no e-mail address."
    host = str(settings.get("smtp_host") or "localhost")
    port = int(settings.get("smtp_port") or 25)
    try:
        with smtplib.SMTP(host, port, timeout=SMTP_TIMEOUT) as smtp:
            smtp.send_message(welcome_message(site, login_link, to))
    except (OSError, smtplib.SMTPException) as exc:
        return (
            f"The welcome mail to {to} could not be sent through {host}:{port} ({exc}). "
            "Check the settings smtp_host and smtp_port, then send the site's login link "
            "by hand."
        )
    return None
