"""Installing a site: database, grants, folders, settings, vhost, then the application."""

from __future__ import annotations

import grp
import stat

from tests.provision.sites_support import SiteStack, unique_uri
from tests.provision.standin_app import title_of


def test_an_installed_site_is_served_with_its_title_through_the_web_server(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()

    ran = site_stack.install(uri)

    result = ran.result
    assert result["db_name"] == uri.replace("-", "").replace(".", "")[:16]
    assert result["db_user"] == result["db_name"]
    assert result["login_link"].startswith(f"http://{uri}/login/")
    assert result["cron_key"] and result["packages"] == []
    body = site_stack.instance.wait_for_body(title_of(uri), host=uri)
    assert f"<title>{title_of(uri)}</title>" in body
    assert "db_passwd" not in result
    context = site_stack.context(uri)
    assert context["site_enabled"] is True and context["db_name"] == result["db_name"]


def test_the_site_folders_belong_to_the_web_group_with_the_setgid_bit(
    site_stack: SiteStack,
) -> None:
    uri = unique_uri()
    site_stack.install(uri)

    site_path = site_stack.site_path(uri)
    for name in ("files", "private"):
        info = (site_path / name).stat()
        assert stat.S_IMODE(info.st_mode) == 0o2770
        assert grp.getgrgid(info.st_gid).gr_name == "www-data"
    assert stat.S_IMODE(site_path.stat().st_mode) == 0o755


def test_private_files_are_refused_to_visitors(site_stack: SiteStack) -> None:
    uri = unique_uri()
    site_stack.install(uri)
    (site_stack.site_path(uri) / "private" / "secret.txt").write_text("private matter\n")
    (site_stack.site_path(uri) / "files" / "public.txt").write_text("public matter\n")
    site_stack.instance.wait_for_body(title_of(uri), host=uri)

    private = site_stack.instance.get(f"/sites/{uri}/private/secret.txt", host=uri)
    public = site_stack.instance.get(f"/sites/{uri}/files/public.txt", host=uri)

    assert private[0] == 403 and "private matter" not in private[1]
    assert public == (200, "public matter\n")


def test_a_second_site_with_the_same_name_start_gets_a_numbered_database(
    site_stack: SiteStack,
) -> None:
    first = unique_uri("long-name-alpha")
    one = site_stack.install(first).result["db_name"]
    # Another uri whose first 16 letters and digits are the same as the first site's.
    collide = "www." + first.replace(".test", ".example")

    two = site_stack.install(collide).result["db_name"]

    assert len(one) == 16 and two == one[:14] + "_1"
    assert site_stack.instance.wait_for_body(title_of(collide), host=collide)
