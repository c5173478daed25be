"""Static PNG charts for exports (PDF, DOCX), drawn offline with matplotlib: no browser, no network.

The Plotly charts in `charts` need a browser to become images; exports need files that any machine can make.
Text uses the shipped CJK font (`pdf.cjk_font_path`) so Chinese labels never turn into boxes. Every chart is
16 x 7 cm at 200 dpi (1260 x 551 px), drawn at print scale: 8-10 pt text reads as 8-10 pt on the page.
"""

from __future__ import annotations

import io
import math
import os
import tempfile
import textwrap
import unicodedata
from collections.abc import Sequence
from datetime import date, datetime
from functools import cache
from pathlib import Path

if "MPLCONFIGDIR" not in os.environ and not os.access(Path.home(), os.W_OK):
    # matplotlib reads this on import and caches its font list there; a read-only home (containers) gets a temp one
    os.environ["MPLCONFIGDIR"] = tempfile.mkdtemp(prefix="beltdoctor-mpl-")

import matplotlib
from matplotlib import dates as mdates
from matplotlib import font_manager
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter, MaxNLocator

from diagnosis import formatting as fmt
from diagnosis.i18n import t
from diagnosis.pdf import cjk_font_path

DPI = 200
WIDTH_PX, HEIGHT_PX = 1260, 551  # 16 x 7 cm
ACCENT, INK, MUTED, GRID, AXIS = "#d9480f", "#212529", "#6c757d", "#e9ecef", "#adb5bd"
BAR, BENCHMARK = "#f08c5a", "#343a40"



@cache
def _font_family() -> str:
    """Register the shipped font with matplotlib once and return its family name (DejaVu Sans if it is missing)."""
    path = cjk_font_path()
    if not path.exists():
        return "DejaVu Sans"
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def _figure() -> Figure:
    """A fixed-size white figure on its own Agg canvas (no pyplot: no global backend or state between requests)."""
    fig = Figure(figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI), dpi=DPI, facecolor="white", layout="constrained")
    FigureCanvasAgg(fig)
    fig.get_layout_engine().set(w_pad=0.08, h_pad=0.06)
    return fig


def _style_axes(ax, grid_axis: str) -> None:
    ax.set_facecolor("white")
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(AXIS)
    ax.spines["bottom"].set_linewidth(0.6)
    ax.tick_params(colors=MUTED, labelsize=7.5, length=0, pad=4)
    ax.tick_params(axis="x", length=3, width=0.6, color=AXIS)
    ax.grid(axis=grid_axis, color=GRID, linewidth=0.6)
    ax.set_axisbelow(True)


def _title(fig: Figure, title: str) -> None:
    """The title flush with the figure's left edge, above the axis labels as well as the plot."""
    fig.suptitle(title, x=0.012, ha="left", fontsize=10, color=INK)


def _png(fig: Figure) -> bytes:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, facecolor="white", metadata={"Software": None})
    return buffer.getvalue()


def _number(v: float, lang: str) -> str:
    """Compact axis and label numbers: 1.2万 / 12k."""
    return fmt.count(v, lang)


def _finite(v: object) -> float:
    return math.nan if fmt.missing(v) else float(v)


