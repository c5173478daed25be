"""Store conversion level, short-video volume and cold start."""

from diagnosis.rules import Context, Finding, confidence_for_days, rule


@rule("conversion_low", reads=("store_daily",))
def conversion_low(ctx: Context):
    rate = ctx.values.get("click_to_pay")
    if rate is None:
        return ctx.needs_export("conversion_low", "store_daily")
    line, _ = ctx.benchmark("click_to_pay_warn")
    paid, visitors = ctx.values.get("paid_amount") or ctx.values.get("gmv"), ctx.values.get("visitors")
    at_stake = paid * (line / rate - 1) if paid and rate > 0 else None  # the same visitors converting at the line
    return ctx.level_finding(
        "conversion_low", "click_to_pay", rate, "ratio", "click_to_pay_warn", "click_to_pay_alarm", "below",
        confidence_for_days(ctx.days), at_stake, visitors=(visitors, "count"),
    )


@rule("short_video_weak", reads=("videos",))
def short_video_weak(ctx: Context):
    if "videos" not in ctx.frames:
        return ctx.needs_export("short_video_weak", "videos")
    per_day = ctx.values.get("videos_posted", 0.0) / ctx.days
    graded = ctx.grade(per_day, "videos_per_day_warn", "videos_per_day_alarm", worse="below")
    if graded is None:
        return None
    severity, line, source = graded
    return Finding(
        code="short_video_weak", severity=severity, metric="videos_per_day", value=per_day, benchmark=line, unit="number", worse="below",
        evidence=ctx.evidence("short_video_weak", value=f"{per_day:.1f}", line=f"{line:g}", days=ctx.days),
        gmv_at_stake=None, confidence=confidence_for_days(ctx.days), source=source,
    )


@rule("cold_start", reads=("live_sessions",))
def cold_start(ctx: Context):
    """Few, thinly watched live sessions: the room has no traffic tags yet (a stage, reported as low)."""
    if "live_sessions" not in ctx.frames:
        return ctx.needs_export("cold_start", "live_sessions")
    sessions = ctx.values.get("live_sessions", 0.0)
    viewers = ctx.values.get("viewers", 0.0) / sessions if sessions else 0.0
    max_sessions, sessions_source = ctx.benchmark("cold_start_sessions")
    min_viewers, _ = ctx.benchmark("cold_start_viewers")
    if sessions >= max_sessions and viewers >= min_viewers:
        return None
    return Finding(
        code="cold_start", severity="medium" if sessions < max_sessions and viewers < min_viewers else "low",
        metric="viewers_per_session", value=viewers, benchmark=min_viewers, unit="count", worse="below",
        evidence=ctx.evidence("cold_start", sessions=int(sessions), viewers=(viewers, "count"), line=(min_viewers, "count")),
        gmv_at_stake=None, confidence=confidence_for_days(ctx.days), source=sessions_source,
    )
