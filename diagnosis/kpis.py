"""KPIs from canonical frames: definitions in `data/metrics.yaml`, pure pandas, no Streamlit.

Every ratio is recomputed from the period's summed numerator and denominator (never an average of daily
ratios), and a metric whose inputs are missing is absent from the result, never zero.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict

from diagnosis.schema import export_kinds, load_yaml

Frames = Mapping[str, pd.DataFrame]
Granularity = Literal["D", "W", "M"]


class MetricDef(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str
    kind: str
    agg: Literal["sum", "ratio", "difference", "last", "count", "share"]
    fields: tuple[str, ...] = ()
    num: tuple[str, ...] = ()
    den: tuple[str, ...] = ()
    a: tuple[str, ...] = ()
    b: tuple[str, ...] = ()
    where: dict[str, tuple[str, ...]] = {}
    combine: Literal["first", "add"] = "first"
    scale: float = 1.0
    unit: str
    better: Literal["up", "down"]
    zh: str
    en: str
    group: str

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


@cache
def metric_defs() -> dict[str, MetricDef]:
    raw = load_yaml(resources.files("diagnosis").joinpath("data", "metrics.yaml").read_text(encoding="utf-8"))
    return {key: MetricDef(id=key, **value) for key, value in raw.items()}


# ------------------------------------------------------------------ frames


def combine(frames: Iterable[tuple[pd.DataFrame, object]]) -> dict[str, pd.DataFrame]:
    """One frame per kind from several files, given as (frame, report or kind name): later files win on
    overlapping keys (a re-export of the same days replaces the earlier one)."""
    by_kind: dict[str, list[pd.DataFrame]] = {}
    for frame, report in frames:
        by_kind.setdefault(report if isinstance(report, str) else report.kind, []).append(frame)
    combined = {}
    for kind_name, parts in by_kind.items():
        frame = pd.concat(parts, ignore_index=True) if len(parts) > 1 else parts[0]
        kind = export_kinds()[kind_name]
        key = [k for k in kind.key if k in frame.columns and frame[k].notna().any()]
        if len(parts) > 1 and key:
            frame = frame.drop_duplicates(subset=key, keep="last").reset_index(drop=True)
        combined[kind_name] = frame
    return combined


def date_column(kind: str) -> str:
    return export_kinds()[kind].date_field


def is_dated(frame: pd.DataFrame, kind: str) -> bool:
    return date_column(kind) in frame.columns


def in_period(frame: pd.DataFrame, kind: str, start: date | None, end: date | None) -> pd.DataFrame:
    """The rows dated within [start, end] (whole days; an open side when None). An export without its date
    column (a product list downloaded without 统计周期) is a snapshot of the window it was downloaded for: it belongs
    to whatever period is asked.

    The mask is built in NumPy (a third of the cost of pandas comparisons): a dashboard cuts every kind
    for every period."""
    if (start is None and end is None) or not is_dated(frame, kind):
        return frame
    dates = frame[date_column(kind)].to_numpy(dtype="datetime64[ns]")
    mask = np.ones(len(frame), dtype=bool)
    if start is not None:
        mask &= dates >= pd.Timestamp(start).to_datetime64()
    if end is not None:
        mask &= dates < (pd.Timestamp(end) + pd.Timedelta(days=1)).to_datetime64()
    return frame.loc[mask]


def data_range(frames: Frames) -> tuple[date, date] | None:
    """First and last day covered by any dated frame."""
    starts, ends = [], []
    for kind, frame in frames.items():
        if date_column(kind) not in frame.columns:
            continue
        dates = frame[date_column(kind)]
        first, last = dates.min(), dates.max()  # NaT skipped; NaT when no row is dated
        if pd.notna(first):
            starts.append(first.date())
            ends.append(last.date())
    return (min(starts), max(ends)) if starts else None


# ------------------------------------------------------------------ one metric over rows


@dataclass(frozen=True)
class Buckets:
    """Rows assigned to groups 0..n-1 (days, weeks, months, or one group for a whole period)."""

    codes: np.ndarray
    n: int

    @classmethod
    def single(cls, rows: int) -> Buckets:
        return cls(np.zeros(rows, dtype=np.intp), 1)


class Rows:
    """A frame's rows, each column read as floats at most once: the ~30 metrics of a dashboard read the
    same few columns over and over, and pandas' column access and conversion cost half their time."""

    def __init__(self, frame: pd.DataFrame):
        self.frame = frame
        self._floats: dict[str, np.ndarray | None] = {}

    def floats(self, column: str) -> np.ndarray | None:
        """The column as float64 (missing values NaN); None when it is absent or has no value."""
        if column not in self._floats:
            values = self.frame[column].to_numpy(dtype="float64", na_value=np.nan) if column in self.frame.columns else None
            self._floats[column] = None if values is None or np.isnan(values).all() else values
        return self._floats[column]


