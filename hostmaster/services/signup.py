"""The sign-up form's work: the platforms and profiles offered to anonymous visitors, and a
sign-up that makes a client, its user and a site (install queued) in one transaction, then
mails the user a link to set a password."""

from __future__ import annotations

from dataclasses import dataclass

from flask import current_app

from ..extensions import db
from ..models import Client, ClientUser, MailStatus, Platform, Server, Site, User
from . import accounts, clients, outbox, rate_limits, settings, sites, users
from .errors import ValidationError
from .site_domains import check_site_domain, normalise
from .transaction import Collision, transaction
from .validation import check_text

BUCKET = "signup"
WINDOW_SECONDS = 3600


@dataclass
class Offer:
    """A platform offered for sign-up and the profiles offered on it (empty: the platform's
    default, as for WordPress)."""

    platform: Platform
    profiles: list[str]


@dataclass
class SignupRequest:
    """What a visitor typed into the sign-up form."""

    name: str
    email: str
    uri: str
    platform_id: int | None
    profile: str = ""


@dataclass
class Signup:
    """What a sign-up made."""

    client: Client
    user: User
    site: Site
    mail_problem: str | None = None


def offers() -> list[Offer]:
    """The enabled platforms the admin offers for sign-up, each with its offered profiles."""
    platform_ids = {int(i) for i in settings.get("signup_platforms")}
    wanted = set(settings.get("signup_profiles"))
    profiles = sites.profiles_by_platform()
    return [
        Offer(platform, [p for p in profiles.get(platform.id, []) if p in wanted])
        for platform in sites.offered_platforms()
        if platform.id in platform_ids
    ]


def wait_before_signup(remote_address: str) -> int:
    """Count a sign-up try from ``remote_address``; the seconds to wait when it tried too
    often within the hour, else 0."""
    return rate_limits.attempt(
        BUCKET, remote_address, int(settings.get("signup_rate_limit")), WINDOW_SECONDS)


def _db_server(platform: Platform) -> Server | None:
    """The platform's own server when it has a database service, else the first one that has."""
    if platform.web_server.service_type("db") != "null":
        return platform.web_server
    found = sites.db_servers()
    return found[0] if found else None


def _check(request: SignupRequest) -> tuple[dict[str, list[str]], Offer | None]:
    errors: dict[str, list[str]] = {}
    request.name, request.email = request.name.strip(), request.email.strip()
    request.uri = normalise(request.uri)
    if not request.name:
        errors["name"] = ["Enter your name (or your organisation's)."]
    elif problem := check_text(request.name, "name", 255):
        errors["name"] = [problem]
    problem = users.check_email(request.email)
    if problem:
        errors["email"] = [problem]
    problem = check_site_domain(request.uri)
    if problem:
        errors["uri"] = [problem]
    offer = next((o for o in offers() if o.platform.id == request.platform_id), None)
    if offer is None:
        errors["platform"] = ["Choose one of the platforms offered."]
    elif offer.profiles and request.profile not in offer.profiles:
        names = ", ".join(offer.profiles)
        errors["profile"] = [f"{offer.platform.name} offers these profiles: {names}."]
    elif not offer.profiles:
        request.profile = ""
    return errors, offer


def sign_up(request: SignupRequest) -> Signup:
    """Create the client, its user (role "client", no password yet) and the site with its
    install queued, in one transaction; then mail the user a link to set a password.

    Raises ValidationError, having written nothing, on bad input. When another request takes
    the short name or user name chosen here at the same moment, the next free ones are
    chosen; when it takes the domain, the form says so.
    """
    for attempt in range(1, clients.COLLISION_ATTEMPTS + 1):
        errors, offer = _check(request)
        if errors or offer is None:
            raise ValidationError(errors)
        try:
            client, user, site = _create(request, offer, clients.first_suffix(attempt))
        except Collision as collision:
            current_app.logger.info("Sign-up of %s collided: %s", request.uri, collision)
            if attempt == clients.COLLISION_ATTEMPTS:
                raise ValidationError("Your sign-up met others at the same moment; nothing "
                                      "was saved. Please send the form again.") from collision
            continue
        sent = accounts.send_password_mail(
            user, str(settings.get("signup_subject")), str(settings.get("signup_body")),
            "sign-up", name=client.name, site=site.uri,
        )
        problem = outbox.failure(sent) if sent.status != MailStatus.SENT else None
        if problem:
            current_app.logger.warning("Sign-up of %s: %s", site.uri, problem)
        return Signup(client, user, site, problem)
    raise AssertionError("unreachable")


def _create(request: SignupRequest, offer: Offer, first: int) -> tuple[Client, User, Site]:
    """The client, its user and the site (its install queued), committed together; their
    names are the free ones from suffix ``first`` on (clients.first_suffix)."""
    with transaction():
        client = Client(name=request.name, email=request.email,
                        uname=clients.free_uname(request.name, first=first))
        username = users.free_username(request.email, first=first)
        try:
            user = users.create_user(username, request.email, None,
                                     roles=[clients.CLIENT_ROLE], commit=False)
        except ValidationError as refused:
            if set(refused.errors) != {"username"}:
                raise
            # Another sign-up took the free name since free_username looked: a collision,
            # so the next attempt looks further on.
            raise Collision.field("username", str(refused)) from refused
        client.users = [ClientUser(user=user)]
        db.session.add(client)
        spec = sites.SiteSpec(uri=request.uri, platform=offer.platform, client=client,
                              profile=request.profile, db_server=_db_server(offer.platform))
        site = sites.create_site(spec, user=user)  # commits client, user and site together
    return client, user, site
