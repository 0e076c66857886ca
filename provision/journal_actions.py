"""What the journal records and how it acts on a record: the notes taken before each change,
the undo of each, and the cleanup actions run after a command's commit point.

Every ``note_*`` function does nothing when no journal is open (``provision show``, a cleanup
after the commit point, a recovery): the primitives call them unconditionally. Every undo and
cleanup is idempotent: recovery may run one that had already run before the kill.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .journal import current, decode, encode, reserved_by, server_of, suspended

if TYPE_CHECKING:
    from .contexts import Contexts
    from .contexts.store import ContextStore
    from .log import Logger
    from .services.base import Service
    from .transport import Transport


# Notes: called by the primitives just before they change something ---------------------

def note_file(transport: Transport, path: Path) -> None:
    """A file is about to be written or removed: keep what it holds now (or that it is not)."""
    journal = current()
    if journal is None:
        return
    server = server_of(transport)
    key = ("file", server or "", str(path))
    if key in journal._noted:
        return
    try:
        content: bytes | None = transport.read_file(Path(path))
        mode = transport.file_mode(Path(path))
    except (FileNotFoundError, IsADirectoryError):
        content, mode = None, None
    journal.undo({"type": "file", "server": server, "path": str(path),
                  "content": encode(content), "mode": mode}, key)


def note_folder(transport: Transport, path: Path) -> None:
    """A folder (and perhaps its parents) is about to be made: remember the topmost new one."""
    journal = current()
    if journal is None:
        return
    top = None
    probe = Path(path)
    while probe != probe.parent and not transport.exists(probe):
        top = probe
        probe = probe.parent
    if top is not None:
        server = server_of(transport)
        journal.undo({"type": "folder", "server": server, "path": str(top)},
                     ("folder", server or "", str(top)))


def trash_for(transport: Transport, path: Path) -> Path | None:
    """Where a folder goes instead of being removed before the commit point (None: no journal,
    so remove it). The folder is renamed there; the cleanup after the commit removes it."""
    journal = current()
    if journal is None:
        return None
    path = Path(path)
    server = server_of(transport)
    trash = path.with_name(f".{path.name}.removed-{journal.id}")
    journal.undo({"type": "rename", "server": server, "from": str(path), "to": str(trash)})
    journal.after_commit({"type": "remove_tree", "server": server, "path": str(trash)})
    return trash


def note_rename(transport: Transport, source: Path, target: Path) -> None:
    """``source`` is about to be renamed ``target``."""
    journal = current()
    if journal is not None:
        journal.undo({"type": "rename", "server": server_of(transport), "from": str(source),
                      "to": str(target)})


def note_remote_copy(transport: Transport, path: Path, exclude: Sequence[str]) -> None:
    """A folder is about to be copied to a remote server: remember whether it was there."""
    journal = current()
    if journal is None or not transport.remote:
        return
    server = server_of(transport)
    key = ("copy", server or "", str(path))
    if key in journal._noted:
        return
    journal.undo({"type": "remote_copy", "server": server, "path": str(path),
                  "existed": transport.exists(Path(path)), "exclude": list(exclude)}, key)


def note_context(store: ContextStore, name: str) -> None:
    """A context file is about to be written or deleted: keep it as it is now."""
    journal = current()
    if journal is None:
        return
    path = store.path_for(name)
    try:
        text: str | None = path.read_text(encoding="utf-8")
        mode: int | None = path.stat().st_mode & 0o777
    except FileNotFoundError:
        text, mode = None, None
    journal.undo({"type": "context", "name": name, "content": text, "mode": mode},
                 ("context", name))


def note_reload(service: Service) -> None:
    """A web server's configuration is about to change: after its files are put back, test
    and reload it (recorded first, so that it is undone last)."""
    journal = current()
    if journal is not None:
        name = service.server.name
        journal.undo({"type": "reload", "server": name}, ("reload", name))


def note_alias_map(path: Path, uri: str, aliases: list[str]) -> None:
    """The platform's alias map, which other sites share, is about to change: remember only
    ``uri``'s entries, so that an undo leaves the other sites' entries as they are then."""
    journal = current()
    if journal is not None:
        journal.undo({"type": "alias_map", "path": str(path), "uri": uri, "aliases": aliases},
                     ("alias_map", str(path), uri))


# Acting on records ------------------------------------------------------------------------

def transport_of(contexts: Contexts, server: str | None) -> Transport:
    """The transport of a record's server (None: the master's own files)."""
    from .contexts.model import ServerContext
    from .spoke import MASTER

    if not server:
        return MASTER
    context = contexts.load(server)
    assert isinstance(context, ServerContext)
    return context.transport


def run_undo(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    """Undo one recorded action; returns what was done, in words ("" when nothing was)."""
    with suspended():
        kind = action["type"]
        handler = _UNDO.get(kind)
        if handler is None:
            raise ValueError(f"unknown journal action {kind!r}")
        return handler(action, contexts, logger)


def run_cleanup(action: dict[str, Any], contexts: Contexts, logger: Logger) -> None:
    """Run one cleanup action (after the commit point; idempotent)."""
    with suspended():
        _CLEANUP[action["type"]](action, contexts, logger)


def _undo_file(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    transport = transport_of(contexts, action.get("server"))
    path = Path(action["path"])
    original = decode(action.get("content"))
    if original is None:
        if not transport.exists(path):
            return ""
        transport.remove(path)
        return f"removed {path}"
    try:
        if transport.read_file(path) == original and transport.file_mode(path) == action["mode"]:
            return ""
    except FileNotFoundError:
        pass
    _with_writable_folder(transport, path, lambda: transport.write_file(
        path, original, int(action.get("mode") or 0o644)))
    return f"put back {path}"


def _undo_folder(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    transport = transport_of(contexts, action.get("server"))
    path = Path(action["path"])
    if not transport.exists(path):
        return ""
    _remove_tree(transport, path)
    return f"removed {path}"


def _undo_rename(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    transport = transport_of(contexts, action.get("server"))
    source, target = Path(action["from"]), Path(action["to"])
    if not transport.exists(target):
        return ""
    if transport.exists(source):
        raise RuntimeError(f"{source} exists again, so {target} was left where it is")
    transport.rename(target, source)
    return f"moved {target} back to {source}"


def _undo_remote_copy(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    from .spoke import MASTER

    transport = transport_of(contexts, action.get("server"))
    path = Path(action["path"])
    if action.get("existed") and MASTER.exists(path):
        transport.push_folder(path, exclude=action.get("exclude") or [])
        return f"copied {path} to {transport.where} again"
    if not transport.exists(path):
        return ""
    transport.remove(path)
    return f"removed {path} from {transport.where}"


def _undo_context(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    name = str(action["name"])
    store = contexts.store
    contexts.forget(name)
    if action.get("content") is None:
        return f"deleted the context {name}" if store.delete(name) else ""
    store.write_text(name, str(action["content"]), int(action.get("mode") or 0o600))
    return f"put back the context {name}"


def _undo_reload(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    from .contexts.model import ServerContext
    from .services.http.base import HttpService

    server = contexts.load(str(action["server"]))
    assert isinstance(server, ServerContext)
    service = server.service("http")
    if not isinstance(service, HttpService):
        return ""
    service.test_and_reload()
    return f"tested and reloaded {service.type} on {server.name}"


def _undo_alias_map(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    from .apps.sitefiles import ALIAS_MAP_MODE, alias_map, read_existing
    from .spoke import MASTER

    path = Path(action["path"])
    old = read_existing(MASTER, path)
    new = alias_map(old, str(action["uri"]), list(action.get("aliases") or []))
    if new == old or not old:
        return ""
    _with_writable_folder(MASTER, path, lambda: MASTER.write_file(path, new, ALIAS_MAP_MODE))
    return f"put back the entries of {action['uri']} in {path}"


def _undo_database(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    server, name = str(action["server"]), str(action["name"])
    owner = str(action.get("owner") or "")
    if reserved_by(contexts.root, server, name) != owner:
        raise RuntimeError(f"the database name {name} is not reserved by this command, so the "
                           "database was not dropped")
    db = _mysql(contexts, server)
    if not db.database_exists(name):
        return ""
    if not action.get("done") and db.table_count(name) > 0:
        raise RuntimeError(f"the database {name} holds tables although this command was "
                           "stopped before creating it, so it was not dropped")
    db.drop_site_database(name, logger, quiet=True)
    return f"dropped the database {name}"


def _undo_db_user(action: dict[str, Any], contexts: Contexts, logger: Logger) -> str:
    db = _mysql(contexts, str(action["server"]))
    user, host = str(action["user"]), str(action["host"])
    if host not in db.user_hosts(user):
        return ""
    db.drop_user_at(user, host)
    return f"dropped the database user {user}@{host}"


_UNDO = {
    "file": _undo_file,
    "folder": _undo_folder,
    "rename": _undo_rename,
    "remote_copy": _undo_remote_copy,
    "context": _undo_context,
    "reload": _undo_reload,
    "alias_map": _undo_alias_map,
    "database": _undo_database,
    "db_user": _undo_db_user,
}


# Cleanup after the commit point ----------------------------------------------------------

def _remove_tree_action(action: dict[str, Any], contexts: Contexts, logger: Logger) -> None:
    transport = transport_of(contexts, action.get("server"))
    path = Path(action["path"])
    if transport.exists(path):
        _remove_tree(transport, path)
        logger.info(f"Removed {path}" + (f" on {transport.where}" if transport.remote else "")
                    + ".")
    elif action.get("warn"):
        logger.warning(f"The {action['warn']} {path} did not exist; nothing was removed.")


def _drop_database(action: dict[str, Any], contexts: Contexts, logger: Logger) -> None:
    _mysql(contexts, str(action["server"])).drop_site_database(
        str(action["name"]), logger, quiet=not action.get("warn"))


def _drop_user(action: dict[str, Any], contexts: Contexts, logger: Logger) -> None:
    _mysql(contexts, str(action["server"])).drop_site_user(
        str(action["user"]), logger, quiet=not action.get("warn"))


def _remove_config(action: dict[str, Any], contexts: Contexts, logger: Logger) -> None:
    from .contexts.model import ServerContext
    from .services.http.base import HttpService

    server = contexts.load(str(action["server"]))
    assert isinstance(server, ServerContext)
    service = server.service("http")
    path = Path(action["path"])
    if isinstance(service, HttpService) and not service.remove_config_file(path, logger) and (
            action.get("warn")):
        logger.warning(f"The {action['warn']} {path} did not exist; nothing was removed.")


def _delete_context(action: dict[str, Any], contexts: Contexts, logger: Logger) -> None:
    if contexts.delete(str(action["name"])):
        logger.info(f"Deleted the context {action['name']}.")


def _forget_aliases(action: dict[str, Any], contexts: Contexts, logger: Logger) -> None:
    from .contexts.model import PlatformContext
    from .spoke import push_platform

    said = _undo_alias_map({**action, "aliases": []}, contexts, logger)
    if said:
        logger.info(f"Removed the entries of {action['uri']} from {action['path']}.")
    name = str(action.get("platform") or "")
    if name and contexts.exists(name):
        platform = contexts.load(name)
        if isinstance(platform, PlatformContext) and platform.web_server.transport.remote:
            push_platform(platform, logger)


_CLEANUP = {
    "remove_tree": _remove_tree_action,
    "drop_database": _drop_database,
    "drop_user": _drop_user,
    "remove_config": _remove_config,
    "delete_context": _delete_context,
    "forget_aliases": _forget_aliases,
}


# Helpers -----------------------------------------------------------------------------------

def _mysql(contexts: Contexts, server: str) -> Any:
    from .contexts.model import ServerContext
    from .services.db.mysql import MysqlService

    context = contexts.load(server)
    assert isinstance(context, ServerContext)
    service = context.service("db")
    if not isinstance(service, MysqlService):
        raise RuntimeError(f"{server} runs no MySQL service any more")
    return service


def _remove_tree(transport: Transport, path: Path) -> None:
    """Remove ``path`` whole, giving its owner write permission first (Drupal leaves its site
    folder read-only)."""
    if transport.remote:
        transport.run(["chmod", "-R", "u+w", "--", str(path)], check=False)
    else:
        from .sites.folders import make_writable

        if path.is_dir() and not path.is_symlink():
            make_writable(path)
    transport.remove(path)


def _with_writable_folder(transport: Transport, path: Path, write: Any) -> None:
    """Write, giving the folder its owner's write permission back first when needed (Drupal
    leaves its site folder read-only)."""
    mode = transport.file_mode(path.parent)
    if mode is not None and not mode & 0o200:
        transport.chmod(path.parent, mode | 0o200)
    write()
