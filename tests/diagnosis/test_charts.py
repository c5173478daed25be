"""Charts are data: the figures are checked through their traces, shapes and layout, not by looking at them."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

from diagnosis import charts, kpis
from diagnosis.formatting import money
from diagnosis.kpis import Decomposition, Period, Promotion
from diagnosis.merchants import DEMO_ROOT, list_merchants, load_merchant

CJK = re.compile(r"[\u4e00-\u9fff]")
MERCHANTS = ["apparel_score44", "kidsgoods_lowaov", "kidswear_818", "menswear_paid", "used3c_coldstart"]


@pytest.fixture(scope="module")
def demo() -> dict[str, tuple[dict, dict[str, pd.DataFrame]]]:
    loaded = {}
    for slug in list_merchants(DEMO_ROOT):
        data = load_merchant(DEMO_ROOT / slug)
        loaded[slug] = (data.profile, kpis.combine(data.frames))
    return loaded


def _strings(node) -> list[str]:
    """Every string inside a figure's JSON (after decoding Plotly's \\u003c escapes)."""
    if isinstance(node, str):
        return [node]
    if isinstance(node, dict):
        return [s for value in node.values() for s in _strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in _strings(value)]
    return []


def _daily(values, start="2022-05-01") -> pd.Series:
    return pd.Series(values, index=pd.date_range(start, periods=len(values), freq="D"), dtype="float64")


# ------------------------------------------------------------------ anomaly detector


def _weekly_pattern(days: int = 84, seed: int = 7) -> pd.Series:
    rng = np.random.default_rng(seed)
    t = np.arange(days)
    return _daily(10_000 + 2_500 * np.sin(2 * np.pi * t / 7) + rng.normal(0, 300, days))


@pytest.mark.parametrize("seed", range(10))
def test_a_smooth_weekly_pattern_is_not_an_anomaly(seed):
    assert not charts.anomalies(_weekly_pattern(seed=seed)).any()


def test_a_planted_spike_and_dip_are_flagged_and_nothing_else():
    series = _weekly_pattern()
    series.iloc[40] *= 3
    series.iloc[20] = 500
    flags = charts.anomalies(series)
    assert flags.index.equals(series.index)
    assert flags.dtype == bool
    assert list(np.flatnonzero(flags.to_numpy())) == [20, 40]


def test_anomalies_ignore_gaps_and_keep_the_callers_order():
    series = _weekly_pattern()
    series.iloc[40] *= 3
    series.iloc[10:13] = np.nan
    shuffled = series.sample(frac=1, random_state=1)
    flags = charts.anomalies(shuffled)
    assert flags.index.equals(shuffled.index)
    assert flags[series.index[40]]
    assert not flags[series.index[10:13]].any()
    assert flags.sum() == 1


def test_a_flat_series_and_a_short_one_have_no_anomalies():
    assert not charts.anomalies(_daily([1000.0] * 30)).any()
    assert not charts.anomalies(_daily([1.0, 50.0])).any()


def test_a_first_small_sale_after_zero_days_is_not_an_anomaly():
    cold_start = _daily([0.0] * 20 + [300.0] + [0.0] * 6 + [250.0] + [0.0] * 10)
    assert not charts.anomalies(cold_start).any()


def test_monthly_series_are_not_scanned():
    series = pd.Series([10.0, 12.0, 9.0, 11.0, 80.0, 10.0, 12.0, 9.0, 11.0], index=pd.date_range("2022-01-01", periods=9, freq="MS"))
    assert not charts.anomalies(series).any()
    assert charts.anomalies(series, window=7).any()  # an explicit window still scans


# ------------------------------------------------------------------ break-even ROI


def test_roi_chart_draws_break_even_and_says_when_refunds_are_unknown():
    roi = _daily([2.0, 2.4, 3.0, 1.8])
    known = charts.roi_vs_breakeven(roi, 0.4, 0.3, "en", label="roi_total")
    assert list(known.data[0].y) == [2.0, 2.4, 3.0, 1.8]
    assert known.data[0].name == "Whole-domain ROI"
    assert list(known.data[1].y) == pytest.approx([1 / 0.28, 1 / 0.28])
    assert "30%" in known.data[1].name
    assert list(known.data[2].y) == pytest.approx([1.3 / 0.28] * 2)  # 1.3x break-even from chart_lines.yaml
    assert known.layout.yaxis.range[1] > 1.3 / 0.28
    unknown = charts.roi_vs_breakeven(roi, 0.4, None, "zh")
    assert list(unknown.data[1].y) == pytest.approx([2.5, 2.5])
    assert "未知" in unknown.data[1].name
    marker_colours = list(unknown.data[0].marker.color)
    assert marker_colours[2] == charts.GOOD and marker_colours[3] == charts.BAD


# ------------------------------------------------------------------ funnel


def test_funnel_steps_in_order_with_rates():
    values = {"orders": 1_060.0, "buyers": 1_000.0, "visitors": 10_000.0, "exposure": 100_000.0, "gmv": 5.0}
    fig = charts.store_funnel(values, "en")
    trace = fig.data[0]
    assert list(trace.x) == [100_000.0, 10_000.0, 1_000.0, 1_060.0]
    assert list(trace.y) == ["Product exposure (users)", "Product clicks (users)", "Buyers", "Orders"]
    assert "10.0% of previous step" in trace.text[1]
    assert "1.06 orders per buyer" in trace.text[3]
    zh = charts.store_funnel(values, "zh").data[0]
    assert list(zh.y) == ["商品曝光人数", "商品点击人数", "成交人数", "成交订单数"]
    assert zh.text[0].startswith("10万")


def test_a_missing_funnel_step_is_left_out():
    fig = charts.store_funnel({"exposure": 50_000.0, "visitors": 2_000.0, "orders": 100.0, "buyers": float("nan")}, "en")
    trace = fig.data[0]
    assert list(trace.x) == [50_000.0, 2_000.0, 100.0]
    assert "Buyers" not in trace.y
    assert "5.00% of previous step" in trace.text[2]  # orders against clicks, not per buyer
    assert charts.funnel_steps({}) == []
    empty = charts.store_funnel({}, "en")
    assert not empty.data and empty.layout.annotations[0].text == "No data to chart"


# ------------------------------------------------------------------ Pareto


@pytest.fixture
def products() -> pd.DataFrame:
    return pd.DataFrame({
        "period_start": pd.to_datetime(["2022-06-01", "2022-07-01", "2022-06-01", "2022-06-01", "2022-07-01"]),
        "product_id": ["A", "A", "B", "C", "D"],
        "product_name": ["连衣裙 A", "连衣裙 A 新款", "T恤 B", "短裤 C", "袜子 D"],
        "gmv": [50.0, 10.0, 30.0, 8.0, 2.0],
    })


def test_pareto_share_sums_products_over_periods(products):
    assert charts.pareto_share(products, 1) == pytest.approx(0.6)
    assert charts.pareto_share(products, 2) == pytest.approx(0.9)
    assert charts.pareto_share(products, 3) == pytest.approx(0.98)
    assert charts.pareto_share(products, 10) == pytest.approx(1.0)
    assert charts.pareto_share(products, 0) == 0.0
    assert np.isnan(charts.pareto_share(products.assign(gmv=0.0), 2))


def test_pareto_falls_back_to_paid_amount_and_groups_rows_without_an_id(products):
    frame = products.rename(columns={"gmv": "user_pay_amount"})
    frame.loc[4, "product_id"] = None
    assert charts.pareto_share(frame, 1) == pytest.approx(0.6)
    totals = charts.product_totals(frame)
    assert list(totals["gmv"]) == [60.0, 30.0, 8.0, 2.0]
    assert totals["product_name"].iloc[0] == "连衣裙 A 新款"  # the latest name


def test_pareto_chart_bars_descend_and_the_line_ends_at_the_top_n_share(products):
    fig = charts.product_pareto(products, "en", top=3)
    bars, line = fig.data
    assert list(bars.y) == [60.0, 30.0, 8.0]
    assert list(line.y) == pytest.approx([0.6, 0.9, 0.98])
    assert line.yaxis == "y2" and fig.layout.yaxis2.tickformat == ".0%"
    assert list(fig.layout.xaxis.ticktext) == ["连衣裙 A 新款", "T恤 B", "短裤 C"]
    assert "98.0%" in fig.layout.title.subtitle.text


def test_product_names_are_truncated_and_escaped(products):
    frame = products.copy()
    frame.loc[0:1, "product_name"] = "<script>alert('x')</script> & <b>爆款连衣裙女装2022夏季新款</b>"
    fig = charts.product_pareto(frame, "zh")
    raw = fig.to_json()
    assert "<script>" not in raw
    strings = _strings(json.loads(raw))  # decoded: Plotly's JSON writes < as \u003c, so check the real text too
    assert not any("<script" in s or "<b>" in s for s in strings)
    assert any("&lt;script&gt;" in s for s in strings)
    label = fig.layout.xaxis.ticktext[0]
    assert label.startswith("&lt;script&gt;alert") and label.endswith("…")
    assert len(label.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")) == 18
    assert "&amp; &lt;b&gt;爆款" in fig.data[0].hovertext[0]


# ------------------------------------------------------------------ waterfall


def test_waterfall_bars_walk_from_before_to_after(demo):
    _, frames = demo["menswear_paid"]
    dec = kpis.decompose(frames, Period(date(2022, 7, 1), date(2022, 7, 31)), Period(date(2022, 8, 1), date(2022, 8, 31)))
    assert dec is not None
    fig = charts.decomposition_waterfall(dec, "en")
    trace = fig.data[0]
    y = list(trace.y)
    assert list(trace.measure) == ["absolute", "relative", "relative", "relative", "relative", "relative", "total"]
    assert list(trace.x) == ["GMV before", "Exposure", "CTR", "Conversion", "AOV", "GMV over amount paid", "GMV after"]
    assert y[0] == pytest.approx(dec.gmv_before)
    assert y[1:-1] == pytest.approx([dec.contributions[f] for f in dec.factors])
    assert y[0] + sum(y[1:-1]) == pytest.approx(y[-1], rel=1e-9)
    assert y[-1] == pytest.approx(dec.gmv_after)
    low, high = fig.layout.yaxis.range
    levels = np.cumsum(y[:-1])
    assert low <= levels.min() and high >= levels.max()


def test_live_waterfall_uses_the_live_factor_names():
    dec = Decomposition(
        chain="live", factors=["impressions", "entry_rate", "conversion", "aov"],
        before={"impressions": 1000.0, "entry_rate": 0.1, "conversion": 0.05, "aov": 200.0},
        after={"impressions": 1200.0, "entry_rate": 0.1, "conversion": 0.04, "aov": 220.0},
        gmv_before=1000.0, gmv_after=1056.0,
        contributions={"impressions": 188.0, "entry_rate": 0.0, "conversion": -230.0, "aov": 98.0},
    )
    fig = charts.decomposition_waterfall(dec, "zh")
    assert list(fig.data[0].x) == ["前期成交", "直播间曝光人数", "曝光-进入率", "观看-成交率", "客单价", "本期成交"]
    assert fig.data[0].text[3] == "-¥230"
    assert "直播间" in fig.layout.title.text


# ------------------------------------------------------------------ experience score


def _shape_values(fig: go.Figure) -> tuple[set[float], set[tuple[float, float]]]:
    lines = {round(s.y0, 4) for s in fig.layout.shapes if s.type == "line" and s.y0 == s.y1}
    bands = {(s.y0, s.y1) for s in fig.layout.shapes if s.type == "rect"}
    return lines, bands


def test_experience_on_the_5_point_scale_draws_the_old_lines(demo):
    _, frames = demo["apparel_score44"]
    assert frames["experience"]["experience_scale"].iloc[-1] == 5.0
    fig = charts.experience_trajectory(frames["experience"], "zh")
    lines, bands = _shape_values(fig)
    assert lines == {4.7, 4.3, 4.0}
    assert not bands
    assert "5分制" in fig.layout.title.text
    low, high = fig.layout.yaxis.range
    assert low <= 3.0 + 1e-9 and 5.0 <= high <= 5.1
    score = fig.data[-1]
    assert list(score.y) == list(frames["experience"].sort_values("date")["experience_score"])
    assert score.hovertext[-1].endswith("4.41")
    assert "5-point" in charts.experience_trajectory(frames["experience"], "en").layout.title.text


@pytest.mark.parametrize("slug", ["menswear_paid", "kidswear_818"])
def test_experience_on_the_100_point_scale_draws_the_new_lines(demo, slug):
    _, frames = demo[slug]
    fig = charts.experience_trajectory(frames["experience"], "en")
    lines, bands = _shape_values(fig)
    assert lines == {60, 90}
    assert bands == {(70, 80)}
    assert "100-point" in fig.layout.title.text
    low, high = fig.layout.yaxis.range
    assert low <= 50 and high >= 100


def test_experience_scale_is_inferred_without_the_column():
    frame = pd.DataFrame({"date": pd.date_range("2022-05-01", periods=3), "experience_score": [4.6, 4.5, 4.4]})
    assert charts.experience_scale(frame) == 5.0
    assert _shape_values(charts.experience_trajectory(frame, "en"))[0] == {4.7, 4.3, 4.0}


def test_a_store_that_moved_to_the_100_point_scale_is_charted_on_it():
    frame = pd.DataFrame({
        "date": pd.date_range("2022-05-01", periods=4),
        "experience_score": [4.6, 4.5, 82.0, 83.0],
        "experience_scale": [5.0, 5.0, 100.0, 100.0],
    })
    fig = charts.experience_trajectory(frame, "en")
    assert list(fig.data[-1].y) == [82.0, 83.0]
    assert _shape_values(fig)[0] == {60, 90}


# ------------------------------------------------------------------ channel mix, live, GMV trend, sparkline


def test_channel_mix_stacks_carriers_and_adds_up_to_the_total(demo):
    _, frames = demo["kidswear_818"]
    carriers = frames["carrier_daily"]
    fig = charts.channel_mix(carriers, "W", "zh")
    assert [trace.name for trace in fig.data] == ["直播", "短视频", "商品卡"]
    assert {trace.stackgroup for trace in fig.data} == {"gmv"}
    stacked = np.sum([np.asarray(trace.y, dtype=float) for trace in fig.data], axis=0)
    weekly = carriers.groupby(carriers["date"].dt.to_period("W-SUN").dt.start_time)["gmv"].sum()
    assert stacked == pytest.approx(weekly.to_numpy())
    assert any(text.startswith("¥") and "万" in text for text in fig.layout.yaxis.ticktext)


def test_channel_mix_maps_english_carrier_names_and_keeps_unknown_ones_escaped():
    frame = pd.DataFrame({
        "date": pd.to_datetime(["2022-06-01", "2022-06-01", "2022-06-02"]),
        "carrier": ["live", "<i>other</i>", "Short video"],
        "user_pay_amount": [100.0, 5.0, 40.0],
    })
    fig = charts.channel_mix(frame, "D", "en")
    assert [trace.name for trace in fig.data] == ["Live", "Short video", "&lt;i&gt;other&lt;/i&gt;"]
    assert list(fig.data[0].y) == [100.0, 0.0]  # absent that day: zero, so the stack stays whole


def test_live_scatter_recomputes_gpm_and_separates_spiky_sessions():
    live = pd.DataFrame({
        "live_start_at": pd.to_datetime(["2022-06-01 19:00", "2022-06-02 19:00", "2022-06-03 19:00"]),
        "avg_watch_min": [0.8, 1.5, 2.2],
        "gmv": [10_000.0, 20_000.0, np.nan],
        "view_pv": [5_000.0, 10_000.0, 1_000.0],
        "gpm": [9_999.0, 9_999.0, 1_500.0],
        "viewer_uv": [3_000.0, 6_000.0, 800.0],
        "peak_online": [300.0, 100.0, 50.0],
        "avg_online": [100.0, 80.0, 40.0],
        "anchor_name": ["<img src=x onerror=alert(1)>", "主播B", "主播C"],
    })
    assert list(charts.session_gpm(live)) == pytest.approx([2_000.0, 2_000.0, 1_500.0])
    fig = charts.live_scatter(live, "en")
    normal, spiky = fig.data
    assert list(normal.x) == [1.5, 2.2] and list(spiky.x) == [0.8]
    assert list(spiky.y) == [2_000.0]
    assert spiky.name.startswith("Peak/avg online ≥ 2.0")
    assert "2022-06-01 19:00" in spiky.hovertext[0] and "3,000" in spiky.hovertext[0]
    assert "&lt;img" in spiky.hovertext[0] and "<img" not in spiky.hovertext[0]
    assert {round(s.x0, 2) for s in fig.layout.shapes} == {0.75, 1.0, 2.0}


def test_gmv_trend_shades_promotions_and_circles_anomalies():
    series = _weekly_pattern(days=60)
    series.iloc[30] *= 3
    promo = Promotion(id="618", zh="618好物节", en="618 festival", year=2022, start=date(2022, 6, 1), end=date(2022, 6, 18), source="t")
    outside = Promotion(id="x", zh="双11", en="Double 11", year=2021, start=date(2021, 10, 20), end=date(2021, 11, 11), source="t")
    fig = charts.gmv_trend(series, [promo, outside], "zh")
    line, marks = fig.data
    assert list(line.y) == pytest.approx(list(series))
    assert list(marks.x) == [series.index[30]]
    rects = [s for s in fig.layout.shapes if s.type == "rect"]
    assert len(rects) == 1
    assert pd.Timestamp(rects[0].x0) == pd.Timestamp("2022-06-01") and pd.Timestamp(rects[0].x1) == pd.Timestamp("2022-06-19")
    assert [a.text for a in fig.layout.annotations] == ["2022 618好物节"]
    assert money(series.iloc[0], "zh") in line.hovertext[0]
    quiet = charts.gmv_trend(series, [], "en", anomalies=False)
    assert len(quiet.data) == 1 and not quiet.layout.shapes


def test_gmv_trend_clips_a_promotion_to_the_data():
    series = _daily([100.0] * 10, start="2022-06-10")
    promo = Promotion(id="618", zh="618好物节", en="618 festival", year=2022, start=date(2022, 6, 1), end=date(2022, 6, 18), source="t")
    rect = charts.gmv_trend(series, [promo], "en").layout.shapes[0]
    assert pd.Timestamp(rect.x0) == pd.Timestamp("2022-06-10") and pd.Timestamp(rect.x1) == pd.Timestamp("2022-06-19")


def test_sparkline_has_no_axes_or_title():
    fig = charts.sparkline(_daily([1.0, 2.0, 3.0]), "en", unit="yuan")
    assert fig.layout.xaxis.visible is False and fig.layout.yaxis.visible is False
    assert not fig.layout.title.text
    assert fig.layout.height <= 80
    assert fig.data[0].hovertext[-1] == "2022-05-03: ¥3"
    assert list(fig.data[1].y) == [3.0]  # the last point marked


def test_money_axis_ticks_use_wan_in_chinese_and_k_in_english():
    series = _daily([12_000.0, 48_000.0, 30_000.0])
    zh = charts.gmv_trend(series, [], "zh", anomalies=False).layout.yaxis.ticktext
    en = charts.gmv_trend(series, [], "en", anomalies=False).layout.yaxis.ticktext
    assert list(zh) == ["¥0", "¥1万", "¥2万", "¥3万", "¥4万", "¥5万"]
    assert list(en) == ["¥0", "¥10k", "¥20k", "¥30k", "¥40k", "¥50k"]


def test_nice_ticks():
    assert charts.nice_ticks(0, 48_000) == [0, 10_000, 20_000, 30_000, 40_000, 50_000]
    assert charts.nice_ticks(0, 0) == [0, 0.25, 0.5, 0.75, 1.0]
    assert charts.nice_ticks(6_300_000, 7_300_000) == [6_250_000, 6_500_000, 6_750_000, 7_000_000, 7_250_000, 7_500_000]
    assert charts.nice_ticks(0, float("nan")) == []


# ------------------------------------------------------------------ every chart for every demo merchant


def _all_charts(profile: dict, frames: dict[str, pd.DataFrame], lang: str) -> dict[str, go.Figure]:
    series = kpis.timeseries(frames, ["gmv", "roi_total", "roi_direct"], "D")
    values = kpis.compute(frames)
    start, end = kpis.data_range(frames)
    middle = start + (end - start) / 2
    figures = {}
    if "gmv" in series:
        figures["gmv_trend"] = charts.gmv_trend(series["gmv"], kpis.promotions_between(start, end), lang)
        figures["sparkline"] = charts.sparkline(series["gmv"], lang, "yuan")
    if "store_daily" in frames:
        figures["funnel"] = charts.store_funnel(values, lang)
    if "carrier_daily" in frames:
        for freq in ("D", "W", "M"):
            figures[f"channel_mix_{freq}"] = charts.channel_mix(frames["carrier_daily"], freq, lang)
    if "experience" in frames:
        figures["experience"] = charts.experience_trajectory(frames["experience"], lang)
    roi = next((m for m in ("roi_total", "roi_direct") if m in series), None)
    if roi and profile.get("gross_margin"):
        figures["roi"] = charts.roi_vs_breakeven(series[roi], profile["gross_margin"], values.get("refund_rate"), lang, label=roi)
    if "live_sessions" in frames:
        figures["live"] = charts.live_scatter(frames["live_sessions"], lang)
    if "products" in frames:
        figures["pareto"] = charts.product_pareto(frames["products"], lang)
    for chain in ("store", "live"):
        dec = kpis.decompose(frames, Period(start, middle), Period(middle + timedelta(days=1), end), chain)
        if dec is not None:
            figures[f"waterfall_{chain}"] = charts.decomposition_waterfall(dec, lang)
    return figures


@pytest.mark.parametrize("slug", MERCHANTS)
def test_every_chart_builds_for_every_demo_merchant_in_both_languages(demo, slug):
    profile, frames = demo[slug]
    zh, en = _all_charts(profile, frames, "zh"), _all_charts(profile, frames, "en")
    assert zh.keys() == en.keys()
    assert {"gmv_trend", "funnel", "channel_mix_W", "experience", "roi", "live", "pareto", "waterfall_store"} <= zh.keys()
    for name in zh:
        for lang, fig in (("zh", zh[name]), ("en", en[name])):
            raw = fig.to_json()
            assert "chart." not in raw, f"{slug} {name} {lang}: an i18n key was not found"
            assert fig.layout.template.layout.font.family == charts.FONT
            assert fig.layout.template.layout.paper_bgcolor == "white"
            assert fig.data, f"{slug} {name} {lang}: no traces"
        if name == "sparkline":
            continue
        title_zh, title_en = zh[name].layout.title.text, en[name].layout.title.text
        assert title_zh and title_en and title_zh != title_en
        assert CJK.search(title_zh), f"{name}: zh title {title_zh!r}"
        assert not CJK.search(title_en), f"{name}: en title {title_en!r}"
        for axis in ("xaxis", "yaxis"):
            axis_zh = zh[name].layout[axis].title.text
            if axis_zh:
                assert CJK.search(axis_zh), f"{name}: zh {axis} title {axis_zh!r}"
                assert not CJK.search(en[name].layout[axis].title.text or "")


def test_empty_inputs_give_a_no_data_figure_not_an_error():
    empty = pd.DataFrame()
    for fig in (
        charts.gmv_trend(pd.Series(dtype="float64"), [], "zh"),
        charts.channel_mix(empty, "D", "zh"),
        charts.experience_trajectory(empty, "zh"),
        charts.live_scatter(empty, "zh"),
        charts.product_pareto(empty, "zh"),
        charts.roi_vs_breakeven(pd.Series(dtype="float64"), 0.4, None, "zh"),
    ):
        assert fig.layout.annotations[-1].text == "没有可画的数据"


def test_chart_lines_name_their_source():
    cfg = charts.chart_lines()
    entries = [cfg["experience"][s]["axis"] for s in ("5", "100")]
    entries += [e for s in ("5", "100") for e in (*cfg["experience"][s]["lines"], *cfg["experience"][s]["bands"])]
    entries += [*cfg["live"]["watch_lines"], cfg["live"]["peak_avg_spike"], cfg["roi"]["good_multiple"]]
    for entry in entries:
        assert "docs/sources.md#" in entry["source"], entry
    assert cfg["anomaly"]["threshold"]["source"] and cfg["anomaly"]["window"]["D"] == 7
