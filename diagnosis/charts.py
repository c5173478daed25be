"""Plotly figures from KPI-engine results and canonical frames: pure functions, no Streamlit.

Every chart takes `lang` ("zh" / "en"), takes its words from the i18n table (`chart.*` keys), formats hover
texts and money axes with `diagnosis.formatting` (万/亿 in Chinese, k/M in English) and shares one template
(CJK-capable font, palette, white background). Reference lines come from `data/chart_lines.yaml`, never from
code. Text that comes from merchant files (product and host names) is HTML-escaped before Plotly sees it.
"""

from __future__ import annotations

import html
import math
import warnings
from collections.abc import Iterable, Mapping
from datetime import timedelta
from functools import cache
from importlib import resources

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio
from numpy.lib.stride_tricks import sliding_window_view

from diagnosis import formatting as fmt
from diagnosis.i18n import t
from diagnosis.kpis import Decomposition, Promotion, metric_defs
from diagnosis.schema import load_yaml

# ------------------------------------------------------------------ look

FONT = "Noto Sans CJK SC, WenQuanYi Micro Hei, PingFang SC, Microsoft YaHei, sans-serif"
PALETTE = ("#2F6FEB", "#F08C2E", "#16A394", "#8B5CF6", "#D9A400", "#D9469A", "#5B6B7F")
INK, MUTED, GRID, AXIS = "#1F2937", "#6B7280", "#E8ECF2", "#C9D1DC"
GOOD, BAD, WARN, NEUTRAL = "#1E9E5A", "#D64545", "#E39A14", "#8A94A6"
LEVEL_COLOURS = {"alarm": BAD, "warn": WARN, "ok": NEUTRAL, "good": GOOD}
PROMO_FILL = "#F59E0B"

TEMPLATE_NAME = "beltdoctor"
TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font={"family": FONT, "size": 13, "color": INK},
        title={"font": {"size": 16}, "x": 0.01, "xanchor": "left"},
        colorway=list(PALETTE),
        paper_bgcolor="white",
        plot_bgcolor="white",
        hoverlabel={"font": {"family": FONT, "size": 12}, "bgcolor": "white", "bordercolor": AXIS},
        legend={"orientation": "h", "yanchor": "top", "y": -0.16, "x": 0, "xanchor": "left", "font": {"size": 12}},
        margin={"l": 64, "r": 32, "t": 72, "b": 64},
        xaxis={"showgrid": False, "linecolor": AXIS, "ticks": "outside", "tickcolor": AXIS, "zeroline": False, "automargin": True},
        yaxis={"gridcolor": GRID, "linecolor": AXIS, "zeroline": False, "automargin": True},
        separators=".,",
    )
)

# date ticks without month names, so a Chinese chart shows no English
_DATE_TICKS = [
    {"dtickrange": [None, 86_400_000], "value": "%m-%d"},  # the data is daily at the finest
    {"dtickrange": [86_400_000, "M1"], "value": "%Y-%m-%d"},
    {"dtickrange": ["M1", "M12"], "value": "%Y-%m"},
    {"dtickrange": ["M12", None], "value": "%Y"},
]
_PERIOD = {"D": "D", "W": "W-SUN", "M": "M"}  # as kpis.timeseries: weeks start on Monday


@cache
def chart_lines() -> dict:
    """The reference lines and detector settings of `data/chart_lines.yaml`."""
    return load_yaml(resources.files("diagnosis").joinpath("data", "chart_lines.yaml").read_text(encoding="utf-8"))


# ------------------------------------------------------------------ helpers


pio.templates[TEMPLATE_NAME] = TEMPLATE


def _layout(title: str, subtitle: str | None = None) -> dict:
    """A chart's layout as a plain dict in the BeltDoctor template (registered by name, so it is not
    re-validated per chart). Charts fill it in and hand it to `_build`."""
    heading: dict = {"text": title}
    if subtitle:
        heading["subtitle"] = {"text": subtitle, "font": {"size": 12, "color": MUTED}}
    return {"template": TEMPLATE_NAME, "title": heading}


def _build(traces: list[dict], layout: dict) -> go.Figure:
    """The figure from plain trace dicts (`{"type": "scatter", ...}`) and a layout dict, validated once.

    Why: every go.Scatter(...), add_trace or update_* call validates and deep-copies what it is given;
    building a chart incrementally that way cost most of the dashboard's compute time."""
    return go.Figure(data=traces, layout=layout)


_ANCHORS = {
    "top left": ("left", "top"), "top right": ("right", "top"),
    "bottom right": ("right", "bottom"), "bottom left": ("left", "bottom"),
}


