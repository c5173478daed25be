"""Canonical export kinds, loaded from `data/kinds/*.yaml`.

Adding a header alias or a whole export kind is an edit of those YAML files; nothing here changes.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache, cached_property, lru_cache
from importlib import resources
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

Dtype = Literal["date", "datetime", "period", "money", "count", "ratio", "number", "score", "duration", "text", "id"]

DEFAULT_UNITS: dict[str, str] = {
    "money": "yuan",
    "count": "count",
    "ratio": "ratio",
    "duration": "min",
    "score": "points",
    "number": "",
    "date": "",
    "datetime": "",
    "period": "",
    "text": "",
    "id": "",
}
NUMERIC_DTYPES = frozenset({"money", "count", "ratio", "number", "score", "duration"})
SUMMABLE_DTYPES = frozenset({"money", "count"})


class Bilingual(BaseModel):
    model_config = ConfigDict(frozen=True)
    zh: str
    en: str

    def get(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class FieldSpec(BaseModel):
    """One canonical field of an export kind."""

    model_config = ConfigDict(frozen=True)
    field: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    dtype: Dtype
    unit: str = ""
    zh: str
    en: str
    aliases: tuple[str, ...] = ()
    weight: float = 1.0
    expected: bool = False
    outputs: tuple[str, ...] = ()
    additive: bool | None = None

    @model_validator(mode="after")
    def _defaults(self) -> "FieldSpec":
        if not self.unit:
            object.__setattr__(self, "unit", DEFAULT_UNITS[self.dtype])
        if self.additive is None:
            object.__setattr__(self, "additive", self.dtype in SUMMABLE_DTYPES)
        if self.dtype == "period" and len(self.outputs) != 2:
            object.__setattr__(self, "outputs", (f"{self.field}_start", f"{self.field}_end"))
        return self

    @property
    def columns(self) -> tuple[str, ...]:
        """Frame columns this field produces (a period yields a start and an end)."""
        return self.outputs if self.dtype == "period" else (self.field,)

    def label(self, lang: str) -> str:
        return self.zh if lang == "zh" else self.en


class Derivation(BaseModel):
    """A field computed from others when the export lacks it: `ratio` = num/den×scale, `difference` = a−b,
    `minutes_between` = b−a in minutes, `scale` = 5 if every value of a is ≤ 5 else 100 (score scales).

    Each operand lists candidate fields in order of preference; the first present one is used.
    """

    model_config = ConfigDict(frozen=True)
    op: Literal["ratio", "difference", "minutes_between", "scale"]
    num: tuple[str, ...] = ()
    den: tuple[str, ...] = ()
    a: tuple[str, ...] = ()
    b: tuple[str, ...] = ()
    scale: float = 1.0


class ExportKind(BaseModel):
    model_config = ConfigDict(frozen=True)
    kind: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    title: Bilingual
    grain: str
    date_field: str
    end_field: str = ""
    key: tuple[str, ...]
    sheet_hints: tuple[str, ...] = ()
    requires: tuple[tuple[str, ...], ...]
    fields: tuple[FieldSpec, ...]
    derive: dict[str, Derivation] = {}
    # Dimension columns whose listed values mean "all of it" (载体类型 = 全部): a store-level kind keeps only those
    # rows (`level_rows: all`); a breakdown kind drops them (`level_rows: breakdown`), as they total the others.
    levels: dict[str, tuple[str, ...]] = {}
    level_rows: Literal["all", "breakdown"] = "all"

    @model_validator(mode="after")
    def _consistent(self) -> "ExportKind":
        names = [f.field for f in self.fields]
        if len(set(names)) != len(names):
            raise ValueError(f"{self.kind}: duplicate field names")
        produced = {c for f in self.fields for c in f.columns}
        for group in self.requires:
            unknown = set(group) - set(names)
            if unknown:
                raise ValueError(f"{self.kind}: requires unknown fields {sorted(unknown)}")
        if not self.end_field:
            object.__setattr__(self, "end_field", self.date_field)
        for name in (self.date_field, self.end_field):
            if name not in produced:
                raise ValueError(f"{self.kind}: date field {name} is not produced by any field")
        unknown_levels = set(self.levels) - set(names)
        if unknown_levels:
            raise ValueError(f"{self.kind}: levels name unknown fields {sorted(unknown_levels)}")
        for target, d in self.derive.items():
            if target not in produced:
                raise ValueError(f"{self.kind}: derived field {target} is not declared")
            operands = set(d.num + d.den + d.a + d.b)
            if not operands <= produced:
                raise ValueError(f"{self.kind}: derivation of {target} uses unknown {sorted(operands - produced)}")
        seen: dict[str, str] = {}
        for f in self.fields:
            for alias in self.alias_keys(f):
                if seen.setdefault(alias, f.field) != f.field:
                    raise ValueError(f"{self.kind}: alias {alias!r} maps to both {seen[alias]} and {f.field}")
        return self

    @staticmethod
    def alias_keys(f: FieldSpec) -> list[str]:
        """Normalised header keys that select this field: its aliases, its zh/en labels and its own name."""
        keys = [normalise_header(a) for a in (*f.aliases, f.zh, f.en, f.field)]
        return list(dict.fromkeys(k for k in keys if k))

    def field(self, name: str) -> FieldSpec:
        return self._by_name[name]

    @cached_property
    def _by_name(self) -> dict[str, FieldSpec]:
        return {f.field: f for f in self.fields}

    @cached_property
    def alias_index(self) -> dict[str, str]:
        """normalised alias -> field name (first declaration wins)."""
        index: dict[str, str] = {}
        for f in self.fields:
            for key in self.alias_keys(f):
                index.setdefault(key, f.field)
        return index

    @property
    def expected_fields(self) -> list[str]:
        return [f.field for f in self.fields if f.expected]

    def column_label(self, column: str, lang: str) -> str:
        """Display name of a frame column; a period's two columns are told apart as start and end."""
        spec = self.column_spec(column)
        if spec is None:
            return column
        label = spec.label(lang)
        if spec.dtype == "period":
            part = spec.columns.index(column)
            label += ("（开始）", "（结束）")[part] if lang == "zh" else (" (start)", " (end)")[part]
        return label

    def column_spec(self, column: str) -> FieldSpec | None:
        """The field that produces a frame column (a period's start/end map back to the period)."""
        for f in self.fields:
            if column in f.columns:
                return f
        return None


