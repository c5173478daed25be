"""refund_rate_high: refunds (by payment date) above the category's warning level."""

from diagnosis.rules import Context, Finding, confidence_for_days, rule


@rule("refund_rate_high", reads=("store_daily",))
def refund_rate_high(ctx: Context):
    rate = ctx.values.get("refund_rate")
    if rate is None:
        return ctx.needs_export("refund_rate_high", "store_daily")
    graded = ctx.grade(rate, "refund_rate_warn", "refund_rate_alarm", worse="above")
    if graded is None:
        return None
    severity, line, source = graded
    warn, _ = ctx.benchmark("refund_rate_warn")
    paid = ctx.values.get("paid_amount") or ctx.values.get("gmv")
    at_stake = (rate - warn) * paid if paid else None  # refunds above the warning level, in yuan
    return Finding(
        code="refund_rate_high", severity=severity, metric="refund_rate", value=rate, benchmark=line, unit="ratio", worse="above",
        evidence=ctx.evidence("refund_rate_high", value=(rate, "ratio"), line=(line, "ratio"), at_stake=(at_stake, "yuan")),
        gmv_at_stake=at_stake, confidence=confidence_for_days(ctx.days), source=source,
    )
