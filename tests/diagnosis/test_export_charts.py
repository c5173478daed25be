"""Export charts are PNGs of a fixed size, drawn with the shipped font: no missing glyphs, never blank."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import warnings
from datetime import date, timedelta
from pathlib import Path

import pytest
from matplotlib import font_manager
from PIL import Image as PILImage

from diagnosis import export_charts

ROOT = Path(__file__).resolve().parents[2]
PNG = b"\x89PNG\r\n\x1a\n"
DAYS = [date(2024, 10, 1) + timedelta(days=i) for i in range(30)]
GMV = [40_000 + 800 * i for i in range(30)]
ROWS = [("直播间留不住人", 0.12, 0.18), ("退款率偏高", 0.31, 0.2), ("Low conversion", 0.021, 0.035)]


def _image(png: bytes) -> PILImage.Image:
    assert png.startswith(PNG)
    return PILImage.open(io.BytesIO(png)).convert("RGB")


def _ink(image: PILImage.Image) -> float:
    histogram = image.convert("L").histogram()
    return sum(histogram[:240]) / (image.width * image.height)


def _glyph_warnings(draw) -> list[str]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        draw()
    return [str(w.message) for w in caught if "missing from font" in str(w.message)]


@pytest.mark.parametrize("draw", [
    lambda: export_charts.trend_png(DAYS, GMV, "每日成交金额", "¥", "zh", reference=50_000),
    lambda: export_charts.trend_png(DAYS, GMV, "Daily GMV", "¥", "en"),
    lambda: export_charts.bars_png(ROWS, "问题指标与基准", "zh", percent=True),
    lambda: export_charts.bars_png(ROWS, "Findings", "en", percent=False),
], ids=["trend-zh", "trend-en", "bars-zh", "bars-en"])
def test_png_of_fixed_size_white_and_not_blank(draw):
    image = _image(draw())
    assert image.size == (export_charts.WIDTH_PX, export_charts.HEIGHT_PX) == (1260, 551)
    assert image.getpixel((2, image.height - 2)) == (255, 255, 255)
    assert _ink(image) > 0.02


def test_chinese_text_has_every_glyph():
    """Chinese titles, labels, legend words and 万 ticks all come from the shipped font."""
    assert _glyph_warnings(lambda: export_charts.trend_png(DAYS, GMV, "每日成交金额（元）", "¥", "zh", 55_000)) == []
    assert _glyph_warnings(lambda: export_charts.bars_png(ROWS, "问题指标与基准 ≥ → ℃", "zh", percent=True)) == []


def test_the_shipped_font_is_the_one_used():
    family = export_charts._font_family()
    assert family == "BeltDoctor Sans"
    assert Path(font_manager.findfont(font_manager.FontProperties(family=family))).name == "BeltDoctorSans-Regular.ttf"


def test_same_input_same_bytes():
    assert export_charts.trend_png(DAYS, GMV, "走势", "¥", "zh") == export_charts.trend_png(DAYS, GMV, "走势", "¥", "zh")


def test_missing_values_and_empty_input_still_draw():
    gaps = [None if i % 7 == 3 else v for i, v in enumerate(GMV)]
    assert _image(export_charts.trend_png(DAYS, gaps, "走势", "¥", "zh")).size == (1260, 551)
    assert _image(export_charts.trend_png([], [], "走势", "", "zh")).size == (1260, 551)
    assert _image(export_charts.bars_png([("无基准", 0.1, None), ("无数值", None, 0.2)], "x", "zh", True)).size == (1260, 551)
    assert _image(export_charts.bars_png([], "空", "en", True)).size == (1260, 551)


def test_read_only_home_gets_a_temporary_matplotlib_folder(tmp_path):
    """A container whose home cannot be written still draws charts, with matplotlib's cache in a temp folder."""
    env = {k: v for k, v in os.environ.items() if k != "MPLCONFIGDIR"} | {"HOME": str(tmp_path / "no-such-home")}
    script = ("import os, datetime; from diagnosis import export_charts as e; "
              "e.trend_png([datetime.date(2024, 1, 1)], [1.0], 't', '', 'en'); print(os.environ['MPLCONFIGDIR'])")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    assert "beltdoctor-mpl-" in out.stdout
    assert "Matplotlib created a temporary" not in out.stderr
