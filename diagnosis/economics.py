"""Money rules of a store, one home each, used by the rules, the charts, the plans and the briefs alike.

Break-even ROI = 1 / ((1 − r) × m − r × k): m the gross margin, r the refund rate, k the share of refunded GMV
that is lost anyway (shipping both ways, damaged goods; a category benchmark). Below it, every yuan of ad spend
loses money. Whole-domain ROI (it includes the natural sales an ad pulls) is judged when the export has it, else
direct ROI. Thresholds come from data/benchmarks.yaml (sources in docs/sources.md).
"""

from __future__ import annotations

import math
from collections.abc import Container
from functools import cache
from importlib import resources

from diagnosis.schema import load_yaml

ROI_METRICS = ("roi_total", "roi_direct")  # judged in this order


def roi_metric(available: Container[str]) -> str | None:
    """Which ROI to judge: whole-domain when present, else direct."""
    return next((m for m in ROI_METRICS if m in available), None)


@cache
def _benchmark_table() -> dict[str, dict]:
    text = resources.files("diagnosis").joinpath("data", "benchmarks.yaml").read_text(encoding="utf-8")
    return load_yaml(text)


def benchmarks(category: str) -> dict[str, dict]:
    """The category's thresholds over the defaults (each {value, source, confidence})."""
    table = _benchmark_table()
    return {**table["default"], **table.get(category, {})}


def refund_loss_share(category: str) -> float:
    return float(benchmarks(category)["refund_loss_share"]["value"])


def break_even_roi(gross_margin: float, refund_rate: float | None = None, loss_share: float = 0.0) -> float:
    """1 / ((1 − r) × m − r × k). A missing refund rate counts as 0. ValueError when the margin is not above 0,
    a rate is negative, or nothing is left to pay for ads ((1 − r) × m − r × k ≤ 0: no ROI breaks even)."""
    m = float(gross_margin)
    if not math.isfinite(m) or m <= 0:
        raise ValueError(f"gross margin must be above 0, got {gross_margin!r}")
    r = 0.0 if refund_rate is None or not math.isfinite(float(refund_rate)) else float(refund_rate)
    if r < 0 or loss_share < 0:
        raise ValueError(f"refund rate and loss share cannot be negative, got {refund_rate!r}, {loss_share!r}")
    base = (1 - r) * m - r * loss_share
    if base <= 0:
        raise ValueError(f"(1 - r) x m - r x k must be above 0, got {base!r}")
    return 1 / base
