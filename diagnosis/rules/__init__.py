"""Diagnosis rules: one small unit per finding code, found through `REGISTRY`.

A rule reads the merchant's KPIs for the period (and its profile and category benchmarks) and returns a
`Finding` with the numbers that prove it, a `Skip` saying which input it lacked, or None when healthy.
Adding a rule is adding one module to this package and listing it in `RULE_MODULES`.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from typing import Literal

from pydantic import BaseModel, Field

from diagnosis import kpis
from diagnosis.economics import benchmarks
from diagnosis.i18n import t
from diagnosis.profile import MerchantProfile
from diagnosis.schema import get_kind

Severity = Literal["high", "medium", "low"]
SEVERITY_ORDER = {"high": 0, "medium": 1, "low": 2}


class Finding(BaseModel):
    code: str
    severity: Severity
    metric: str
    value: float
    benchmark: float
    unit: str
    worse: Literal["above", "below"]
    evidence: dict[str, str]
    gmv_at_stake: float | None
    confidence: float
    source: str


class Skip(BaseModel):
    code: str
    reason: dict[str, str]


@dataclass
class Context:
    """What every rule may read: KPIs over the period, the frames, the profile and its benchmarks."""

    frames: kpis.Frames
    period: kpis.Period
    profile: MerchantProfile
    values: dict[str, float] = field(default_factory=dict)

    @property
    def days(self) -> int:
        return self.period.days

    def benchmark(self, key: str) -> tuple[float, str]:
        entry = benchmarks(self.profile.category)[key]
        return float(entry["value"]), entry["source"]

    def grade(self, value: float, warn_key: str, alarm_key: str, worse: Literal["above", "below"]) -> tuple[Severity, float, str] | None:
        """(severity, the line crossed, its source) for a value past the warning line, or None when fine:
        `high` past the alarm line, `medium` past the warning line."""
        warn, warn_source = self.benchmark(warn_key)
        alarm, alarm_source = self.benchmark(alarm_key)

        def past(line: float) -> bool:
            return value > line if worse == "above" else value < line

        if past(alarm):
            return "high", alarm, alarm_source
        if past(warn):
            return "medium", warn, warn_source
        return None

    def level_finding(
        self, code: str, metric: str, value: float, unit: str, warn_key: str, alarm_key: str,
        worse: Literal["above", "below"], confidence: float, gmv_at_stake: float | None = None, **evidence: object,
    ) -> Finding | None:
        """The finding for a value past its category's warning or alarm line (None when it is fine);
        `evidence` fills the rule's sentence, with `value` and `line` added in the metric's unit."""
        graded = self.grade(value, warn_key, alarm_key, worse)
        if graded is None:
            return None
        severity, line, source = graded
        evidence = {"value": (value, unit), "line": (line, unit), **evidence}
        return Finding(
            code=code, severity=severity, metric=metric, value=value, benchmark=line, unit=unit, worse=worse,
            evidence=self.evidence(code, **evidence), gmv_at_stake=gmv_at_stake, confidence=confidence, source=source,
        )

    def needs_export(self, code: str, kind: str) -> Skip:
        title = get_kind(kind).title
        return Skip(code=code, reason={lang: t("rule.skip.needs_export", lang, export=title.get(lang)) for lang in ("zh", "en")})

    def needs(self, code: str, key: str) -> Skip:
        return Skip(code=code, reason={lang: t(f"rule.skip.{key}", lang) for lang in ("zh", "en")})

    def evidence(self, code: str, **params: object) -> dict[str, str]:
        return {lang: t(f"rule.{code}.evidence", lang, **_formatted(params, lang)) for lang in ("zh", "en")}

    def evidence_as(self, code: str, variant: str, **params: object) -> dict[str, str]:
        """The evidence sentence of one way a finding can be reached (`rule.<code>.evidence_<variant>`)."""
        return {lang: t(f"rule.{code}.evidence_{variant}", lang, **_formatted(params, lang)) for lang in ("zh", "en")}


def _formatted(params: dict[str, object], lang: str) -> dict[str, str]:
    """Numbers in the evidence sentence shaped by a `(value, unit)` pair: money, percentages, scores.
    Small rates get two decimals, so 2.96 % and its 3 % threshold do not both read "3.0%"."""
    from diagnosis.formatting import metric, pct

    def shape(value: object) -> str:
        if not isinstance(value, tuple):
            return str(value)
        number, unit = value
        if unit == "ratio" and number is not None and abs(number) < 0.1:
            return pct(number, 2)
        return metric(number, unit, lang)

    return {k: shape(v) for k, v in params.items()}


RuleResult = Finding | Skip | None


@dataclass(frozen=True)
class Rule:
    code: str
    check: Callable[[Context], RuleResult]
    reads: tuple[str, ...]


REGISTRY: dict[str, Rule] = {}
RULE_MODULES = ("experience", "refunds", "basket", "ads", "live_room", "trends", "products", "growth", "promotion")


def rule(code: str, reads: tuple[str, ...]):
    """Register a rule function under its finding code (a stable contract: never rename)."""

    def register(check: Callable[[Context], RuleResult]) -> Callable[[Context], RuleResult]:
        if code in REGISTRY:
            raise ValueError(f"rule {code} registered twice")
        REGISTRY[code] = Rule(code, check, reads)
        return check

    return register


@cache
def load_rules() -> dict[str, Rule]:
    for name in RULE_MODULES:
        importlib.import_module(f"diagnosis.rules.{name}")
    return REGISTRY


def confidence_for_days(days: int, full: int = 28) -> float:
    """Short data gives less certain findings: full confidence from four weeks on."""
    return round(min(1.0, max(days, 1) / full), 2)


class Diagnosis(BaseModel):
    merchant: str
    period: tuple[date, date]
    health_score: int
    findings: list[Finding]
    skipped: list[Skip]
    kpi_values: dict[str, float] = Field(default_factory=dict, exclude=True)  # the period's KPIs, for plan contexts


HEALTH_PENALTY = {"high": 20, "medium": 10, "low": 4}


def health_score(findings: list[Finding]) -> int:
    """100 minus a penalty per finding (high 20, medium 10, low 4), each scaled by the finding's
    confidence; never below 0. Documented in docs/diagnosis.md."""
    penalty = sum(HEALTH_PENALTY[f.severity] * f.confidence for f in findings)
    return max(0, round(100 - penalty))


def diagnose(frames: kpis.Frames, profile: MerchantProfile, period: kpis.Period | None = None) -> Diagnosis:
    """Run every registered rule; findings sorted by severity, then GMV at stake (largest first)."""
    span = kpis.data_range(frames)
    if period is None:
        if span is None:
            raise ValueError("no dated data to diagnose")
        period = kpis.default_period(span)
    ctx = Context(frames=frames, period=period, profile=profile, values=kpis.compute(frames, period.start, period.end))
    findings: list[Finding] = []
    skipped: list[Skip] = []
    for code in sorted(load_rules()):
        result = load_rules()[code].check(ctx)
        if isinstance(result, Finding):
            findings.append(result)
        elif isinstance(result, Skip):
            skipped.append(result)
    findings.sort(key=lambda f: (SEVERITY_ORDER[f.severity], -(f.gmv_at_stake or 0.0)))
    return Diagnosis(
        merchant=profile.name, period=(period.start, period.end), health_score=health_score(findings),
        findings=findings, skipped=skipped, kpi_values=ctx.values,
    )