def trend_png(dates: Sequence[date | datetime], values: Sequence[float | None], title: str, unit_label: str,
              lang: str, reference: float | None = None) -> bytes:
    """A daily line (gaps where a value is missing) with an optional dashed reference line, as PNG bytes.

    `unit_label` (e.g. "¥") labels the value axis; ticks use 万/k like the rest of the app."""
    with matplotlib.rc_context({"font.family": _font_family()}):
        fig = _figure()
        ax = fig.add_subplot()
        _style_axes(ax, "y")
        ys = [_finite(v) for v in values]
        xs = list(dates)
        ax.plot(xs, ys, color=ACCENT, linewidth=1.6, marker="o" if len(xs) <= 31 else None, markersize=2.8,
                solid_capstyle="round", zorder=3)
        finite = [y for y in ys if not math.isnan(y)]
        if finite:
            ax.fill_between(xs, ys, min(0.0, min(finite)), color=ACCENT, alpha=0.07, linewidth=0, zorder=2)
        if reference is not None and not fmt.missing(reference):
            ax.axhline(reference, color=MUTED, linewidth=1, linestyle=(0, (4, 3)), zorder=2)
            ax.annotate(_number(reference, lang), xy=(1, reference), xycoords=("axes fraction", "data"),
                        xytext=(0, 3), textcoords="offset points", ha="right", va="bottom", fontsize=7.5, color=MUTED)
        ax.set_ylim(bottom=min(0.0, *finite) if finite else 0)
        ax.yaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: _number(v, lang)))
        locator = mdates.AutoDateLocator(minticks=4, maxticks=9)
        ax.xaxis.set_major_locator(locator)
        span = (max(xs) - min(xs)).days if len(xs) >= 2 else 0
        # numbers only, so a Chinese chart shows no English month names
        ax.xaxis.set_major_formatter(mdates.DateFormatter("%Y-%m" if span > 180 else "%m-%d"))
        ax.margins(x=0.015)
        _title(fig, title)
        if unit_label:
            ax.set_ylabel(unit_label, rotation=0 if len(unit_label) <= 2 else 90, fontsize=8, color=MUTED,
                          labelpad=6, va="center")
        return _png(fig)


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _wrap(label: str, width: int = 26, lines: int = 2) -> str:
    """A row label in at most `lines` lines of about `width` half-width columns (a hanzi counts two)."""
    if " " in label.strip():
        parts = textwrap.wrap(label, width)
    else:
        parts, line = [], ""
        for c in label:
            if _display_width(line + c) > width:
                parts.append(line)
                line = ""
            line += c
        parts.append(line)
    if len(parts) > lines:
        parts = parts[:lines]
        parts[-1] = parts[-1][:-1] + "…"
    return "\n".join(parts)


def bars_png(rows: list[tuple[str, float, float]], title: str, lang: str, percent: bool) -> bytes:
    """Per row (label, store value, benchmark): a horizontal bar for the store and a marker for the benchmark.

    With `percent` the values are fractions (0.153 → 15.3%). Missing values draw nothing and read `—`."""
    label = fmt.pct if percent else (lambda v: _number(v, lang))
    words = {"value": t("chart.export.value", lang), "benchmark": t("chart.export.benchmark", lang)}
    with matplotlib.rc_context({"font.family": _font_family()}):
        fig = _figure()
        ax = fig.add_subplot()
        _style_axes(ax, "x")
        ax.spines["bottom"].set_visible(False)
        ax.tick_params(axis="x", length=0)
        ys = list(range(len(rows)))
        values = [_finite(v) for _, v, _ in rows]
        marks = [_finite(b) for _, _, b in rows]
        slots = max(len(rows), 3)  # one or two rows stay bar-shaped, centred, instead of filling the plot
        bar_height = 0.5
        marker_pt = min(150 / slots * bar_height * 1.5, 22)  # the plot is about 150 pt tall
        bars = ax.barh(ys, [0 if math.isnan(v) else v for v in values], height=bar_height, color=BAR, zorder=2)
        benchmarks = ax.scatter(marks, ys, marker="|", s=marker_pt**2, linewidths=2.2, color=BENCHMARK, zorder=3)
        known = [x for x in values + marks if not math.isnan(x)] + [0]
        top, low = max(known), min(known)  # low < 0 only for a value that fell below zero (a decline)
        ax.set_xlim(low * 1.15, top * 1.45 if top > 0 else 1)  # room for the labels right of the longest bar
        for y, v, b in zip(ys, values, marks, strict=True):
            end = max(x for x in (v, b, 0) if not math.isnan(x))
            text = label(v) if math.isnan(b) else f"{label(v)}  ({words['benchmark']} {label(b)})"
            ax.annotate(text, xy=(end, y), xytext=(6, 0), textcoords="offset points", va="center", fontsize=7.5,
                        color=INK)
        ax.set_yticks(ys, [_wrap(name) for name, _, _ in rows])
        ax.tick_params(axis="y", labelsize=8, labelcolor=INK)
        pad = (slots - len(rows)) / 2
        ax.set_ylim(len(rows) - 0.4 + pad, -0.6 - pad)  # inverted: the first row on top
        ax.xaxis.set_major_locator(MaxNLocator(nbins=5))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: fmt.pct(v, 0) if percent else _number(v, lang)))
        _title(fig, title)
        ax.legend([bars, benchmarks], [words["value"], words["benchmark"]], loc="lower right", bbox_to_anchor=(1, 1),
                  ncol=2, frameon=False, fontsize=7.5, handlelength=1.2, markerscale=10 / marker_pt,
                  borderaxespad=0.2, labelcolor=MUTED)
        return _png(fig)
