"""First start on a machine: the admin account and the master server with what it detects."""

from __future__ import annotations

import os
import secrets
import shutil
import socket
from dataclasses import dataclass, field
from pathlib import Path

import pymysql
from flask import current_app
from sqlalchemy import func, select

from provision.aegir_user import refused_as_root

from ..aegir_user import aegir_account
from ..extensions import db
from ..models import Server, User
from . import contexts, settings, tasks, users
from .errors import ValidationError
from .servers import ServiceSpec, create_server
from .validation import check_hostname

MARIADB_SOCKETS = ("/run/mysqld/mysqld.sock", "/var/run/mysqld/mysqld.sock")
#: How the aegir user reloads and tests each web server: the commands contrib/sudoers allows.
SUDO_COMMANDS = {
    "apache": ("sudo -n /usr/sbin/apache2ctl graceful", "sudo -n /usr/sbin/apache2ctl configtest"),
    "nginx": ("sudo -n /usr/sbin/nginx -s reload", "sudo -n /usr/sbin/nginx -t"),
}

def db_admin_name() -> str:
    """The MariaDB admin account bootstrap creates (HOSTMASTER_DB_ADMIN, else aegir_root)."""
    return os.environ.get("HOSTMASTER_DB_ADMIN", "aegir_root")


@dataclass
class Detected:
    """What the machine offers the master server, and what it lacks (as sentences)."""

    services: dict[str, ServiceSpec] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)


def create_admin() -> str | None:
    """Create the ``admin`` account when there is no user; returns its new password, once."""
    if db.session.scalar(select(func.count(User.id))):
        return None
    password = secrets.token_urlsafe(12)
    users.create_user("admin", "admin@localhost.localdomain", password, roles=["administrator"])
    return password


def master_hostname() -> str:
    """This machine's fully qualified name, or ``localhost`` when it has no valid one."""
    name = socket.getfqdn().lower()
    return name if check_hostname(name) is None else "localhost"


def require_aegir_user() -> None:
    """Refused when bootstrap runs as root with no aegir user to hand the panel to."""
    if refused_as_root():
        aegir_account()


def includes_folder() -> str:
    """The aegir user's own folder of web server includes, ``<aegir root>/config/includes``:
    contrib/stack/install.sh makes Apache include it, since the aegir user may not write in
    /etc (an nginx master needs ``include <that folder>/*.conf;`` in /etc/nginx/conf.d)."""
    return str(Path(current_app.config["AEGIR_ROOT"]) / "config" / "includes")


def web_service(kind: str) -> ServiceSpec:
    """The master's web service of ``kind``; when the panel runs as the aegir user (bootstrap
    run as root), tested and reloaded through sudo (contrib/sudoers) and included from the
    aegir user's own folder."""
    if not refused_as_root():
        return ServiceSpec(type=kind)
    reload, test = SUDO_COMMANDS[kind]
    return ServiceSpec(type=kind, restart_cmd=reload, options={
        "http_configtest_cmd": test, "http_include_dir": includes_folder()})


def detect_services() -> Detected:
    """Apache or nginx, and MariaDB with an admin account made over its socket (as root)."""
    found = Detected()
    if os.geteuid() != 0:
        found.missing.append(
            "Not running as root: the master server gets no web or database service "
            "(run `make run` as root to manage Apache and MariaDB)."
        )
        return found
    if shutil.which("apache2ctl"):
        found.services["http"] = web_service("apache")
    elif shutil.which("nginx"):
        found.services["http"] = web_service("nginx")
    else:
        found.missing.append("No web server (Apache or nginx) is installed.")
    sock = next((s for s in MARIADB_SOCKETS if Path(s).exists()), None)
    if sock is None:
        found.missing.append("MariaDB is not running (no socket in /run/mysqld).")
        return found
    try:
        password = create_db_admin(sock)
    except pymysql.MySQLError as exc:
        found.missing.append(f"MariaDB refused to create the admin account: {exc.args[-1]}.")
        return found
    found.services["db"] = ServiceSpec(
        type="mysql", db_user=db_admin_name(), db_password=password,
        options={"db_host": "localhost"},
    )
    return found


