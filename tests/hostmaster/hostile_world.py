"""A store with one of everything the panel's forms work on, for the hostile corpus: servers,
platforms, a client with a user, an enabled site with backups, finished and queued tasks, an
API token, a failed mail, a doctor listing with an orphan, and the sign-up form open. Nothing
runs provision."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from hostmaster.extensions import db
from hostmaster.models import (
    Client,
    ClientUser,
    MailStatus,
    OutgoingMail,
    ServerStatus,
    SiteBackup,
    User,
    utcnow,
)
from hostmaster.queues import all_queues
from hostmaster.services import accounts, api_tokens, doctor, features, settings, tasks, users
from hostmaster.services.servers import ServiceSpec, create_server
from hostmaster.tasks import registry
from tests.fixtures.app import ADMIN_PASSWORD
from tests.hostmaster.site_helpers import enabled_site, finish, master_server, ready_platform

#: The orphan the doctor's last listing of the master found (a row only: nothing is removed).
ORPHAN = {"id": "database:oldshop", "kind": "database", "title": "database",
          "name": "oldshop", "detail": "with a user of the same name, 3 tables, 0.1 MB"}


@dataclass
class World:
    """The ids of what the world holds, and the values each route variable can take."""

    ids: dict[str, int]
    token: str
    aegir_root: Path
    route_values: dict[str, list[Any]] = field(default_factory=dict)
    #: (kind, entity id) pairs task routes are built for.
    entities: list[tuple[str, int]] = field(default_factory=list)
    #: Pages reached only with a query string (the crawl fetches them beside the routes).
    pages: list[str] = field(default_factory=list)


def make_world(aegir_root: Path) -> World:
    """Fill the store (in an app context); the admin account must exist."""
    for name in ("signup", "clients", "site_aliases", "migrate", "clone"):
        features.switch(name, True)
    master = master_server()
    master.status = ServerStatus.ENABLED
    other = create_server("db2.example.com", services={"db": ServiceSpec("mysql", db_user="x")})
    other.status = ServerStatus.ENABLED
    platform = ready_platform(master, "d7")
    target = ready_platform(master, "d7b")
    site = enabled_site(platform, master, "www.example.com")
    site.verified_at = utcnow()
    alice = users.create_user("alice", "alice@example.com", ADMIN_PASSWORD, roles=["client"])
    client = Client(name="Acme", email="acme@example.com", uname="acme",
                    users=[ClientUser(user=alice)])
    db.session.add(client)
    for number in (1, 2):
        db.session.add(SiteBackup(site_id=site.id, filename=f"{aegir_root}/backups/{number}.tar.gz",
                                  size=1000 * number, description=f"Backup {number}",
                                  created_at=utcnow() - timedelta(days=number)))
    done = tasks.queue(site, "backup")
    finish(done, {"backup_file": f"{aegir_root}/backups/3.tar.gz", "backup_file_size": 9})
    waiting = tasks.queue(master, "noop")
    mail = OutgoingMail(purpose="test", recipient="acme@example.com", subject="Hello",
                        body="Hello.", status=MailStatus.FAILED, attempts=1, last_error="refused")
    db.session.add(mail)
    for listing in doctor.queue_listings():
        finish(listing, {"orphans": [ORPHAN], "skipped": []})
    settings.put("signup_platforms", [platform.id])
    settings.put("signup_profiles", ["standard"])
    settings.put("signup_rate_limit", 1_000_000)
    db.session.commit()
    admin = db.session.scalars(select(User).where(User.username == "admin")).one()
    record, token = api_tokens.create(admin, "corpus")
    ids = {"master": master.id, "db2": other.id, "platform": platform.id, "target": target.id,
           "site": site.id, "client": client.id, "done": done.id, "waiting": waiting.id,
           "token": record.id, "alice": alice.id, "mail": mail.id}
    world = World(ids, token, aegir_root)
    world.entities = [("server", master.id), ("platform", platform.id), ("site", site.id)]
    world.route_values = {
        "client_id": [client.id], "site_id": [site.id], "platform_id": [target.id],
        "task_id": [done.id, waiting.id], "token_id": [record.id],
        "name": [queue.name for queue in all_queues()], "action": ["pause", "resume"],
        "token": [accounts.password_token(alice)], "uri": ["www.example.com"],
        "user_id": [alice.id], "mail_id": [mail.id],
    }
    world.pages = [f"/admin/doctor/remove?server_id={master.id}&orphan={ORPHAN['id']}"]
    return world


def entity_ids(world: World, endpoint: str) -> list[int]:
    """The ``entity_id`` a route of this blueprint takes (a server's, a platform's, a site's)."""
    prefix = endpoint.split(".", 1)[0]
    kind = {"servers": "master", "platforms": "platform", "platform_migrate": "platform",
            "sites": "site"}.get(prefix)
    return [world.ids[kind]] if kind else []


def task_routes(world: World) -> list[dict[str, Any]]:
    """The (kind, entity_id, type_name) values of the task routes: every task type of each
    entity of the world."""
    return [{"kind": kind, "entity_id": entity_id, "type_name": task_type.name}
            for kind, entity_id in world.entities for task_type in registry.types_for(kind)]