def _operand(rows: Rows, name: str) -> np.ndarray | None:
    """A field, or `a*b` of two fields row by row, as floats; None when a field is absent or all empty."""
    values = None
    for part in name.split("*"):
        column = rows.floats(part)
        if column is None:
            return None
        values = column if values is None else values * column
    return values


def _first_operand(rows: Rows, names: tuple[str, ...]) -> np.ndarray | None:
    for name in names:
        values = _operand(rows, name)
        if values is not None:
            return values
    return None


def _sum(values: np.ndarray) -> float | None:
    known = values[~np.isnan(values)]
    return float(known.sum()) if known.size else None


def _total(values: np.ndarray, buckets: Buckets) -> np.ndarray:
    """Sum per bucket; NaN (not 0) for a bucket where no value is known."""
    known = ~np.isnan(values)
    sums = np.bincount(buckets.codes[known], weights=values[known], minlength=buckets.n)
    counts = np.bincount(buckets.codes[known], minlength=buckets.n)
    return np.where(counts > 0, sums, np.nan)


def _divide(top: np.ndarray, bottom: np.ndarray, scale: float = 1.0) -> np.ndarray:
    out = np.full(len(top), np.nan)
    np.divide(top, bottom, out=out, where=bottom > 0)
    return out * scale


def _where(frame: pd.DataFrame, m: MetricDef) -> np.ndarray:
    mask = np.ones(len(frame), dtype=bool)
    for column, values in m.where.items():
        if column not in frame.columns:
            return np.zeros(len(frame), dtype=bool)
        mask &= frame[column].isin(values).to_numpy()
    return mask


def grouped(rows: Rows, m: MetricDef, buckets: Buckets) -> np.ndarray | None:
    """The metric per bucket, with NumPy bincounts; None when the inputs are missing from the frame."""
    if m.agg == "count":
        return np.bincount(buckets.codes, minlength=buckets.n).astype("float64")
    if m.agg == "sum":
        parts = [v for v in (_operand(rows, f) for f in m.fields) if v is not None]
        if not parts:
            return None
        if m.combine == "add":
            totals = np.vstack([_total(p, buckets) for p in parts])
            total = np.where(np.isnan(totals).all(axis=0), np.nan, np.nansum(totals, axis=0))
        else:
            total = _total(parts[0], buckets)
        return total * m.scale
    if m.agg == "ratio":
        num, den = _first_operand(rows, m.num), _first_operand(rows, m.den)
        if num is None or den is None:
            return None
        both = ~np.isnan(num) & ~np.isnan(den)
        return _divide(_total(np.where(both, num, np.nan), buckets), _total(np.where(both, den, np.nan), buckets), m.scale)
    if m.agg == "difference":
        a, b = _first_operand(rows, m.a), _first_operand(rows, m.b)
        if a is None or b is None:
            return None
        return _total(a, buckets) - _total(b, buckets)
    if m.agg == "share":
        values = _first_operand(rows, m.fields)
        if values is None:
            return None
        return _divide(_total(np.where(_where(rows.frame, m), values, 0.0), buckets), _total(values, buckets))
    if m.agg == "last":
        values = _first_operand(rows, m.fields)
        if values is None:
            return None
        dates = (rows.frame[date_column(m.kind)].to_numpy(dtype="datetime64[ns]").astype("int64") if is_dated(rows.frame, m.kind)
                 else np.arange(len(rows.frame), dtype="int64"))  # undated: the last row is the latest
        known = ~np.isnan(values) & (dates != np.iinfo(np.int64).min)
        order = np.lexsort((dates[known], buckets.codes[known]))
        codes, picked = buckets.codes[known][order], values[known][order]
        out = np.full(buckets.n, np.nan)
        out[codes] = picked  # later rows overwrite earlier ones: the latest date wins per bucket
        return out
    raise ValueError(f"unknown aggregation {m.agg}")