def create_db_admin(sock: str) -> str:
    """(Re)create the admin account with a fresh random password; returns the password."""
    password = secrets.token_urlsafe(24)
    admin = db_admin_name()
    connection = pymysql.connect(unix_socket=sock, user="root", connect_timeout=10)
    try:
        with connection.cursor() as cursor:
            for host in ("localhost", "127.0.0.1"):
                cursor.execute(
                    "CREATE USER IF NOT EXISTS %s@%s IDENTIFIED BY %s", (admin, host, password)
                )
                cursor.execute("ALTER USER %s@%s IDENTIFIED BY %s", (admin, host, password))
                cursor.execute(
                    "GRANT ALL PRIVILEGES ON *.* TO %s@%s WITH GRANT OPTION", (admin, host)
                )
        connection.commit()
    finally:
        connection.close()
    return password


def register_master(public_url: str | None = None) -> tuple[Server | None, Detected]:
    """Register ``@server_master`` with the detected services (queues its verify) once, and
    settle the panel's public address (``settle_public_url``, ``public_url`` when given) when it
    is not set yet.

    On later starts the master is verified again, so that configuration written by an older
    version of provision is rewritten (and its platforms verified after it).
    """
    existing = contexts.master_server()
    if existing is not None:
        if tasks.why_unavailable(existing, "verify") is None:
            tasks.queue(existing, "verify")
        return None, Detected(missing=settle_public_url(public_url))
    detected = detect_services()
    server = create_server(
        master_hostname(), human_name="Master server", services=detected.services, master=True
    )
    detected.missing.extend(settle_public_url(public_url))
    return server, detected


def derived_public_url() -> str | None:
    """The panel's address from this machine's name: ``http://<fqdn>`` (the panel behind the
    master's web server), with HOSTMASTER_PORT when the panel itself listens on a public
    address (HOSTMASTER_HOST). None when the machine has no public name."""
    name = master_hostname()
    if name == "localhost" or "." not in name or name.endswith(".localhost"):
        return None
    host = os.environ.get("HOSTMASTER_HOST", "127.0.0.1")
    if host in ("127.0.0.1", "::1", "localhost"):
        return f"http://{name}"
    return f"http://{name}:{os.environ.get('HOSTMASTER_PORT', '5000')}"


def settle_public_url(given: str | None = None) -> list[str]:
    """Store the panel's public address when none is set: ``given`` (a command's option or
    answer), else HOSTMASTER_PUBLIC_URL, else the one made from this machine's name. Returns
    sentences for the admin (empty when there is nothing to say). A loopback address is never
    taken."""
    if settings.is_set("public_url"):
        return []
    how = ("set it with `hostmaster settings set public_url https://panel.example.com` or under "
           "Administration › Settings; until then sites cannot be disabled")
    from_environment = not given
    given = (given or os.environ.get("HOSTMASTER_PUBLIC_URL", "")).strip()
    if given:
        try:
            settings.save({"public_url": given})
        except ValidationError as error:
            named = f"HOSTMASTER_PUBLIC_URL={given}" if from_environment else f"The address {given}"
            return [f"{named} cannot be the panel's public address: {error} Give another, or "
                    f"{how}."]
        return []
    derived = derived_public_url()
    if derived is None:
        return [f"The panel's public address is not set: this machine's name "
                f"({master_hostname()}) is not one visitors can reach, and a loopback address "
                f"would send a disabled site's visitors to their own machine. Run "
                f"`HOSTMASTER_PUBLIC_URL=https://panel.example.com make run`, or {how}."]
    settings.save({"public_url": derived})
    return [f"The panel's public address was not given (HOSTMASTER_PUBLIC_URL), so it is "
            f"{derived}, from this machine's name: the address a disabled site sends its "
            "visitors to and links in mails start with. Change it with `hostmaster settings "
            "set public_url URL` or under Administration › Settings."]
