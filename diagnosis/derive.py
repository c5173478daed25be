"""Fields computed from others when an export lacks them (formulas declared per kind in the YAML)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from diagnosis.schema import Derivation, ExportKind


def _first(frame: pd.DataFrame, candidates: tuple[str, ...]) -> str | None:
    return next((c for c in candidates if c in frame.columns and frame[c].notna().any()), None)


def _ratio(frame: pd.DataFrame, d: Derivation) -> tuple[np.ndarray, str] | None:
    """num / den × scale; missing where the denominator is missing or zero (never 0 or infinity)."""
    num, den = _first(frame, d.num), _first(frame, d.den)
    if num is None or den is None:
        return None
    numerator = frame[num].to_numpy(dtype="float64", na_value=np.nan)
    denominator = frame[den].to_numpy(dtype="float64", na_value=np.nan)
    out = np.full(len(frame), np.nan)
    with np.errstate(over="ignore", invalid="ignore"):  # absurd inputs (1e308) give inf, made missing below
        np.divide(numerator, denominator, out=out, where=denominator > 0)
        if d.scale != 1:
            out *= d.scale
    out[~np.isfinite(out)] = np.nan
    formula = f"{num} / {den}" + (f" × {d.scale:g}" if d.scale != 1 else "")
    return out, formula


def _difference(frame: pd.DataFrame, d: Derivation) -> tuple[pd.Series, str] | None:
    a, b = _first(frame, d.a), _first(frame, d.b)
    if a is None or b is None:
        return None
    return frame[a] - frame[b], f"{a} − {b}"


def _minutes_between(frame: pd.DataFrame, d: Derivation) -> tuple[pd.Series, str] | None:
    a, b = _first(frame, d.a), _first(frame, d.b)
    if a is None or b is None:
        return None
    minutes = (frame[b] - frame[a]).dt.total_seconds() / 60.0
    return minutes.where(minutes >= 0), f"{b} − {a}"


def _scale(frame: pd.DataFrame, d: Derivation) -> tuple[pd.Series, str] | None:
    a = _first(frame, d.a)
    if a is None:
        return None
    scale = 5.0 if frame[a].max() <= 5 else 100.0
    return pd.Series(np.full(len(frame), scale), index=frame.index), f"max({a}) ≤ 5 → 5, else 100"


OPS = {"ratio": _ratio, "difference": _difference, "minutes_between": _minutes_between, "scale": _scale}


def add_derived(frame: pd.DataFrame, kind: ExportKind) -> dict[str, str]:
    """Add each declared derived field the export lacks; return {field: formula} for the ones added."""
    added: dict[str, str] = {}
    for target, derivation in kind.derive.items():
        if target in frame.columns and frame[target].notna().any():
            continue
        result = OPS[derivation.op](frame, derivation)
        if result is None:
            continue
        frame[target] = np.asarray(result[0], dtype="float64")
        added[target] = result[1]
    return added
