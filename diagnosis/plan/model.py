"""The plan every drafter must produce, kept inside the strict JSON-schema subset that OpenAI-compatible
servers accept: every field required, `null` instead of optional, no additional properties, no length limits.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

Owner = Literal["merchant", "provider", "both"]
When = Literal["this_week", "next_30_days", "pre_promotion", "promotion_day", "after_promotion"]
WHEN_ORDER: tuple[str, ...] = When.__args__


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Kpi(_Strict):
    """The metric an action should move: where the merchant is (`current`) and where it should get (`target`)."""

    metric: str
    current: float | None
    target: float | None


class Action(_Strict):
    title: str
    why: list[str]
    steps: list[str]
    owner: Owner
    when: When
    kpi: Kpi
    cases: list[str]


class FindingNote(_Strict):
    code: str
    explanation: str


class Plan(_Strict):
    language: Literal["zh", "en"]
    merchant: str
    period: str
    summary: str
    diagnosis: list[FindingNote]
    actions: list[Action]
    risks: list[str]

    def cited_cases(self) -> list[str]:
        return list(dict.fromkeys(c for a in self.actions for c in a.cases))


def _strict(node: object) -> object:
    """Every object lists all its properties as required and forbids others; titles dropped (noise in prompts)."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items() if not (k == "title" and isinstance(v, str))}
        if node.get("type") == "object" and "properties" in node:
            node["required"] = list(node["properties"])
            node["additionalProperties"] = False
    elif isinstance(node, list):
        node = [_strict(v) for v in node]
    return node


def plan_json_schema() -> dict:
    return _strict(Plan.model_json_schema())
