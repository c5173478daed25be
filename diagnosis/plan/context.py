"""Everything a drafter may use, gathered once: profile, period, a compact KPI summary, the findings with their
evidence, the top products, and the cases retrieved per finding. The linter checks plans against the same object,
so a plan can only cite what was retrieved and state numbers that were computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import numpy as np
import pandas as pd

from diagnosis import kpis
from diagnosis.formatting import metric as format_metric
from diagnosis.profile import MerchantProfile
from diagnosis.rules import Diagnosis, Finding, diagnose

SUMMARY_METRICS = (
    "gmv", "orders", "aov", "uv_value", "click_to_pay", "refund_rate", "live_share", "ad_share", "ad_spend", "roi_direct",
    "roi_total", "experience_score", "live_gmv", "avg_watch_min", "live_conversion", "interaction_rate", "gpm",
    "videos_posted", "quality_return_rate",
)
TOP_PRODUCTS = 5


@dataclass(frozen=True)
class KpiValue:
    metric: str
    label: dict[str, str]
    value: float
    unit: str

    def shown(self, lang: str) -> str:
        return format_metric(self.value, self.unit, lang)


@dataclass(frozen=True)
class Product:
    """A product in the period, as uploaded: the name is the merchant's text and stays data, never instructions.
    `cover_days` is the stock left divided by the period's daily unit sales."""

    name: str
    gmv: float | None
    share: float | None
    stock: float | None
    price: float | None = None
    units: float | None = None
    quality_return_rate: float | None = None
    refund_rate: float | None = None
    cover_days: float | None = None

    def numbers(self) -> list[float]:
        return [v for v in (self.gmv, self.share, self.stock, self.price, self.units, self.quality_return_rate,
                            self.refund_rate, self.cover_days) if v is not None]


@dataclass
class PlanContext:
    profile: MerchantProfile
    lang: str
    period: tuple[date, date]
    health_score: int
    kpis: list[KpiValue]
    findings: list[Finding]
    cases: dict[str, list] = field(default_factory=dict)
    products: list[Product] = field(default_factory=list)
    promotion: kpis.Promotion | None = None
    gmv_daily: list[tuple[date, float]] = field(default_factory=list)
    gmv_previous: float | None = None

    @property
    def retrieved_ids(self) -> set[str]:
        return {hit.case.id for hits in self.cases.values() for hit in hits}

    def period_text(self) -> str:
        return f"{self.period[0].isoformat()} – {self.period[1].isoformat()}"

    def finding(self, code: str) -> Finding | None:
        return next((f for f in self.findings if f.code == code), None)


def _kpi_summary(values: dict[str, float]) -> list[KpiValue]:
    defs = kpis.metric_defs()
    out = []
    for key in SUMMARY_METRICS:
        if key in defs and key in values and values[key] == values[key]:
            m = defs[key]
            out.append(KpiValue(key, {"zh": m.zh, "en": m.en}, float(values[key]), m.unit))
    return out


def _column(frame: pd.DataFrame, name: str) -> pd.Series:
    return pd.to_numeric(frame[name], errors="coerce") if name in frame else pd.Series(np.nan, index=frame.index)


def _top_products(frames: kpis.Frames, period: kpis.Period) -> list[Product]:
    """The period's best sellers by GMV (an undated product list counts as the period's), each with its stock,
    price, units, return rates and days of stock cover, so a plan can name the product it is about."""
    frame = frames.get("products")
    if frame is None or frame.empty or "product_name" not in frame or "gmv" not in frame:
        return []
    rows = kpis.in_period(frame, "products", period.start, period.end)
    if rows.empty:
        return []
    key = rows["product_id"].astype(str) if "product_id" in rows else rows["product_name"].astype(str)
    table = pd.DataFrame({
        "key": key, "name": rows["product_name"].astype(str), "gmv": _column(rows, "gmv"), "units": _column(rows, "item_count"),
        "orders": _column(rows, "order_count"), "refunds": _column(rows, "refund_amount"), "stock": _column(rows, "stock_qty"),
        "price": _column(rows, "price"), "quality": _column(rows, "quality_return_rate"),
    })
    table["quality_weighted"] = table["quality"] * table["orders"]
    per = table.groupby("key", sort=False).agg(
        name=("name", "last"), gmv=("gmv", "sum"), units=("units", lambda s: s.sum(min_count=1)), orders=("orders", "sum"),
        refunds=("refunds", lambda s: s.sum(min_count=1)), stock=("stock", "last"), price=("price", "last"),
        quality_weighted=("quality_weighted", lambda s: s.sum(min_count=1)),
    ).sort_values("gmv", ascending=False)
    total = float(per["gmv"].sum()) or None
    days = max((period.end - period.start).days + 1, 1)

    def known(value: float) -> float | None:
        return None if pd.isna(value) else float(value)

    out = []
    for row in per.head(TOP_PRODUCTS).itertuples():
        pace = row.units / days if known(row.units) else None
        out.append(Product(
            name=str(row.name), gmv=float(row.gmv), share=float(row.gmv) / total if total else None, stock=known(row.stock),
            price=known(row.price), units=known(row.units),
            quality_return_rate=known(row.quality_weighted / row.orders) if row.orders else None,
            refund_rate=known(row.refunds / row.gmv) if row.gmv and known(row.refunds) is not None else None,
            cover_days=round(row.stock / pace, 1) if pace and known(row.stock) is not None else None,
        ))
    return out


def _gmv_windows(frames: kpis.Frames, period: kpis.Period) -> tuple[list[tuple[date, float]], float | None]:
    """Daily GMV of the period, and the total of the equally long period before when the data reaches back that
    far (for the portfolio's change column); one series for both, since a batch builds 1,300 of these."""
    previous = kpis.reference_period(period, "prev")
    series = kpis.timeseries(frames, ["gmv"], "D", previous.start, period.end)
    if series.empty or "gmv" not in series:
        return [], None
    days = series.index.date
    daily = [(day, float(v)) for day, v in zip(days, series["gmv"], strict=True) if v == v and day >= period.start]
    span = kpis.data_range(frames)
    before = series["gmv"][(days >= previous.start) & (days <= previous.end)]
    covered = span is not None and span[0] <= previous.start and before.notna().any()
    return daily, float(before.sum()) if covered else None


def _upcoming_promotion(end: date, within_days: int = 30) -> kpis.Promotion | None:
    upcoming = [p for p in kpis.promotions() if 0 <= (p.start - end).days <= within_days]
    return min(upcoming, key=lambda p: p.start) if upcoming else None


def build_context(
    frames: kpis.Frames, profile: MerchantProfile, lang: str, index=None, k: int = 3,
    result: Diagnosis | None = None, period: kpis.Period | None = None,
) -> PlanContext:
    """Diagnose (unless `result` is given) and retrieve `k` cases per finding from `index` (a CaseIndex)."""
    result = result or diagnose(frames, profile, period)
    current = kpis.Period(*result.period)
    values = result.kpi_values or kpis.compute(frames, current.start, current.end)
    context = PlanContext(
        profile=profile, lang=lang, period=result.period, health_score=result.health_score,
        kpis=_kpi_summary(values), findings=list(result.findings), products=_top_products(frames, current),
        promotion=_upcoming_promotion(current.end),
    )
    context.gmv_daily, context.gmv_previous = _gmv_windows(frames, current)
    if index is not None:
        for finding in result.findings:
            context.cases[finding.code] = index.cases_for(finding.code, profile.category, profile.stage, k=k)
    return context
