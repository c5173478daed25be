"""The add / edit case form's data in both directions: a case as editable text fields, and fields back to a
validated case with problems a trainer can act on (field names, not pydantic internals)."""

from __future__ import annotations

from pydantic import ValidationError

from knowledge.cards import CaseError
from knowledge.schema import SECTIONS, Case

TEXT_FIELDS = ("id", "kind", "title_zh", "title_en", "category", "stage", "period", "source")
PAIRS = ("provider", "merchant", "industry_belt")


def _pairs_text(case: Case) -> str:
    return "\n".join(f"{t.zh} | {t.en}" for t in case.tactics)


def _metrics_text(values: dict[str, float]) -> str:
    return "\n".join(f"{k}: {v:g}" for k, v in values.items())


def form_values(case: Case) -> dict[str, object]:
    """Flat widget values for `case` (what the form shows when editing)."""
    values: dict[str, object] = {name: getattr(case, name) or "" for name in TEXT_FIELDS}
    for name in PAIRS:
        values[f"{name}_zh"] = getattr(case, name).zh
        values[f"{name}_en"] = getattr(case, name).en
    values["pain_points"] = list(case.pain_points)
    values["channels"] = list(case.channels)
    values["tactics"] = _pairs_text(case)
    values["metrics_before"] = _metrics_text(case.metrics_before)
    values["metrics_after"] = _metrics_text(case.metrics_after)
    for lang in ("zh", "en"):
        for section in SECTIONS:
            values[f"{lang}_{section}"] = case.section(section, lang)
    return values


def _parse_tactics(text: str, problems: list[str]) -> list[dict[str, str]]:
    tactics = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        zh, sep, en = line.partition("|")
        if not sep or not zh.strip() or not en.strip():
            problems.append(f"tactics line {n}: write '中文 | English', got {line.strip()!r}")
            continue
        tactics.append({"zh": zh.strip(), "en": en.strip()})
    return tactics


def _parse_metrics(text: str, field: str, problems: list[str]) -> dict[str, float]:
    values = {}
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        key, sep, raw = line.partition(":")
        try:
            values[key.strip()] = float(raw.strip().replace(",", ""))
        except ValueError:
            problems.append(f"{field} line {n}: write 'metric_name: number', got {line.strip()!r}")
            continue
        if not sep:
            problems.append(f"{field} line {n}: write 'metric_name: number', got {line.strip()!r}")
    return values


def case_from_values(values: dict[str, object]) -> Case:
    """A validated case from the form's values; CaseError with every problem found."""
    problems: list[str] = []
    data: dict[str, object] = {name: (str(values.get(name) or "").strip() or None) for name in TEXT_FIELDS}
    for name in PAIRS:
        data[name] = {"zh": str(values.get(f"{name}_zh") or "").strip(), "en": str(values.get(f"{name}_en") or "").strip()}
    data["pain_points"] = list(values.get("pain_points") or [])
    data["channels"] = list(values.get("channels") or [])
    data["tactics"] = _parse_tactics(str(values.get("tactics") or ""), problems)
    data["metrics_before"] = _parse_metrics(str(values.get("metrics_before") or ""), "metrics_before", problems)
    data["metrics_after"] = _parse_metrics(str(values.get("metrics_after") or ""), "metrics_after", problems)
    data["body"] = {lang: {s: str(values.get(f"{lang}_{s}") or "").strip() for s in SECTIONS} for lang in ("zh", "en")}
    try:
        case = Case.model_validate(data)
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"])
            problems.append(f"{where}: {err['msg']}")
    if problems:
        raise CaseError(str(values.get("id") or "new case"), problems)
    return case
