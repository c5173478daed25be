"""paid_roi_below_breakeven: ads return less GMV per yuan than the margin can carry.

Break-even ROI = 1 / ((1 − r) × m − r × k) (docs/sources.md#break-even-roi): m the gross margin (profile), r the refund
rate, k the unrecoverable cost share on refunded GMV (category benchmark). Whole-domain ROI is compared when
present (it includes the natural sales the ad pulls), else direct ROI.
"""

from diagnosis.economics import break_even_roi, roi_metric
from diagnosis.rules import Context, Finding, confidence_for_days, rule

HIGH_BELOW = 0.8  # an ROI under 80% of break-even loses money on every order


@rule("paid_roi_below_breakeven", reads=("ads", "store_daily"))
def paid_roi_below_breakeven(ctx: Context):
    metric = roi_metric(ctx.values)
    if metric is None:
        return ctx.needs_export("paid_roi_below_breakeven", "ads")
    margin = ctx.profile.gross_margin
    if not margin:
        return ctx.needs("paid_roi_below_breakeven", "needs_margin")
    refund = ctx.values.get("refund_rate", 0.0)
    loss_share, _ = ctx.benchmark("refund_loss_share")
    try:
        break_even = break_even_roi(margin, refund, loss_share)
    except ValueError:
        return None  # no ROI breaks even: the refund problem is its own finding
    roi = ctx.values[metric]
    if roi >= break_even:
        return None
    spend = ctx.values.get("ad_spend")
    at_stake = spend * (1 - roi / break_even) if spend else None  # spend not covered by margin
    return Finding(
        code="paid_roi_below_breakeven", severity="high" if roi < HIGH_BELOW * break_even else "medium",
        metric=metric, value=roi, benchmark=break_even, unit="number", worse="below",
        evidence=ctx.evidence(
            "paid_roi_below_breakeven", value=(roi, "number"), line=(break_even, "number"),
            margin=(margin, "ratio"), refund=(refund, "ratio"), at_stake=(at_stake, "yuan"),
        ),
        gmv_at_stake=at_stake, confidence=confidence_for_days(ctx.days),
        source="Break-even ROI = 1/((1−r)m − rk), BeltDoctor derivation",  # docs/sources.md#break-even-roi
    )
