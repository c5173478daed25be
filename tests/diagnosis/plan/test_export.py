"""Plan exports a provider can hand over: PDF pages that render (checked with pdftoppm), DOCX with charts,
Markdown with the cited cases, and an actions spreadsheet immune to formula injection."""

from __future__ import annotations

import io
import shutil
import subprocess

import pytest
from docx import Document as Docx
from openpyxl import load_workbook
from PIL import Image

from diagnosis.plan.drafters import make_plan
from diagnosis.plan.export import export, safe_cell


@pytest.fixture(scope="module")
def planned(context_for, case_index):
    out = {}
    for lang in ("zh", "en"):
        context = context_for("menswear_paid", lang)
        out[lang] = (make_plan(context, set(case_index.cases)), context)
    return out


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.skip(f"{name} not installed (apt-get install poppler-utils)")
    return path


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_pdf_pages_render_and_carry_the_plan(planned, case_index, tmp_path, lang):
    result, context = planned[lang]
    pdf = tmp_path / "plan.pdf"
    pdf.write_bytes(export(result, context, "pdf", case_index.cases))
    subprocess.run([_tool("pdftoppm"), "-r", "30", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) >= 3
    for page in pages:
        gray = Image.open(page).convert("L")
        inked = sum(gray.histogram()[:240]) / (gray.width * gray.height)
        assert inked > 0.01, f"{page.name} is blank"
    text = subprocess.run([_tool("pdftotext"), str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    squashed = "".join(text.split())
    assert "".join(result.plan.merchant.split()) in squashed
    for action in result.plan.actions[:3]:
        assert "".join(action.title.split())[:12] in squashed
    assert result.plan.actions[0].cases[0] in squashed


def test_docx_has_charts_findings_actions_and_cases(planned, case_index):
    result, context = planned["en"]
    doc = Docx(io.BytesIO(export(result, context, "docx", case_index.cases)))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert len(doc.inline_shapes) == 2, "GMV trend and findings-vs-benchmark charts"
    assert "Diagnosis" in text and "Actions" in text and "Cited cases" in text
    assert all(a.title in text for a in result.plan.actions)


def test_markdown_lists_cited_case_summaries(planned, case_index):
    result, context = planned["zh"]
    md = export(result, context, "md", case_index.cases).decode("utf-8")
    for case_id in result.plan.cited_cases():
        assert f"({case_id})" in md


def test_xlsx_text_cells_never_become_formulas(planned, case_index):
    result, context = planned["en"]
    hostile = result.plan.actions[0].model_copy(update={"title": '=HYPERLINK("http://evil.example","x")', "steps": ["+cmd|' /C calc'!A0", "@SUM(1)"]})
    poisoned = type(result)(**{**result.__dict__, "plan": result.plan.model_copy(update={"actions": [hostile, *result.plan.actions[1:]]})})
    sheet = load_workbook(io.BytesIO(export(poisoned, context, "xlsx"))).active
    row = [c for c in sheet[2]]
    assert row[1].value == "'" + hostile.title and row[1].data_type == "s"
    assert row[8].value.startswith("'+cmd") and row[8].data_type == "s"
    assert all(c.data_type != "f" for r in sheet.iter_rows() for c in r)
    assert safe_cell("-1") == "'-1" and safe_cell("GMV") == "GMV"
