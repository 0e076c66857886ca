"""nginx (Debian layout): ``nginx -t``, ``nginx -s reload`` and ``conf.d``."""

from __future__ import annotations

from ...contexts.properties import Property
from .base import HttpService


class NginxService(HttpService):
    """nginx with its configuration under the aegir root, included from conf.d (http level)."""

    type = "nginx"
    default_restart_cmd = "nginx -s reload"
    default_configtest_cmd = "nginx -t"
    default_include_dir = "/etc/nginx/conf.d"
    # nginx keeps serving with its old configuration when a reload reads a broken one.
    default_reload_settle = 0.0

    @classmethod
    def properties(cls) -> list[Property]:
        """The shared web server properties plus the php-fpm socket sites' PHP goes to."""
        return [
            *super().properties(),
            Property("php_fpm_socket", "the unix socket of the php-fpm pool that runs PHP",
                     kind="path", default="/run/php/php8.2-fpm.sock"),
        ]
