"""aov_low: order value well below the category's typical basket."""

from diagnosis.rules import Context, Finding, confidence_for_days, rule

MEDIUM_BELOW, HIGH_BELOW = 0.8, 0.6  # share of the category median


@rule("aov_low", reads=("store_daily",))
def aov_low(ctx: Context):
    aov = ctx.values.get("aov")
    if aov is None:
        return ctx.needs_export("aov_low", "store_daily")
    median, source = ctx.benchmark("aov_median")
    if aov >= MEDIUM_BELOW * median:
        return None
    severity = "high" if aov < HIGH_BELOW * median else "medium"
    buyers = ctx.values.get("buyers")
    at_stake = (MEDIUM_BELOW * median - aov) * buyers if buyers else None  # lifting baskets to 80% of the median
    return Finding(
        code="aov_low", severity=severity, metric="aov", value=aov, benchmark=median, unit="yuan", worse="below",
        evidence=ctx.evidence("aov_low", value=(aov, "yuan"), median=(median, "yuan"), share=(aov / median, "ratio")),
        gmv_at_stake=at_stake, confidence=confidence_for_days(ctx.days), source=source,
    )
