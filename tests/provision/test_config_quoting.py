"""Every value provision writes into Apache or nginx configuration is quoted: a hostile but
valid value changes what is inside the quotes, never a line of the template; a value that
cannot be quoted (a line break, NUL) stops the render (the second guard, after validation)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest

from provision.errors import ContextError
from provision.render import quote, render
from tests.fixtures.hostile import config_skeleton

LONG_LABEL = "l" * 63


def vhost_values(**changes: Any) -> dict[str, Any]:
    """What a site's vhost is rendered with: a plain site, changed by ``changes``."""
    values: dict[str, Any] = {
        "uri": "www.example.com",
        "aliases": ["example.com", "shop.example.com"],
        "redirects": ["old.example.com"],
        "enabled": True,
        "port": 80,
        "docroot": "/var/aegir/platforms/d7",
        "sites_dir": "/var/aegir/platforms/d7/sites",
        "denied_files": ["wp-site.php"],
        "variables": {"plugin_note": "example",
                      "db_credentials": "/var/aegir/config/master/credentials/x.json"},
        "disabled_url": "http://hostmaster.example.com/hosting/disabled/www.example.com",
        "php_fpm_socket": "/run/php/php8.2-fpm.sock",
        "extra": [],
        "https": "off",
        "https_port": 443,
        "https_authority": "",
        "hsts": False,
        "tls": None,
        "tls_ciphers": "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
        "challenge_folder": "/var/aegir/config/server_master/acme-challenge",
        "site_url": "http://www.example.com",
    }
    return {**values, **changes}


#: Values that pass every rule of provision.validation and still try to break out.
HOSTILE = {
    "uri": f"xn--bcher-kva.{LONG_LABEL}.example",
    "aliases": [f"{LONG_LABEL}.example", "xn--mnchen-3ya.example"],
    "redirects": [f"xn--80ak6aa92e.{LONG_LABEL}.example"],
    "docroot": "/var/aegir/platforms/d+7@~x/web",
    "sites_dir": "/var/aegir/platforms/d+7@~x/web/sites",
    "variables": {"plugin_note": 'p"; Include /etc/passwd #\\ ${HOME} $uri \'x\' {}<>',
                  "db_credentials": "/var/aegir/a+b@c~d/config/x/credentials/a b;c.json"},
    "disabled_url": f"https://hostmaster.example.com:8443/hosting/disabled/{LONG_LABEL}.example",
    "php_fpm_socket": "/run/php/php8.2-fpm~pool+a.sock",
    "challenge_folder": "/var/aegir/a+b@c~d/config/server_x/acme-challenge",
    "site_url": f"https://xn--bcher-kva.{LONG_LABEL}.example:8443",
}

#: A site's HTTPS: its certificate files, with the same hostile path as its other files.
TLS = {"certificate": "/var/aegir/a+b@c~d/config/x/tls/a.example/fullchain.pem",
       "key": "/var/aegir/a+b@c~d/config/x/tls/a.example/privkey.pem"}


def render_both(template: str, **common: Any) -> tuple[str, str]:
    benign = render(template, **vhost_values(**common))
    hostile = render(template, **vhost_values(**{**HOSTILE, **common}))
    return benign, hostile


@pytest.mark.parametrize("server_type", ["apache", "nginx"])
@pytest.mark.parametrize(
    "mode",
    [{"enabled": True}, {"enabled": False}, {"enabled": True, "redirects": []},
     {"enabled": True, "https": "enabled", "tls": TLS, "hsts": True},
     {"enabled": True, "https": "required", "tls": TLS, "https_port": 8443,
      "https_authority": ":8443"}],
    ids=["enabled", "disabled", "no-redirects", "https-enabled", "https-required"],
)
def test_a_vhost_with_hostile_values_has_exactly_the_templates_lines(
    server_type: str, mode: dict[str, Any]
) -> None:
    benign, hostile = render_both(f"{server_type}/vhost.conf.j2", **mode)

    assert len(hostile.splitlines()) == len(benign.splitlines())
    assert config_skeleton(hostile) == config_skeleton(benign)
    assert HOSTILE["uri"] in hostile  # the values are there, inside their quotes


@pytest.mark.parametrize("server_type", ["apache", "nginx"])
def test_server_and_platform_files_with_hostile_values_have_the_templates_lines(
    server_type: str,
) -> None:
    def server_files(root: str, name: str, panel: str, upstream: str) -> str:
        server = SimpleNamespace(name=name)
        folders = {kind: f"{root}/config/{name[1:]}/{kind}"
                   for kind in ("pre.d", "platform.d", "vhost.d", "post.d")}
        platform = SimpleNamespace(name="@platform_" + name[8:], root=f"{root}/platforms/x")
        return "\n".join([
            render(f"{server_type}/server.conf.j2", server=server, port=80, folders=folders,
                   default_page="No site is configured for this address.",
                   include_file=f"/etc/{server_type}/conf.d/aegir-{name[1:]}.conf", extra=[],
                   panel_file=f"{root}/config/{name[1:]}/{server_type}/panel.conf"),
            render(f"{server_type}/panel.conf.j2", server=server, hostname=panel,
                   upstream=upstream, port=80, https_port=443, https_authority="",
                   challenge_folder=f"{root}/config/{name[1:]}/acme-challenge",
                   tls={"certificate": f"{root}/tls/.panel/fullchain.pem",
                        "key": f"{root}/tls/.panel/privkey.pem"},
                   tls_ciphers="ECDHE-ECDSA-AES128-GCM-SHA256", hsts=False),
            render(f"{server_type}/include.conf.j2", config_file=f"{root}/config/x.conf"),
            render(f"{server_type}/platform.conf.j2", platform=platform, docroot=platform.root,
                   htaccess=f"{platform.root}/.htaccess", extra=[]),
        ])

    benign = server_files("/var/aegir", "@server_master", "panel.example.com", "127.0.0.1:5000")
    hostile = server_files("/var/aegir/a+b@c~d", f"@server_{LONG_LABEL}.x-y_z",
                           f"{LONG_LABEL}.xn--bcher-kva.example", "[::1]:65535")

    assert config_skeleton(hostile) == config_skeleton(benign)


@pytest.mark.parametrize("server_type", ["apache", "nginx"])
@pytest.mark.parametrize(
    "changes",
    [
        {"uri": "www.example.com\nInclude /etc/passwd"},
        {"aliases": ["a.example\r\nServerAlias evil.example"]},
        {"redirects": ["a.example\nReturn 200"]},
        {"docroot": "/var/aegir/platforms/x\x00"},
        {"variables": {"plugin_note": "line\nbreak"}},
    ],
    ids=["uri", "alias", "redirect", "docroot", "variable"],
)
def test_a_value_with_a_line_break_or_nul_stops_the_render(
    server_type: str, changes: dict[str, Any]
) -> None:
    with pytest.raises(ContextError, match="cannot be written into web server configuration"):
        render(f"{server_type}/vhost.conf.j2", **vhost_values(**changes))


def test_quote_escapes_quotes_and_backslashes_the_way_apache_and_nginx_read_them() -> None:
    assert quote('a"b\\c') == '"a\\"b\\\\c"'
    assert config_skeleton(quote('"; Include /x; "')) == ['""']