def value(rows: Rows | None, m: MetricDef) -> float | None:
    """The metric over all rows (already cut to the period); None when it cannot be computed."""
    if rows is None or rows.frame.empty:
        return None
    result = grouped(rows, m, Buckets.single(len(rows.frame)))
    if result is None or not np.isfinite(result[0]):
        return None
    return float(result[0])


# ------------------------------------------------------------------ periods


def compute(frames: Frames, start: date | None = None, end: date | None = None, metrics: Iterable[str] | None = None) -> dict[str, float]:
    """Headline values over [start, end] (inclusive); metrics that cannot be computed are left out."""
    defs = metric_defs()
    wanted = list(metrics) if metrics is not None else list(defs)
    cut = {kind: Rows(in_period(frame, kind, start, end)) for kind, frame in frames.items()}
    out = {}
    for metric_id in wanted:
        m = defs[metric_id]
        result = value(cut.get(m.kind), m)
        if result is not None and math.isfinite(result):
            out[metric_id] = result
    return out


_PERIOD = {"D": "D", "W": "W-SUN", "M": "M"}


def timeseries(frames: Frames, metrics: Iterable[str], freq: Granularity = "D", start: date | None = None, end: date | None = None) -> pd.DataFrame:
    """One row per day / week (Monday start) / month, one column per metric; NaN where not computable."""
    defs = metric_defs()
    columns: dict[str, tuple[np.ndarray, pd.DatetimeIndex]] = {}
    cache: dict[str, tuple[Rows, Buckets, pd.DatetimeIndex]] = {}
    for metric_id in metrics:
        m = defs[metric_id]
        if m.kind not in cache:
            frame = frames.get(m.kind)
            if frame is None or frame.empty or not is_dated(frame, m.kind):
                continue  # an undated snapshot has no time axis
            frame = in_period(frame, m.kind, start, end)
            dates = frame[date_column(m.kind)]
            frame = frame.loc[dates.notna()]
            starts = frame[date_column(m.kind)].dt.to_period(_PERIOD[freq]).dt.start_time
            codes, labels = pd.factorize(starts, sort=True)
            cache[m.kind] = (Rows(frame), Buckets(codes, len(labels)), pd.DatetimeIndex(labels))
        rows, buckets, labels = cache[m.kind]
        result = grouped(rows, m, buckets)
        if result is not None and buckets.n:
            columns[metric_id] = (result, labels)
    table = _aligned(columns)
    table.index.name = "period"
    return table.sort_index()


def _aligned(columns: Mapping[str, tuple[np.ndarray, pd.DatetimeIndex]]) -> pd.DataFrame:
    """One column per metric on the union of their periods, NaN where a metric's kind has no row.

    Aligned with one indexer per kind: a frame built from Series reindexes every column to the union
    on its own, which cost half of `timeseries`."""
    if not columns:
        return pd.DataFrame()
    kinds = list({id(labels): labels for _, labels in columns.values()}.values())
    index = kinds[0]
    for labels in kinds[1:]:
        index = index.union(labels)
    positions = {id(labels): index.get_indexer(labels) for labels in kinds}
    aligned = {}
    for metric_id, (values, labels) in columns.items():
        column = np.full(len(index), np.nan)
        column[positions[id(labels)]] = values
        aligned[metric_id] = column
    return pd.DataFrame(aligned, index=index)


@dataclass(frozen=True)
class Period:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


class Promotion(BaseModel):
    model_config = ConfigDict(frozen=True)
    id: str
    zh: str
    en: str
    year: int
    start: date
    end: date
    source: str

    def label(self, lang: str) -> str:
        return f"{self.year} {self.zh if lang == 'zh' else self.en}"


