"""KPI charts as PNG images, drawn with matplotlib's Agg backend.

matplotlib is imported inside the functions: importing this module costs nothing, and only a
process that draws a chart pays for matplotlib. The figures use matplotlib's object API (no
pyplot), so no global figure state is shared between threads; one lock still serializes
drawing because the font cache and text layout are not thread-safe.

Sizes are chosen for Slack's image preview, which shows a 800x400 image at about half size:
big fonts, a thick line, the target dashed, and the last value written next to its point.
"""

from __future__ import annotations

import io
import math
import threading
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from bot.services.kpis import format_value

WIDTH_PX, HEIGHT_PX, DPI = 800, 400, 100
PANEL_HEIGHT_PX = 240
MULTIPLES_MAX = 12

LINE = "#1264A3"
MET = "#2EB67D"
MISSED = "#E01E5A"
TARGET = "#616061"
GRID = "#E8E8E8"
TEXT = "#1D1C1D"
MUTED = "#616061"

_LOCK = threading.Lock()

ChartPoint = tuple[date, Decimal]


@dataclass(frozen=True)
class ChartSeries:
    """One KPI's points for a chart, with its unit and target."""

    name: str
    unit: str | None
    points: Sequence[ChartPoint]
    target: Decimal | None = None
    target_op: str | None = None
    window: tuple[date, date] | None = field(default=None)


def render_kpi_chart(
    name: str,
    unit: str | None,
    points: Sequence[ChartPoint],
    target: Decimal | None = None,
    *,
    target_op: str | None = None,
    window: tuple[date, date] | None = None,
) -> bytes:
    """One KPI's chart, 800x400 px PNG: the values as a line, the target dashed."""
    series = ChartSeries(name, unit, points, target, target_op, window)
    with _LOCK, _quiet():
        figure, canvas = _figure(WIDTH_PX, HEIGHT_PX)
        axes = figure.add_axes((0.09, 0.12, 0.85, 0.68))
        _draw(axes, series, size="large")
        title = _text(name)
        figure.text(0.09, 0.9, title, fontsize=22, fontweight="bold", color=TEXT)
        figure.text(0.09, 0.84, _subtitle(series), fontsize=13, color=MUTED)
        return _png(figure, canvas)


