"""Fields computed from others when an export lacks them (formulas declared per kind in the YAML).

They are computed on the parsed column arrays, before the DataFrame exists: a kind declares a dozen formulas
over a few inputs, and on a small daily export per-column DataFrame lookups and inserts cost more than the
arithmetic."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pyarrow as pa

from diagnosis.schema import Derivation, ExportKind

Columns = Mapping[str, object]  # column name -> NumPy array (numbers, datetime64) or Arrow array (text, ids)


def _has_values(values: object) -> bool:
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.null_count < len(values)
    array = np.asarray(values)
    if array.dtype.kind in "mM":
        return not np.isnat(array).all()
    if array.dtype.kind == "f":
        return not np.isnan(array).all()
    return array.size > 0


class _Inputs:
    """The parsed columns plus the ones derived so far; each column is checked for values once."""

    def __init__(self, columns: Columns):
        self.columns = columns
        self.added: dict[str, np.ndarray] = {}
        self._has_values: dict[str, bool] = {}

    def has_values(self, name: str) -> bool:
        if name in self.added:
            return True
        if name not in self._has_values:
            self._has_values[name] = name in self.columns and _has_values(self.columns[name])
        return self._has_values[name]

    def first(self, candidates: tuple[str, ...]) -> str | None:
        return next((c for c in candidates if self.has_values(c)), None)

    def get(self, name: str) -> np.ndarray:
        return self.added[name] if name in self.added else np.asarray(self.columns[name])

    def floats(self, name: str) -> np.ndarray:
        return self.get(name).astype("float64", copy=False)


def _ratio(inputs: _Inputs, d: Derivation) -> tuple[np.ndarray, str] | None:
    """num / den × scale; missing where the denominator is missing or zero (never 0 or infinity)."""
    num, den = inputs.first(d.num), inputs.first(d.den)
    if num is None or den is None:
        return None
    numerator, denominator = inputs.floats(num), inputs.floats(den)
    out = np.full(len(numerator), np.nan)
    with np.errstate(over="ignore", invalid="ignore"):  # absurd inputs (1e308) give inf, made missing below
        np.divide(numerator, denominator, out=out, where=denominator > 0)
        if d.scale != 1:
            out *= d.scale
    out[~np.isfinite(out)] = np.nan
    formula = f"{num} / {den}" + (f" × {d.scale:g}" if d.scale != 1 else "")
    return out, formula


def _difference(inputs: _Inputs, d: Derivation) -> tuple[np.ndarray, str] | None:
    a, b = inputs.first(d.a), inputs.first(d.b)
    if a is None or b is None:
        return None
    return inputs.floats(a) - inputs.floats(b), f"{a} − {b}"


def _minutes_between(inputs: _Inputs, d: Derivation) -> tuple[np.ndarray, str] | None:
    """Minutes from a to b; missing where either end is, or where b comes before a."""
    a, b = inputs.first(d.a), inputs.first(d.b)
    if a is None or b is None:
        return None
    gap = inputs.get(b).astype("datetime64[ns]") - inputs.get(a).astype("datetime64[ns]")
    minutes = np.where(np.isnat(gap), np.nan, gap.astype("int64") / 60e9)
    return np.where(minutes >= 0, minutes, np.nan), f"{b} − {a}"


def _scale(inputs: _Inputs, d: Derivation) -> tuple[np.ndarray, str] | None:
    a = inputs.first(d.a)
    if a is None:
        return None
    values = inputs.floats(a)
    scale = 5.0 if np.nanmax(values) <= 5 else 100.0
    return np.full(len(values), scale), f"max({a}) ≤ 5 → 5, else 100"


OPS = {"ratio": _ratio, "difference": _difference, "minutes_between": _minutes_between, "scale": _scale}


def derive(columns: Columns, kind: ExportKind) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    """Each declared derived field the export lacks (or has only empty): {field: values}, {field: formula}."""
    inputs = _Inputs(columns)
    formulas: dict[str, str] = {}
    for target, derivation in kind.derive.items():
        if inputs.has_values(target):
            continue
        result = OPS[derivation.op](inputs, derivation)
        if result is None:
            continue
        inputs.added[target] = np.asarray(result[0], dtype="float64")
        formulas[target] = result[1]
    return inputs.added, formulas
