"""Administration: grant permissions to roles, and switch features on and off.

Both pages answer 404 to whoever lacks their permission (``administer hosting`` and
``administer hosting features``), like every page of something a user may not see.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from werkzeug.wrappers import Response

from .. import access
from ..services import features, permissions
from ..services.errors import ValidationError
from .forms import FeatureSwitchForm, PermissionGridForm

bp = Blueprint("admin", __name__, url_prefix="/admin")
#: Holding any of these opens the Administration tab and its index.
ADMINISTRATION = ("administer hosting", "administer hosting features",
                  "administer hosting settings", "administer users")
bp.before_app_request(access.refuse_pages_of_off_features)


@bp.app_template_global()
def may_administer() -> bool:
    """Whether the header shows the Administration tab to the current user."""
    return any(access.can(current_user, permission) for permission in ADMINISTRATION)


@bp.route("")
def index() -> str:
    """The administration pages the user may open."""
    if not any(access.can(current_user, permission) for permission in ADMINISTRATION):
        access.require("administer hosting")
    return render_template("admin/index.html")


@bp.route("/permissions", methods=["GET", "POST"])
def permission_grid() -> Response | str:
    """The grid of permissions × roles; saving stores exactly the boxes checked."""
    access.require("administer hosting")
    form = PermissionGridForm()
    roles = permissions.roles()
    if form.validate_on_submit():
        chosen: dict[str, set[str]] = {role.name: set() for role in roles}
        for value in request.form.getlist("grant"):
            role_name, _, name = value.partition("|")
            chosen.setdefault(role_name, set()).add(name)
        try:
            permissions.set_grants(chosen)
        except ValidationError as error:
            for messages in error.errors.values():
                for message in messages:
                    flash(message, "error")
        else:
            flash("The permissions are saved.", "success")
            return redirect(url_for("admin.permission_grid"))
    areas: dict[str, list[access.Permission]] = {}
    for permission in access.permissions():
        areas.setdefault(permission.area, []).append(permission)
    return render_template(
        "admin/permissions.html",
        form=form,
        roles=roles,
        areas=areas,
        grants=permissions.grants(),
        administrator=access.ADMINISTRATOR,
    )


@bp.route("/features", methods=["GET", "POST"])
def feature_list() -> Response | str:
    """Every built-in and plugin feature with its switch; saving switches exactly those
    checked on."""
    access.require("administer hosting features")
    form = FeatureSwitchForm()
    known = features.known()
    if form.validate_on_submit():
        wanted = set(request.form.getlist("feature"))
        unknown = wanted - set(known)
        if unknown:
            flash(f"There is no feature called {sorted(unknown)[0]!r}; nothing was changed.",
                  "error")
        else:
            changed = [name for name in known if features.enabled(name) != (name in wanted)]
            for name in changed:
                features.switch(name, name in wanted)
            flash(f"{len(changed)} feature{'' if len(changed) == 1 else 's'} switched." if changed
                  else "No feature changed.", "success")
            return redirect(url_for("admin.feature_list"))
    builtin = {spec.name for spec in features.BUILTIN}
    return render_template(
        "admin/features.html",
        form=form,
        rows=[(spec, features.enabled(name), name in builtin)
              for name, spec in sorted(known.items(), key=lambda item: item[1].title)],
    )
