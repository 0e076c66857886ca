"""Hook specifications of provision (pluggy project name ``provision``).

Plugins implement these with ``@hookimpl``; the built-in services and application drivers are
registered through the same hooks (see provision/plugins.py). A plugin is a module or object
registered under the setuptools entry point group ``provision``, e.g. in its setup.cfg::

    [options.entry_points]
    provision =
        mysite = mysite_provision.plugin

An implementation may accept any subset of a hook's arguments, by name.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from .contexts.model import Context
    from .contexts.properties import Property
    from .log import Logger
    from .services.base import Service

hookspec = pluggy.HookspecMarker("provision")
hookimpl = pluggy.HookimplMarker("provision")


@hookspec
def provision_service_types() -> list[type[Service]]:
    """Service classes this plugin provides.

    Each class names its ``service`` (``"http"``, ``"db"``, or a new kind) and its ``type``
    (``"apache"``, ``"mysql"`` ...); a server picks one with its ``<service>_service_type``
    property. A plugin may replace a built-in type by returning a class with the same service
    and type: plugins registered later win.
    """
    return []


@hookspec
def provision_app_drivers() -> list[type]:
    """Application driver classes (Drupal, WordPress ...) this plugin provides.

    ``provision.apps.detect(root)`` asks each of them whether a codebase is theirs.
    """
    return []


@hookspec
def provision_context_properties(context_type: str) -> list[Property]:
    """Extra properties for contexts of ``context_type`` (``server``, ``platform``, ``site``).

    Without this a property unknown to provision is refused by ``provision save``.
    """
    return []


@hookspec
def provision_pre_command(
    command: str, context: Context | None, options: dict[str, Any], logger: Logger
) -> None:
    """Called before ``command`` runs on ``context`` (None when the context does not exist).

    ``options`` are the command's options and may be changed in place. Raising a
    :class:`provision.errors.ProvisionError` stops the command; its message is logged as an
    error and the rollback hooks run.
    """


@hookspec
def provision_post_command(
    command: str,
    context: Context | None,
    options: dict[str, Any],
    result: dict[str, Any],
    logger: Logger,
) -> None:
    """Called after ``command`` succeeded; ``result`` is its result object and may be changed."""


@hookspec
def provision_rollback_command(
    command: str,
    context: Context | None,
    options: dict[str, Any],
    error: BaseException,
    logger: Logger,
) -> None:
    """Called when ``command`` (or a pre or post hook) failed, to undo what a plugin did."""


@hookspec
def provision_http_extra_config(
    service: Service, context: Context, config: str
) -> list[str] | str | None:
    """Extra lines for a web server configuration file provision writes.

    ``config`` names the file: ``"server"`` (the server's main file, ``context`` is the
    server), ``"platform"`` (``platform.d/<platform>.conf``) or ``"vhost"`` (a site's vhost).
    The lines are written as they are, in the web server's own syntax (``service.type`` says
    which); a broken line fails the configuration test and the previous files are restored.
    """


@hookspec
def provision_step(command: str, step: str, context: Context | None, logger: Logger) -> None:
    """Called before each named step of a multi-step site command (``restore``, ``migrate``,
    ``clone``: ``maintenance``, ``backup``, ``unpack``, ``database``, ``import`` ...).

    Raising an exception fails the step: the command logs which step failed and undoes every
    step done so far (tests use this to inject a failure at each step in turn).
    """


@hookspec
def provision_site_settings(context: Context, application: str) -> list[str] | str | None:
    """Extra PHP lines for the settings file of site ``context`` (Drupal's ``settings.php``,
    WordPress's ``sites/<uri>/wp-site.php``); ``application`` is the driver's name
    (``drupal``, ``wordpress`` ...). Written at install and at every verify, after provision's
    own lines; a line that is not valid PHP breaks the site, so keep them simple.
    """


@hookspec
def provision_site_variables(context: Context) -> dict[str, str]:
    """Variables the vhost of site ``context`` hands PHP in ``$_SERVER``, beside the path of its
    credentials file (``db_credentials``): ``SetEnv`` on Apache, ``fastcgi_param`` on nginx.
    They are visible to phpinfo(): never hand a secret this way. Names are letters, digits and
    ``_``; a name starting with ``db_`` is refused (those are the site's credentials).
    """
    return {}
