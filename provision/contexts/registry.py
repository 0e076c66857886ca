"""Loading, saving and deleting contexts, with the validation ``provision save`` promises."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from .. import validation
from ..errors import ContextError
from ..log import Logger
from ..validation import InvalidValue
from .model import CONTEXT_CLASSES, Context
from .names import validate_name
from .properties import Property
from .schema import check_context_type, definitions, service_kinds, service_type_names
from .store import ContextStore, StoredContext


def _is_unset(value: Any) -> bool:
    """Whether a given value means "unset this property" (the string ``null`` or JSON null)."""
    return value is None or (isinstance(value, str) and value.strip().lower() == "null")


class Contexts:
    """The contexts of one aegir root, loaded at most once each."""

    def __init__(self, root: Path, logger: Logger | None = None) -> None:
        self.root = Path(root).absolute()
        self.store = ContextStore(self.root)
        self.logger = logger
        self._loaded: dict[str, Context] = {}

    def exists(self, name: str) -> bool:
        """Whether context ``name`` is stored."""
        return self.store.exists(validate_name(name))

    def load(
        self,
        name: str,
        *,
        expected_type: str | None = None,
        referrer: tuple[Context, str] | None = None,
    ) -> Context:
        """Context ``name`` as an object; ``expected_type`` refuses a context of another type.

        ``referrer`` (the context and property that named this one) only makes the error
        message clearer.
        """
        validate_name(name)
        if name not in self._loaded:
            stored = self.read(name)
            if stored is None:
                via = f" (named by {referrer[0].name} as {referrer[1]})" if referrer else ""
                raise ContextError(
                    f"The context {name}{via} does not exist; create it with "
                    f"`provision save {name} --context_type=...` first."
                )
            context_class = CONTEXT_CLASSES.get(stored.context_type)
            if context_class is None:
                raise ContextError(
                    f"The context file of {name} has the unknown type "
                    f"{stored.context_type!r}; delete it and save {name} again."
                )
            known = definitions(stored.context_type, stored.properties)
            context = context_class(self, stored, known)
            self._remember_secrets(context.secret_values())
            self._loaded[name] = context
        context = self._loaded[name]
        if expected_type is not None and context.context_type != expected_type:
            via = f"The property {referrer[1]} of {referrer[0].name} names" if referrer else "It"
            raise ContextError(
                f"{via} {name}, which is a {context.context_type}, not a {expected_type}."
            )
        return context

    def read(self, name: str) -> StoredContext | None:
        """Context ``name`` as stored (None when it is not), its values checked again as
        ``save`` checks them: a file written by hand or by an older provision holding a value
        provision would not have saved is refused with a ContextError."""
        stored = self.store.read(validate_name(name))
        if stored is None or stored.context_type not in CONTEXT_CLASSES:
            return stored
        known = definitions(stored.context_type, stored.properties)
        try:
            for key, value in stored.properties.items():
                if key in known:
                    stored.properties[key] = known[key].convert(value)
            self._check_paths_and_domains(stored.name, stored.context_type, stored.properties)
        except (ContextError, InvalidValue) as refusal:
            raise ContextError(
                f"The context file of {stored.name} holds a value provision refuses ({refusal}) "
                f"Save {stored.name} again with a valid value."
            ) from None
        return stored

    def save(self, name: str, given: Mapping[str, Any]) -> Context:
        """Create or update context ``name`` with the ``given`` properties and store it.

        Only the given properties change; ``null`` unsets one. Unknown properties, bad
        values, references to missing contexts or contexts of the wrong type, and missing
        required properties are refused with a ContextError and nothing is written.
        """
        validate_name(name)
        given = dict(given)
        existing = self.store.read(name)
        context_type = self._context_type(name, given.pop("context_type", None), existing)
        stored = dict(existing.properties) if existing is not None else {}

        # The service types decide which other properties a server may hold: settle them first.
        selectors = {key: value for key, value in given.items() if key.endswith("_service_type")}
        for key, value in selectors.items():
            if _is_unset(value):
                stored.pop(key, None)
            else:
                stored[key] = value
        known = definitions(context_type, stored)
        self._remember_secrets(
            value for key, value in given.items() if key in known and known[key].secret
        )
        for key, value in given.items():
            if _is_unset(value):
                stored.pop(key, None)
                continue
            prop = known.get(key)
            if prop is None:
                raise ContextError(self._unknown_property(key, context_type, known))
            stored[key] = prop.convert(value)

        for key in sorted(set(stored) - set(known)):
            # Left over from a service type the server no longer uses.
            del stored[key]
            self._log_notice(f"Dropped the property {key} of {name}: {context_type}s with "
                             "these services do not use it.")
        self._check_values(name, context_type, stored, known)

        secret = any(known[key].secret for key in stored)
        self.store.write(StoredContext(name, context_type, stored), secret=secret)
        self._loaded.pop(name, None)
        return self.load(name)

    def forget(self, name: str) -> None:
        """Drop the loaded copy of ``name`` (its file changed under us: a journal undo)."""
        self._loaded.pop(name, None)

    def delete(self, name: str) -> bool:
        """Remove context ``name``; False when there was nothing to remove."""
        validate_name(name)
        self._loaded.pop(name, None)
        return self.store.delete(name)

    # Validation helpers ------------------------------------------------------------------

    @staticmethod
    def _context_type(name: str, given: Any, existing: StoredContext | None) -> str:
        if _is_unset(given) or given == "":
            if existing is None:
                raise ContextError(
                    f"The context {name} does not exist yet, so it needs a type: add "
                    "--context_type=server, --context_type=platform or --context_type=site."
                )
            return existing.context_type
        context_type = check_context_type(str(given).strip())
        if existing is not None and existing.context_type != context_type:
            raise ContextError(
                f"The context {name} is a {existing.context_type}; it cannot become a "
                f"{context_type}. Delete it first (`provision save {name} --delete`)."
            )
        return context_type

    @staticmethod
    def _unknown_property(key: str, context_type: str, known: dict[str, Property]) -> str:
        return (
            f"The property {key!r} is not known for a {context_type} context with these "
            f"services. Known properties: {', '.join(sorted(known))}."
        )

    def _check_values(
        self, name: str, context_type: str, stored: dict[str, Any], known: dict[str, Property]
    ) -> None:
        if context_type == "server":
            for kind in service_kinds():
                chosen = stored.get(f"{kind}_service_type", "null")
                available = service_type_names(kind)
                if chosen not in available:
                    raise ContextError(
                        f"The {kind} service type {chosen!r} is not known. Known types: "
                        f"{', '.join(available)}."
                    )
        for key, prop in sorted(known.items()):
            if prop.required and key not in stored:
                raise ContextError(
                    f"A {context_type} context needs the property {key} ({prop.help}): add "
                    f"--{key}=VALUE."
                )
            if prop.kind == "ref" and key in stored:
                target = self.store.read(stored[key])
                if target is None:
                    raise ContextError(
                        f"The property {key} of {name} names {stored[key]}, which does not "
                        f"exist; save {stored[key]} first."
                    )
                if target.context_type != prop.ref_type:
                    raise ContextError(
                        f"The property {key} of {name} names {stored[key]}, which is a "
                        f"{target.context_type}, not a {prop.ref_type}."
                    )
        try:
            self._check_paths_and_domains(name, context_type, stored)
        except InvalidValue as refusal:
            raise ContextError(f"{name}: {refusal}") from None

    def _check_paths_and_domains(
        self, name: str, context_type: str, stored: dict[str, Any]
    ) -> None:
        """The rules that need more than one property: a site's domain (its uri, else its
        name; stored normalised) and aliases, a platform's root inside its server's platform
        base path."""
        if context_type == "site":
            uri = validation.site_domain(stored.get("uri") or name.removeprefix("@"))
            if uri != name.removeprefix("@"):
                stored["uri"] = uri  # @Example.COM serves example.com, in every file it names
            validation.alias_lists(stored.get("aliases") or [],
                                   stored.get("redirect_aliases") or [], uri)
        elif context_type == "server" and stored.get("platform_base_path"):
            validation.platform_base(stored["platform_base_path"], self.root)
        elif context_type == "platform" and "root" in stored:
            validation.platform_root(stored["root"], self.platform_base(stored), self.root)

    def platform_base(self, platform: dict[str, Any]) -> str:
        """The folder a platform with these properties must lie in: ``platform_base_path`` of
        its ``server`` (default @server_master), else ``<aegir root>/platforms``."""
        server = self.store.read(str(platform.get("server") or "@server_master"))
        base = server.properties.get("platform_base_path") if server is not None else None
        return str(base or self.root / "platforms")

    def _remember_secrets(self, values: Any) -> None:
        if self.logger is not None:
            for value in values:
                self.logger.add_secret(value)

    def _log_notice(self, message: str) -> None:
        if self.logger is not None:
            self.logger.notice(message)
