"""The grounding linter: citations, coverage of high findings, and numbers that do and do not match."""

from __future__ import annotations

from diagnosis.plan.linter import lint, stated_numbers
from diagnosis.plan.offline import draft_offline


def _plan(context_for):
    context = context_for("kidsgoods_lowaov", "en")
    return context, draft_offline(context)


def test_stated_numbers_normalise_units():
    found = {s.text: round(s.value, 6) for s in stated_numbers("AOV ¥35.67, refunds 15.3%, GMV ¥156.74万, ROI 3.27, 2022 818 in 3 days")}
    assert found == {"¥35.67": 35.67, "15.3%": 0.153, "¥156.74万": 1567400.0, "3.27": 3.27}


def test_matching_numbers_pass_and_invented_ones_are_flagged(context_for, case_index):
    context, plan = _plan(context_for)
    ok = plan.model_copy(update={"summary": "AOV is ¥35.7 against ¥80; refunds run at 15.3% and GMV ¥156.7万."})
    _, problems = lint(ok, context, set(case_index.cases))
    assert [p for p in problems if p.code == "number_unmatched"] == []
    bad = plan.model_copy(update={"summary": "AOV is ¥42.10 and refunds 9.8%; GMV ¥156.74万."})
    _, problems = lint(bad, context, set(case_index.cases))
    flagged = sorted(p.message["en"].split()[2] for p in problems if p.code == "number_unmatched")
    assert flagged == ["9.8%", "¥42.10"]


def test_kpi_current_must_match(context_for, case_index):
    context, plan = _plan(context_for)
    action = plan.actions[0]
    wrong = action.model_copy(update={"kpi": action.kpi.model_copy(update={"current": 99.0})})
    _, problems = lint(plan.model_copy(update={"actions": [wrong, *plan.actions[1:]]}), context, set(case_index.cases))
    assert [p.code for p in problems] == ["kpi_current_unmatched"]


def test_uncovered_high_finding_and_orphan_action(context_for, case_index):
    context, plan = _plan(context_for)
    high = [f.code for f in context.findings if f.severity == "high"]
    kept = [a for a in plan.actions if a.why[0] != high[0]]
    orphan = kept[0].model_copy(update={"why": ["made_up_code"]})
    _, problems = lint(plan.model_copy(update={"actions": [orphan, *kept[1:]]}), context, set(case_index.cases))
    codes = {p.code for p in problems}
    assert {"high_unaddressed", "action_without_finding"} <= codes
    assert any(high[0] in p.message["en"] for p in problems if p.code == "high_unaddressed")


def test_invalid_citations_are_removed_not_hidden(context_for, case_index):
    context, plan = _plan(context_for)
    outside = next(c for c in case_index.cases if c not in context.retrieved_ids)
    action = plan.actions[0].model_copy(update={"cases": [*plan.actions[0].cases, "ghost-case", outside]})
    fixed, problems = lint(plan.model_copy(update={"actions": [action, *plan.actions[1:]]}), context, set(case_index.cases))
    assert fixed.actions[0].cases == plan.actions[0].cases
    assert {p.code for p in problems} == {"citation_unknown", "citation_not_retrieved"}
