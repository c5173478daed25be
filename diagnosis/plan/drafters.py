"""Which drafter writes the plan, and the one entry point every interface calls.

`DRAFTERS` maps a name to a function (context, settings, progress) -> Outcome; adding a provider family that
is not OpenAI-compatible is one entry. Whatever drafts, the offline drafter is the fallback and the linter
runs on the result.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from diagnosis.plan.context import PlanContext
from diagnosis.plan.linter import Problem, lint
from diagnosis.plan.llm import LlmDrafter, LlmSettings, Outcome, Progress
from diagnosis.plan.model import Plan
from diagnosis.plan.offline import draft_offline


def _offline(context: PlanContext, settings: LlmSettings | None, progress: Progress | None) -> Outcome:
    return Outcome(plan=draft_offline(context), format="offline")


def _llm(context: PlanContext, settings: LlmSettings | None, progress: Progress | None) -> Outcome:
    if settings is None:
        return Outcome(plan=None, reason="no LLM endpoint is configured")
    return LlmDrafter(settings).draft(context, on_progress=progress)


DRAFTERS: dict[str, Callable[[PlanContext, LlmSettings | None, Progress | None], Outcome]] = {
    "offline": _offline,
    "llm": _llm,
}


@dataclass
class PlanResult:
    drafter: str
    fallback_reason: str | None
    plan: Plan
    problems: list[Problem] = field(default_factory=list)
    outcome: Outcome | None = None

    def as_json(self, lang: str) -> dict:
        out = {
            "drafter": self.drafter,
            "fallback_reason": self.fallback_reason,
            "plan": self.plan.model_dump(mode="json"),
            "problems": [{"code": p.code, "severity": p.severity, "where": p.where, "message": p.message[lang]} for p in self.problems],
        }
        if self.outcome is not None and self.drafter == "llm":
            usage = self.outcome.usage
            out["usage"] = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                            "cost_yuan": usage.cost_yuan, "prompt_tokens_estimated": self.outcome.prompt_tokens_estimated,
                            "first_token_s": self.outcome.first_token_s, "total_s": self.outcome.total_s, "format": self.outcome.format}
        return out


def make_plan(context: PlanContext, library_ids: set[str], drafter: str = "offline", settings: LlmSettings | None = None,
              progress: Progress | None = None, drafter_fn=None) -> PlanResult:
    """Draft with `drafter`, fall back to the offline drafter with the reason, lint whatever came out."""
    outcome = (drafter_fn or DRAFTERS[drafter])(context, settings, progress)
    used, reason = drafter, None
    if outcome.plan is None:
        reason = outcome.reason or "the drafter returned no plan"
        used = "offline"
        plan = draft_offline(context)
    else:
        plan = outcome.plan
    plan, problems = lint(plan, context, library_ids)
    return PlanResult(used, reason, plan, problems, outcome)