@cache
def promotions() -> tuple[Promotion, ...]:
    raw = load_yaml(resources.files("diagnosis").joinpath("data", "promotions.yaml").read_text(encoding="utf-8"))
    return tuple(sorted((Promotion(**{**p, "id": str(p["id"])}) for p in raw), key=lambda p: p.start))


def promotions_between(start: date, end: date, calendar: Iterable[Promotion] | None = None) -> list[Promotion]:
    return [p for p in (calendar or promotions()) if p.end >= start and p.start <= end]


DEFAULT_DAYS = 30


def default_period(span: tuple[date, date]) -> Period:
    """The last 30 days with data (fewer when the data is shorter): long enough to smooth weekdays,
    recent enough to act on. The dashboard and the diagnosis both start from it."""
    first, last = span
    return Period(max(first, last - timedelta(days=DEFAULT_DAYS - 1)), last)


def reference_period(current: Period, mode: Literal["prev", "yoy"]) -> Period:
    """环比: the same number of days just before; 同比: the same dates one year earlier."""
    if mode == "prev":
        return Period(current.start - timedelta(days=current.days), current.start - timedelta(days=1))
    return Period(_minus_year(current.start), _minus_year(current.end))


def _minus_year(day: date) -> date:
    try:
        return day.replace(year=day.year - 1)
    except ValueError:  # 29 February
        return day.replace(year=day.year - 1, day=28)


def baseline_for(promo: Promotion, days: int = 28) -> Period:
    """The comparison for a promotion: the `days` before its warm-up (two weeks before it starts)."""
    end = promo.start - timedelta(days=15)
    return Period(end - timedelta(days=days - 1), end)


class Comparison(BaseModel):
    current: dict[str, float]
    reference: dict[str, float]
    change: dict[str, float]
    pct_change: dict[str, float]
    current_period: tuple[date, date]
    reference_period: tuple[date, date]
    per_day: bool
    current_total: dict[str, float] = {}  # the period's own values (what the cards, the diagnosis and plans show)
    reference_days: int = 0  # days of data in the reference period: 0 means nothing to compare with

    def basis(self, metric: str) -> str:
        """How the change was computed: 'per_day' (a sum compared as daily averages, the periods differing in
        length), 'total' (sums over equal periods) or 'level' (rates and averages, compared as they are)."""
        if metric_defs()[metric].agg not in ADDITIVE_AGGS:
            return "level"
        return "per_day" if self.per_day else "total"


ADDITIVE_AGGS = ("sum", "count", "difference")  # compared per day when the two periods differ in length


def compare(frames: Frames, current: Period, reference: Period, metrics: Iterable[str] | None = None) -> Comparison:
    """Metric values in two periods and their change. Sums are compared per day when the periods differ
    in length (a 13-day promotion against a 28-day baseline), rates and latest values as they are."""
    defs = metric_defs()
    now = compute(frames, current.start, current.end, metrics)
    totals = dict(now)
    before = compute(frames, reference.start, reference.end, metrics)
    days_now, days_before = _covered_days(frames, current), _covered_days(frames, reference)
    per_day = days_now != days_before
    if per_day:
        for values, days in ((now, days_now), (before, days_before)):
            for key in values:
                if defs[key].agg in ADDITIVE_AGGS and days:
                    values[key] /= days
    change, pct = {}, {}
    for key in now.keys() & before.keys():
        change[key] = now[key] - before[key]
        if before[key]:
            pct[key] = now[key] / before[key] - 1
    return Comparison(
        current=now, reference=before, change=change, pct_change=pct,
        current_period=(current.start, current.end), reference_period=(reference.start, reference.end), per_day=per_day,
        current_total=totals, reference_days=days_before,
    )


def _covered_days(frames: Frames, period: Period) -> int:
    """Days of the period that the data actually spans (a baseline reaching before the first export
    day must not count empty days)."""
    span = data_range(frames)
    if span is None:
        return 0
    first, last = max(period.start, span[0]), min(period.end, span[1])
    return max((last - first).days + 1, 0)


