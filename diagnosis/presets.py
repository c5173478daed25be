"""Saved column mappings ("presets"), one JSON file each, found again by the header layout they were made for.

A merchant whose export BeltDoctor cannot place maps its columns once; the next export with the same
headers (in any order, full- or half-width) is then read the same way without asking again. Files live
under `$BELTDOCTOR_HOME/presets/` (default `./.beltdoctor/presets/`) so a merchant can copy or delete them.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
from pathlib import Path

from pydantic import BaseModel, ConfigDict, ValidationError

from diagnosis.detect import header_score, match_columns, score_kinds, sheet_hint_score
from diagnosis.errors import IngestError
from diagnosis.i18n import t
from diagnosis.ingest import ColumnMapping
from diagnosis.readers import read_text_table, read_xlsx_table, sniff_format
from diagnosis.schema import get_kind, normalise_header
from diagnosis.settings import data_home

MAX_NAME = 60
# Path separators plus what Windows refuses in a file name: the preset name *is* the file name.
_BAD_NAME = re.compile(r'[\\/<>:"|?*\x00-\x1f\x7f]')


class PresetNameError(ValueError):
    """A name that cannot safely be a file name: empty, too long, hidden (leading dot) or with a separator."""

    def __init__(self, name: str):
        self.name = name
        super().__init__(self.message("en"))

    def message(self, lang: str = "en") -> str:
        return t("upload.preset_name_invalid", lang, limit=MAX_NAME)


class Preset(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    kind: str | None
    columns: dict[str, str]
    headers_signature: str

    def mapping(self) -> ColumnMapping:
        return ColumnMapping(kind=self.kind, columns=self.columns)


def presets_dir() -> Path:
    """Read at each call, so a changed BELTDOCTOR_HOME (tests, a second shop) takes effect at once."""
    return data_home() / "presets"


def headers_signature(headers: list[str]) -> str:
    """Same for two files whose headers differ only in order, width (（） vs ()) or spacing."""
    keys = sorted(k for k in (normalise_header(h) for h in headers) if k)
    return hashlib.sha256("\n".join(keys).encode("utf-8")).hexdigest()


def check_name(name: str) -> str:
    name = name.strip()
    if not 1 <= len(name) <= MAX_NAME or name.startswith(".") or _BAD_NAME.search(name):
        raise PresetNameError(name)
    return name


def save_preset(name: str, mapping: ColumnMapping, headers: list[str]) -> Path:
    """Write the preset atomically (temp file, then rename): a failed save leaves any older one intact."""
    name = check_name(name)
    preset = Preset(name=name, kind=mapping.kind, columns=mapping.columns, headers_signature=headers_signature(headers))
    folder = presets_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.json"
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".tmp-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(json.dumps(preset.model_dump(), ensure_ascii=False, indent=2))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def _load_all() -> list[tuple[Path, Preset]]:
    """Every readable preset; a hand-damaged file is skipped rather than breaking every upload."""
    folder = presets_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("*.json")):
        if path.name.startswith("."):
            continue
        try:
            found.append((path, Preset.model_validate_json(path.read_bytes())))
        except (OSError, ValidationError):
            continue
    return found


def list_presets() -> list[Preset]:
    return [preset for _, preset in _load_all()]


def find_preset(headers: list[str]) -> Preset | None:
    """The preset made for this header layout; if several were, the one saved last."""
    signature = headers_signature(headers)
    matching = [(path.stat().st_mtime_ns, path.name, p) for path, p in _load_all() if p.headers_signature == signature]
    return max(matching, key=lambda m: m[:2])[2] if matching else None


def delete_preset(name: str) -> bool:
    path = presets_dir() / f"{check_name(name)}.json"
    if not path.is_file():
        return False
    path.unlink()
    return True


def read_headers(data: bytes, filename: str) -> list[str]:
    """The header row ingest would pick, even for a file ingest cannot place, so its columns can be mapped
    by hand; [] when the file is no readable table at all."""
    try:
        if sniff_format(data, filename) == "xlsx":
            return read_xlsx_table(data, filename, header_score, sheet_hint_score).headers
        return read_text_table(data, filename, header_score).headers
    except IngestError:
        return []


def suggest_mapping(headers: list[str], kind: str | None = None) -> ColumnMapping:
    """What detection would map, as a starting point for the editor: for `kind`, else for the closest kind
    (no kind at all when not one header is known: better to ask than to guess)."""
    if kind is None:
        closest = score_kinds(headers)[0]
        if not closest.matched:
            return ColumnMapping()
        kind = closest.kind
    matches, _ = match_columns(get_kind(kind), headers)
    return ColumnMapping(kind=kind, columns={m.header: m.spec.field for m in matches})
