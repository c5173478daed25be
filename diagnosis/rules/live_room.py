"""Live-room rules read from the session list: stay, interaction, traffic retention, conversion."""

from diagnosis.rules import Context, rule

FULL_CONFIDENCE_SESSIONS = 10


def _live_finding(ctx: Context, code: str, metric: str, unit: str, warn_key: str, alarm_key: str, worse: str, **evidence):
    value = ctx.values.get(metric)
    if value is None:
        return ctx.needs_export(code, "live_sessions")
    sessions = ctx.values.get("live_sessions", 0)
    confidence = round(min(1.0, sessions / FULL_CONFIDENCE_SESSIONS), 2)
    return ctx.level_finding(code, metric, value, unit, warn_key, alarm_key, worse, confidence, sessions=int(sessions), **evidence)


@rule("live_stay_low", reads=("live_sessions",))
def live_stay_low(ctx: Context):
    """Viewers leave quickly: average watch time under the pass line (shown in seconds)."""
    watch = ctx.values.get("avg_watch_min")
    seconds = {} if watch is None else {"seconds": f"{watch * 60:.0f}"}
    return _live_finding(ctx, "live_stay_low", "avg_watch_min", "min", "live_watch_warn_min", "live_watch_alarm_min", "below", **seconds)


@rule("live_interaction_low", reads=("live_sessions",))
def live_interaction_low(ctx: Context):
    return _live_finding(ctx, "live_interaction_low", "interaction_rate", "ratio", "live_interaction_warn", "live_interaction_alarm", "below")


@rule("live_peak_not_retained", reads=("live_sessions",))
def live_peak_not_retained(ctx: Context):
    return _live_finding(ctx, "live_peak_not_retained", "peak_avg_ratio", "number", "live_peak_gap_warn", "live_peak_gap_alarm", "above")


@rule("live_conversion_low", reads=("live_sessions",))
def live_conversion_low(ctx: Context):
    return _live_finding(ctx, "live_conversion_low", "live_conversion", "ratio", "live_conversion_warn", "live_conversion_alarm", "below")
