"""Which drafter writes the plan, and the one entry point every interface calls.

`DRAFTERS` maps a name to a function (context, settings, progress) -> Outcome; adding a provider family that
is not OpenAI-compatible is one entry. Whatever drafts, the offline drafter is the fallback and the linter
runs on the result. No exception from a drafter or the linter of its plan escapes `make_plan`: it becomes the
offline plan and a reason.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from diagnosis.plan.context import PlanContext
from diagnosis.plan.linter import Problem, lint
from diagnosis.plan.llm import LlmDrafter, LlmSettings, Outcome, Progress
from diagnosis.plan.model import Plan
from diagnosis.plan.offline import draft_offline
from diagnosis.plan.reasons import Reason, error_name


def _offline(context: PlanContext, settings: LlmSettings | None, progress: Progress | None) -> Outcome:
    return Outcome(plan=draft_offline(context), format="offline")


def _llm(context: PlanContext, settings: LlmSettings | None, progress: Progress | None) -> Outcome:
    if settings is None:
        return Outcome(plan=None, reason=Reason("no_endpoint"))
    return LlmDrafter(settings).draft(context, on_progress=progress)


DRAFTERS: dict[str, Callable[[PlanContext, LlmSettings | None, Progress | None], Outcome]] = {
    "offline": _offline,
    "llm": _llm,
}


@dataclass
class PlanResult:
    drafter: str
    fallback: Reason | None
    plan: Plan
    problems: list[Problem] = field(default_factory=list)
    outcome: Outcome | None = None

    def fallback_reason(self, lang: str) -> str | None:
        return self.fallback.text(lang) if self.fallback else None

    def as_json(self, lang: str) -> dict:
        out = {
            "drafter": self.drafter,
            "fallback_reason": self.fallback_reason(lang),
            "fallback_code": self.fallback.code if self.fallback else None,
            "fallback_params": dict(self.fallback.params) if self.fallback else None,
            "plan": self.plan.model_dump(mode="json"),
            "problems": [{"code": p.code, "severity": p.severity, "where": p.where, "message": p.message[lang]} for p in self.problems],
        }
        outcome = self.outcome
        if outcome is not None and (self.drafter == "llm" or outcome.server):
            usage = outcome.usage
            out["usage"] = {"prompt_tokens": usage.prompt_tokens, "completion_tokens": usage.completion_tokens,
                            "cost_yuan": usage.cost_yuan, "prompt_tokens_estimated": outcome.prompt_tokens_estimated,
                            "max_tokens": outcome.max_tokens, "compact_prompt": outcome.compact, "server": outcome.server,
                            "first_token_s": outcome.first_token_s, "total_s": outcome.total_s, "format": outcome.format,
                            "attempts": outcome.attempts}
        return out


def make_plan(context: PlanContext, library_ids: set[str], drafter: str = "offline", settings: LlmSettings | None = None,
              progress: Progress | None = None, drafter_fn=None) -> PlanResult:
    """Draft with `drafter`, fall back to the offline drafter with the reason, lint whatever came out."""
    try:
        outcome = (drafter_fn or DRAFTERS[drafter])(context, settings, progress)
        if outcome.plan is not None:
            plan, problems = lint(outcome.plan, context, library_ids)
            return PlanResult(drafter, None, plan, problems, outcome)
        reason = outcome.reason or Reason("drafter_error", {"error": "no plan"})
    except Exception as exc:  # noqa: BLE001 - whatever a drafter does, the user gets a plan and the reason
        outcome, reason = None, Reason("drafter_error", {"error": error_name(exc)})
    plan, problems = lint(draft_offline(context), context, library_ids)
    return PlanResult("offline", reason, plan, problems, outcome)
