"""Statistics for pages: a site's history drawn as a server-side SVG line chart (no script),
its latest reading, and the totals over every site for the dashboard."""

from __future__ import annotations

from dataclasses import dataclass

from markupsafe import Markup, escape
from sqlalchemy import func, select

from ..extensions import db
from ..models import Site, SiteSchedule, SiteStatistic, SiteStatus

SERIES = (
    ("users", "Users", "#1f5fa8"),
    ("active_users", "Active users (30 days)", "#2e8540"),
    ("content_items", "Content items", "#b35900"),
    ("comments", "Comments", "#7a3e9d"),
)
WIDTH, HEIGHT, PAD_LEFT, PAD_RIGHT, PAD_Y = 640, 220, 48, 12, 20
HISTORY = 90  # readings drawn at most


@dataclass(frozen=True)
class Totals:
    """The latest numbers summed over every site that is not deleted."""

    sites: int
    users: int
    active_users: int
    content_items: int
    comments: int


def history(site_id: int, limit: int = HISTORY) -> list[SiteStatistic]:
    """The site's last ``limit`` readings, oldest first."""
    rows = db.session.scalars(
        select(SiteStatistic).where(SiteStatistic.site_id == site_id)
        .order_by(SiteStatistic.taken_at.desc(), SiteStatistic.id.desc()).limit(limit)
    ).all()
    return list(reversed(rows))


def totals() -> Totals:
    """One aggregate over the latest readings (SiteSchedule), however many sites there are."""
    row = db.session.execute(
        select(
            func.count(SiteSchedule.site_id),
            func.coalesce(func.sum(SiteSchedule.users), 0),
            func.coalesce(func.sum(SiteSchedule.active_users), 0),
            func.coalesce(func.sum(SiteSchedule.content_items), 0),
            func.coalesce(func.sum(SiteSchedule.comments), 0),
        )
        .join(Site, Site.id == SiteSchedule.site_id)
        .where(Site.status != SiteStatus.DELETED, SiteSchedule.last_statistics_at.is_not(None))
    ).one()
    return Totals(*(int(value or 0) for value in row))


def chart_svg(readings: list[SiteStatistic]) -> Markup:
    """The readings as an accessible SVG line chart: one line per number, a legend, the
    latest values in its title and description."""
    if not readings:
        return Markup("")
    top = max(1, *(getattr(r, key) for r in readings for key, _, _ in SERIES))
    span_x = WIDTH - PAD_LEFT - PAD_RIGHT
    span_y = HEIGHT - 2 * PAD_Y - 24  # room for the legend below

    def x(index: int) -> float:
        if len(readings) == 1:
            return PAD_LEFT + span_x / 2
        return PAD_LEFT + span_x * index / (len(readings) - 1)

    def y(value: int) -> float:
        return PAD_Y + span_y * (1 - value / top)

    latest = readings[-1]
    summary = ", ".join(f"{label}: {getattr(latest, key)}" for key, label, _ in SERIES)
    first, last = readings[0].taken_at, latest.taken_at
    parts = [
        f'<svg class="statistics-chart" xmlns="http://www.w3.org/2000/svg" role="img" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" preserveAspectRatio="xMinYMin meet" '
        f'aria-labelledby="chart-title chart-desc">',
        f'<title id="chart-title">Statistics from {first:%Y-%m-%d} to {last:%Y-%m-%d}</title>',
        f'<desc id="chart-desc">Latest reading: {escape(summary)}.</desc>',
        f'<line x1="{PAD_LEFT}" y1="{y(0):.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y(0):.1f}" '
        'stroke="#888" stroke-width="1"/>',
        f'<line x1="{PAD_LEFT}" y1="{y(top):.1f}" x2="{WIDTH - PAD_RIGHT}" y2="{y(top):.1f}" '
        'stroke="#ddd" stroke-width="1"/>',
        f'<text x="{PAD_LEFT - 6}" y="{y(top) + 4:.1f}" text-anchor="end" font-size="11">'
        f"{top}</text>",
        f'<text x="{PAD_LEFT - 6}" y="{y(0) + 4:.1f}" text-anchor="end" font-size="11">0</text>',
    ]
    for index, (key, label, colour) in enumerate(SERIES):
        points = " ".join(f"{x(i):.1f},{y(getattr(r, key)):.1f}" for i, r in enumerate(readings))
        parts.append(f'<polyline class="series-{key}" fill="none" stroke="{colour}" '
                     f'stroke-width="2" points="{points}"/>')
        for i, reading in enumerate(readings):
            when = reading.taken_at.strftime("%Y-%m-%d %H:%M")
            value = getattr(reading, key)
            parts.append(f'<circle cx="{x(i):.1f}" cy="{y(value):.1f}" r="2.5" fill="{colour}">'
                         f"<title>{escape(label)} {when}: {value}</title></circle>")
        legend_x = PAD_LEFT + index * 150
        parts.append(f'<rect x="{legend_x}" y="{HEIGHT - 16}" width="12" height="4" '
                     f'fill="{colour}"/>')
        parts.append(f'<text x="{legend_x + 16}" y="{HEIGHT - 11}" font-size="11">'
                     f'{escape(label)} ({getattr(latest, key)})</text>')
    parts.append("</svg>")
    return Markup("".join(parts))
