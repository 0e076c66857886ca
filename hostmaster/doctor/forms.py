"""The confirm form of an orphan's removal."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, SubmitField
from wtforms.validators import DataRequired
from wtforms.widgets import HiddenInput


class OrphanRemoveForm(FlaskForm):
    """Which orphan (its server and id, as the last listing has them), confirmed."""

    server_id = IntegerField(widget=HiddenInput(), validators=[DataRequired()])
    orphan = HiddenField(validators=[DataRequired()])
    submit = SubmitField("Remove")
