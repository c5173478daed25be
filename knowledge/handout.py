"""A course handout of selected cases, for trainers: one section per case with its facts and all five parts."""

from __future__ import annotations

from diagnosis.documents import Document, Heading, PageBreak, Paragraph, Prose, Table
from diagnosis.i18n import t
from knowledge.schema import SECTION_HEADINGS, SECTIONS, Case


def _metrics(case: Case, lang: str) -> Table | None:
    keys = list(dict.fromkeys([*case.metrics_before, *case.metrics_after]))
    if not keys:
        return None
    rows = tuple(
        (key, _number(case.metrics_before.get(key)), _number(case.metrics_after.get(key))) for key in keys
    )
    return Table((t("cases.metric", lang), t("cases.before", lang), t("cases.after", lang)), rows)


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"


def case_blocks(case: Case, lang: str) -> list:
    facts = Table(
        (t("cases.field", lang), t("cases.value", lang)),
        (
            (t("cases.kind", lang), t(f"cases.kind.{case.kind}", lang)),
            (t("cases.provider", lang), case.provider[lang]),
            (t("cases.merchant", lang), case.merchant[lang]),
            (t("cases.category", lang), t("cases.general", lang) if case.category == "default" else t(f"category.{case.category}", lang)),
            (t("cases.belt", lang), case.industry_belt[lang]),
            (t("cases.stage", lang), t(f"stage.{case.stage}", lang)),
            (t("cases.pain_points", lang), "、".join(t(f"rule.{c}.title", lang) for c in case.pain_points) if lang == "zh"
             else ", ".join(t(f"rule.{c}.title", lang) for c in case.pain_points)),
            (t("cases.tactics", lang), "；".join(x[lang] for x in case.tactics) if lang == "zh" else "; ".join(x[lang] for x in case.tactics)),
            (t("cases.period", lang), case.period or "—"),
            (t("cases.source", lang), case.source),
        ),
    )
    blocks: list = [Heading(case.title(lang), 1), Paragraph(f"ID: {case.id}", "caption"), facts]
    metrics = _metrics(case, lang)
    if metrics:
        blocks.append(metrics)
    for name in SECTIONS:
        blocks += [Heading(SECTION_HEADINGS[lang][name], 2), Prose(case.section(name, lang))]
    return blocks


def handout(cases: list[Case], lang: str, title: str | None = None) -> Document:
    doc = Document(title or t("cases.handout_title", lang), t("cases.handout_subtitle", lang, n=len(cases)), lang=lang)
    for i, case in enumerate(cases):
        if i:
            doc.add(PageBreak())
        doc.add(*case_blocks(case, lang))
    return doc
