"""refund_rate_high: refunds (by payment date) above the category's warning level."""

from diagnosis.rules import Context, confidence_for_days, rule


@rule("refund_rate_high", reads=("store_daily",))
def refund_rate_high(ctx: Context):
    rate = ctx.values.get("refund_rate")
    if rate is None:
        return ctx.needs_export("refund_rate_high", "store_daily")
    warn, _ = ctx.benchmark("refund_rate_warn")
    paid = ctx.values.get("paid_amount") or ctx.values.get("gmv")
    at_stake = (rate - warn) * paid if paid else None  # refunds above the warning level, in yuan
    return ctx.level_finding(
        "refund_rate_high", "refund_rate", rate, "ratio", "refund_rate_warn", "refund_rate_alarm", "above",
        confidence_for_days(ctx.days), at_stake, at_stake=(at_stake, "yuan"),
    )
