"""Number formats for screens and charts: money with 万/亿 (zh) or k/M (en), percentages, counts, metric units.

Pure functions, no Streamlit. Missing values (None, NaN, ±inf) always show as `—`, never as 0.
"""

from __future__ import annotations

import math
from numbers import Real

DASH = "—"

# (threshold, divisor, suffix, decimals), largest first
_LARGE = {
    "zh": ((1e8, 1e8, "亿", 2), (1e4, 1e4, "万", 2)),
    "en": ((1e9, 1e9, "B", 2), (1e6, 1e6, "M", 2), (1e4, 1e3, "k", 1)),
}
_UNITS = {
    "min": {"zh": "分钟", "en": "min"},
    "h": {"zh": "小时", "en": "h"},
}


def missing(v: object) -> bool:
    """None, NaN, infinities or something that is not a number at all."""
    if isinstance(v, float):  # the common case (numpy float64 too), first: the Real check below is a slow ABC lookup
        return not math.isfinite(v)
    if v is None or isinstance(v, bool):
        return True
    if not isinstance(v, Real):
        try:
            v = float(v)  # numpy scalars, Decimal
        except (TypeError, ValueError):
            return True
    return not math.isfinite(float(v))


def _trim(text: str) -> str:
    """`1.20` → `1.2`, `3.00` → `3` (only for text with a decimal point)."""
    return text.rstrip("0").rstrip(".") if "." in text else text


def _large(v: float, lang: str) -> tuple[str, str] | None:
    """Digits and suffix for |v| ≥ 10,000, None below. Rounding carries into the next step
    (9,999.7 → 1万, 99,999,999 → 1亿, 999,999 → 1M), never `10000万` or `1000k`."""
    a = abs(v)
    steps = _LARGE["zh" if lang == "zh" else "en"]
    if round(a) < steps[-1][0]:
        return None
    # the largest step reached, else the smallest (9,999.7 rounds up into it); a plain loop because charts
    # format thousands of values and a generator here cost a fifth of each call
    chosen = 0
    while chosen < len(steps) - 1 and a < steps[chosen][0]:
        chosen += 1
    _, divisor, suffix, decimals = steps[chosen]
    scaled = round(a / divisor, decimals)
    if chosen and scaled * divisor >= steps[chosen - 1][0]:
        _, divisor, suffix, decimals = steps[chosen - 1]
        scaled = round(a / divisor, decimals)
    return _trim(f"{scaled:,.{decimals}f}"), suffix


def _sign(v: float, body: str = "1") -> str:
    """`-` for a negative value unless its shown digits are all zero (no `-¥0`)."""
    return "-" if v < 0 and body.strip("0.,") else ""


def _amount(v: object, lang: str, prefix: str, small_decimals: int) -> str:
    """A signed amount with 万/亿 (k/M) from 10,000 on; below 100, `small_decimals` when not whole."""
    if missing(v):
        return DASH
    v = float(v)
    large = _large(v, lang)
    if large is not None:
        return f"{_sign(v)}{prefix}{large[0]}{large[1]}"
    a = abs(v)
    whole = round(a, small_decimals) == round(a)
    body = f"{a:,.{small_decimals}f}" if a < 100 and not whole else f"{round(a):,.0f}"
    return f"{_sign(v, body)}{prefix}{body}"


def money(v: object, lang: str = "zh") -> str:
    """Yuan: zh `¥1.25万` / `¥1.2亿`, en `¥12.5k` / `¥1.2M`; `¥3,200` below 10,000; cents under ¥100."""
    return _amount(v, lang, "¥", 2)


def count(v: object, lang: str = "zh") -> str:
    """People, orders, sessions: `3,200`, zh `1.23万` / en `12.3k`; one decimal for small averages."""
    return _amount(v, lang, "", 1)


def pct(v: object, digits: int = 1, signed: bool = False) -> str:
    """A fraction as a percentage: 0.153 → `15.3%`; `signed` adds `+` to increases."""
    if missing(v):
        return DASH
    text = f"{float(v) * 100:{'+' if signed else ''}.{digits}f}%"
    return text.replace("+-", "-")


def number(v: object, digits: int = 2) -> str:
    """A plain number such as an ROI or a ratio of two counts: `2.01`, `1,234.50`."""
    if missing(v):
        return DASH
    return f"{float(v):,.{digits}f}"


def score(v: object, scale: float | None = None) -> str:
    """An experience score: `4.40` on the 5-point scale, `82` / `88.4` on the 100-point one.
    The scale is taken from the value when not given (≤ 5 → 5-point)."""
    if missing(v):
        return DASH
    v = float(v)
    if (scale if scale is not None else (5.0 if abs(v) <= 5 else 100.0)) <= 5:
        return f"{v:.2f}"
    return _trim(f"{v:.1f}")


def duration(v: object, unit: str, lang: str = "zh") -> str:
    """Minutes or hours with their unit: `1.2 分钟` / `1.2 min`, `12.5 小时` / `12.5 h`."""
    if missing(v):
        return DASH
    return f"{float(v):,.1f} {_UNITS[unit]['zh' if lang == 'zh' else 'en']}"


def metric(value: object, unit: str, lang: str = "zh") -> str:
    """A metric value by its unit in `data/metrics.yaml` (yuan, ratio, count, min, h, score, number)."""
    if unit == "yuan":
        return money(value, lang)
    if unit == "ratio":
        return pct(value)
    if unit == "count":
        return count(value, lang)
    if unit in _UNITS:
        return duration(value, unit, lang)
    if unit == "score":
        return score(value)
    return number(value)


def delta(pct_change: object, better: str = "up") -> tuple[str, str]:
    """Text and colour hint for st.metric: `+12.3%` / `-4.0%` with "normal" (green when up is better) or
    "inverse" (green when down is better); `—` with "off" when the change is unknown."""
    if missing(pct_change):
        return DASH, "off"
    return pct(pct_change, signed=True), "inverse" if better == "down" else "normal"
