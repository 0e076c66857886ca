"""Domains of sites and their aliases: the shape of a domain and who already uses it."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from ..extensions import db
from ..models import ContextName, Site, SiteAlias, SiteStatus
from . import panel_publishing
from .validation import check_domain, normalised, rules

#: The longest domain a site may have (every file named after it must fit).
MAX_DOMAIN = rules.SITE_DOMAIN_MAX


def normalise(value: str) -> str:
    """A domain as provision stores it: lower case, in IDNA form, without a final dot; a value
    that is no domain stays as typed (trimmed, lower case) for the check to refuse."""
    typed = value.strip().lower()
    result: str = normalised(rules.domain, typed, typed)
    return result


def domain_owner(domain: str, *, ignore_site_id: int | None = None) -> str | None:
    """What already uses ``domain`` (a sentence fragment), or None when it is free.

    Deleted sites and their aliases free their domains; ``ignore_site_id`` is the site being
    edited, whose own domain and aliases do not count against it.
    """
    site_query = select(Site.uri).where(Site.uri == domain, Site.status != SiteStatus.DELETED)
    alias_query = (
        select(Site.uri)
        .join(SiteAlias, SiteAlias.site_id == Site.id)
        .where(SiteAlias.alias == domain, Site.status != SiteStatus.DELETED)
    )
    if ignore_site_id is not None:
        site_query = site_query.where(Site.id != ignore_site_id)
        alias_query = alias_query.where(Site.id != ignore_site_id)
    if db.session.scalar(site_query.limit(1)) is not None:
        return "another site"
    owner = db.session.scalar(alias_query.limit(1))
    if owner is not None:
        return f"an alias of {owner}"
    if panel_publishing.published() and domain == panel_publishing.hostname():
        return "the panel itself (published at its public address)"
    context = db.session.scalar(select(ContextName).where(ContextName.name == domain))
    if context is not None and not (
        context.entity_kind == "site" and context.entity_id == ignore_site_id
    ):
        return f"the context of a {context.entity_kind}"
    return None


def check_site_domain(domain: str, *, ignore_site_id: int | None = None) -> str | None:
    """None when ``domain`` may name a site; else a sentence saying why not and what to do."""
    if not domain:
        return "Enter the site's domain, e.g. www.example.com."
    problem = check_domain(domain)
    if problem:
        return problem
    owner = domain_owner(domain, ignore_site_id=ignore_site_id)
    if owner is not None:
        return f"{domain} is already used by {owner}; choose another domain."
    return None


def parse_aliases(text: str) -> list[str]:
    """The aliases typed one per line (blank lines dropped, order and duplicates kept: an
    alias typed twice is refused, not silently dropped)."""
    return [normalise(line) for line in text.splitlines() if line.strip()]


def check_aliases(
    aliases: Iterable[str], uri: str, *, ignore_site_id: int | None = None
) -> list[str]:
    """Sentences about every alias that cannot be used (an empty list when all are fine)."""
    problems: list[str] = []
    for alias in aliases:
        if alias == uri:
            problems.append(f"{alias} is the site's own domain; it needs no alias.")
            continue
        problem = check_domain(alias)
        if problem is None:
            owner = domain_owner(alias, ignore_site_id=ignore_site_id)
            if owner is not None:
                problem = f"{alias} is already used by {owner}; remove it or choose another."
        if problem:
            shown = alias if len(alias) <= 60 else alias[:57] + "..."
            problems.append(problem if shown in problem else f"Alias {shown}: {problem}")
    return problems
