"""Why-matched excerpts: the sentences of a case that contain the matched terms, split into plain and matched
pieces so each interface (Streamlit markdown, terminal, DOCX) can mark them its own way."""

from __future__ import annotations

import re

from knowledge.schema import SECTIONS, Case

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]?|[^.\n]+(?:\.(?=\s)|$)")


def sentences(text: str) -> list[str]:
    return [s.strip(" -*\t") for s in _SENTENCE.findall(text) if s.strip(" -*\t")]


def excerpt(case: Case, terms: list[str], lang: str, limit: int = 2) -> list[list[tuple[str, bool]]]:
    """Up to `limit` sentences of the case in `lang` holding the most terms, each as (piece, matched) pieces."""
    terms = sorted({t for t in terms if t.strip()}, key=len, reverse=True)
    if not terms:
        return []
    pattern = re.compile("|".join(_term_pattern(t) for t in terms), re.IGNORECASE)
    scored = []
    for order, name in enumerate(SECTIONS):
        for sentence in sentences(case.section(name, lang)):
            found = {m.group().lower() for m in pattern.finditer(sentence)}
            if found:
                scored.append((-len(found), order, sentence))
    pieces = []
    for _, _, sentence in sorted(scored)[:limit]:
        parts, last = [], 0
        for m in pattern.finditer(sentence):
            if m.start() > last:
                parts.append((sentence[last:m.start()], False))
            parts.append((m.group(), True))
            last = m.end()
        if last < len(sentence):
            parts.append((sentence[last:], False))
        pieces.append(_merged(parts))
    return pieces


def _term_pattern(term: str) -> str:
    """English terms match whole words (a stem also covers its endings: lose -> loses); Chinese anywhere."""
    if term.isascii():
        return rf"(?<![a-z0-9]){re.escape(term)}[a-z]*"
    return re.escape(term)


def _merged(parts: list[tuple[str, bool]]) -> list[tuple[str, bool]]:
    """Neighbouring matches separated only by spaces or hyphens become one mark ('break-even', not 'break', 'even')."""
    out: list[tuple[str, bool]] = []
    for text, matched in parts:
        if matched and len(out) >= 2 and out[-1][0].strip(" -") == "" and out[-2][1]:
            gap = out.pop()[0]
            out[-1] = (out[-1][0] + gap + text, True)
        elif matched and out and out[-1][1]:
            out[-1] = (out[-1][0] + text, True)
        else:
            out.append((text, matched))
    return out
