"""The forms that register a server with its web and database services and change it."""

from __future__ import annotations

import re
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    IntegerField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
    SubmitField,
)
from wtforms.validators import NumberRange, Optional

from ..models import Server
from ..services.server_edits import (
    FIELDS,
    PORT_FIELDS,
    ServerChanges,
    changes_of,
    field_values,
    with_changes,
)

PORT = [Optional(), NumberRange(1, 65535, "A port is a number from 1 to 65535.")]
# The service reports problems with a whole service under its name; show them on its type.
ERROR_FIELDS = {"http": "http_type", "db": "db_type"}


class ServerAddForm(FlaskForm):
    """Host name, addresses, and the settings of the http and db services."""

    hostname = StringField(
        "Host name",
        description="The server's fully qualified domain name, e.g. web1.example.com.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    human_name = StringField("Human-readable name", description="Optional, e.g. Web server 1.")
    ip_addresses = StringField(
        "IP addresses", description="Optional; separate addresses with commas or spaces."
    )
    http_type = SelectField(
        "Web server",
        choices=[
            SelectChoice("null", "None"),
            SelectChoice("apache", "Apache"),
            SelectChoice("nginx"),
        ],
        default="null",
    )
    http_port = IntegerField("Port", validators=PORT, description="Default: 80.")
    http_restart_cmd = StringField(
        "Restart command",
        description="Default: apache2ctl graceful (Apache) or nginx -s reload (nginx).",
    )
    http_configtest_cmd = StringField(
        "Config test command",
        description="Default: apache2ctl configtest (Apache) or nginx -t (nginx).",
    )
    http_include_dir = StringField(
        "Include folder",
        description="Where the web server reads extra configuration; default "
        "/etc/apache2/conf-enabled or /etc/nginx/conf.d.",
    )
    web_group = StringField(
        "Web group",
        description="The group the web server runs as, which may read the sites' database "
        "credentials; default www-data.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    http_reload_settle = StringField(
        "Reload settle time (seconds)",
        description="How long a configuration change waits after the previous reload, so that "
        "the web server has read its configuration again; default 1 (Apache) or 0 (nginx). "
        "0 only when the restart command returns once the reload is complete.",
        render_kw={"inputmode": "decimal"},
    )
    php_fpm_socket = StringField(
        "php-fpm socket",
        description="nginx only: the unix socket of the php-fpm pool that runs the sites' PHP; "
        "default /run/php/php8.2-fpm.sock.",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    db_type = SelectField(
        "Database server",
        choices=[SelectChoice("null", "None"), SelectChoice("mysql", "MySQL / MariaDB")],
        default="null",
    )
    db_host = StringField("Database host", description="Default: the server's host name.")
    db_port = IntegerField("Port", validators=PORT, description="Default: 3306.")
    db_socket = StringField(
        "Unix socket", description="Optional, e.g. /run/mysqld/mysqld.sock; TCP when empty."
    )
    db_user = StringField(
        "Admin user", description="An account that may create databases and grant privileges."
    )
    db_password = PasswordField("Admin password", render_kw={"autocomplete": "new-password"})
    ssh_user = StringField(
        "SSH user",
        description="For a remote server: the user provision logs in as (default: the user the "
        "dispatcher runs as).",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    ssh_port = IntegerField("SSH port", validators=PORT, description="Default: 22.")
    ssh_key_file = StringField(
        "SSH key file",
        description="For a remote server: the private key on the master provision logs in with, "
        "e.g. /var/aegir/.ssh/id_ed25519 (default: the dispatcher user's usual keys).",
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
    submit = SubmitField("Add server")

    def field_values(self) -> dict[str, Any]:
        """What was typed in, by the field names hostmaster/services/server_edits.py uses
        (addresses split on commas and white space)."""
        values: dict[str, Any] = {name: self[name].data for name in FIELDS if name in self}
        values["ip_addresses"] = [
            ip for ip in re.split(r"[\s,]+", self.ip_addresses.data or "") if ip]
        return values

    def changes(self, base: ServerChanges | None = None) -> ServerChanges:
        """``base`` (a new server's blank settings) with what was typed in."""
        return with_changes(base or ServerChanges(), self.field_values())


class ServerEditForm(ServerAddForm):
    """Everything of a server but its host name (its context name is made from it)."""

    hostname = None
    db_password = PasswordField(
        "Admin password", description="Leave it empty to keep the stored password.",
        render_kw={"autocomplete": "new-password"})
    submit = SubmitField("Save server")


def edit_form_data(server: Server) -> dict[str, Any]:
    """The edit form's values for ``server`` as it is (never its password)."""
    values = field_values(changes_of(server))
    values["ip_addresses"] = ", ".join(values["ip_addresses"])
    return {name: "" if value is None and name not in PORT_FIELDS else value
            for name, value in values.items()}
