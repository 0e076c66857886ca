"""Apache 2.4 (Debian layout): ``apache2ctl`` and ``conf-enabled``."""

from __future__ import annotations

from .base import HttpService


class ApacheService(HttpService):
    """Apache with its configuration under the aegir root, included from conf-enabled.

    provision writes no ``Listen`` line: the server's own ports configuration owns the ports.
    """

    type = "apache"
    default_restart_cmd = "apache2ctl graceful"
    default_configtest_cmd = "apache2ctl configtest"
    default_include_dir = "/etc/apache2/conf-enabled"
    # Apache re-reads its configuration after `apache2ctl graceful` has returned (about 0.1 s
    # later here) and stops if what it reads is broken: keep the next change well clear of it.
    # A server whose restart command waits for the reload to complete (the tests' private
    # Apache) may set http_reload_settle to 0.
    default_reload_settle = 1.0
