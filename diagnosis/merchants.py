"""A merchant as a folder: `merchant.json` (profile) beside the exports of its store."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from diagnosis.errors import IngestError
from diagnosis.ingest import IngestReport, ingest

DEMO_ROOT = Path(__file__).resolve().parent.parent / "demo"
EXPORT_SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".xlsm")


@dataclass
class MerchantData:
    """Profile plus one canonical frame per file, with the report of each and the files that failed."""

    profile: dict
    frames: list[tuple[pd.DataFrame, IngestReport]] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)

    def of_kind(self, kind: str) -> list[pd.DataFrame]:
        return [frame for frame, report in self.frames if report.kind == kind]


def list_merchants(root: Path = DEMO_ROOT) -> list[str]:
    """Sub-folders of `root` holding a merchant.json, in name order."""
    if not root.is_dir():
        return []
    return sorted(p.name for p in root.iterdir() if (p / "merchant.json").is_file())


def read_profile(folder: Path) -> dict:
    path = folder / "merchant.json"
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {"slug": folder.name}


def export_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in EXPORT_SUFFIXES)


def load_merchant(folder: Path) -> MerchantData:
    """Ingest every export in the folder; a bad file is kept as its error, never stops the others."""
    data = MerchantData(profile=read_profile(folder))
    for path in export_files(folder):
        try:
            data.frames.append(ingest(path.read_bytes(), path.name))
        except IngestError as exc:
            data.errors.append(exc)
    return data
