"""The case card: pydantic models that every file in `knowledge/cases/` must satisfy.

The files are the truth; these models are the contract that keeps a trainer's hand edit, the add-case form and
the retrieval index in agreement. Pain points are the diagnosis engine's finding codes, so a case can only claim
a problem the engine can detect.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from diagnosis import vocabulary
from diagnosis.profile import Category, Stage

Kind = Literal["reported_case", "playbook"]
Channel = Literal["live", "short_video", "product_card", "search", "paid", "supply_chain"]
CHANNELS: tuple[str, ...] = Channel.__args__
KINDS: tuple[str, ...] = Kind.__args__
ID_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
METRIC_KEY = re.compile(r"^[a-z][a-z0-9_]*$")

SECTIONS: tuple[str, ...] = ("situation", "diagnosis", "actions", "result", "lessons")
SECTION_HEADINGS: dict[str, dict[str, str]] = {
    "zh": {"situation": "情况", "diagnosis": "诊断", "actions": "行动", "result": "结果", "lessons": "经验"},
    "en": {"situation": "Situation", "diagnosis": "Diagnosis", "actions": "Actions", "result": "Result", "lessons": "Lessons"},
}
LANGUAGE_HEADINGS = {"zh": "中文", "en": "English"}


def finding_codes() -> frozenset[str]:
    """The finding codes: the only pain points a case may name."""
    return vocabulary.finding_codes()


class Bilingual(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)

    def __getitem__(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Body(BaseModel):
    """The five sections in one language."""

    model_config = ConfigDict(extra="forbid", frozen=True)
    situation: str = Field(min_length=1)
    diagnosis: str = Field(min_length=1)
    actions: str = Field(min_length=1)
    result: str = Field(min_length=1)
    lessons: str = Field(min_length=1)


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    kind: Kind
    title_zh: str = Field(min_length=1)
    title_en: str = Field(min_length=1)
    provider: Bilingual
    merchant: Bilingual
    category: Category
    industry_belt: Bilingual
    stage: Stage
    pain_points: tuple[str, ...] = Field(min_length=1)
    channels: tuple[Channel, ...] = Field(min_length=1)
    tactics: tuple[Bilingual, ...] = Field(min_length=1)
    metrics_before: dict[str, float] = Field(default_factory=dict)
    metrics_after: dict[str, float] = Field(default_factory=dict)
    period: str | None = None
    source: str = Field(min_length=1)
    body: dict[Literal["zh", "en"], Body]

    @field_validator("id")
    @classmethod
    def _slug(cls, value: str) -> str:
        if not ID_PATTERN.match(value):
            raise ValueError("must be a lowercase slug of a-z, 0-9 and '-'")
        return value

    @field_validator("period", mode="before")
    @classmethod
    def _period_text(cls, value: object) -> object:
        return None if value is None else str(value)

    @field_validator("pain_points")
    @classmethod
    def _known_codes(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [code for code in value if code not in finding_codes()]
        if unknown:
            raise ValueError(f"unknown finding code(s) {', '.join(unknown)}; known: {', '.join(sorted(finding_codes()))}")
        if len(set(value)) != len(value):
            raise ValueError("a finding code is listed twice")
        return value

    @field_validator("metrics_before", "metrics_after")
    @classmethod
    def _metric_keys(cls, value: dict[str, float]) -> dict[str, float]:
        bad = [key for key in value if not METRIC_KEY.match(key)]
        if bad:
            raise ValueError(f"metric names must be snake_case: {', '.join(bad)}")
        return value

    @model_validator(mode="after")
    def _both_languages(self) -> Case:
        missing = [lang for lang in ("zh", "en") if lang not in self.body]
        if missing:
            raise ValueError(f"body is missing the {' and '.join(LANGUAGE_HEADINGS[m] for m in missing)} part")
        return self

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en

    def section(self, name: str, lang: str) -> str:
        return getattr(self.body[lang], name)
