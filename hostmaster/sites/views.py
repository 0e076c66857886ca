"""Sites: the list, the add and edit forms, each site's page, its packages and its login link."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import select
from werkzeug.wrappers import Response

from .. import access
from ..extensions import db
from ..listing import page_of, search_term
from ..models import Client, Platform, PlatformStatus, Site, SiteBackup, SiteStatus
from ..plugin_forms import plugin_values, stored_values, with_plugin_fields
from ..services import contexts, inventory_queries, site_results, sites, task_queries, tasks
from ..services.errors import ValidationError
from ..services.packages import instances_of
from ..ui import apply_errors
from .forms import SiteAddForm, SiteEditForm

bp = Blueprint("sites", __name__, url_prefix="/sites")


@bp.route("")
def index() -> str:
    """Sites a page at a time with their platform, client and status: searched by domain,
    filtered by status, client and platform, sorted by any column (hostmaster.listing)."""
    name = (request.args.get("status") or "").upper()
    status = SiteStatus[name] if name in SiteStatus.__members__ else None
    query, sorting = sites.site_list(request.args, viewer=current_user)
    return render_template(
        "sites/list.html",
        page=page_of(query, request.args),
        sorting=sorting,
        term=search_term(request.args),
        status=status,
        statuses=list(SiteStatus),
        counts=inventory_queries.status_counts(Site, viewer=current_user),
        clients=db.session.scalars(access.visible(
            select(Client).order_by(Client.name), Client, current_user)).all(),
        platforms=db.session.scalars(access.visible(
            select(Platform).where(Platform.status != PlatformStatus.DELETED)
            .order_by(Platform.name), Platform, current_user)).all(),
    )


@bp.route("/add", methods=["GET", "POST"])
def add() -> Response | str:
    """Create a site; its install task is queued."""
    access.require("create site")
    form = with_plugin_fields(SiteAddForm, "site", editing=False)()
    if form.validate_on_submit():
        try:
            spec = form.spec()
            _check_choices(spec.platform, spec.client)
            site = sites.create_site(spec, user=current_user._get_current_object())
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(f"Site {site.uri} created; its install task is queued.", "success")
            return redirect(url_for("sites.show", entity_id=site.id))
    return render_template("sites/add.html", form=form)


def _check_choices(platform: Platform | None, client: Client | None) -> None:
    """Refuse a platform or client the user may not put a site on (the form offers neither)."""
    errors: dict[str, list[str]] = {}
    if platform is not None and not access.may_use_platform(current_user, platform):
        errors["platform"] = ["Choose one of the platforms offered."]
    if not access.may_use_client(current_user, client):
        errors["client"] = ["Choose one of the clients offered."]
    if errors:
        raise ValidationError(errors)


@bp.route("/<int:entity_id>/edit", methods=["GET", "POST"])
def edit(entity_id: int) -> Response | str:
    """Change a site's client and aliases; its verify task is queued."""
    site = access.get_or_404(Site, entity_id, action="edit")
    form = with_plugin_fields(SiteEditForm, "site", editing=True)(site, **stored_values(site))
    if form.validate_on_submit():
        aliases, redirect_aliases = form.alias_lists()
        try:
            _check_choices(None, form.chosen_client() or site.client)
            sites.update_site(
                site,
                client=form.chosen_client() or site.client,
                aliases=aliases,
                redirect_aliases=redirect_aliases,
                plugin_fields=plugin_values(form),
                user=current_user._get_current_object(),
            )
        except ValidationError as error:
            apply_errors(form, error)
        else:
            flash(f"Site {site.uri} saved.", "success")
            return redirect(url_for("sites.show", entity_id=site.id))
    return render_template(
        "sites/edit.html",
        form=form,
        site=site,
        kind_counts=inventory_queries.package_kind_counts("site", site.id),
    )


@bp.route("/<int:entity_id>")
def show(entity_id: int) -> str:
    """A site's summary, login link, tasks, backups and task history."""
    site = access.get_or_404(Site, entity_id)
    backups = db.session.scalars(
        db.select(SiteBackup).where(SiteBackup.site_id == site.id).order_by(SiteBackup.id.desc())
    ).all()
    user = current_user
    return render_template(
        "sites/show.html",
        site=site,
        context_name=contexts.name_or_none(site),
        login_link=site_results.fresh_login_link(site),
        backups=backups,
        available=[row for row in tasks.available_tasks(site)
                   if access.may_run(user, row[0], site)],
        history=access.visible_tasks(task_queries.history_of(site), user),
        kind_counts=inventory_queries.package_kind_counts("site", site.id),
        interrupted=task_queries.interrupted(site),
    )


@bp.route("/<int:entity_id>/packages")
def packages(entity_id: int) -> str:
    """The Packages tab: the site's modules, themes and plugins, enabled or not."""
    access.require("view package")
    site = access.get_or_404(Site, entity_id)
    kind = request.args.get("kind") or None
    found = [i for i in instances_of("site", site.id) if kind is None or i.package.kind == kind]
    return render_template(
        "sites/packages.html",
        site=site,
        kind=kind,
        kind_counts=inventory_queries.package_kind_counts("site", site.id),
        packages=found,
    )


@bp.route("/<int:site_id>/compare/<int:platform_id>")
def compare(site_id: int, platform_id: int) -> str:
    """The site's enabled packages compared with another platform's, before a migrate."""
    from ..services.package_comparison import compare_site_to_platform

    access.require_feature("migrate")
    access.require("view package")
    site = access.get_or_404(Site, site_id)
    platform = access.get_or_404(Platform, platform_id)
    return render_template(
        "sites/compare.html", site=site, comparison=compare_site_to_platform(site, platform)
    )


@bp.route("/<int:entity_id>/goto")
def goto(entity_id: int) -> Response:
    """Go to the site: through its one-time login link while a fresh one exists (it is spent),
    else to its front page."""
    site = access.get_or_404(Site, entity_id)
    link = site_results.spend_login_link(site)
    return redirect(link or site_results.site_url(site))
