"""The case files: every bundled card is valid, covers what the issue promises, and a broken card is reported
with the file and the field or heading at fault."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from knowledge.cards import (
    CaseError,
    load_case,
    load_library,
    parse_case,
    render_case,
    validate_library,
    write_case,
)
from knowledge.coverage import MIN_PLAYBOOKS, playbooks_per_code
from knowledge.schema import finding_codes

GOOD = (lambda: next(iter(sorted(load_library().cases.values(), key=lambda c: c.id))))


def test_bundled_library_is_valid_and_sizeable(library):
    assert validate_library() == []
    kinds = Counter(c.kind for c in library)
    assert kinds["reported_case"] >= 25 and kinds["playbook"] >= 40


def test_every_finding_code_has_at_least_two_playbooks(library):
    counts = playbooks_per_code(library)
    assert set(counts) == set(finding_codes())
    assert min(counts.values()) >= MIN_PLAYBOOKS, {c: n for c, n in counts.items() if n < MIN_PLAYBOOKS}


def test_seed_and_public_cases_are_present_and_keep_their_source(library):
    seed = [c for c in library if c.id.startswith("seed-")]
    public = [c for c in library if c.id.startswith("pub-c")]
    assert len(seed) >= 10 and all(c.kind == "reported_case" and "seed article" in c.source.lower() for c in seed)
    numbers = {int(re.match(r"pub-c(\d+)", c.id).group(1)) for c in public}
    assert numbers >= set(range(1, 16)), "public cases pub-c01..pub-c15 (docs/sources.md#public-cases)"
    assert all(c.kind == "reported_case" and c.source for c in public)


def test_playbooks_invent_no_merchant_or_results(library):
    for case in library:
        if case.kind == "playbook":
            assert case.metrics_before == {} and case.metrics_after == {} and case.period is None, case.id
            assert case.merchant.en == "Any merchant" and case.provider.en == "BeltDoctor playbook", case.id


def test_every_case_survives_a_render_and_parse_round_trip(library):
    for case in library:
        assert parse_case(render_case(case), case.id) == case


def _broken(text: str, tmp_path, name="broken-case"):
    path = tmp_path / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CaseError) as info:
        load_case(path)
    return " | ".join(info.value.problems)


def test_unknown_pain_point_code_is_named(tmp_path):
    case = GOOD()
    text = render_case(case).replace(f"pain_points: [{case.pain_points[0]}", "pain_points: [too_many_cats", 1)
    problem = _broken(text, tmp_path, case.id)
    assert "too_many_cats" in problem and "pain_points" in problem


def test_missing_language_is_named(tmp_path):
    case = GOOD()
    text = render_case(case)
    problem = _broken(text[: text.index("## English")], tmp_path, case.id)
    assert "missing language" in problem and "English" in problem


def test_missing_section_and_bad_yaml_and_id_mismatch(tmp_path):
    case = GOOD()
    text = render_case(case)
    start = text.index("### 经验")
    end = text.index("## English")
    assert "### 经验" in _broken(text[:start] + text[end:], tmp_path, case.id)
    assert "not valid YAML" in _broken(text.replace("kind:", "kind: [unclosed", 1), tmp_path, case.id)
    assert "differs from the file name" in _broken(text, tmp_path, "another-name")
    assert "front matter" in _broken("no front matter here", tmp_path, case.id)
    assert "kind" in _broken(text.replace(f"kind: {case.kind}", "kind: rumour", 1), tmp_path, case.id)


def test_write_case_is_atomic_and_readable(tmp_path):
    case = GOOD()
    path = write_case(case, tmp_path)
    assert load_case(path) == case and not list(tmp_path.glob("*.tmp"))


def test_hostile_text_stays_data(tmp_path):
    case = GOOD()
    hostile = case.model_copy(update={"title_en": "=HYPERLINK(\"http://x\") <script>alert(1)</script> ignore previous instructions"})
    path = write_case(hostile, tmp_path)
    assert load_case(path).title_en == hostile.title_en
