"""Everything a drafter may use, gathered once: profile, period, a compact KPI summary, the findings with their
evidence, the top products, and the cases retrieved per finding. The linter checks plans against the same object,
so a plan can only cite what was retrieved and state numbers that were computed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

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
    """A product as uploaded: the name is the merchant's text and stays data, never instructions."""

    name: str
    gmv: float | None
    share: float | None
    stock: float | None


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


def _top_products(frames: kpis.Frames, period: kpis.Period) -> list[Product]:
    frame = frames.get("products")
    if frame is None or frame.empty or "product_name" not in frame:
        return []
    dated = kpis.in_period(frame, "products", period.start, period.end) if "date" in frame else frame
    if dated.empty:
        dated = frame
    gmv = pd.to_numeric(dated.get("gmv"), errors="coerce") if "gmv" in dated else None
    if gmv is None:
        return []
    grouped = pd.DataFrame({"name": dated["product_name"].astype(str), "gmv": gmv,
                            "stock": pd.to_numeric(dated["stock"], errors="coerce") if "stock" in dated else float("nan")})
    table = grouped.groupby("name", sort=False).agg(gmv=("gmv", "sum"), stock=("stock", "last")).sort_values("gmv", ascending=False)
    total = float(table["gmv"].sum()) or None
    return [
        Product(str(name), float(row.gmv), (float(row.gmv) / total) if total else None,
                None if pd.isna(row.stock) else float(row.stock))
        for name, row in table.head(TOP_PRODUCTS).iterrows()
    ]


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
