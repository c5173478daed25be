"""Live-room rules read from the session list: interaction, traffic retention, conversion."""

from diagnosis.rules import Context, Finding, rule

FULL_CONFIDENCE_SESSIONS = 10


def _live_finding(ctx: Context, code: str, metric: str, unit: str, warn_key: str, alarm_key: str, worse: str):
    value = ctx.values.get(metric)
    if value is None:
        return ctx.needs_export(code, "live_sessions")
    graded = ctx.grade(value, warn_key, alarm_key, worse=worse)
    if graded is None:
        return None
    severity, line, source = graded
    sessions = ctx.values.get("live_sessions", 0)
    return Finding(
        code=code, severity=severity, metric=metric, value=value, benchmark=line, unit=unit, worse=worse,
        evidence=ctx.evidence(code, value=(value, unit), line=(line, unit), sessions=int(sessions)),
        gmv_at_stake=None, confidence=round(min(1.0, sessions / FULL_CONFIDENCE_SESSIONS), 2), source=source,
    )


@rule("live_interaction_low", reads=("live_sessions",))
def live_interaction_low(ctx: Context):
    return _live_finding(ctx, "live_interaction_low", "interaction_rate", "ratio", "live_interaction_warn", "live_interaction_alarm", "below")


@rule("live_peak_not_retained", reads=("live_sessions",))
def live_peak_not_retained(ctx: Context):
    return _live_finding(ctx, "live_peak_not_retained", "peak_avg_ratio", "number", "live_peak_gap_warn", "live_peak_gap_alarm", "above")


@rule("live_conversion_low", reads=("live_sessions",))
def live_conversion_low(ctx: Context):
    return _live_finding(ctx, "live_conversion_low", "live_conversion", "ratio", "live_conversion_warn", "live_conversion_alarm", "below")
