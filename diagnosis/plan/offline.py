"""The offline drafter: a deterministic plan from the findings, the action backbone per finding code
(`data/plan_templates.yaml`) and the tactics of the cases retrieved for each finding.

Default when no LLM is configured and the fallback when one fails, so it has to stand on its own: actions in
priority order (severity, then GMV at stake), each sized with the merchant's own number and target, each step
either a method from the backbone or a cited case's tactic, and a summary that says what to do first.
"""

from __future__ import annotations

from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict

from diagnosis.formatting import metric as format_metric
from diagnosis.formatting import money, number, pct
from diagnosis.i18n import t
from diagnosis.plan.context import PlanContext
from diagnosis.plan.model import Action, FindingNote, Kpi, Owner, Plan, When
from diagnosis.rules import Finding
from diagnosis.schema import load_yaml

PROMOTION_LEAD_DAYS = 21
PROMOTION_CODES = frozenset({"promo_unprepared", "stockout_risk", "short_video_weak", "cold_start", "live_peak_not_retained"})
CASE_STEPS = 2


class Text(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str
    en: str

    def __call__(self, lang: str, **params: str) -> str:
        text = self.zh if lang == "zh" else self.en
        return text.format(**params) if params else text


class Template(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    title: Text
    why_it_matters: Text
    owner: Owner
    when: When
    steps: tuple[Text, ...]
    watch: Text
    risks: tuple[Text, ...]
    summary_phrase: Text


@cache
def templates() -> dict[str, Template]:
    raw = load_yaml(resources.files("diagnosis").joinpath("data", "plan_templates.yaml").read_text(encoding="utf-8"))
    return {code: Template.model_validate(entry) for code, entry in raw.items()}


def _join(lang: str, parts: list[str]) -> str:
    parts = [p.strip() for p in parts if p and p.strip()]
    if lang == "zh":
        return "".join(p if p.endswith(("。", "！", "？")) else p + "。" for p in parts)
    return " ".join(p if p.endswith((".", "!", "?")) else p + "." for p in parts)


def _values(finding: Finding, lang: str) -> dict[str, str]:
    """The merchant's value and the target as shown; one more digit when rounding would make them look equal."""
    current, target = format_metric(finding.value, finding.unit, lang), format_metric(finding.benchmark, finding.unit, lang)
    if current == target and finding.unit == "ratio":
        current, target = pct(finding.value, 2), pct(finding.benchmark, 2)
    elif current == target:
        current, target = number(finding.value, 3), number(finding.benchmark, 3)
    return {"current": current, "target": target}


def _when(template: Template, finding: Finding, context: PlanContext) -> str:
    promo = context.promotion
    if promo and finding.code in PROMOTION_CODES and (promo.start - context.period[1]).days <= PROMOTION_LEAD_DAYS:
        return "pre_promotion"
    return template.when


def _case_steps(context: PlanContext, code: str, lang: str, used: set[str]) -> tuple[list[str], list[str]]:
    """One tactic from each of the best cases for this finding, skipping tactics already used in the plan."""
    steps, cited = [], []
    for hit in context.cases.get(code, []):
        tactic = next((x[lang] for x in hit.case.tactics if x[lang] not in used), None)
        if tactic is None:
            continue
        used.add(tactic)
        cited.append(hit.case.id)
        steps.append(t("plan.case_step", lang, title=hit.case.title(lang), tactic=tactic, id=hit.case.id))
        if len(steps) == CASE_STEPS:
            break
    cited += [hit.case.id for hit in context.cases.get(code, []) if hit.case.id not in cited][: max(0, 3 - len(cited))]
    return steps, cited


def _action(finding: Finding, context: PlanContext, used: set[str]) -> Action:
    lang = context.lang
    template = templates()[finding.code]
    values = _values(finding, lang)
    case_steps, cited = _case_steps(context, finding.code, lang, used)
    steps = [s(lang, **values) for s in template.steps] + case_steps + [t("plan.watch", lang, text=template.watch(lang, **values))]
    return Action(
        title=template.title(lang, **values), why=[finding.code], steps=steps, owner=template.owner,
        when=_when(template, finding, context),
        kpi=Kpi(metric=finding.metric, current=round(finding.value, 4), target=round(finding.benchmark, 4)), cases=cited,
    )


def _summary(context: PlanContext, actions: list[Action]) -> str:
    lang = context.lang
    findings = context.findings
    if not findings:
        return _join(lang, [t("plan.summary.healthy", lang, period=context.period_text(), health=context.health_score)])
    high = sum(f.severity == "high" for f in findings)
    top = findings[0]
    sentences = [
        t("plan.summary.state", lang, period=context.period_text(), health=context.health_score, n=len(findings), high=high),
        t("plan.summary.top", lang, phrase=templates()[top.code].summary_phrase(lang), evidence=top.evidence[lang]),
    ]
    at_stake = sum(f.gmv_at_stake or 0.0 for f in findings)
    if at_stake > 0:
        sentences.append(t("plan.summary.at_stake", lang, amount=money(at_stake, lang)))
    order = [a.title for a in actions[:2]]
    sentences.append(t("plan.summary.first" if len(order) == 1 else "plan.summary.order", lang, first=order[0], second=order[-1]))
    promo = context.promotion
    if promo and any(a.when == "pre_promotion" for a in actions):
        sentences.append(t("plan.summary.promotion", lang, promo=promo.label(lang), date=promo.start.isoformat()))
    return _join(lang, sentences)


def draft_offline(context: PlanContext) -> Plan:
    lang = context.lang
    used: set[str] = set()
    actions = [_action(f, context, used) for f in context.findings if f.code in templates()]
    notes = [
        FindingNote(code=f.code, explanation=_join(lang, [f.evidence[lang], templates()[f.code].why_it_matters(lang)]))
        for f in context.findings if f.code in templates()
    ]
    risks = list(dict.fromkeys(templates()[a.why[0]].risks[0](lang) for a in actions if templates()[a.why[0]].risks))[:5]
    return Plan(
        language=lang, merchant=context.profile.name, period=context.period_text(), summary=_summary(context, actions),
        diagnosis=notes, actions=actions, risks=risks,
    )
