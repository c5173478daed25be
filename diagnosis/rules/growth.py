"""Store conversion level, short-video volume and cold start."""

from diagnosis import kpis
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


def _young_store(ctx: Context) -> tuple[int, float] | None:
    """(days of sales history up to the period's end, GMV per day in the period) from the store overview."""
    gmv = ctx.values.get("gmv")
    span = kpis.data_range({k: v for k, v in ctx.frames.items() if k == "store_daily"})
    if gmv is None or span is None:
        return None
    return (ctx.period.end - span[0]).days + 1, gmv / ctx.days


@rule("cold_start", reads=("store_daily", "live_sessions"))
def cold_start(ctx: Context):
    """A store that has not taken off: young and selling little (from the store overview, whatever else was
    uploaded), stated as such in its profile, or a live room with few, thinly watched sessions."""
    young = _young_store(ctx)
    stated = ctx.profile.stage == "cold_start"
    if young is None and not stated and "live_sessions" not in ctx.frames:
        return ctx.needs_export("cold_start", "store_daily")
    line, _ = ctx.benchmark("cold_start_daily_gmv")
    if young is not None:
        days, per_day = young
        max_days, days_source = ctx.benchmark("cold_start_store_days")
        if days <= max_days and per_day < line:
            return Finding(
                code="cold_start", severity="high", metric="gmv_per_day", value=per_day, benchmark=line, unit="yuan", worse="below",
                evidence=ctx.evidence_as("cold_start", "young", days=days, value=(per_day, "yuan"), line=(line, "yuan")),
                gmv_at_stake=None, confidence=confidence_for_days(ctx.days), source=days_source,
            )
    room = _cold_live_room(ctx) if "live_sessions" in ctx.frames else None
    if room is None and stated and young is not None and young[1] < line:  # stated, and the sales agree
        days, per_day = young
        return Finding(
            code="cold_start", severity="medium", metric="gmv_per_day", value=per_day, benchmark=line,
            unit="yuan", worse="below", evidence=ctx.evidence_as("cold_start", "stated", days=days, value=(per_day, "yuan")),
            gmv_at_stake=None, confidence=confidence_for_days(ctx.days), source="BeltDoctor: the stage given in the merchant profile",
        )
    return room


def _cold_live_room(ctx: Context):
    """Few, thinly watched live sessions: the room has no traffic tags yet (a stage, reported as low)."""
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
