"""KPI charts: real PNGs of the promised size, drawn without importing matplotlib up front."""

from __future__ import annotations

import struct
import subprocess
import sys
from datetime import date, timedelta
from decimal import Decimal

from bot.charts import ChartSeries, render_kpi_chart, render_kpis_chart

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = date(2026, 11, 25)
WINDOW = (TODAY - timedelta(weeks=12) + timedelta(days=1), TODAY)


def size_of(png: bytes) -> tuple[int, int]:
    """Width and height from the IHDR chunk, which PNG requires to come first."""
    assert png[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", png[8:16])
    assert kind == b"IHDR" and length == 13
    width, height = struct.unpack(">II", png[16:24])
    return width, height


def weekly(values: list[str]) -> list[tuple[date, Decimal]]:
    return [
        (TODAY - timedelta(weeks=len(values) - 1 - i), Decimal(v)) for i, v in enumerate(values)
    ]


def test_one_kpi_chart_is_an_800_by_400_png() -> None:
    points = weekly(["35.2", "36", "34.9", "37.5", "38.1", "36.6", "39", "41.5", "40.2", "42"])
    png = render_kpi_chart("nps", "%", points, Decimal(40), target_op=">=", window=WINDOW)
    assert size_of(png) == (800, 400)


def test_odd_input_still_draws() -> None:
    cases = [
        ("empty", None, [], None),
        ("one-point", "ms", [(TODAY, Decimal("1200.5"))], Decimal(1000)),
        ("flat", None, weekly(["5", "5", "5"]), Decimal(5)),
        ("big", "$", weekly(["1234567890.5", "-1234567.25"]), None),
        ("Zufriedenheit-活跃", "%", weekly(["1", "2"]), None),
    ]
    for name, unit, points, target in cases:
        png = render_kpi_chart(name, unit, points, target, target_op="<=", window=WINDOW)
        assert size_of(png) == (800, 400), name


def test_small_multiples_grow_by_rows_of_two() -> None:
    series = [
        ChartSeries(f"kpi-{n}", "%", weekly([str(n), str(n + 1), str(n + 3)]), Decimal(n), ">=")
        for n in range(5)
    ]
    assert size_of(render_kpis_chart(series)) == (800, 720)
    assert size_of(render_kpis_chart(series[:1])) == (800, 240)
    assert size_of(render_kpis_chart([])) == (800, 240)
    many = series * 5  # at most 12 are drawn
    assert size_of(render_kpis_chart(many)) == (800, 1440)


def test_importing_the_module_does_not_import_matplotlib() -> None:
    code = "import sys, bot.charts; assert 'matplotlib' not in sys.modules"
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)
