"""Everything the dashboard shows for one merchant and one choice of period, built in one place.

The page only arranges what `build_views` returns, so the benchmark and the browser test measure and
check exactly what a merchant sees.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

import pandas as pd
import plotly.graph_objects as go

from diagnosis import charts, economics, kpis

CARDS = ("gmv", "orders", "aov", "product_ctr", "click_to_pay", "refund_rate", "live_gmv", "ad_spend", "roi_total", "roi_direct", "experience_score")
TABS = ("overview", "traffic", "live", "video", "ads", "service", "products")
Mode = Literal["prev", "yoy", "promo"]


@dataclass
class Views:
    """What each dashboard tab shows: figures, or the export that would unlock the view."""

    current: kpis.Period
    reference: kpis.Period
    comparison: kpis.Comparison
    series: pd.DataFrame
    cards: list[str]
    figures: dict[str, go.Figure] = field(default_factory=dict)
    needs: dict[str, str] = field(default_factory=dict)
    decomposition: kpis.Decomposition | None = None
    reference_partial: bool = False


default_period = kpis.default_period  # the dashboard opens on the period the diagnosis judges


def nearby_promotions(span: tuple[date, date]) -> list[kpis.Promotion]:
    return kpis.promotions_between(date(span[0].year - 1, 1, 1), date(span[1].year, 12, 31))


def periods(frames: kpis.Frames, current: kpis.Period, mode: Mode, promo: kpis.Promotion | None = None) -> tuple[kpis.Period, kpis.Period]:
    """(current, reference) for a comparison mode; a promotion replaces the chosen period by its window."""
    if mode == "promo":
        if promo is None:
            raise ValueError("promotion comparison needs a promotion")
        span = kpis.data_range(frames)
        end = min(promo.end, span[1]) if span else promo.end
        return kpis.Period(promo.start, end), kpis.baseline_for(promo)
    return current, kpis.reference_period(current, mode)


def build_views(
    frames: kpis.Frames,
    current: kpis.Period,
    reference: kpis.Period,
    freq: kpis.Granularity,
    lang: str,
    gross_margin: float | None = None,
    category: str = "default",
) -> Views:
    defs = kpis.metric_defs()
    comparison = kpis.compare(frames, current, reference)
    series = kpis.timeseries(frames, list(defs), freq, current.start, current.end)
    views = Views(
        current=current, reference=reference, comparison=comparison, series=series,
        cards=[m for m in CARDS if m in comparison.current_total][:10],
        reference_partial=not kpis.covers(frames, reference),
    )
    span = kpis.data_range(frames)

    def cut(kind: str, view: str) -> pd.DataFrame | None:
        """The kind's rows in the period, or None after noting which export the view needs."""
        frame = frames.get(kind)
        if frame is None:
            views.needs[view] = kind
            return None
        return kpis.in_period(frame, kind, current.start, current.end)

    if "gmv" in series:
        views.figures["gmv_trend"] = charts.gmv_trend(series["gmv"], nearby_promotions(span), lang)
    else:
        views.needs["gmv_trend"] = "store_daily"
    views.decomposition = kpis.decompose(frames, reference, current)
    if views.decomposition is not None:
        views.figures["waterfall"] = charts.decomposition_waterfall(views.decomposition, lang)
    if {"exposure", "visitors"} & comparison.current.keys():
        views.figures["funnel"] = charts.store_funnel(comparison.current_total, lang)
    else:
        views.needs["funnel"] = "store_daily"
    carriers = cut("carrier_daily", "channel_mix")
    if carriers is not None:
        views.figures["channel_mix"] = charts.channel_mix(carriers, freq, lang)
    live = cut("live_sessions", "live_scatter")
    if live is not None:
        views.figures["live_scatter"] = charts.live_scatter(live, lang)
    if "videos" not in frames:
        views.needs["video"] = "videos"
    roi = economics.roi_metric(series)
    if roi is None:
        views.needs["roi"] = "ads"
    elif gross_margin:
        views.figures["roi"] = charts.roi_vs_breakeven(
            series[roi], gross_margin, comparison.current_total.get("refund_rate"), lang, label=defs[roi].label(lang),
            loss_share=economics.refund_loss_share(category),
        )
    experience = cut("experience", "experience")
    if experience is not None:
        views.figures["experience"] = charts.experience_trajectory(experience, lang)
    products = cut("products", "pareto")
    if products is not None:
        views.figures["pareto"] = charts.product_pareto(products, lang)
    return views
