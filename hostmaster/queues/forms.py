"""The forms of the Queues page: a queue's schedule, and backup retention (global or a site's)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SubmitField
from wtforms.validators import InputRequired, NumberRange, Optional

MAX_FREQUENCY = 90 * 86400
KEEP = NumberRange(0, 1000, "Keep from 0 to 1000 backups.")


class QueueEditForm(FlaskForm):
    """Whether a queue runs, how often, and how many items one run may take at most."""

    enabled = BooleanField("Enabled")
    frequency = IntegerField(
        "Frequency (seconds)",
        validators=[
            InputRequired("Say how often, in seconds."),
            NumberRange(60, MAX_FREQUENCY, "A frequency is from 60 seconds to 90 days."),
        ],
        description="Every item is processed once in this time (3600 = hourly, 86400 = daily).",
    )
    items = IntegerField(
        "At most per run (empty: no limit)",
        validators=[
            Optional(),
            NumberRange(0, 100000, "Items per run is a number from 0 to 100000."),
        ],
    )
    submit = SubmitField("Save")


class RetentionForm(FlaskForm):
    """How many scheduled backups to keep (blank on a site's form: the global value)."""

    keep_last = IntegerField("Keep the last", validators=[InputRequired(), KEEP])
    keep_daily = IntegerField("Daily backups", validators=[InputRequired(), KEEP])
    keep_weekly = IntegerField("Weekly backups", validators=[InputRequired(), KEEP])
    keep_monthly = IntegerField("Monthly backups", validators=[InputRequired(), KEEP])
    submit = SubmitField("Save retention")


class SiteRetentionForm(FlaskForm):
    """A site's own retention; a blank field keeps the global value."""

    keep_last = IntegerField("Keep the last", validators=[Optional(), KEEP])
    keep_daily = IntegerField("Daily backups", validators=[Optional(), KEEP])
    keep_weekly = IntegerField("Weekly backups", validators=[Optional(), KEEP])
    keep_monthly = IntegerField("Monthly backups", validators=[Optional(), KEEP])
    submit = SubmitField("Save retention")
