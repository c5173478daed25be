"""A plan as a client-ready document (Markdown, DOCX, PDF) and its actions as a spreadsheet.

Built from the same blocks for every format; charts are drawn offline by `export_charts` (no browser needed).
Spreadsheet text cells are protected against formula injection: uploaded names or model text that start with
= + - @ are stored as text, never as formulas.
"""

from __future__ import annotations

import io

from diagnosis.documents import (
    Bullets,
    Document,
    Heading,
    Image,
    Paragraph,
    Prose,
    Table,
    to_docx,
    to_markdown,
)
from diagnosis.formatting import metric as format_metric
from diagnosis.i18n import t
from diagnosis.plan.context import PlanContext
from diagnosis.plan.drafters import PlanResult

FORMATS = ("md", "docx", "pdf", "xlsx")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CASE_EXCERPT = 260


def _unit(context: PlanContext, metric: str) -> str | None:
    finding = next((f for f in context.findings if f.metric == metric), None)
    if finding:
        return finding.unit
    kpi = next((k for k in context.kpis if k.metric == metric), None)
    return kpi.unit if kpi else None


def _metric_label(context: PlanContext, metric: str, lang: str) -> str:
    from diagnosis.kpis import metric_defs

    if metric in metric_defs():
        return metric_defs()[metric].label(lang)
    finding = next((f for f in context.findings if f.metric == metric), None)
    return t(f"rule.{finding.code}.title", lang) if finding else metric


def _value(context: PlanContext, metric: str, value: float | None, lang: str) -> str:
    unit = _unit(context, metric)
    if value is None:
        return "—"
    return format_metric(value, unit, lang) if unit else f"{value:g}"


def _charts(context: PlanContext) -> list[Image]:
    from diagnosis import export_charts

    lang = context.lang
    images = []
    if len(context.gmv_daily) >= 2:
        days, values = zip(*context.gmv_daily, strict=True)
        images.append(Image(export_charts.trend_png(list(days), list(values), t("plan.doc.gmv_chart", lang), "¥", lang)))
    ratio = [f for f in context.findings if f.unit == "ratio"]
    if ratio:
        rows = [(t(f"rule.{f.code}.title", lang), f.value, f.benchmark) for f in ratio]
        images.append(Image(export_charts.bars_png(rows, t("plan.doc.findings_chart", lang), lang, percent=True)))
    return images


def plan_document(result: PlanResult, context: PlanContext, library=None, charts: bool = True) -> Document:
    """`library` (id -> Case) adds a summary of every cited case."""
    plan, lang = result.plan, result.plan.language
    drafter = t(f"plan.drafter.{result.drafter}", lang)
    doc = Document(t("plan.doc.title", lang, merchant=plan.merchant), t("plan.doc.subtitle", lang, period=plan.period, drafter=drafter),
                   lang=lang)
    doc.add(Heading(t("plan.doc.summary", lang)), Paragraph(plan.summary))
    if result.fallback:
        doc.add(Paragraph(t("plan.doc.fallback", lang, reason=result.fallback_reason(lang)), "caption"))
    if context.kpis:
        doc.add(Heading(t("plan.doc.kpis", lang)),
                Table((t("plan.doc.metric", lang), t("plan.doc.value", lang)), tuple((k.label[lang], k.shown(lang)) for k in context.kpis)))
    if charts:
        doc.add(*_charts(context))
    if plan.diagnosis:
        doc.add(Heading(t("plan.doc.diagnosis", lang)))
        for note in plan.diagnosis:
            doc.add(Heading(t(f"rule.{note.code}.title", lang) if note.code in {f.code for f in context.findings} else note.code, 2),
                    Paragraph(note.explanation))
    doc.add(Heading(t("plan.doc.actions", lang)))
    for n, action in enumerate(plan.actions, 1):
        kpi = action.kpi
        facts = (
            (t("plan.doc.why", lang), ", ".join(t(f"rule.{c}.title", lang) if c in {f.code for f in context.findings} else c for c in action.why)),
            (t("plan.doc.owner", lang), t(f"plan.owner.{action.owner}", lang)),
            (t("plan.doc.when", lang), t(f"plan.when.{action.when}", lang)),
            (t("plan.doc.kpi", lang), t("plan.doc.kpi_value", lang, metric=_metric_label(context, kpi.metric, lang), current=_value(context, kpi.metric, kpi.current, lang),
                                        target=_value(context, kpi.metric, kpi.target, lang))),
            (t("plan.doc.cases", lang), ", ".join(action.cases) or "—"),
        )
        doc.add(Heading(f"{n}. {action.title}", 2), Table((t("plan.doc.field", lang), t("plan.doc.detail", lang)), facts),
                Bullets(tuple(action.steps), numbered=True))
    if plan.risks:
        doc.add(Heading(t("plan.doc.risks", lang)), Bullets(tuple(plan.risks)))
    cited = [library[c] for c in plan.cited_cases() if library is not None and c in library]
    if cited:
        doc.add(Heading(t("plan.doc.cited", lang)))
        for case in cited:
            doc.add(Heading(f"{case.title(lang)} ({case.id})", 2),
                    Paragraph(f"{case.provider[lang]} · {case.merchant[lang]} · {t(f'cases.kind.{case.kind}', lang)}", "caption"),
                    Prose(_cut(case.section("situation", lang))), Prose(_cut(case.section("result", lang))))
    if result.problems:
        doc.add(Heading(t("plan.doc.problems", lang)), Bullets(tuple(p.message[lang] for p in result.problems)))
    return doc


def _cut(text: str) -> str:
    return text if len(text) <= CASE_EXCERPT else text[:CASE_EXCERPT].rstrip() + "…"


def safe_cell(text: str) -> str:
    """Text that a spreadsheet will never read as a formula."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def actions_xlsx(result: PlanResult, context: PlanContext) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    plan, lang = result.plan, result.plan.language
    book = Workbook()
    sheet = book.active
    sheet.title = t("plan.xlsx.sheet", lang)
    header = [t(f"plan.xlsx.{c}", lang) for c in ("n", "title", "why", "owner", "when", "metric", "current", "target", "steps", "cases", "status")]
    sheet.append(header)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for n, a in enumerate(plan.actions, 1):
        row = [n, a.title, ", ".join(a.why), t(f"plan.owner.{a.owner}", lang), t(f"plan.when.{a.when}", lang), a.kpi.metric,
               a.kpi.current, a.kpi.target, "\n".join(a.steps), ", ".join(a.cases), t("plan.xlsx.todo", lang)]
        sheet.append([safe_cell(v) if isinstance(v, str) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    for column, width in zip("ABCDEFGHIJK", (4, 36, 22, 10, 14, 16, 10, 10, 70, 30, 8), strict=True):
        sheet.column_dimensions[column].width = width
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def export(result: PlanResult, context: PlanContext, fmt: str, library=None) -> bytes:
    if fmt == "xlsx":
        return actions_xlsx(result, context)
    doc = plan_document(result, context, library, charts=fmt != "md")
    if fmt == "md":
        return to_markdown(doc).encode("utf-8")
    if fmt == "docx":
        return to_docx(doc)
    if fmt == "pdf":
        from diagnosis.pdf import to_pdf

        return to_pdf(doc)
    raise ValueError(f"unknown export format '{fmt}'; known: {', '.join(FORMATS)}")
