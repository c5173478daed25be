"""live_stay_low: viewers leave the live room quickly (average watch time under the pass line)."""

from diagnosis.rules import Context, Finding, rule

FULL_CONFIDENCE_SESSIONS = 10


@rule("live_stay_low", reads=("live_sessions",))
def live_stay_low(ctx: Context):
    watch = ctx.values.get("avg_watch_min")
    if watch is None:
        return ctx.needs_export("live_stay_low", "live_sessions")
    graded = ctx.grade(watch, "live_watch_warn_min", "live_watch_alarm_min", worse="below")
    if graded is None:
        return None
    severity, line, source = graded
    sessions = ctx.values.get("live_sessions", 0)
    return Finding(
        code="live_stay_low", severity=severity, metric="avg_watch_min", value=watch, benchmark=line, unit="min", worse="below",
        evidence=ctx.evidence("live_stay_low", value=f"{watch * 60:.0f}", line=f"{line * 60:.0f}", sessions=int(sessions)),
        gmv_at_stake=None, confidence=round(min(1.0, sessions / FULL_CONFIDENCE_SESSIONS), 2), source=source,
    )