_SPACES = re.compile(r"\s+")


def normalise_header(text: object) -> str:
    """Compare headers the way a person reads them: full-width → half-width, no spaces, case-folded."""
    if text is None:
        return ""
    return _normalised(str(text))


@lru_cache(maxsize=65_536)
def _normalised(text: str) -> str:
    """Header strings repeat across every file of a kind (and detection compares each against every kind)."""
    s = unicodedata.normalize("NFKC", text)
    s = s.replace("【", "[").replace("】", "]").replace("：", ":")
    return _SPACES.sub("", s).casefold()


class ParsingRules(BaseModel):
    model_config = ConfigDict(frozen=True)
    missing_tokens: tuple[str, ...]
    totals_tokens: tuple[str, ...]
    header_units: dict[str, str]
    unit_factors: dict[str, dict[str, float]]


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def load_yaml(text: str) -> object:
    """YAML through libyaml when available: the pure-Python parser costs most of a second on start-up."""
    return yaml.load(text, Loader=_Loader)  # noqa: S506 - a SafeLoader subclass


def _data_text(*parts: str) -> str:
    return resources.files("diagnosis").joinpath("data", *parts).read_text(encoding="utf-8")


@cache
def parsing_rules() -> ParsingRules:
    return ParsingRules.model_validate(load_yaml(_data_text("parsing.yaml")))


@cache
def export_kinds() -> dict[str, ExportKind]:
    """All export kinds, keyed by name, in file-name order."""
    folder = resources.files("diagnosis").joinpath("data", "kinds")
    kinds: dict[str, ExportKind] = {}
    for entry in sorted(folder.iterdir(), key=lambda p: p.name):
        if entry.name.endswith(".yaml"):
            try:
                kind = ExportKind.model_validate(load_yaml(entry.read_text(encoding="utf-8")))
            except ValueError as exc:
                raise ValueError(f"invalid export kind file {entry.name}: {exc}") from exc
            kinds[kind.kind] = kind
    return kinds


def get_kind(name: str) -> ExportKind:
    kinds = export_kinds()
    if name not in kinds:
        raise KeyError(f"unknown export kind {name!r}; known: {', '.join(kinds)}")
    return kinds[name]


@lru_cache(maxsize=65_536)
def split_header_unit(header: str) -> tuple[str, str | None]:
    """`消耗(元)` → (`消耗`, `yuan`); a header without a known unit suffix is returned unchanged."""
    rules = parsing_rules()
    m = re.match(r"^(.*\S)\(([^()]*)\)$", header)
    if not m:
        return header, None
    unit = rules.header_units.get(m.group(2).casefold())
    return (m.group(1), unit) if unit else (header, None)


def unit_factor(header_unit: str | None, field: FieldSpec) -> float:
    """Multiplier taking a value in the header's unit to the field's canonical unit."""
    if header_unit is None:
        return 1.0
    return parsing_rules().unit_factors.get(header_unit, {}).get(field.unit, 1.0)
