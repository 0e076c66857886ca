"""The credentials of one site's database, as the site's web server reaches it.

Application drivers receive a :class:`SiteCredentials` to install a site, make a login link or
read its packages; the vhost passes the same values to PHP as ``db_*`` server variables.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteCredentials:
    """A site's database ``name``, its ``user`` and ``password``, and where the server is."""

    name: str
    user: str
    password: str = field(repr=False)
    host: str = "localhost"
    port: int = 3306

    def server_variables(self) -> dict[str, str]:
        """The ``db_*`` variables a cloaked settings file reads from ``$_SERVER``."""
        return {
            "db_type": "mysql",
            "db_name": self.name,
            "db_user": self.user,
            "db_passwd": self.password,
            "db_host": self.host,
            "db_port": str(self.port),
        }
