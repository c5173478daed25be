"""experience_score_low: the latest experience score under the line where traffic or ads are limited."""

from diagnosis.rules import Context, Finding, confidence_for_days, rule


@rule("experience_score_low", reads=("experience",))
def experience_score_low(ctx: Context):
    score = ctx.values.get("experience_score")
    if score is None:
        return ctx.needs_export("experience_score_low", "experience")
    scale = "5" if score <= 5 else "100"
    graded = ctx.grade(score, f"experience_score_{scale}_warn", f"experience_score_{scale}_alarm", worse="below")
    if graded is None:
        return None
    severity, line, source = graded
    return Finding(
        code="experience_score_low", severity=severity, metric="experience_score", value=score, benchmark=line,
        unit="score", worse="below",
        evidence=ctx.evidence("experience_score_low", value=(score, "score"), line=(line, "score"), scale=scale),
        gmv_at_stake=None, confidence=confidence_for_days(ctx.days), source=source,
    )
