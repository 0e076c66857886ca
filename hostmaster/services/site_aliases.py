"""A site's aliases: which serve it and which redirect to its domain, the automatic ones the
settings add (as the original's hosting_alias does), and the rows that record them.

Every alias is either served or answers with a permanent redirect to the site's domain; it
redirects exactly when it is listed among the redirecting ones, automatic aliases included.
Automatic aliases are made again whenever the site is saved or renamed, so they follow the
settings and the site's domain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from ..models import Site, SiteAlias
from . import settings
from .site_domains import check_aliases, domain_owner, normalise
from .validation import check_domain


def automatic_aliases(uri: str) -> list[str]:
    """The aliases the settings give a site at ``uri``.

    ``alias_automatic_subdomain`` (e.g. hosting.example.net) gives ``<uri>.<subdomain>`` with
    every dash of the uri doubled and every dot made a dash (my-shop.com becomes
    my--shop-com.hosting.example.net), unless the uri already lies under that domain;
    ``alias_automatic_www`` gives www.<uri>, or the uri without its www. Names that would not
    be valid domains (a label over 63 characters) are left out.
    """
    found: list[str] = []
    subdomain = normalise(str(settings.get("alias_automatic_subdomain") or ""))
    if subdomain and uri != subdomain and not uri.endswith("." + subdomain):
        found.append(f"{uri.replace('-', '--').replace('.', '-')}.{subdomain}")
    if settings.get("alias_automatic_www"):
        found.append(uri.removeprefix("www.") if uri.startswith("www.") else f"www.{uri}")
    return [alias for alias in found if alias != uri and check_domain(alias) is None]


def check_alias_lists(aliases: Sequence[str], redirect_aliases: Sequence[str], uri: str, *,
                      ignore_site_id: int | None = None) -> dict[str, list[str]]:
    """Every reason the aliases cannot be used, by field (``aliases``, ``redirect_aliases``):
    each must be a free domain other than the site's, and listed once over both lists."""
    errors: dict[str, list[str]] = {}
    seen: set[str] = set()
    for field, listed in (("aliases", aliases), ("redirect_aliases", redirect_aliases)):
        problems = check_aliases(listed, uri, ignore_site_id=ignore_site_id)
        for alias in listed:
            if alias in seen:
                problems.append(f"{alias} is listed twice; give each alias once, either as "
                                "served or as redirecting.")
            seen.add(alias)
        if problems:
            errors[field] = list(dict.fromkeys(problems))
    return errors


def free_automatic_aliases(site: Site, uri: str) -> list[str]:
    """The automatic aliases of ``site`` at ``uri`` that no other site uses."""
    return [alias for alias in automatic_aliases(uri)
            if domain_owner(alias, ignore_site_id=site.id) is None]


def alias_rows(site: Site, uri: str, aliases: Iterable[str], redirect_aliases: Iterable[str],
               *, add_automatic: bool = True) -> list[SiteAlias]:
    """The site's alias rows for these lists (checked already) and, with ``add_automatic``,
    the automatic aliases of ``uri`` that no other site uses; rows that stay are reused, not
    made again."""
    redirected = list(redirect_aliases)
    typed = [*aliases, *redirected]
    added = free_automatic_aliases(site, uri) if add_automatic else []
    automatic = [alias for alias in automatic_aliases(uri) if alias in typed or alias in added]
    kept = {row.alias: row for row in site.aliases}
    rows = []
    for alias in dict.fromkeys([*typed, *automatic]):
        row = kept.get(alias) or SiteAlias(alias=alias)
        row.redirection = alias in redirected
        row.automatic = alias in automatic
        rows.append(row)
    return rows


def renamed(site: Site, new_uri: str) -> dict[str, list[str]]:
    """The aliases the site has once renamed to ``new_uri``: those given stay (less the new
    domain), the automatic ones of the new domain replace the old domain's (never the old
    domain itself: it goes, or is kept as a redirecting alias by the migrate)."""
    given = [row for row in site.aliases if not row.automatic and row.alias != new_uri]
    automatic = [alias for alias in free_automatic_aliases(site, new_uri)
                 if alias != site.uri and all(alias != row.alias for row in given)]
    return {"aliases": [row.alias for row in given if not row.redirection] + automatic,
            "redirect_aliases": [row.alias for row in given if row.redirection]}


def served(site: Site) -> list[str]:
    """The site's aliases that serve it."""
    return [row.alias for row in site.aliases if not row.redirection]


def redirected(site: Site) -> list[str]:
    """The site's aliases that redirect to its domain."""
    return [row.alias for row in site.aliases if row.redirection]


def automatic(site: Site) -> list[str]:
    """The site's automatic aliases."""
    return [row.alias for row in site.aliases if row.automatic]


def typed_served(site: Site) -> list[str]:
    """The served aliases somebody gave (what the form's Aliases field shows)."""
    return [row.alias for row in site.aliases if not row.redirection and not row.automatic]
