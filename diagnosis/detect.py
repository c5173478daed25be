"""Which export kind a header row belongs to, and which column feeds which canonical field."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from diagnosis.schema import (
    ExportKind,
    FieldSpec,
    export_kinds,
    normalise_header,
    split_header_unit,
    unit_factor,
)

REQUIREMENT_PENALTY = 0.3


@dataclass(frozen=True)
class ColumnMatch:
    index: int
    header: str
    spec: FieldSpec
    factor: float


@dataclass(frozen=True)
class KindScore:
    kind: str
    score: float
    eligible: bool
    matched: tuple[str, ...]
    missing_groups: tuple[tuple[str, ...], ...]


def lookup(kind: ExportKind, header: str) -> tuple[str | None, str | None]:
    """(field, header unit) for one raw header: the full header first, then without its unit suffix."""
    key = normalise_header(header)
    base, unit = split_header_unit(key)
    index = kind.alias_index
    return index.get(key) or index.get(base), unit


@cache
def _all_alias_keys() -> frozenset[str]:
    return frozenset(k for kind in export_kinds().values() for k in kind.alias_index)


def header_score(row: list[str], extra: frozenset[str] = frozenset()) -> float:
    """How header-like a row is: the number of its cells that are known aliases (or user-mapped headers)."""
    known = _all_alias_keys()
    score = 0.0
    for cell in row:
        key = normalise_header(cell)
        if not key:
            continue
        if key in known or key in extra or split_header_unit(key)[0] in known:
            score += 1
    return score


def sheet_hint_score(title: str) -> float:
    key = normalise_header(title)
    return 0.5 if any(key == normalise_header(h) for k in export_kinds().values() for h in k.sheet_hints) else 0.0


def match_columns(
    kind: ExportKind, headers: list[str], overrides: dict[int, str] | None = None
) -> tuple[list[ColumnMatch], list[tuple[str, str]]]:
    """Columns mapped to fields (first column wins a field) and (header, first header) pairs that lost."""
    overrides = overrides or {}
    matches: list[ColumnMatch] = []
    duplicates: list[tuple[str, str]] = []
    taken: dict[str, str] = {}
    ordered = sorted(range(len(headers)), key=lambda i: (i not in overrides, i))
    for i in ordered:
        header = headers[i]
        field, unit = lookup(kind, header)
        if i in overrides:
            field = overrides[i]
        if field is None:
            continue
        spec = kind.field(field)
        clash = next((taken[c] for c in spec.columns if c in taken), None)
        if clash is not None:
            duplicates.append((header, clash))
            continue
        taken.update({c: header for c in spec.columns})
        matches.append(ColumnMatch(i, header, spec, unit_factor(unit, spec)))
    matches.sort(key=lambda m: m.index)
    return matches, duplicates


def score_kind(kind: ExportKind, fields: set[str]) -> KindScore:
    """Weighted share of the kind's expected fields present; kinds missing a required group are penalised."""
    expected = [f for f in kind.fields if f.expected]
    total = sum(f.weight for f in expected) or 1.0
    got = sum(f.weight for f in expected if f.field in fields)
    bonus = sum(0.25 * f.weight for f in kind.fields if not f.expected and f.field in fields)
    score = min(1.0, (got + bonus) / total)
    missing = tuple(g for g in kind.requires if not set(g) & fields)
    if missing:
        score *= REQUIREMENT_PENALTY
    return KindScore(kind.kind, round(score, 3), not missing, tuple(sorted(fields)), missing)


def score_kinds(headers: list[str]) -> list[KindScore]:
    """Every kind's score for these headers, best first."""
    scores = []
    for kind in export_kinds().values():
        matches, _ = match_columns(kind, headers)
        scores.append(score_kind(kind, {m.spec.field for m in matches}))
    return sorted(scores, key=lambda s: (s.eligible, s.score), reverse=True)
