"""The offline drafter on every demo merchant, in both languages: valid, grounded, and reads like a plan."""

from __future__ import annotations

import re

import pytest

from diagnosis.plan.linter import lint
from diagnosis.plan.model import Plan
from diagnosis.plan.offline import draft_offline, templates
from knowledge.schema import finding_codes

from .conftest import MERCHANTS


def test_every_finding_code_has_a_template():
    assert set(templates()) == set(finding_codes())


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("slug", MERCHANTS)
def test_offline_plan_is_valid_grounded_and_complete(context_for, case_index, slug, lang):
    context = context_for(slug, lang)
    plan = draft_offline(context)
    assert Plan.model_validate(plan.model_dump()) == plan and plan.language == lang
    linted, problems = lint(plan, context, set(case_index.cases))
    assert problems == [], [p.message["en"] for p in problems]
    assert linted == plan
    high = {f.code for f in context.findings if f.severity == "high"}
    assert high <= {code for action in plan.actions for code in action.why}
    for action in plan.actions:
        assert action.cases and set(action.cases) <= context.retrieved_ids
        assert len(action.steps) >= 4 and "{" not in action.title + "".join(action.steps)
    assert 3 <= len(re.findall(r"[。.!?](?:\s|$)", plan.summary + " ")) <= 5 or lang == "zh"
    if lang == "zh":
        assert 3 <= plan.summary.count("。") <= 5
        assert not re.search(r"[A-Za-z]{6,}", plan.summary.replace("BeltDoctor", "")), "Chinese plan summary has no English prose"


def test_actions_follow_severity_and_cite_case_tactics(context_for):
    context = context_for("menswear_paid", "zh")
    plan = draft_offline(context)
    assert [a.why[0] for a in plan.actions] == [f.code for f in context.findings]
    first = plan.actions[0]
    cited = [s for s in first.steps if "（案例 " in s]
    assert cited and all(any(case_id in s for case_id in first.cases) for s in cited)
    assert first.kpi.current == pytest.approx(context.findings[0].value, rel=1e-3)


def test_promotion_ahead_moves_stock_and_warm_up_before_it(context_for):
    context = context_for("menswear_paid", "en")
    assert context.promotion is not None
    plan = draft_offline(context)
    assert context.promotion.label("en") in plan.summary or not any(a.when == "pre_promotion" for a in plan.actions)


def test_healthy_store_gets_a_short_plan(context_for):
    context = context_for("kidswear_818", "en")
    healthy = type(context)(**{**context.__dict__, "findings": [], "cases": {}})
    plan = draft_offline(healthy)
    assert plan.actions == [] and "no finding needs action" in plan.summary
