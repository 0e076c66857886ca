"""``hostmaster secrets``: check that the key file decrypts every secret in the store, and
rotate that key (hostmaster/store_secrets.py, hostmaster/services/secret_keys.py)."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from .store_secrets import SecretsUnreadable, key_file

secrets_cli = AppGroup("secrets", help="The key that encrypts the secrets in the store.")


@secrets_cli.command("check")
def secrets_check() -> None:
    """Say how many secrets the store holds and whether the key file decrypts them all."""
    from .services import secret_keys

    found = secret_keys.count()
    if found.unreadable:
        raise click.ClickException(
            f"{found.unreadable} of the {found.stored} secrets in the store cannot be "
            f"decrypted. {found.problem}")
    click.echo(f"The key file {key_file()} decrypts all {found.stored} secrets in the store.")


@secrets_cli.command("rotate-key")
@click.option("--forget-old", is_flag=True,
              help="Also remove the old keys from the key file (backups of the store made "
                   "before then can no longer be decrypted with it).")
def secrets_rotate_key(forget_old: bool) -> None:
    """Encrypt every secret in the store again with a new key, put first in the key file.

    Run it while no task is being queued. Back up the key file again afterwards.
    """
    from .services import secret_keys

    try:
        done = secret_keys.rotate_key(forget_old=forget_old)
    except SecretsUnreadable as exc:
        raise click.ClickException(str(exc)) from None
    kept = ("the old keys are gone from it" if forget_old
            else "the old keys stay below it, for backups of the store made before")
    click.echo(f"Encrypted {done} secrets again with a new key in {key_file()}; {kept}. "
               "Back up the key file again.")


def commands() -> list[click.Command]:
    """The commands this module adds to ``hostmaster``."""
    return [secrets_cli]
