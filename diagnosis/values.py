"""Vectorised cell parsers, one per dtype, over Arrow string arrays.

Every parser returns the parsed column(s) and a mask of cells it could not read, so the caller can say
exactly which rows were affected. Adding a dtype is adding one function to `PARSERS`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from diagnosis import settings
from diagnosis.schema import FieldSpec, parsing_rules

NUMBER_RE = r"^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$"
_DATE_RE = (
    r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*[-/.月]\s*(?P<d>\d{1,2})\s*日?"
    r"(?:[ T]+(?P<H>\d{1,2})[:：](?P<M>\d{1,2})(?:[:：](?P<S>\d{1,2})(?:\.\d+)?)?)?$"
)
_COMPACT_DATE_RE = r"^(?P<y>\d{4})(?P<m>\d{2})(?P<d>\d{2})(?:[ T]?(?P<H>\d{2})(?P<M>\d{2})(?P<S>\d{2})?)?$"
_MONTH_RE = r"^(?P<y>\d{4})\s*[-/.年]\s*(?P<m>\d{1,2})\s*月?$"
_SERIAL_RE = r"^\d{5}(?:\.\d+)?$"
_DATE_TOKEN = (
    r"\d{4}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}\s*日?(?:[ T]+\d{1,2}[:：]\d{1,2}(?:[:：]\d{1,2})?)?|\d{8}"
)
_RANGE_RE = rf"^(?P<a>{_DATE_TOKEN})\s*(?:~|～|至|到|—|－|--|-|\s-\s|/)\s*(?P<b>{_DATE_TOKEN})$"
_CN_DURATION_RE = (
    r"^(?:(?P<h>\d+(?:\.\d+)?)\s*(?:小时|时|h))?\s*(?:(?P<m>\d+(?:\.\d+)?)\s*(?:分钟|分|min|m))?"
    r"\s*(?:(?P<s>\d+(?:\.\d+)?)\s*(?:秒|s))?$"
)
_CLOCK_RE = r"^(?:(?P<h>\d+):)?(?P<m>\d{1,2}):(?P<s>\d{1,2})$"
_EXCEL_EPOCH = np.datetime64("1899-12-30")


@dataclass
class Parsed:
    """Parsed column(s) keyed by frame column name, the unreadable-cell mask, and notes for the report."""

    columns: dict[str, pd.Series | np.ndarray | pa.Array]
    invalid: np.ndarray
    notes: list[str] = field(default_factory=list)


def _np_mask(arr: pa.Array | pa.ChunkedArray) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


@cache
def _missing_tokens() -> pa.Array:
    tokens = set(parsing_rules().missing_tokens)
    tokens |= {f" {t}" for t in tokens} | {f"{t} " for t in tokens}
    return pa.array(sorted(tokens), pa.string())


def missing_mask(s: pa.Array | pa.ChunkedArray) -> pa.Array:
    """True where a cell means "no data" (`-`, `--`, empty...), including a stray space around the token."""
    return pc.or_kleene(pc.is_null(s), pc.is_in(s, value_set=_missing_tokens()))


def _trimmed(arr: pa.Array | pa.ChunkedArray) -> pa.Array | pa.ChunkedArray:
    return pc.ascii_trim_whitespace(arr)


def _cast_float(s) -> np.ndarray | None:
    try:
        return pc.cast(s, pa.float64()).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        return None


_JUNK = (",", "，", "¥", "￥", "$", "元", " ", "\u3000")
_LEADING = "¥￥$ \u3000"
_TRAILING = "元 \u3000"
_INNER = (",", "，", " ")
_SUFFIXES = {"%": 0.01, "万": 1e4, "亿": 1e8}
_JUNK_RE = "[" + "".join(_JUNK) + "]"


def _sample(s: pa.ChunkedArray, size: int = 5_000) -> list[str]:
    """A spread-out sample of the column's cells (every k-th cell), to learn which decorations it uses."""
    step = max(len(s) // size, 1)
    taken = s.take(pa.array(np.arange(0, len(s), step, dtype=np.int64)))
    return [v for v in taken.to_pylist() if v]


def _strip_suffixes(s, suffixes) -> tuple[object, np.ndarray]:
    """Remove %/万/亿 endings; return the stripped strings and the per-cell multiplier they implied."""
    factor = np.ones(len(s))
    for suffix in suffixes:
        mask = _np_mask(pc.ends_with(s, suffix))
        factor[mask] *= _SUFFIXES[suffix]
    return pc.utf8_rtrim(s, characters="".join(suffixes)), factor


def _thorough(chunk: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Cell-exact parse of one chunk: blank the missing tokens, strip every known decoration, validate with
    a regex, cast. Returns values, the unreadable mask and the per-cell multiplier of %/万/亿."""
    chunk = pc.if_else(missing_mask(chunk), pa.scalar(None, pa.string()), chunk)
    cleaned = pc.replace_substring_regex(chunk, _JUNK_RE, "")
    cleaned, factor = _strip_suffixes(cleaned, tuple(_SUFFIXES))
    valid = pc.match_substring_regex(cleaned, NUMBER_RE)
    values = pc.cast(pc.if_else(valid, cleaned, pa.scalar(None, pa.string())), pa.float64())
    invalid = ~_np_mask(valid) & _np_mask(pc.is_valid(chunk))
    return values.to_numpy(zero_copy_only=False), invalid, factor


def _low_cardinality(sample: list[str]) -> bool:
    return len(sample) >= 500 and len(set(sample)) < len(sample) // 20


def _numbers(arr, header_factor: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(values, invalid mask, percent-sign mask).

    Counts repeat (0, 1, 2 … orders a day), so low-cardinality columns are parsed once per distinct value.
    Otherwise: one cast if the column is clean; if not, the decorations seen in a sample (- ¥ , 元 % 万 亿)
    are removed from the whole column with literal kernels and it is cast chunk by chunk; a chunk that
    still fails (something the sample missed, or junk) alone gets the cell-exact regex treatment.
    """
    if not isinstance(arr, pa.ChunkedArray):
        arr = pa.chunked_array([arr], pa.string())
    sample = _sample(arr)
    if _low_cardinality(sample):
        values, invalid, factor = _per_distinct(arr, _thorough)
    else:
        values, invalid, factor = _numbers_wide(arr, sample)
    if _outside(values, -np.inf, np.inf, inclusive=True):  # "inf", 1e400, a 400-digit number: never a figure
        infinite = np.isinf(values)
        invalid = invalid | infinite
        values = np.where(infinite, np.nan, values)
    if factor is None:
        scaled = values * header_factor if header_factor != 1.0 else values
        return scaled, invalid, np.zeros(len(values), dtype=bool)
    pct = factor == 0.01
    factor *= header_factor
    factor[pct] = 0.01
    return values * factor, invalid, pct


def _numbers_wide(s: pa.ChunkedArray, sample: list[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Values, unreadable mask, and the per-cell multiplier of %/万/亿 (None when no cell has one)."""
    n = len(s)
    if set(sample) & set(parsing_rules().missing_tokens):
        s = pc.if_else(missing_mask(s), pa.scalar(None, pa.string()), s)
    values = _cast_float(s)
    if values is not None:  # Arrow's cast reads "nan"; a NaN from a cell that is not missing is such a word
        nan = np.isnan(values)
        words = np.count_nonzero(nan) > s.null_count  # else every NaN is a missing cell: no mask to build
        return values, nan & _np_mask(pc.is_valid(s)) if words else np.zeros(n, dtype=bool), None
    seen = set("".join(sample))
    leading = "".join(c for c in _LEADING if c in seen)
    trailing = "".join(c for c in _TRAILING if c in seen)
    if leading:  # trimming a currency sign is a cheaper kernel than replacing it
        s = pc.utf8_ltrim(s, characters=leading)
    if trailing:
        s = pc.utf8_rtrim(s, characters=trailing)
    for junk in _INNER:
        if junk in seen:
            s = pc.replace_substring(s, junk, "")
    suffixes = tuple(x for x in _SUFFIXES if x in seen)
    factor = None
    if suffixes:
        s, factor = _strip_suffixes(s, suffixes)
    values = np.empty(n)
    invalid = np.zeros(n, dtype=bool)
    offset = 0
    for chunk in s.chunks:
        size = len(chunk)
        part = _cast_float(chunk)
        if part is None:
            part, bad, chunk_factor = _thorough(chunk)
            invalid[offset : offset + size] = bad
            if factor is None:
                factor = np.ones(n)
            factor[offset : offset + size] *= chunk_factor
        values[offset : offset + size] = part
        offset += size
    return values, invalid, factor


def parse_number(arr, spec: FieldSpec, header_factor: float) -> Parsed:
    values, invalid, _ = _numbers(arr, header_factor)
    return Parsed({spec.field: values}, invalid)


def parse_ratio(arr, spec: FieldSpec, header_factor: float) -> Parsed:
    """Ratios become fractions 0-1 whether written 0.1528, 15.28% or under a `(%)` header.

    A column with no % signs whose values mostly lie in (1, 100] was written in percent points: read it so.
    """
    values, invalid, pct = _numbers(arr, header_factor)
    notes: list[str] = []
    if header_factor == 1.0 and not pct.any():
        finite = values[np.isfinite(values)]
        if finite.size and np.mean((finite > 1) & (finite <= 100)) > 0.5:
            values = values / 100.0
            notes.append("ratio_read_as_percent")
    return Parsed({spec.field: values}, invalid, notes)


def parse_duration(arr, spec: FieldSpec, header_factor: float) -> Parsed:
    """Durations in the field's unit: decimal numbers, `2分35秒`, `1小时3分`, or `1:02:03` clocks."""
    values, invalid, _ = _numbers(arr, header_factor)
    if invalid.any():
        per_second = {"min": 1 / 60, "s": 1.0, "h": 1 / 3600}.get(spec.unit, 1.0)
        s = pc.utf8_trim_whitespace(arr)
        seconds = np.full(len(values), np.nan)
        for pattern in (_CN_DURATION_RE, _CLOCK_RE):
            parts = pc.extract_regex(s, pattern)
            total = np.zeros(len(values))
            for name, scale in (("h", 3600.0), ("m", 60.0), ("s", 1.0)):
                col = pc.struct_field(parts, name)
                num = pc.cast(pc.if_else(pc.equal(col, ""), pa.scalar(None, pa.string()), col), pa.float64())
                total += np.nan_to_num(num.to_numpy(zero_copy_only=False)) * scale
            matched = _np_mask(pc.is_valid(parts)) & _np_mask(pc.not_equal(s, ""))
            seconds = np.where(np.isnan(seconds) & matched, total, seconds)
        fixed = invalid & ~np.isnan(seconds)
        values = np.where(fixed, seconds * per_second, values)
        invalid = invalid & ~fixed
    return Parsed({spec.field: values}, invalid)


def _components(s, pattern: str) -> tuple[np.ndarray, dict[str, np.ndarray]]:
    parts = pc.extract_regex(s, pattern)
    matched = _np_mask(pc.is_valid(parts))
    out: dict[str, np.ndarray] = {}
    for name in ("y", "m", "d", "H", "M", "S"):
        try:
            col = pc.struct_field(parts, name)
        except (KeyError, pa.ArrowInvalid):
            out[name] = np.zeros(len(matched))
            continue
        num = pc.cast(pc.if_else(pc.equal(col, ""), pa.scalar("0"), col), pa.float64())
        out[name] = np.nan_to_num(num.to_numpy(zero_copy_only=False))
    if pattern == _MONTH_RE:
        out["d"] = np.ones(len(matched))
    return matched, out


def _assemble(c: dict[str, np.ndarray]) -> np.ndarray:
    """datetime64[ns] from year..second components with NumPy calendar arithmetic (pandas' DataFrame-to-datetime
    costs milliseconds per call); impossible dates such as 2022-02-30 or hour 25 become NaT."""
    y, m, d = c["y"].astype(np.int64), c["m"].astype(np.int64), c["d"].astype(np.int64)
    hh, mm, ss = c["H"].astype(np.int64), c["M"].astype(np.int64), c["S"].astype(np.int64)
    ok = (y >= 1900) & (y <= 2200) & (m >= 1) & (m <= 12) & (d >= 1) & (d <= 31) & (hh < 24) & (mm < 60) & (ss < 60)
    months = np.where(ok, (y - 1970) * 12 + (m - 1), 0).astype("datetime64[M]")
    days = months.astype("datetime64[D]") + np.where(ok, d - 1, 0).astype("timedelta64[D]")
    ok &= days.astype("datetime64[M]") == months
    stamps = days.astype("datetime64[ns]") + (hh * 3600 + mm * 60 + ss).astype("timedelta64[s]").astype("timedelta64[ns]")
    return np.where(ok, stamps, np.datetime64("NaT"))


def _timestamps(arr) -> tuple[np.ndarray, np.ndarray]:
    """datetime64[ns] values and the invalid mask for every date format real exports use."""
    s = _trimmed(arr)
    n = len(s)
    missing = _np_mask(missing_mask(s))
    result = np.full(n, np.datetime64("NaT"), dtype="datetime64[ns]")
    filled = np.zeros(n, dtype=bool)
    for pattern in (_DATE_RE, _COMPACT_DATE_RE, _MONTH_RE):
        if (filled | missing).all():
            break  # every value already read: the remaining patterns cannot add anything
        matched, c = _components(s, pattern)
        take = matched & ~filled
        if not take.any():
            continue
        result[take] = _assemble({k: v[take] for k, v in c.items()})
        filled |= take
    serial = _np_mask(pc.match_substring_regex(s, _SERIAL_RE)) & ~filled
    if serial.any():
        days = pc.cast(pc.if_else(pa.array(serial), s, pa.scalar(None, pa.string())), pa.float64())
        days_np = days.to_numpy(zero_copy_only=False)[serial]
        in_range = (days_np >= 20000) & (days_np <= 80000)
        stamps = _EXCEL_EPOCH + (days_np * 86400e9).astype("timedelta64[ns]")
        idx = np.flatnonzero(serial)
        result[idx[in_range]] = stamps[in_range]
    invalid = np.isnat(result) & ~missing
    return result, invalid


def _per_distinct(arr, fn: Callable[[pa.Array], tuple[np.ndarray, ...]]) -> tuple[np.ndarray, ...]:
    """Apply `fn` to each distinct value once and spread the results back: dates repeat heavily (a million
    product rows share a few hundred periods), so this turns regex work per row into work per date."""
    flat = arr.combine_chunks() if isinstance(arr, pa.ChunkedArray) else arr
    encoded = pc.dictionary_encode(flat)
    distinct = encoded.dictionary
    results = fn(distinct)
    index = pc.fill_null(encoded.indices, len(distinct)).to_numpy(zero_copy_only=False)
    spread = []
    for values in results:
        filler = np.array([np.datetime64("NaT")], dtype=values.dtype) if values.dtype.kind == "M" else np.zeros(1, dtype=values.dtype)
        spread.append(np.concatenate([values, filler])[index])
    return tuple(spread)


def parse_datetime(arr, spec: FieldSpec, header_factor: float) -> Parsed:
    values, invalid = _per_distinct(arr, _timestamps)
    return Parsed({spec.field: values}, invalid)


def parse_date(arr, spec: FieldSpec, header_factor: float) -> Parsed:
    values, invalid = _per_distinct(arr, _timestamps)
    return Parsed({spec.field: values.astype("datetime64[D]").astype("datetime64[ns]")}, invalid)


def parse_period(arr, spec: FieldSpec, header_factor: float) -> Parsed:
    """`2022-08-01~2022-08-31` (or `至`, ` - `) into start and end; a single date is a one-day period,
    a month (`2022-08`) runs to its last day."""
    start, end, invalid = _per_distinct(arr, _period_bounds)
    start_col, end_col = spec.columns
    return Parsed({start_col: start, end_col: end}, invalid)


def _period_bounds(arr: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    s = _trimmed(arr)
    parts = pc.extract_regex(s, _RANGE_RE)
    is_range = _np_mask(pc.is_valid(parts))
    none = pa.scalar(None, pa.string())
    first = pc.if_else(pa.array(is_range), pc.struct_field(parts, "a"), s)
    second = pc.if_else(pa.array(is_range), pc.struct_field(parts, "b"), none)
    start, invalid = _timestamps(first)
    end, end_invalid = _timestamps(second)
    single = ~is_range & ~np.isnat(start)
    month_only = single & _np_mask(pc.match_substring_regex(s, _MONTH_RE))
    end = np.where(single, start, end)
    if month_only.any():
        month_end = (start[month_only].astype("datetime64[M]") + 1).astype("datetime64[ns]") - np.timedelta64(1, "D")
        end[month_only] = month_end
    return start, end, invalid | (is_range & end_invalid)


def _blank_to_null(arr):
    """Empty cells become missing; a column without any is returned as is (no copy)."""
    blank = pc.equal(arr, "")
    return pc.if_else(blank, pa.scalar(None, pa.string()), arr) if pc.any(blank).as_py() else arr


def parse_text(arr, spec: FieldSpec, header_factor: float) -> Parsed:
    """Text is data, kept verbatim (no trimming, no evaluation); empty cells become missing."""
    return Parsed({spec.field: _blank_to_null(arr)}, np.zeros(len(arr), dtype=bool))


def parse_id(arr, spec: FieldSpec, header_factor: float) -> Parsed:
    """IDs stay strings: surrounding spaces, leading apostrophes and Excel's `.0` are removed; `1.23E+18`
    is flagged, since Excel has already rounded such an ID and the real one cannot be recovered."""
    blanked = _blank_to_null(arr)
    try:  # the usual case, digits only (商品编码, 视频ID): nothing to clean
        pc.cast(blanked, pa.uint64())
        return Parsed({spec.field: blanked}, np.zeros(len(arr), dtype=bool))
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError):
        pass
    s = arr
    if pc.any(pc.match_substring(s, " ")).as_py():
        s = pc.ascii_trim_whitespace(s)
    if pc.any(pc.starts_with(s, "'")).as_py() or pc.any(pc.ends_with(s, ".0")).as_py():
        s = pc.replace_substring_regex(s, r"^'|\.0$", "")
    values = pc.if_else(missing_mask(s), pa.scalar(None, pa.string()), s)
    mangled = np.zeros(len(s), dtype=bool)
    if pc.any(pc.match_substring(values, "E+", ignore_case=True)).as_py():
        mangled = _np_mask(pc.match_substring_regex(values, r"^\d(?:\.\d+)?[eE]\+\d+$"))
    return Parsed({spec.field: values}, mangled)


PARSERS: dict[str, Callable[[pa.Array, FieldSpec, float], Parsed]] = {
    "money": parse_number,
    "count": parse_number,
    "number": parse_number,
    "score": parse_number,
    "ratio": parse_ratio,
    "duration": parse_duration,
    "date": parse_date,
    "datetime": parse_datetime,
    "period": parse_period,
    "text": parse_text,
    "id": parse_id,
}


@dataclass(frozen=True)
class Bound:
    """A value outside what the dtype allows: set to missing, and reported under `code`."""

    code: str
    test: Callable[[np.ndarray], np.ndarray]


def _outside(v: np.ndarray, low, high, inclusive: bool = False) -> bool:
    """Whether any value (NaN/NaT ignored) lies outside low..high: two reductions, so the usual clean column
    costs no mask. `inclusive` counts the bounds themselves as outside."""
    if v.size == 0:
        return False
    lo, hi = np.fmin.reduce(v), np.fmax.reduce(v)
    return bool(lo <= low or hi >= high) if inclusive else bool(lo < low or hi > high)


def _too_large(v: np.ndarray) -> np.ndarray:
    """Beyond any real store (a trillion-yuan row, 10^12 buyers): a typo or an attack, never a number to sum."""
    limit = settings.get("max_abs_value")
    return (np.abs(v) > limit) if _outside(v, -limit, limit) else np.zeros(v.shape, dtype=bool)


def _implausible_date(v: np.ndarray) -> np.ndarray:
    """Before Douyin e-commerce existed (setting earliest_year) or days into the future (max_future_days)."""
    earliest = np.datetime64(f"{int(settings.get('earliest_year')):04d}-01-01", "ns")
    latest = np.datetime64(date.today(), "ns") + np.timedelta64(int(settings.get("max_future_days")) + 1, "D")
    if not _outside(v, earliest, latest, inclusive=True):
        return np.zeros(v.shape, dtype=bool)
    return ~np.isnat(v) & ((v < earliest) | (v >= latest))


_TOO_LARGE = Bound("value_too_large", _too_large)
_DATE_WINDOW = Bound("date_out_of_range", _implausible_date)

BOUNDS: dict[str, tuple[Bound, ...]] = {
    "money": (Bound("negative_value", lambda v: v < 0), _TOO_LARGE),
    "count": (Bound("negative_value", lambda v: v < 0), _TOO_LARGE),
    "number": (_TOO_LARGE,),
    "ratio": (Bound("ratio_out_of_range", lambda v: (v < 0) | (v > 1)),),
    "score": (Bound("score_out_of_range", lambda v: (v < 0) | (v > 100)),),
    "duration": (Bound("negative_value", lambda v: v < 0), _TOO_LARGE),
    "date": (_DATE_WINDOW,),
    "datetime": (_DATE_WINDOW,),
    "period": (_DATE_WINDOW,),
}
