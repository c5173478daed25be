"""Whether the library backs every finding with enough method: each code needs two playbook cards or more."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from knowledge.schema import Case, finding_codes

MIN_PLAYBOOKS = 2


def playbooks_per_code(cases: Iterable[Case]) -> Counter[str]:
    counts: Counter[str] = Counter({code: 0 for code in finding_codes()})
    for case in cases:
        if case.kind == "playbook":
            counts.update(case.pain_points)
    return counts


def uncovered_codes(cases: Iterable[Case]) -> dict[str, int]:
    """Finding codes with fewer than MIN_PLAYBOOKS playbook cards, and how many they have."""
    return {code: n for code, n in sorted(playbooks_per_code(cases).items()) if n < MIN_PLAYBOOKS}
