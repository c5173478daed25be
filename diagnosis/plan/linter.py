"""Grounding checks run on every plan from any drafter.

A plan may only cite cases that exist and were retrieved for it, must address every high finding, must tie every
action to a finding, and may only state numbers about the merchant that our code computed. Invalid citations are
removed; every problem is returned to be shown beside the plan, never hidden.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from diagnosis.i18n import t
from diagnosis.plan.context import PlanContext
from diagnosis.plan.model import Plan

_NUMBER = re.compile(
    r"(?:(?P<yuan>[¥￥])\s?)?(?P<num>\d[\d,]*(?:\.\d+)?)\s?(?P<unit>%|％|万|亿|元|yuan|k\b|M\b|分钟|min\b)?", re.IGNORECASE
)
_SCALE = {"%": 0.01, "％": 0.01, "万": 1e4, "亿": 1e8, "k": 1e3, "m": 1e6}
PROMOTION_NUMBERS = {"618", "818", "11", "1111", "12"}


@dataclass(frozen=True)
class Problem:
    code: str
    where: str
    message: dict[str, str]
    severity: str = "warning"


@dataclass(frozen=True)
class Stated:
    """A number as written in the plan, normalised (percent as a fraction, 万 as units) with its rounding slack."""

    text: str
    value: float
    slack: float


def stated_numbers(text: str) -> list[Stated]:
    """Numbers that claim something about the merchant: with a unit, or with decimals, or ≥ 1,000 (not years,
    not whole minutes)."""
    out = []
    for m in _NUMBER.finditer(text):
        raw, unit = m.group("num").replace(",", ""), (m.group("unit") or "").lower()
        start = m.start("yuan") if m.group("yuan") else m.start("num")
        before = text[max(0, start - 1):start]
        if before.isalpha() and before.isascii():
            continue  # part of a word or code such as "T14" or "C5"
        if unit in ("分钟", "min") and "." not in raw:
            continue  # whole minutes describe a method ("every 5 minutes"); the merchant's watch time has decimals
        if not unit and not m.group("yuan"):
            whole = "." not in raw
            if whole and (float(raw) < 1000 or 1990 <= float(raw) <= 2100 or raw in PROMOTION_NUMBERS):
                continue
        scale = _SCALE.get(unit, 1.0)
        decimals = len(raw.split(".")[1]) if "." in raw else 0
        out.append(Stated(m.group().strip(), float(raw) * scale, 0.5 * 10 ** -decimals * scale))
    return out


def known_numbers(context: PlanContext) -> list[float]:
    """Every number our code computed for this plan, in normalised units."""
    values: list[float] = []
    for kpi in context.kpis:
        values.append(kpi.value)
        for lang in ("zh", "en"):
            values += [s.value for s in stated_numbers(kpi.shown(lang))]
    for finding in context.findings:
        values += [finding.value, finding.benchmark]
        if finding.gmv_at_stake is not None:
            values.append(finding.gmv_at_stake)
        for text in finding.evidence.values():
            values += [s.value for s in stated_numbers(text)]
    values += [v for p in context.products for v in p.numbers()]
    values.append(sum(f.gmv_at_stake or 0.0 for f in context.findings))
    values.append(float(context.health_score))
    return [v for v in values if v is not None and math.isfinite(v)]


def _matches(number: Stated, known: list[float]) -> bool:
    return any(abs(number.value - k) <= max(number.slack, 0.006 * abs(k)) + 1e-9 for k in known)


def _problem(code: str, where: str, lang_params: dict, severity: str = "warning") -> Problem:
    return Problem(code, where, {lang: t(f"plan.problem.{code}", lang, **lang_params) for lang in ("zh", "en")}, severity)


def lint(plan: Plan, context: PlanContext, library_ids: set[str]) -> tuple[Plan, list[Problem]]:
    """The plan with invalid citations removed, and every problem found."""
    problems: list[Problem] = []
    retrieved = context.retrieved_ids
    finding_codes = {f.code for f in context.findings}
    actions = []
    for i, action in enumerate(plan.actions, 1):
        where = f"action {i}"
        kept = []
        for case_id in action.cases:
            if case_id not in library_ids:
                problems.append(_problem("citation_unknown", where, {"id": case_id}, "error"))
            elif case_id not in retrieved:
                problems.append(_problem("citation_not_retrieved", where, {"id": case_id}, "error"))
            else:
                kept.append(case_id)
        unknown = [c for c in action.why if c not in finding_codes]
        if not action.why or len(unknown) == len(action.why):
            problems.append(_problem("action_without_finding", where, {"title": action.title}))
        elif unknown:
            problems.append(_problem("unknown_finding", where, {"codes": ", ".join(unknown)}))
        actions.append(action.model_copy(update={"cases": kept}))
    addressed = {code for action in plan.actions for code in action.why}
    for finding in context.findings:
        if finding.severity == "high" and finding.code not in addressed:
            problems.append(_problem("high_unaddressed", "actions", {"code": finding.code,
                                                                     "title": t(f"rule.{finding.code}.title", plan.language)}, "error"))
    known = known_numbers(context)
    texts = [("summary", plan.summary)] + [(f"diagnosis {n.code}", n.explanation) for n in plan.diagnosis]
    for where, text in texts:
        for number in stated_numbers(text):
            if not _matches(number, known):
                problems.append(_problem("number_unmatched", where, {"number": number.text}))
    for i, action in enumerate(plan.actions, 1):
        current = action.kpi.current
        if current is not None and not _matches(Stated(str(current), current, abs(current) * 0.005), known):
            problems.append(_problem("kpi_current_unmatched", f"action {i}", {"metric": action.kpi.metric, "number": f"{current:g}"}))
    return plan.model_copy(update={"actions": actions}), problems