def covers(frames: Frames, period: Period) -> bool:
    """True when the data reaches back to the start of the period (a comparison is then honest)."""
    span = data_range(frames)
    return span is not None and span[0] <= period.start


# ------------------------------------------------------------------ decomposition and what-if

CHAINS: dict[str, tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...]] = {
    # factor, numerator candidates, denominator candidates: the product telescopes to the GMV card's value.
    # AOV is per buyer on the amount paid (as Compass defines it); when the export has both amounts, the last
    # factor (成交金额 ÷ 用户支付金额: platform subsidies and the like) takes the product from that to the GMV.
    "store": (
        ("exposure", ("product_impr_uv",), ()),
        ("ctr", ("product_click_uv",), ("product_impr_uv",)),
        ("conversion", ("buyer_count",), ("product_click_uv",)),
        ("aov", ("user_pay_amount", "gmv"), ("buyer_count",)),
        ("gmv_to_paid", ("gmv",), ("user_pay_amount",)),
    ),
    "live": (
        ("impressions", ("room_impr_uv",), ()),
        ("entry_rate", ("viewer_uv",), ("room_impr_uv",)),
        ("conversion", ("buyer_count",), ("viewer_uv",)),
        ("aov", ("gmv", "user_pay_amount"), ("buyer_count",)),
    ),
}
CHAIN_KIND = {"store": "store_daily", "live": "live_sessions"}


class Decomposition(BaseModel):
    chain: str
    factors: list[str]
    before: dict[str, float]
    after: dict[str, float]
    gmv_before: float
    gmv_after: float
    contributions: dict[str, float]

    @property
    def change(self) -> float:
        return self.gmv_after - self.gmv_before


OPTIONAL_FACTORS = {"gmv_to_paid"}  # left out when the export lacks either amount


def _chain_factors(rows: Rows, chain: str) -> dict[str, float] | None:
    factors = {}
    for name, num, den in CHAINS[chain]:
        if name in OPTIONAL_FACTORS and (_first_operand(rows, num) is None or _first_operand(rows, den) is None):
            continue
        top = _first_operand(rows, num)
        if top is None:
            return None
        numerator = _sum(top)
        if den:
            bottom = _first_operand(rows, den)
            denominator = _sum(bottom) if bottom is not None else None
            if numerator is None or not denominator:
                return None
            factors[name] = numerator / denominator
        else:
            if not numerator:
                return None
            factors[name] = numerator
    return factors


def _log_mean(a: float, b: float) -> float:
    return a if a == b else (a - b) / (math.log(a) - math.log(b))


def decompose(frames: Frames, before: Period, after: Period, chain: Literal["store", "live"] = "store") -> Decomposition | None:
    """Which factor drove the GMV change, by additive LMDI: contributions add up exactly to the change.

    GMV = exposure × CTR × conversion × AOV (store) or impressions × entry rate × conversion × AOV (live).
    None when a factor is missing or zero in either period (its logarithm is undefined)."""
    frame = frames.get(CHAIN_KIND[chain])
    if frame is None:
        return None
    kind = CHAIN_KIND[chain]
    f0 = _chain_factors(Rows(in_period(frame, kind, before.start, before.end)), chain)
    f1 = _chain_factors(Rows(in_period(frame, kind, after.start, after.end)), chain)
    if f0 is None or f1 is None or min(*f0.values(), *f1.values()) <= 0:
        return None
    v0, v1 = math.prod(f0.values()), math.prod(f1.values())
    weight = _log_mean(v1, v0)
    contributions = {name: weight * math.log(f1[name] / f0[name]) for name in f0}
    return Decomposition(
        chain=chain, factors=list(f0), before=f0, after=f1, gmv_before=v0, gmv_after=v1, contributions=contributions,
    )


def what_if(factors: Mapping[str, float], changes: Mapping[str, float]) -> float:
    """Projected GMV when each factor moves by the given fraction (0.1 = +10%); others stay."""
    unknown = set(changes) - set(factors)
    if unknown:
        raise KeyError(f"unknown factors: {sorted(unknown)}")
    return math.prod(v * (1 + changes.get(name, 0.0)) for name, v in factors.items())
