"""The small vocabulary the engine and the case library share (finding codes); `knowledge` imports this module
rather than the rules, so searching cases never loads the diagnosis engine."""

from __future__ import annotations

from functools import cache
from importlib import resources

from diagnosis.schema import load_yaml


@cache
def finding_codes() -> frozenset[str]:
    text = resources.files("diagnosis").joinpath("data", "finding_codes.yaml").read_text(encoding="utf-8")
    return frozenset(load_yaml(text))
