"""The add / edit form's round trip and its error messages; the course handout."""

from __future__ import annotations

import io

import pytest
from docx import Document as Docx

from diagnosis.documents import to_docx, to_markdown
from knowledge.cards import CaseError
from knowledge.editing import case_from_values, form_values
from knowledge.handout import handout


def test_form_values_round_trip(library):
    for case in list(library)[:10]:
        assert case_from_values(form_values(case)) == case


def test_form_problems_are_specific(library):
    values = form_values(next(iter(library)))
    values.update(id="Bad Id!", tactics="只有中文没有英文", metrics_before="gmv: lots", en_lessons="", pain_points=[])
    with pytest.raises(CaseError) as info:
        case_from_values(values)
    text = " | ".join(info.value.problems)
    assert "tactics line 1" in text and "metrics_before line 1" in text and "id:" in text
    assert "pain_points" in text and "body.en.lessons" in text


def test_handout_in_both_formats(library):
    cases = [library.cases["seed-xiakehui-thinkpad-fudai-miaosha"], library.cases["pub-c02-baoshuo-shoe-factory"]]
    for lang in ("zh", "en"):
        doc = handout(cases, lang)
        md = to_markdown(doc)
        assert cases[0].title(lang) in md and cases[1].title(lang) in md
        assert cases[0].section("actions", lang).splitlines()[0][:20] in md
        text = "\n".join(p.text for p in Docx(io.BytesIO(to_docx(doc))).paragraphs)
        assert cases[0].title(lang) in text and cases[1].title(lang) in text
        assert ("经验" if lang == "zh" else "Lessons") in text