def _rule(axis: str, value, line: dict, text: str, font: dict, position: str) -> tuple[dict, dict]:
    """A reference line across the plot (axis "x": vertical at x = value; "y": horizontal) and its label.

    Shapes go into the layout as plain dicts: Plotly's add_hline/add_vrect re-validate every shape
    on each call, which cost most of a dashboard's render time."""
    xanchor, yanchor = _ANCHORS[position]
    if axis == "y":
        shape = {"type": "line", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": value, "y1": value, "line": line, "layer": "below"}
        label = {"xref": "paper", "x": 1 if xanchor == "right" else 0, "yref": "y", "y": value}
    else:
        shape = {"type": "line", "yref": "paper", "y0": 0, "y1": 1, "xref": "x", "x0": value, "x1": value, "line": line, "layer": "below"}
        label = {"yref": "paper", "y": 1 if yanchor == "top" else 0, "xref": "x", "x": value}
    label.update(text=text, font=font, showarrow=False, xanchor=xanchor, yanchor="bottom" if yanchor == "top" else "top")
    return shape, label


def _band(axis: str, low, high, colour: str, opacity: float, text: str | None, font: dict) -> tuple[dict, dict | None]:
    """A shaded band (axis "x": between two x values, full height; "y": between two y values) and its label."""
    if axis == "x":
        shape = {"type": "rect", "xref": "x", "x0": low, "x1": high, "yref": "paper", "y0": 0, "y1": 1}
        label = {"xref": "x", "x": low, "yref": "paper", "y": 1, "xanchor": "left", "yanchor": "top"}
    else:
        shape = {"type": "rect", "xref": "paper", "x0": 0, "x1": 1, "yref": "y", "y0": low, "y1": high}
        label = {"xref": "paper", "x": 0, "yref": "y", "y": high, "xanchor": "left", "yanchor": "top"}
    shape.update(fillcolor=colour, opacity=opacity, line={"width": 0}, layer="below")
    return shape, (label | {"text": text, "font": font, "showarrow": False}) if text else None


def _decorate(layout: dict, items: Iterable[tuple[dict, dict | None]]) -> None:
    """Add shapes and their labels (from `_rule` / `_band`) to a layout dict."""
    items = list(items)
    if items:
        layout.setdefault("shapes", []).extend(shape for shape, _ in items)
        layout.setdefault("annotations", []).extend(label for _, label in items if label)


def _no_data(layout: dict, lang: str) -> go.Figure:
    """The chart's frame with a "no data" note in place of axes."""
    note = {"text": t("chart.no_data", lang), "x": 0.5, "y": 0.5, "xref": "paper", "yref": "paper", "showarrow": False,
            "font": {"size": 14, "color": MUTED}}
    return _build([], layout | {"annotations": [note], "xaxis": {"visible": False}, "yaxis": {"visible": False}})


def safe_text(value: object) -> str:
    """Untrusted text (from a merchant's file) made inert for Plotly, which renders HTML-like tags."""
    return html.escape(str(value), quote=False)


def _short(value: object, limit: int = 18) -> str:
    """At most `limit` characters (an ellipsis marks the cut), then escaped."""
    text = str(value).strip()
    return safe_text(text if len(text) <= limit else text[: limit - 1] + "…")


def _floats(column: pd.Series) -> np.ndarray:
    """A column as float64 values, missing ones NaN."""
    return column.to_numpy(dtype="float64", na_value=np.nan)


def _clean_series(series: pd.Series) -> pd.Series:
    """Float values on a sorted DatetimeIndex (NaN kept: a gap, not a zero)."""
    s = pd.Series(series, copy=True)
    s.index = pd.DatetimeIndex(pd.to_datetime(s.index))
    return pd.to_numeric(s, errors="coerce").astype("float64").sort_index()


def _freq(index: pd.Index) -> str:
    """D / W / M from the typical spacing of a date index (a single point counts as daily)."""
    if not isinstance(index, pd.DatetimeIndex) or len(index) < 2:
        return "D"
    step = pd.Series(index.sort_values()).diff().dropna().median()
    if step <= pd.Timedelta(days=1):
        return "D"
    return "W" if step <= pd.Timedelta(days=7) else "M"


def _period_labels(index: pd.DatetimeIndex, freq: str, lang: str) -> list[str]:
    """Hover label of each period start: `2024-03-05`, `2024-03`, or the week's own wording.
    Formatted for the whole index at once: per-Timestamp strftime costs ~10 µs a point."""
    days = np.datetime_as_string(index.to_numpy(), unit="D").tolist()  # 2024-03-05
    if freq == "W":
        return [t("chart.week_of", lang, date=day) for day in days]
    return [day[:7] for day in days] if freq == "M" else days


def _date_axis(lang: str, **kwargs) -> dict:
    """The x axis of a chart over time, as a layout dict."""
    return {"type": "date", "tickformatstops": _DATE_TICKS, "title": {"text": t("chart.date", lang)}, **kwargs}


def nice_ticks(low: float, high: float, n: int = 5) -> list[float]:
    """Round tick values (1, 2, 2.5, 5 × 10^k steps) covering [low, high]."""
    if not (math.isfinite(low) and math.isfinite(high)):
        return []
    if high <= low:
        high = low + (abs(low) or 1.0)
    raw = (high - low) / max(n - 1, 1)
    magnitude = 10 ** math.floor(math.log10(raw))
    fraction = raw / magnitude  # 1 ≤ fraction < 10: round to the nearest nice step
    step = magnitude * next(m for limit, m in ((1.5, 1), (2.25, 2), (3.5, 2.5), (7.5, 5), (math.inf, 10)) if fraction < limit)
    start, stop = math.floor(low / step) * step, math.ceil(high / step) * step
    count = int(round((stop - start) / step)) + 1
    return [round(start + i * step, 10) for i in range(count)]


def _money_axis(values: np.ndarray, lang: str, title: str | None = None) -> dict:
    """A money axis (layout dict) with ticks as ¥5万 / ¥50k: Plotly's own SI suffixes would show English
    k/M in a Chinese chart."""
    finite = values[np.isfinite(values)]
    axis = {"title": {"text": title}} if title else {}
    if finite.size:
        ticks = nice_ticks(min(0.0, float(finite.min())), max(0.0, float(finite.max())))
        axis |= {"tickmode": "array", "tickvals": ticks, "ticktext": [fmt.money(v, lang) for v in ticks]}
    return axis


def _level_line(level: str, dash: str = "dash") -> dict:
    return {"color": LEVEL_COLOURS.get(level, NEUTRAL), "dash": dash, "width": 1.3}


# ------------------------------------------------------------------ 1. GMV trend with promotions and anomalies


def _robust_z(values: np.ndarray, window: int) -> tuple[np.ndarray, np.ndarray]:
    """Modified z-score of each point against the median / MAD of the centred window around it.

    z = 0.6745 (x − median) / MAD. NaN where fewer than half the window is known or where MAD is 0: a window
    whose values are mostly equal (a cold-start store's run of zero days) has no spread to measure against, and
    flagging its first ¥300 sale as an anomaly would be noise."""
    half = window // 2
    padded = np.pad(values.astype("float64"), (half, window - 1 - half), constant_values=np.nan)
    windows = sliding_window_view(padded, window)
    known = (~np.isnan(windows)).sum(axis=1)
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN windows
        median = np.nanmedian(windows, axis=1)
        mad = np.nanmedian(np.abs(windows - median[:, None]), axis=1)
        z = 0.6745 * (values - median) / np.where(mad > 0, mad, np.nan)
    z[(known < half + 1) | np.isnan(values)] = np.nan
    return z, median


def _window_for(series: pd.Series, window: int | None) -> int | None:
    if window is not None:
        return window
    return chart_lines()["anomaly"]["window"].get(_freq(series.index))


def _outliers(values: np.ndarray, window: int, threshold: float) -> tuple[np.ndarray, np.ndarray]:
    """Outlier flags of values in time order (|robust z| ≥ threshold) and the rolling median they were
    judged against, which the GMV chart quotes: one pass of the detector serves both."""
    z, median = _robust_z(values, window)
    return np.nan_to_num(np.abs(z), nan=0.0) >= threshold, median


def anomalies(series: pd.Series, window: int | None = None, threshold: float | None = None) -> pd.Series:
    """True where a point is an outlier: |robust z| ≥ 3.5 against the centred rolling median / MAD
    (window 7 for daily data, 5 for weekly; monthly series are not scanned). Same index as `series`."""
    s = pd.to_numeric(pd.Series(series), errors="coerce").astype("float64")
    threshold = chart_lines()["anomaly"]["threshold"]["value"] if threshold is None else threshold
    ordered = s.sort_index() if isinstance(s.index, pd.DatetimeIndex) else s
    size = _window_for(ordered, window)
    if not size or len(ordered) < 3:
        return pd.Series(False, index=s.index)
    flags = pd.Series(_outliers(ordered.to_numpy(), size, threshold)[0], index=ordered.index)
    return flags.reindex(s.index) if ordered.index.is_unique else flags


def _promotion_windows(layout: dict, promotions: Iterable[Promotion], first: pd.Timestamp, edge: pd.Timestamp, lang: str) -> None:
    """Shade each promotion overlapping [first, edge) and name it; clipped so it never widens the axis."""
    bands = []
    for promo in promotions:
        start, end = pd.Timestamp(promo.start), pd.Timestamp(promo.end) + timedelta(days=1)
        if end <= first or start >= edge:
            continue
        bands.append(_band("x", max(start, first), min(end, edge), PROMO_FILL, 0.13, safe_text(promo.label(lang)),
                           {"size": 11, "color": "#9A5B00"}))
    _decorate(layout, bands)


def gmv_trend(series: pd.Series, promotions: Iterable[Promotion], lang: str = "zh", anomalies: bool = True) -> go.Figure:
    """GMV per period (index = period start) with promotion windows shaded and anomalies circled."""
    s = _clean_series(series)
    layout = _layout(t("chart.gmv_trend.title", lang))
    if not s.notna().any():
        return _no_data(layout, lang)
    freq = _freq(s.index)
    name = t("chart.gmv", lang)
    values = s.to_numpy()
    periods = _period_labels(s.index, freq, lang)
    traces = [{
        "type": "scatter", "x": s.index, "y": values, "mode": "lines", "name": name, "line": {"color": PALETTE[0], "width": 2},
        "hovertext": [f"{p}<br>{name}: {fmt.money(v, lang)}" for p, v in zip(periods, values, strict=True)], "hoverinfo": "text",
    }]
    window = chart_lines()["anomaly"]["window"].get(freq)
    if anomalies and window and len(values) >= 3:  # as `anomalies(s)`, on the sorted series whose frequency is known
        flags, median = _outliers(values, window, chart_lines()["anomaly"]["threshold"]["value"])
        if flags.any():
            traces.append({
                "type": "scatter", "x": s.index[flags], "y": values[flags], "mode": "markers", "name": t("chart.anomaly", lang),
                "marker": {"symbol": "circle-open", "size": 13, "color": BAD, "line": {"width": 2.2}},
                "hovertext": [f"{p}<br>" + t("chart.anomaly.hover", lang, value=fmt.money(v, lang), median=fmt.money(m, lang))
                              for p, v, m, flagged in zip(periods, values, median, flags, strict=True) if flagged],
                "hoverinfo": "text",
            })
    step = {"D": timedelta(days=1), "W": timedelta(days=7)}.get(freq, timedelta(days=31))
    _promotion_windows(layout, promotions, s.index.min(), s.index.max() + step, lang)
    layout |= {"xaxis": _date_axis(lang), "yaxis": _money_axis(values, lang, title=t("chart.gmv_axis", lang)),
               "showlegend": True, "hovermode": "closest"}
    return _build(traces, layout)


# ------------------------------------------------------------------ 2. store funnel

FUNNEL_STEPS = ("exposure", "visitors", "buyers", "orders")


def funnel_steps(values: Mapping[str, float]) -> list[tuple[str, float]]:
    """The funnel steps present in `values` (kpis.compute keys), in order; missing ones left out."""
    return [(key, float(values[key])) for key in FUNNEL_STEPS if key in values and not fmt.missing(values[key])]


def store_funnel(values: Mapping[str, float], lang: str = "zh") -> go.Figure:
    """Exposure → product clicks → buyers → orders, each step with its conversion from the one before."""
    layout = _layout(t("chart.funnel.title", lang))
    steps = funnel_steps(values)
    if not steps:
        return _no_data(layout, lang)
    defs = metric_defs()
    top = steps[0][1]
    labels, texts, hovers = [], [], []
    for i, (key, v) in enumerate(steps):
        label = defs[key].label(lang)
        lines = [fmt.count(v, lang)]
        if i:
            prev_key, prev = steps[i - 1]
            ratio = v / prev if prev else float("nan")
            if key == "orders" and prev_key == "buyers":
                lines.append(t("chart.funnel.per_buyer", lang, value=fmt.number(ratio)))
            else:
                lines.append(t("chart.funnel.step_rate", lang, rate=fmt.pct(ratio, 2 if ratio < 0.1 else 1)))
        labels.append(label)
        texts.append("<br>".join(lines))
        share = fmt.pct(v / top if top else float("nan"), 2)
        hovers.append("<br>".join([f"{label}: {lines[0]}", *lines[1:], t("chart.funnel.of_first", lang, rate=share)]))
    funnel = {
        "type": "funnel", "y": labels, "x": [v for _, v in steps], "text": texts, "textinfo": "text",
        "textposition": ["inside" if top and v / top >= 0.3 else "outside" for _, v in steps], "cliponaxis": False,
        "hovertext": hovers, "hoverinfo": "text", "marker": {"color": list(PALETTE[: len(steps)])},
        "connector": {"fillcolor": "#EEF2F7", "line": {"width": 0}}, "name": t("chart.funnel.title", lang),
    }
    return _build([funnel], layout | {"showlegend": False, "margin": {"l": 150}})


# ------------------------------------------------------------------ 3. channel mix

CARRIERS = {"live": "live_share", "video": "video_share", "card": "card_share"}


@cache
def carrier_ids() -> dict[str, str]:
    """Carrier text in an export (直播, 短视频, 商品卡, their English forms) → live / video / card,
    from the share metrics' `where` lists in metrics.yaml."""
    defs = metric_defs()
    return {name: carrier for carrier, metric in CARRIERS.items() for name in defs[metric].where.get("carrier", ())}


def _amount_column(frame: pd.DataFrame, candidates: tuple[str, ...] = ("gmv", "user_pay_amount")) -> str | None:
    return next((c for c in candidates if c in frame.columns and frame[c].notna().any()), None)


def channel_mix(carrier_frame: pd.DataFrame, freq: str = "D", lang: str = "zh") -> go.Figure:
    """GMV by carrier (live / short video / product card) per day, week or month as stacked areas."""
    layout = _layout(t("chart.channel.title", lang))
    column = _amount_column(carrier_frame) if carrier_frame is not None else None
    if column is None or "date" not in carrier_frame.columns or "carrier" not in carrier_frame.columns:
        return _no_data(layout, lang)
    frame = carrier_frame.dropna(subset=["date", "carrier"])
    if frame.empty:
        return _no_data(layout, lang)
    bucket = pd.to_datetime(frame["date"]).dt.to_period(_PERIOD[freq]).dt.start_time.rename("period")
    ids = carrier_ids()
    carrier = frame["carrier"].astype(str).str.strip().map(lambda c: ids.get(c, c)).rename("carrier")
    table = frame[column].astype("float64").groupby([bucket, carrier]).sum(min_count=1).unstack("carrier").sort_index()
    order = [c for c in CARRIERS if c in table.columns] + sorted(c for c in table.columns if c not in CARRIERS)
    known = table.notna().any(axis=1)
    table = table[order].where(~known, table[order].fillna(0.0))  # a carrier absent on a day sold 0 that day
    totals = table.sum(axis=1, min_count=1)
    traces = []
    for i, key in enumerate(order):
        label = t(f"chart.carrier.{key}", lang) if key in CARRIERS else safe_text(key)
        values = table[key]
        shares = values / totals.where(totals > 0)
        hover = [f"{label}: {fmt.money(v, lang)} · {t('chart.share_of_total', lang, share=fmt.pct(sh))}"
                 for v, sh in zip(values, shares, strict=True)]
        colour = PALETTE[i % len(PALETTE)]
        traces.append({
            "type": "scatter", "x": table.index, "y": values.to_numpy(), "name": label, "mode": "lines", "stackgroup": "gmv",
            "hoveron": "points", "line": {"width": 0.8, "color": colour}, "fillcolor": colour, "hovertext": hover, "hoverinfo": "text",
        })
    return _build(traces, layout | {
        "xaxis": _date_axis(lang, hoverformat="%Y-%m-%d"), "yaxis": _money_axis(totals.to_numpy(), lang, title=t("chart.gmv_axis", lang)),
        "hovermode": "x unified", "legend": {"traceorder": "normal"},
    })


# ------------------------------------------------------------------ 4. experience score


def experience_scale(frame: pd.DataFrame) -> float | None:
    """5.0 or 100.0: the latest `experience_scale`, else 5 when every score is ≤ 5 (as the ingest derives it)."""
    if "experience_scale" in frame.columns and frame["experience_scale"].notna().any():
        dated = frame.dropna(subset=["experience_scale"])
        if "date" in dated.columns:
            dated = dated.sort_values("date", kind="stable")
        return 5.0 if float(dated["experience_scale"].iloc[-1]) <= 5 else 100.0
    if "experience_score" in frame.columns and frame["experience_score"].notna().any():
        return 5.0 if frame["experience_score"].max() <= 5 else 100.0
    return None


def experience_trajectory(frame: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """The experience score over time with the threshold lines of its scale (5-point or 100-point)."""
    scale = experience_scale(frame) if frame is not None else None
    scale_key = "5" if scale is not None and scale <= 5 else "100"
    layout = _layout(t("chart.experience.title", lang, scale=t(f"chart.scale.{scale_key}", lang)))
    if scale is None or "date" not in frame.columns:
        return _no_data(layout, lang)
    data = frame.dropna(subset=["date", "experience_score"]).sort_values("date", kind="stable")
    if "experience_scale" in data.columns:  # a store that moved between systems: chart the current one
        on_scale = data["experience_scale"].isna() | ((data["experience_scale"] <= 5) == (scale <= 5))
        data = data[on_scale]
    if data.empty:
        return _no_data(layout, lang)
    cfg = chart_lines()["experience"][scale_key]
    items = [
        _band("y", band["low"], band["high"], LEVEL_COLOURS[band["level"]], 0.10,
              t(f"chart.line.{band['id']}", lang, low=fmt.score(band["low"], scale), high=fmt.score(band["high"], scale)),
              {"size": 11, "color": MUTED})
        for band in cfg.get("bands", ())
    ]
    latest = float(data["experience_score"].iloc[-1])
    items += [
        _rule("y", line["value"], _level_line(line["level"]),
              t(f"chart.line.{line['id']}", lang, value=fmt.score(line["value"], scale)),
              {"size": 11, "color": LEVEL_COLOURS[line["level"]]},
              # the label on the side away from where the score line ends
              "top right" if line["value"] >= latest else "bottom right")
        for line in cfg["lines"]
    ]
    _decorate(layout, items)
    defs = metric_defs()
    traces = []
    subs = {"xp_product_score": "xp_product", "xp_logistics_score": "xp_logistics", "xp_service_score": "xp_service"}
    for i, (column, metric_id) in enumerate(subs.items()):
        if column in data.columns and data[column].notna().any():
            label = defs[metric_id].label(lang)
            traces.append({
                "type": "scatter", "x": data["date"], "y": data[column], "mode": "lines", "name": label, "visible": "legendonly",
                "line": {"width": 1.2, "dash": "dot", "color": PALETTE[(i + 2) % len(PALETTE)]},
                "hovertext": [f"{d:%Y-%m-%d}<br>{label}: {fmt.score(v, scale)}" for d, v in zip(data["date"], data[column], strict=True)],
                "hoverinfo": "text",
            })
    label = defs["experience_score"].label(lang)
    traces.append({
        "type": "scatter", "x": data["date"], "y": data["experience_score"], "mode": "lines", "name": label,
        "line": {"color": PALETTE[0], "width": 2.4},
        "hovertext": [f"{d:%Y-%m-%d}<br>{label}: {fmt.score(v, scale)}" for d, v in zip(data["date"], data["experience_score"], strict=True)],
        "hoverinfo": "text",
    })
    low, high = cfg["axis"]["range"]
    span = high - low
    low = min(low, float(data["experience_score"].min()) - 0.02 * span)
    high = max(high, float(data["experience_score"].max()) + 0.02 * span)
    layout["yaxis"] = {"range": [low, high], "title": {"text": t("chart.experience.axis", lang, scale=t(f"chart.scale.{scale_key}", lang))},
                       "tickformat": ".1f" if scale <= 5 else "d"}
    layout["xaxis"] = _date_axis(lang)
    return _build(traces, layout)


# ------------------------------------------------------------------ 5. ROI against break-even


def break_even_roi(gross_margin: float, refund_rate: float | None = None) -> float:
    """1 / ((1 − r) × m): the ROI at which ad spend eats the whole margin (docs/sources.md#break-even-roi, k = 0).

    `refund_rate` None (or NaN) counts as 0. ValueError for a margin ≤ 0, a negative refund rate or
    (1 − r) × m ≤ 0 (no ROI breaks even)."""
    m = float(gross_margin)
    if not math.isfinite(m) or m <= 0:
        raise ValueError(f"gross margin must be above 0, got {gross_margin!r}")
    r = 0.0 if fmt.missing(refund_rate) else float(refund_rate)
    if r < 0:
        raise ValueError(f"refund rate cannot be negative, got {refund_rate!r}")
    base = (1 - r) * m
    if base <= 0:
        raise ValueError(f"(1 - refund rate) x margin must be above 0, got {base!r}")
    return 1 / base


def roi_vs_breakeven(series_roi: pd.Series, gross_margin: float, refund_rate: float | None, lang: str = "zh",
                     label: str | None = None) -> go.Figure:
    """ROI per period against the break-even line; points below it red. `label` is a metric id
    (roi_total, roi_direct, store_efficiency) or a display name for the ROI series."""
    be = break_even_roi(gross_margin, refund_rate)
    known = not fmt.missing(refund_rate)
    layout = _layout(t("chart.roi.title", lang))
    s = _clean_series(series_roi).dropna()
    if s.empty:
        return _no_data(layout, lang)
    defs = metric_defs()
    name = defs[label].label(lang) if label in defs else safe_text(label) if label else t("chart.roi.series", lang)
    freq = _freq(s.index)
    state = {True: t("chart.roi.above", lang), False: t("chart.roi.below", lang)}
    roi = {
        "type": "scatter", "x": s.index, "y": s.to_numpy(), "mode": "lines+markers", "name": name, "line": {"color": PALETTE[0], "width": 2},
        "marker": {"size": 5, "color": [GOOD if v >= be else BAD for v in s]},
        "hovertext": [f"{p}<br>{name}: {fmt.number(v)}<br>{state[v >= be]}" for p, v in zip(_period_labels(s.index, freq, lang), s, strict=True)],
        "hoverinfo": "text",
    }
    margin_text = fmt.pct(gross_margin, 0)
    be_name = (t("chart.roi.break_even", lang, value=fmt.number(be), margin=margin_text, refund=fmt.pct(refund_rate, 0)) if known
               else t("chart.roi.break_even_no_refund", lang, value=fmt.number(be), margin=margin_text))
    x_ends = [s.index.min(), s.index.max()]
    break_even = {"type": "scatter", "x": x_ends, "y": [be, be], "mode": "lines", "name": be_name,
                  "line": {"color": BAD, "dash": "dash", "width": 1.6}, "hoverinfo": "skip"}
    multiple = chart_lines()["roi"]["good_multiple"]["value"]
    good = be * multiple
    good_line = {"type": "scatter", "x": x_ends, "y": [good, good], "mode": "lines",
                 "name": t("chart.roi.good", lang, multiple=f"{multiple:g}", value=fmt.number(good)),
                 "line": {"color": GOOD, "dash": "dot", "width": 1.3}, "hoverinfo": "skip"}
    low = min(0.0, float(s.min()))
    high = max(float(s.max()), good) * 1.08
    return _build([roi, break_even, good_line], layout | {
        "yaxis": {"range": [low, high], "tickformat": ".1f", "title": {"text": t("chart.roi.axis", lang)}}, "xaxis": _date_axis(lang),
    })


# ------------------------------------------------------------------ 6. live sessions


def _minutes_text(minutes: float, lang: str) -> str:
    if minutes < 1:
        return t("chart.unit.seconds", lang, value=f"{minutes * 60:g}")
    return t("chart.unit.minutes", lang, value=f"{minutes:g}")


def session_gpm(live: pd.DataFrame) -> pd.Series:
    """GPM per session: GMV / views × 1000 where both are known, else the exported `gpm` column."""
    gpm = pd.Series(np.nan, index=live.index, dtype="float64")
    money = _amount_column(live)
    if money is not None and "view_pv" in live.columns:
        views = live["view_pv"].astype("float64")
        gpm = live[money].astype("float64") / views.where(views > 0) * 1000
    if "gpm" in live.columns:
        gpm = gpm.fillna(live["gpm"].astype("float64"))
    return gpm


def live_scatter(live: pd.DataFrame, lang: str = "zh") -> go.Figure:
    """One bubble per session: x average watch time, y GPM, size session GMV; sessions whose peak online is
    far above the average (traffic not retained) coloured apart."""
    layout = _layout(t("chart.live.title", lang))
    if live is None or live.empty or "avg_watch_min" not in live.columns:
        return _no_data(layout, lang)
    defs = metric_defs()
    # one NumPy array per measure: pandas columns cost several times as much to filter, iterate and split
    x, y = _floats(live["avg_watch_min"]), _floats(session_gpm(live))
    money = _amount_column(live)
    gmv = _floats(live[money]) if money else np.full(len(live), np.nan)
    cfg = chart_lines()["live"]
    if {"peak_online", "avg_online"} <= set(live.columns):
        avg = _floats(live["avg_online"])
        gap = _floats(live["peak_online"]) / np.where(avg > 0, avg, np.nan)
    else:
        gap = np.full(len(live), np.nan)
    keep = ~np.isnan(x) & ~np.isnan(y)
    if not keep.any():
        return _no_data(layout, lang)
    rows, x, y, gmv, gap = live[keep], x[keep], y[keep], gmv[keep], gap[keep]
    biggest = float(np.nanmax(gmv)) if not np.isnan(gmv).all() else 0.0
    sizeref = 2 * biggest / 38**2 if biggest > 0 else 1.0

    # hover lines column by column (a row-wise .loc costs ~1 ms a session)
    parts: list[list[str]] = []
    if "live_start_at" in rows.columns:
        starts = pd.to_datetime(rows["live_start_at"]).dt.strftime("%Y-%m-%d %H:%M").tolist()
        label = t("chart.live.start", lang)
        parts.append([f"{label}: {v}" if isinstance(v, str) else "" for v in starts])
    if "anchor_name" in rows.columns:
        parts.append([safe_text(v) if pd.notna(v) else "" for v in rows["anchor_name"].tolist()])
    if "viewer_uv" in rows.columns:
        label = defs["viewers"].label(lang)
        parts.append([f"{label}: {fmt.count(v, lang)}" for v in rows["viewer_uv"].tolist()])
    gmv_label, watch_label, gap_label = defs["live_gmv"].label(lang), t("chart.live.watch", lang), defs["peak_avg_ratio"].label(lang)
    parts.append([f"{gmv_label}: {fmt.money(v, lang)}" for v in gmv.tolist()])
    parts.append([f"GPM: {fmt.money(v, lang)}" for v in y.tolist()])
    parts.append([f"{watch_label}: {fmt.duration(v, 'min', lang)}" for v in x.tolist()])
    parts.append([f"{gap_label}: {fmt.number(v)}" if pd.notna(v) else "" for v in gap.tolist()])
    hover = np.array(["<br>".join(p for p in lines if p) for lines in zip(*parts, strict=True)], dtype=object)

    spiky = gap >= cfg["peak_avg_spike"]["value"]
    groups = (
        (~spiky, t("chart.live.sessions", lang), PALETTE[0]),
        (spiky, t("chart.live.spiky", lang, value=fmt.number(cfg["peak_avg_spike"]["value"], 1)), WARN),
    )
    traces = [
        {"type": "scatter", "x": x[rows_in], "y": y[rows_in], "mode": "markers", "name": name,
         "marker": {"size": np.fmax(gmv[rows_in], 0.0), "sizemode": "area", "sizeref": sizeref,  # fmax: no GMV → 0
                    "sizemin": 4, "color": colour, "opacity": 0.62, "line": {"width": 0.6, "color": "white"}},
         "hovertext": hover[rows_in].tolist(), "hoverinfo": "text"}
        for rows_in, name, colour in groups if rows_in.any()
    ]
    _decorate(layout, [
        _rule("x", line["value"], _level_line(line["level"]),
              t(f"chart.line.{line['id']}", lang, value=_minutes_text(line["value"], lang)),
              {"size": 11, "color": LEVEL_COLOURS[line["level"]]}, "top right")
        for line in cfg["watch_lines"]
    ])
    x_high = max(float(x.max()), max(line["value"] for line in cfg["watch_lines"])) * 1.08
    layout["xaxis"] = {"range": [0, x_high], "title": {"text": t("chart.live.watch_axis", lang)}, "zeroline": False, "showgrid": True,
                       "gridcolor": GRID}
    layout["yaxis"] = _money_axis(y, lang, title=t("chart.live.gpm_axis", lang))
    return _build(traces, layout)


# ------------------------------------------------------------------ 7. product Pareto


def product_totals(products: pd.DataFrame) -> pd.DataFrame:
    """GMV per product summed over all periods (and carriers), largest first: columns `product_id`,
    `product_name` (latest non-empty), `gmv`. Rows without an ID are grouped by name."""
    column = _amount_column(products) if products is not None else None
    if column is None:
        return pd.DataFrame({"product_id": [], "product_name": [], "gmv": []})
    names = products["product_name"] if "product_name" in products.columns else pd.Series(pd.NA, index=products.index)
    ids = products["product_id"] if "product_id" in products.columns else pd.Series(pd.NA, index=products.index)
    key = ids.astype("string").fillna("name:" + names.astype("string").fillna(""))
    frame = pd.DataFrame({"key": key, "id": ids, "name": names, "gmv": products[column].astype("float64")})
    if "period_start" in products.columns:
        frame = frame.assign(_order=products["period_start"]).sort_values("_order", kind="stable")
    groups = frame.groupby("key", sort=True)
    grouped = pd.DataFrame({
        "product_id": groups["id"].last(), "product_name": groups["name"].last(), "gmv": groups["gmv"].sum(min_count=1),
    })
    grouped = grouped.dropna(subset=["gmv"]).sort_values("gmv", ascending=False, kind="stable")
    return grouped.reset_index(drop=True)


def pareto_share(products: pd.DataFrame, top_n: int) -> float:
    """Share of GMV from the `top_n` best-selling products (NaN when there is no positive GMV)."""
    return _head_share(product_totals(products)["gmv"], top_n)


def _head_share(totals: pd.Series, top_n: int) -> float:
    """Share of the sum of `totals` (largest first) in its first `top_n` values: pareto_share on totals
    already computed."""
    total = float(totals.sum())
    if total <= 0:
        return float("nan")
    return float(totals.iloc[: max(int(top_n), 0)].sum() / total)


def product_pareto(products: pd.DataFrame, lang: str = "zh", top: int = 30) -> go.Figure:
    """The top products' GMV as bars, largest first, with the cumulative share of all GMV on a right-hand axis."""
    totals = product_totals(products)
    n = min(int(top), len(totals))
    total = float(totals["gmv"].sum()) if len(totals) else 0.0
    share = _head_share(totals["gmv"], n) if n else float("nan")
    layout = _layout(t("chart.pareto.title", lang, n=n),
                     t("chart.pareto.subtitle", lang, n=n, share=fmt.pct(share), total=len(totals)) if n and total > 0 else None)
    if not n or total <= 0:
        return _no_data(layout, lang)
    head = totals.iloc[:n]
    ranks = list(range(1, n + 1))
    cumulative = (totals["gmv"].cumsum() / total).iloc[:n].to_numpy()
    names = [safe_text(v) if pd.notna(v) else "—" for v in head["product_name"]]
    ids = [safe_text(v) if pd.notna(v) else "—" for v in head["product_id"]]
    hover = [
        f"#{r} {name}<br>{t('chart.pareto.id', lang)}: {pid}<br>{t('chart.gmv', lang)}: {fmt.money(g, lang)}"
        f" · {t('chart.share_of_total', lang, share=fmt.pct(g / total))}<br>{t('chart.pareto.cumulative', lang)}: {fmt.pct(c)}"
        for r, name, pid, g, c in zip(ranks, names, ids, head["gmv"], cumulative, strict=True)
    ]
    bars = {"type": "bar", "x": ranks, "y": head["gmv"].to_numpy(), "name": t("chart.gmv", lang), "marker": {"color": PALETTE[0]},
            "hovertext": hover, "hoverinfo": "text"}
    line = {"type": "scatter", "x": ranks, "y": cumulative, "name": t("chart.pareto.cumulative", lang), "yaxis": "y2",
            "mode": "lines+markers", "line": {"color": PALETTE[1], "width": 2}, "marker": {"size": 5}, "hovertext": hover, "hoverinfo": "text"}
    labels = [_short(v) if pd.notna(v) else "—" for v in head["product_name"]]
    return _build([bars, line], layout | {
        "xaxis": {"tickmode": "array", "tickvals": ranks, "ticktext": labels, "tickangle": -45, "tickfont": {"size": 10},
                  "range": [0.4, n + 0.6], "title": {"text": t("chart.pareto.product", lang)}},
        "yaxis": _money_axis(head["gmv"].to_numpy(), lang, title=t("chart.gmv_axis", lang)),
        "yaxis2": {"overlaying": "y", "side": "right", "range": [0, 1.05], "tickformat": ".0%", "dtick": 0.2, "showgrid": False,
                   "title": {"text": t("chart.pareto.share_axis", lang)}, "zeroline": False},
        "bargap": 0.25, "hovermode": "closest",
        "legend": {"y": 1.0, "yanchor": "bottom", "x": 1, "xanchor": "right"},
    })


# ------------------------------------------------------------------ 8. decomposition waterfall

FACTOR_UNITS = {"exposure": "count", "impressions": "count", "ctr": "ratio", "entry_rate": "ratio", "conversion": "ratio", "aov": "yuan"}


def _signed_money(v: float, lang: str) -> str:
    text = fmt.money(v, lang)
    return text if text.startswith("-") or text == fmt.DASH else "+" + text


def decomposition_waterfall(dec: Decomposition, lang: str = "zh") -> go.Figure:
    """GMV before, one bar per factor's contribution (additive LMDI: they sum exactly to the change), GMV after."""
    layout = _layout(t("chart.waterfall.title", lang, chain=t(f"chart.chain.{dec.chain}", lang)))
    before, after = t("chart.waterfall.before", lang), t("chart.waterfall.after", lang)
    labels, values, texts, hovers = [before], [dec.gmv_before], [fmt.money(dec.gmv_before, lang)], [f"{before}: {fmt.money(dec.gmv_before, lang)}"]
    for factor in dec.factors:
        label = t(f"chart.factor.{dec.chain}.{factor}", lang)
        unit = FACTOR_UNITS.get(factor, "number")
        contribution = dec.contributions[factor]
        old, new = dec.before[factor], dec.after[factor]
        labels.append(label)
        values.append(contribution)
        texts.append(_signed_money(contribution, lang))
        hovers.append(f"{label}: {fmt.metric(old, unit, lang)} → {fmt.metric(new, unit, lang)} ({fmt.pct(new / old - 1 if old else None, signed=True)})"
                      f"<br>{t('chart.waterfall.contribution', lang, value=_signed_money(contribution, lang))}")
    labels.append(after)
    values.append(dec.gmv_after)
    texts.append(fmt.money(dec.gmv_after, lang))
    hovers.append(f"{after}: {fmt.money(dec.gmv_after, lang)} ({fmt.pct(dec.gmv_after / dec.gmv_before - 1 if dec.gmv_before else None, signed=True)})")
    waterfall = {
        "type": "waterfall", "x": labels, "y": values, "measure": ["absolute", *["relative"] * len(dec.factors), "total"],
        "text": texts, "textposition": "outside", "hovertext": hovers, "hoverinfo": "text", "connector": {"line": {"color": AXIS, "width": 1}},
        "increasing": {"marker": {"color": GOOD}}, "decreasing": {"marker": {"color": BAD}}, "totals": {"marker": {"color": PALETTE[0]}},
        "name": t("chart.gmv", lang), "cliponaxis": False,
    }
    levels = np.cumsum([dec.gmv_before, *dec.contributions.values()])
    biggest = max((abs(c) for c in dec.contributions.values()), default=0.0)
    # the axis starts near the lowest level so the factor bars are readable; the totals carry their values as text
    floor = max(0.0, float(levels.min()) - 2.5 * biggest) if biggest else 0.0
    ticks = nice_ticks(floor, float(levels.max()) + 0.6 * biggest)
    layout |= {
        "yaxis": {"range": [ticks[0], ticks[-1]], "tickmode": "array", "tickvals": ticks,
                  "ticktext": [fmt.money(v, lang) for v in ticks], "title": {"text": t("chart.gmv_axis", lang)}},
        "xaxis": {"type": "category"}, "showlegend": False, "margin": {"t": 90},
    }
    if ticks[0] > 0:
        layout["annotations"] = [{
            "text": t("chart.waterfall.axis_cut", lang, value=fmt.money(ticks[0], lang)), "xref": "paper", "yref": "paper",
            "x": 0, "y": 1.02, "xanchor": "left", "yanchor": "bottom", "showarrow": False, "font": {"size": 11, "color": MUTED},
        }]
    return _build([waterfall], layout)


# ------------------------------------------------------------------ 9. sparkline


def sparkline(series: pd.Series, lang: str = "zh", unit: str = "number", color: str | None = None) -> go.Figure:
    """A tiny line without axes or title for table rows; hover shows the period and the value in `unit`."""
    s = _clean_series(series)
    colour = color or PALETTE[0]
    freq = _freq(s.index)
    traces = [{
        "type": "scatter", "x": s.index, "y": s.to_numpy(), "mode": "lines", "line": {"color": colour, "width": 1.6}, "showlegend": False,
        "hovertext": [f"{p}: {fmt.metric(v, unit, lang)}" for p, v in zip(_period_labels(s.index, freq, lang), s, strict=True)],
        "hoverinfo": "text",
    }]
    last = s.dropna()
    if len(last):
        traces.append({"type": "scatter", "x": [last.index[-1]], "y": [last.iloc[-1]], "mode": "markers",
                       "marker": {"size": 5, "color": colour}, "showlegend": False, "hoverinfo": "skip"})
    return _build(traces, {"template": TEMPLATE_NAME, "height": 60, "margin": {"l": 2, "r": 2, "t": 2, "b": 2}, "showlegend": False,
                           "hovermode": "closest", "xaxis": {"visible": False}, "yaxis": {"visible": False}})


# ------------------------------------------------------------------ 10. a finding against its threshold


def finding_bar(label: str, value: float, threshold: float, unit: str, bad_below: bool, lang: str = "zh") -> go.Figure:
    """One horizontal bar for a finding's metric with its threshold as a line: red on the wrong side."""
    wrong = value < threshold if bad_below else value > threshold
    colour = BAD if wrong else GOOD
    low, high = min(0.0, value, threshold) * 1.25, max(0.0, value, threshold) * 1.25 or 1.0
    traces = [{
        "type": "bar", "orientation": "h", "x": [value], "y": [safe_text(label)], "marker": {"color": colour},
        "text": [fmt.metric(value, unit, lang)], "textposition": "auto", "hoverinfo": "skip", "showlegend": False,
    }]
    layout = _layout("") | {"height": 130, "margin": {"l": 8, "r": 8, "t": 26, "b": 24},
                            "xaxis": {"range": [low, high], "showgrid": False, "tickformat": (".1%" if high < 0.125 else ".0%") if unit == "ratio" else None},
                            "yaxis": {"visible": False}}
    _decorate(layout, [_rule("x", threshold, _level_line("alarm"), t("chart.finding.threshold", lang, value=fmt.metric(threshold, unit, lang)),
                             {"size": 11, "color": BAD}, "top right")])
    return _build(traces, layout)
