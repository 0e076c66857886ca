"""``hostmaster client``: list, show, add, edit and delete clients (while the Clients feature is
on), through the same service as the panel's client pages."""

from __future__ import annotations

import click
from flask import current_app

from .. import access
from ..api.serialize import as_dict
from ..models import Client, MailStatus
from ..services import clients
from ..services.clients import ClientSpec
from ..services.errors import ValidationError
from . import lookup
from .base import NounGroup
from .options import refused, require_feature
from .output import emit, fields, listing, output_options, table, warn

client_cli = NounGroup("client", help="Clients: list, show, add, edit and delete.")

CLIENT_FLAGS = {"name": "NAME", "email": "--email", "email_confirm": "--email",
                "organisation": "--organisation", "uname": "--uname", "usernames": "--user"}


@client_cli.command("list")
@output_options
def client_list() -> None:
    """Every client, with its short name, e-mail and number of sites."""
    require_feature("clients")
    rows = clients.list_clients(viewer=access.COMMAND_LINE)
    counts = clients.site_counts()
    emit(listing([as_dict(row) for row in rows], len(rows), len(rows), 0), [
        *table(["ID", "NAME", "SHORT NAME", "E-MAIL", "SITES"],
               [[c.id, c.name, c.uname, c.email, counts.get(c.id, 0)] for c in rows]),
        f"{len(rows)} client(s).",
    ])


@client_cli.command("show")
@click.argument("client_word", metavar="CLIENT")
@output_options
def client_show(client_word: str) -> None:
    """A client's details, users and sites."""
    require_feature("clients")
    client = lookup.client(client_word)
    emit(as_dict(client), fields(_details(client)))


def _details(client: Client) -> list[tuple[str, object]]:
    return [("id", client.id), ("name", client.name), ("short name", client.uname),
            ("organisation", client.organisation), ("e-mail", client.email),
            ("users", ", ".join(row.user.username for row in client.users) or "none"),
            ("sites", ", ".join(site.uri for site in clients.sites_of(client)) or "none")]


@client_cli.command("add")
@click.argument("name")
@click.option("--email", required=True, help="The client's e-mail address.")
@click.option("--organisation", default="")
@click.option("--uname", default="", help="The short name (default: made from NAME).")
@click.option("--user", "usernames", multiple=True, metavar="USERNAME",
              help="An account allowed on the client (repeat); without one, an account is "
                   "made for the client when the client settings say so.")
@output_options
def client_add(name: str, email: str, organisation: str, uname: str,
               usernames: tuple[str, ...]) -> None:
    """Create a client (and, by the client settings, its account and welcome mail)."""
    require_feature("clients")
    spec = ClientSpec(name=name, email=email, email_confirm=email, organisation=organisation,
                      uname=uname, usernames=list(usernames))
    try:
        client, made = clients.create_client(spec)
    except ValidationError as error:
        raise refused(error, CLIENT_FLAGS) from None
    said = f"Client {client.name} created (short name {client.uname})."
    if made is not None:
        # The mail's link is the panel's address (HOSTMASTER_URL) and a route's path; paths
        # are built inside a request.
        with current_app.test_request_context():
            sent = clients.send_welcome(client, made)
        if sent is None:
            warn(f"The account {made.username} was made for it; it has no password until one "
                 "is set through a reset link.")
        elif sent.status == MailStatus.SENT:
            warn(f"The account {made.username} was made for it and mailed a password link.")
        else:
            warn(f"The account {made.username} was made for it, but its password mail could "
                 f"not be sent: {sent.last_error}. It waits in the outbox (`hostmaster "
                 "settings` for the mail settings); or set the password with `hostmaster user`.")
    emit(as_dict(client), said)


@client_cli.command("edit")
@click.argument("client_word", metavar="CLIENT")
@click.option("--name", default=None)
@click.option("--email", default=None)
@click.option("--organisation", default=None)
@click.option("--uname", default=None, help="A new short name.")
@click.option("--user", "usernames", multiple=True, metavar="USERNAME",
              help="The accounts allowed on the client become these (repeat).")
@output_options
def client_edit(client_word: str, name: str | None, email: str | None,
                organisation: str | None, uname: str | None, usernames: tuple[str, ...]) -> None:
    """Change a client's details or users; what is not given stays as it is."""
    require_feature("clients")
    client = lookup.client(client_word)
    kept_users = [row.user.username for row in client.users]
    new_email = client.email if email is None else email
    spec = ClientSpec(
        name=client.name if name is None else name, email=new_email, email_confirm=new_email,
        organisation=client.organisation if organisation is None else organisation,
        uname=client.uname if uname is None else uname,
        usernames=list(usernames) or kept_users)
    try:
        clients.update_client(client, spec)
    except ValidationError as error:
        raise refused(error, CLIENT_FLAGS) from None
    emit(as_dict(client), f"Client {client.name} saved.")


@client_cli.command("delete")
@click.argument("client_word", metavar="CLIENT")
@output_options
def client_delete(client_word: str) -> None:
    """Delete a client that owns no site."""
    require_feature("clients")
    client = lookup.client(client_word)
    body = as_dict(client)
    clients.delete_client(client)
    emit(body, f"Client {body['name']} deleted.")