def render_kpis_chart(series: Sequence[ChartSeries], *, columns: int = 2) -> bytes:
    """Several KPIs as small multiples in one PNG, 800 px wide, two per row (at most 12)."""
    shown = list(series)[:MULTIPLES_MAX]
    columns = max(1, min(columns, len(shown) or 1))
    rows = max(1, math.ceil(len(shown) / columns))
    with _LOCK, _quiet():
        figure, canvas = _figure(WIDTH_PX, PANEL_HEIGHT_PX * rows)
        if not shown:
            figure.text(0.5, 0.5, "No KPIs yet", ha="center", va="center", fontsize=18)
        grid = figure.add_gridspec(
            rows,
            columns,
            left=0.08,
            right=0.97,
            top=1 - 0.55 / rows / 2.4,
            bottom=0.28 / rows,
            hspace=0.9,
            wspace=0.3,
        )
        for index, one in enumerate(shown):
            axes = figure.add_subplot(grid[index // columns, index % columns])
            _draw(axes, one, size="small")
            latest = f"  {_text(format_value(one.points[-1][1], one.unit))}" if one.points else ""
            axes.set_title(
                f"{_text(one.name)}{latest}",
                loc="left",
                fontsize=14,
                fontweight="bold",
                color=TEXT,
                pad=8,
            )
        return _png(figure, canvas)


# ---------------------------------------------------------------------- drawing


def _figure(width: int, height: int) -> tuple[Any, Any]:
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    return figure, FigureCanvasAgg(figure)


def _png(figure: Any, canvas: Any) -> bytes:
    buffer = io.BytesIO()
    canvas.print_png(buffer, metadata={"Software": None})
    return buffer.getvalue()


@contextmanager
def _quiet() -> Iterator[None]:
    # Names in scripts DejaVu Sans lacks draw as boxes; the warning about it is noise.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=r"Glyph \d+ .*missing from")
        yield


def _text(text: str) -> str:
    # A pair of '$' would switch matplotlib to math mode.
    return text.replace("$", r"\$")


def _subtitle(series: ChartSeries) -> str:
    parts = ["last 12 weeks"]
    if series.target is not None:
        op = {">=": "≥", "<=": "≤"}.get(series.target_op or "", series.target_op or "")
        parts.append(f"target {op} {format_value(series.target, series.unit)}".replace("  ", " "))
    return _text("  ·  ".join(parts))


def _status_color(series: ChartSeries, value: Decimal) -> str:
    if series.target is None or not series.target_op:
        return LINE
    met = {
        ">=": value >= series.target,
        "<=": value <= series.target,
        ">": value > series.target,
        "<": value < series.target,
        "=": value == series.target,
    }.get(series.target_op, True)
    return MET if met else MISSED


def _draw(axes: Any, series: ChartSeries, *, size: str) -> None:
    from matplotlib import dates as mdates
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    large = size == "large"
    tick_size = 13 if large else 10
    for side in ("top", "right", "left"):
        axes.spines[side].set_visible(False)
    axes.spines["bottom"].set_color(GRID)
    axes.tick_params(axis="both", labelsize=tick_size, colors=MUTED, length=0, pad=6)
    axes.grid(axis="y", color=GRID, linewidth=1)
    axes.set_axisbelow(True)

    points = sorted(series.points)
    days = [p[0] for p in points]
    values = [float(p[1]) for p in points]
    start, end = series.window or (
        (days[0], days[-1]) if days else (date.today() - timedelta(weeks=12), date.today())
    )
    if start == end:
        start -= timedelta(days=3)
        end += timedelta(days=3)
    axes.set_xlim(start - timedelta(days=1), end + timedelta(days=2 if large else 1))

    limits = [*values, *([float(series.target)] if series.target is not None else [])]
    if limits:
        low, high = min(limits), max(limits)
        pad = (high - low) * 0.18 or max(abs(high) * 0.1, 1.0)
        axes.set_ylim(low - pad, high + pad * (1.6 if large else 1.3))
    else:
        axes.set_ylim(0, 1)

    if series.target is not None:
        axes.axhline(
            float(series.target),
            color=TARGET,
            linestyle=(0, (6, 4)),
            linewidth=2 if large else 1.5,
            zorder=2,
        )
        axes.annotate(
            _text("target"),
            xy=(0, float(series.target)),
            xycoords=("axes fraction", "data"),
            xytext=(2, 4),
            textcoords="offset points",
            fontsize=tick_size - 1,
            color=TARGET,
        )

    if not points:
        axes.text(
            0.5,
            0.25 if series.target is not None else 0.5,
            "No values in the last 12 weeks",
            transform=axes.transAxes,
            ha="center",
            va="center",
            fontsize=16 if large else 11,
            color=MUTED,
        )
    else:
        axes.plot(
            days,
            values,
            color=LINE,
            linewidth=3 if large else 2,
            marker="o",
            markersize=6 if large else 3.5,
            zorder=3,
            solid_capstyle="round",
        )
        last_day, last_value = points[-1]
        axes.plot(
            [last_day],
            [float(last_value)],
            marker="o",
            markersize=12 if large else 7,
            color=_status_color(series, last_value),
            markeredgecolor="white",
            markeredgewidth=2,
            zorder=4,
        )
        if large:
            axes.annotate(
                _text(format_value(last_value, series.unit)),
                xy=(last_day, float(last_value)),
                xytext=(0, 14),
                textcoords="offset points",
                ha="center",
                va="bottom",
                fontsize=16,
                fontweight="bold",
                color=TEXT,
                bbox={"boxstyle": "round,pad=0.3", "facecolor": "white", "edgecolor": GRID},
                zorder=5,
            )

    if points:
        axes.yaxis.set_major_locator(MaxNLocator(nbins=5 if large else 3))
        axes.yaxis.set_major_formatter(
            FuncFormatter(lambda value, _: _text(_tick(value, series.unit)))
        )
    elif series.target is not None:
        axes.set_yticks([float(series.target)])
        axes.yaxis.set_major_formatter(
            FuncFormatter(lambda value, _: _text(_tick(value, series.unit)))
        )
    axes.xaxis.set_major_locator(
        mdates.WeekdayLocator(byweekday=mdates.MO, interval=2 if large else 4)
    )
    axes.xaxis.set_major_formatter(
        FuncFormatter(lambda value, _: _day(mdates.num2date(value).date()))
    )


def _day(day: date) -> str:
    return f"{day.day} {day:%b}"


def _tick(value: float, unit: str | None) -> str:
    number = Decimal(repr(round(float(value), 6)))
    if abs(number) >= 10_000:
        for size, suffix in ((Decimal(10**9), "B"), (Decimal(10**6), "M"), (Decimal(1000), "k")):
            if abs(number) >= size:
                scaled = (number / size).quantize(Decimal("0.1")).normalize()
                return f"{scaled:f}{suffix}" + (unit if unit == "%" else "")
    return format_value(number, unit if unit == "%" else None)
