"""Change against the previous period of the same length: GMV and traffic falling, and paid dependency."""

from diagnosis import kpis
from diagnosis.rules import Context, Finding, confidence_for_days, rule


def _decline(ctx: Context, code: str, metric: str):
    if metric not in ctx.values:
        return ctx.needs_export(code, "store_daily")
    before = kpis.reference_period(ctx.period, "prev")
    if not kpis.covers(ctx.frames, before):
        return ctx.needs(code, "needs_previous_period")
    promos_before = kpis.promotions_between(before.start, before.end)
    if promos_before and not kpis.promotions_between(ctx.period.start, ctx.period.end):
        # a fall after a festival is the festival ending, not a decline: the promotion rules judge it
        return ctx.needs(code, "previous_period_promotion")
    previous = kpis.compute(ctx.frames, before.start, before.end, [metric]).get(metric)
    if not previous:
        return ctx.needs(code, "needs_previous_period")
    change = ctx.values[metric] / previous - 1
    graded = ctx.grade(change, "decline_warn", "decline_alarm", worse="below")
    if graded is None:
        return None
    severity, line, source = graded
    gmv_before = kpis.compute(ctx.frames, before.start, before.end, ["gmv"]).get("gmv")
    at_stake = gmv_before - ctx.values["gmv"] if gmv_before and "gmv" in ctx.values else None
    return Finding(
        code=code, severity=severity, metric=metric, value=change, benchmark=line, unit="ratio", worse="below",
        evidence=ctx.evidence(code, value=(ctx.values[metric], kpis.metric_defs()[metric].unit), previous=(previous, kpis.metric_defs()[metric].unit),
                              change=(change, "ratio")),
        gmv_at_stake=at_stake, confidence=confidence_for_days(ctx.days), source=source,
    )


@rule("gmv_decline", reads=("store_daily",))
def gmv_decline(ctx: Context):
    return _decline(ctx, "gmv_decline", "gmv")


@rule("traffic_decline", reads=("store_daily",))
def traffic_decline(ctx: Context):
    return _decline(ctx, "traffic_decline", "exposure")


@rule("paid_dependency_high", reads=("store_daily",))
def paid_dependency_high(ctx: Context):
    share = ctx.values.get("ad_share")
    if share is None:
        return ctx.needs_export("paid_dependency_high", "store_daily")
    return ctx.level_finding("paid_dependency_high", "ad_share", share, "ratio", "paid_share_warn", "paid_share_alarm", "above",
                             confidence_for_days(ctx.days))


@rule("conversion_drop", reads=("store_daily",))
def conversion_drop(ctx: Context):
    return _decline(ctx, "conversion_drop", "click_to_pay")
