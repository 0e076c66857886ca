"""The administration forms: their fields are grids of checkboxes read from the request, so the
forms themselves carry only the CSRF token."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SubmitField


class PermissionGridForm(FlaskForm):
    """The permissions × roles grid; each checked box sends ``grant=<role>|<permission>``."""

    submit = SubmitField("Save permissions")


class FeatureSwitchForm(FlaskForm):
    """The features list; each checked box sends ``feature=<name>``."""

    submit = SubmitField("Save features")
