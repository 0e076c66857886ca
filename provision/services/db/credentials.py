"""The credentials of one site's database, as the site's web server reaches it.

Application drivers receive a :class:`SiteCredentials` to install a site, make a login link or
read its packages. PHP reads the same values from the site's credentials file
(:meth:`SiteCredentials.file_content`), which the web server writes beside its configuration,
outside every docroot, readable by its workers' group only; the vhost names that file, so no
secret travels with a request.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SiteCredentials:
    """A site's database ``name``, its ``user`` and ``password``, and where the server is."""

    name: str
    user: str
    password: str = field(repr=False)
    host: str = "localhost"
    port: int = 3306

    def values(self) -> dict[str, str]:
        """The ``db_*`` values a settings file reads (the keys of ``sitefiles.DB_KEYS``)."""
        return {
            "db_type": "mysql",
            "db_name": self.name,
            "db_user": self.user,
            "db_passwd": self.password,
            "db_host": self.host,
            "db_port": str(self.port),
        }

    def file_content(self) -> str:
        """The credentials file: a JSON object of :meth:`values`.

        JSON rather than PHP, so that the file is data PHP decodes, never code it runs, and
        opcache never serves a password the file no longer holds."""
        return json.dumps(self.values(), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_file(cls, text: str) -> SiteCredentials | None:
        """The credentials a credentials file holds; None when it names no complete account."""
        try:
            values = json.loads(text)
        except ValueError:
            return None
        if not isinstance(values, dict) or not all(
            isinstance(values.get(key), str) and values[key]
            for key in ("db_name", "db_user", "db_passwd")
        ):
            return None
        port = str(values.get("db_port") or "")
        return cls(values["db_name"], values["db_user"], values["db_passwd"],
                   str(values.get("db_host") or "localhost"),
                   int(port) if port.isdigit() else 3306)
