"""Login and logout (Flask-Login), and the login requirement on every other page."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from ..extensions import login_manager
from ..models import User
from ..services import features, users
from ..services.login_throttle import LoginThrottled
from ..ui import local_target
from .forms import UserLoginForm

bp = Blueprint("auth", __name__)

# Pages anyone may see: the login form itself, the stylesheet and script it loads, and the
# page a disabled site's visitors are sent to.
PUBLIC_ENDPOINTS = {"auth.login", "static", "public.disabled"}
# The sign-up form and the password links (hostmaster/signup, hostmaster/account).
PUBLIC_ENDPOINTS |= {"signup.form", "account.reset", "account.set_password"}
LOGIN_FAILED = "The user name or password is not right. Check them and try again."


@login_manager.user_loader
def load_user(session_id: str) -> User | None:
    """The logged-in user of a session, while its account is active and has not ended its
    sessions since (logout, a new password)."""
    return users.for_session(session_id)


@bp.before_app_request
def require_login() -> Response | None:
    """Send anonymous visitors to the login form, remembering where they were going."""
    if current_user.is_authenticated or request.endpoint in PUBLIC_ENDPOINTS:
        return None
    if request.blueprint == "api":
        return None  # the REST API checks its own tokens (hostmaster/api/views.py)
    if request.path.endswith(".json"):
        abort(401)  # a script polling for data cannot follow a login form
    target = request.full_path.rstrip("?")
    return redirect(url_for("auth.login", next=target if target != "/" else None))


@bp.route("/login", methods=["GET", "POST"])
def login() -> Response | tuple[str, int, dict[str, str]] | str:
    """Show the login form; on success go where the visitor was going (a local path only)."""
    target = local_target(request.args.get("next")) or url_for("dashboard.index")
    if current_user.is_authenticated:
        return redirect(target)
    form = UserLoginForm()
    if form.validate_on_submit():
        try:
            user = users.authenticate(form.username.data or "", form.password.data or "",
                                      request.remote_addr or "unknown")
        except LoginThrottled as throttled:
            form.form_errors.append(str(throttled))
            return _login_page(form), 429, {"Retry-After": str(throttled.wait)}
        if user is not None:
            login_user(user)
            return redirect(target)
        # One message whether or not the account exists, so the form reveals no user names.
        form.form_errors.append(LOGIN_FAILED)
    return _login_page(form)


def _login_page(form: UserLoginForm) -> str:
    """The login form, with a link to the sign-up form while that feature is on."""
    return render_template("auth/login.html", form=form, signup_open=features.enabled("signup"))


@bp.route("/logout", methods=["POST"])
def logout() -> Response:
    """End the user's sessions, in this browser and every other (a POST with the page's
    CSRF token, so no link can log anyone out)."""
    if current_user.is_authenticated:
        users.end_sessions(current_user._get_current_object())
    logout_user()
    flash("You are logged out.", "info")
    return redirect(url_for("auth.login"))
