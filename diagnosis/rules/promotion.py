"""promo_unprepared: a promotion starts soon and the warm-up (videos, live hours, new products) is not rising.

docs/sources.md#promotion-playbook: the fortnight before a festival is for seeding videos, testing new products and building
live hours; a store whose last two weeks look like the two before has not started."""

from datetime import timedelta

import pandas as pd

from diagnosis import kpis
from diagnosis.i18n import t
from diagnosis.rules import Context, Finding, rule

WINDOW = timedelta(days=14)


def _count_between(frame: pd.DataFrame, column: str, start, end) -> float:
    stamps = frame[column]
    return float(((stamps >= pd.Timestamp(start)) & (stamps < pd.Timestamp(end) + pd.Timedelta(days=1))).sum())


def _signals(ctx: Context) -> dict[str, tuple[float, float]]:
    """(the fortnight before, the last fortnight) per warm-up signal the exports allow."""
    end = ctx.period.end
    recent, earlier = (end - WINDOW + timedelta(days=1), end), (end - 2 * WINDOW + timedelta(days=1), end - WINDOW)
    signals = {}
    if "videos" in ctx.frames:
        videos = ctx.frames["videos"]
        signals["videos"] = (_count_between(videos, "publish_time", *earlier), _count_between(videos, "publish_time", *recent))
    if "live_sessions" in ctx.frames:
        before = kpis.compute(ctx.frames, *earlier, ["live_hours"]).get("live_hours", 0.0)
        after = kpis.compute(ctx.frames, *recent, ["live_hours"]).get("live_hours", 0.0)
        signals["live_hours"] = (before, after)
    products = ctx.frames.get("products")
    if products is not None and "listed_at" in products:
        listed = products.drop_duplicates("product_id") if "product_id" in products else products
        signals["new_products"] = (_count_between(listed, "listed_at", *earlier), _count_between(listed, "listed_at", *recent))
    return signals


@rule("promo_unprepared", reads=("videos", "live_sessions", "products"))
def promo_unprepared(ctx: Context):
    lookahead, source = ctx.benchmark("promo_lookahead_days")
    upcoming = [p for p in kpis.promotions() if ctx.period.end < p.start <= ctx.period.end + timedelta(days=int(lookahead))]
    if not upcoming:
        return None  # nothing to prepare for
    promo = upcoming[0]
    signals = _signals(ctx)
    if not signals:
        return ctx.needs_export("promo_unprepared", "videos")
    rise, _ = ctx.benchmark("warmup_rise")
    rising = [name for name, (before, after) in signals.items() if after > before * (1 + rise) and after > 0]
    if len(rising) * 2 > len(signals):
        return None
    days_left = (promo.start - ctx.period.end).days
    urgent, _ = ctx.benchmark("promo_urgent_days")
    evidence = {
        lang: t("rule.promo_unprepared.evidence", lang, promo=promo.label(lang), days=days_left, rising=len(rising), total=len(signals),
                signals=("、" if lang == "zh" else ", ").join(t(f"rule.promo_unprepared.signal.{name}", lang) for name in signals))
        for lang in ("zh", "en")
    }
    return Finding(
        code="promo_unprepared", severity="high" if days_left <= urgent and not rising else "medium",
        metric="rising_warmup_signals", value=float(len(rising)), benchmark=len(signals) / 2, unit="count", worse="below",
        evidence=evidence,
        gmv_at_stake=None, confidence=1.0, source=source,
    )
