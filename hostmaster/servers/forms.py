"""The form that registers a server with its web and database services."""

from __future__ import annotations

import re

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

from ..services.servers import ServiceSpec, SshSpec

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

    def ip_list(self) -> list[str]:
        """The IP addresses typed in, split on commas and white space."""
        return [ip for ip in re.split(r"[\s,]+", self.ip_addresses.data or "") if ip]

    def ssh(self) -> SshSpec:
        """The SSH settings typed in."""
        return SshSpec(self.ssh_user.data or "", self.ssh_port.data,
                       self.ssh_key_file.data or "")

    def services(self) -> dict[str, ServiceSpec]:
        """The http and db services as the server service expects them."""
        http = ServiceSpec(type=self.http_type.data or "null")
        if http.type != "null":
            http.port = self.http_port.data
            http.restart_cmd = self.http_restart_cmd.data or ""
            http.options = {
                "http_configtest_cmd": (self.http_configtest_cmd.data or "").strip(),
                "http_include_dir": (self.http_include_dir.data or "").strip(),
                "php_fpm_socket": (self.php_fpm_socket.data or "").strip(),
            }
        db = ServiceSpec(type=self.db_type.data or "null")
        if db.type != "null":
            db.port = self.db_port.data
            db.db_user = self.db_user.data or ""
            db.db_password = self.db_password.data or ""
            db.options = {
                "db_host": (self.db_host.data or "").strip(),
                "db_socket": (self.db_socket.data or "").strip(),
            }
        return {"http": http, "db": db}
