"""experience_score_low: the latest experience score under the line where traffic or ads are limited."""

from diagnosis.rules import Context, confidence_for_days, rule


@rule("experience_score_low", reads=("experience",))
def experience_score_low(ctx: Context):
    score = ctx.values.get("experience_score")
    if score is None:
        return ctx.needs_export("experience_score_low", "experience")
    scale = "5" if score <= 5 else "100"
    return ctx.level_finding(
        "experience_score_low", "experience_score", score, "score", f"experience_score_{scale}_warn",
        f"experience_score_{scale}_alarm", "below", confidence_for_days(ctx.days), scale=scale,
    )
