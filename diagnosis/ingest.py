"""Export bytes → canonical DataFrame + IngestReport.

`ingest` either returns both or raises `IngestError` with a reason a merchant can act on. Problem cells
never vanish silently: each one is set to missing and listed (row, column, value, why) in the report.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from diagnosis import settings
from diagnosis.derive import derive
from diagnosis.detect import (
    ColumnMatch,
    KindScore,
    header_score,
    match_columns,
    score_kind,
    score_kinds,
    sheet_hint_score,
)
from diagnosis.errors import IngestError
from diagnosis.i18n import t
from diagnosis.memory import pin_mmap_threshold, return_freed_arrow_memory
from diagnosis.readers import RawTable, read_text_table, read_xlsx_table, sniff_format
from diagnosis.schema import (
    ExportKind,
    export_kinds,
    get_kind,
    normalise_header,
    parsing_rules,
)
from diagnosis.values import BOUNDS, PARSERS

__all__ = ["SOURCE_ROW", "ColumnMapping", "IngestError", "IngestReport", "ingest"]

SOURCE_ROW = "source_row"

pin_mmap_threshold()
return_freed_arrow_memory()


class ColumnMapping(BaseModel):
    """A user's header → canonical field mapping, which overrides detection (and may fix the kind)."""

    model_config = ConfigDict(extra="forbid")
    kind: str | None = None
    columns: dict[str, str] = Field(default_factory=dict)

    @classmethod
    def from_json(cls, text: str | bytes, source: str = "mapping") -> "ColumnMapping":
        """Accepts `{"kind": ..., "columns": {header: field}}` or a flat `{header: field}` object."""
        try:
            raw = json.loads(text)
            if isinstance(raw, dict) and "columns" not in raw and "kind" not in raw:
                raw = {"columns": raw}
            return cls.model_validate(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, ValidationError) as exc:
            detail = str(exc).splitlines()[0][:200]
            raise IngestError("mapping_invalid", file=source, detail=detail) from None


class RowWarning(BaseModel):
    row: int | None
    column: str | None
    value: str | None
    code: str
    params: dict[str, str] = Field(default_factory=dict)

    def message(self, lang: str = "en") -> str:
        return t(f"warning.{self.code}", lang, **self.params)


class MappedColumn(BaseModel):
    header: str
    field: str
    label_zh: str
    label_en: str
    dtype: str
    unit: str
    factor: float = 1.0


class IngestReport(BaseModel):
    """What happened to a file: the kind found (and how sure), columns used, rows kept, every problem row."""

    file: str
    kind: str
    kind_title: dict[str, str]
    kind_scores: dict[str, float]
    format: str
    encoding: str | None
    delimiter: str | None
    sheet: str | None
    header_row: int
    rows_read: int
    rows_kept: int
    start: date | None
    end: date | None
    mapped: list[MappedColumn]
    ignored: list[str]
    missing_expected: list[str]
    derived: dict[str, str]
    notes: list[dict[str, str]]
    warnings: list[RowWarning]
    warning_counts: dict[str, int]
    dropped_rows: dict[str, int] = Field(default_factory=dict)
    totals: dict[str, float]

    def warning_text(self, w: RowWarning, lang: str = "en") -> str:
        where = [t("where.row", lang, row=w.row)] if w.row is not None else []
        if w.column:
            where.append(t("where.column", lang, column=w.column))
        value = f" «{w.value}»" if w.value not in (None, "") else ""
        return f"{', '.join(where)}{value}: {w.message(lang)}"

    def note_text(self, note: dict[str, str], lang: str = "en") -> str:
        params = {k: v for k, v in note.items() if k != "code"}
        return t(f"note.{note['code']}", lang, **params)


class _Warnings:
    """Collects row warnings, keeping the first N per (column, code) and counting all of them."""

    def __init__(self) -> None:
        self.kept: list[RowWarning] = []
        self.counts: dict[str, int] = defaultdict(int)
        self._per_key: dict[tuple[str | None, str], int] = defaultdict(int)
        self.limit = int(settings.get("max_warnings_per_column"))

    def add_hits(
        self, hits: np.ndarray, rows: np.ndarray, shown: list[str | None], column: str | None, code: str,
        params: dict[str, str] | None = None,
    ) -> None:
        """Row warnings for the cells at `hits`; `shown` holds the raw text of the first ones."""
        if hits.size == 0:
            return
        self.counts[code] += int(hits.size)
        room = max(self.limit - self._per_key[(column, code)], 0)
        for i, value in zip(hits[:room], shown):
            self.add(RowWarning(row=int(rows[i]), column=column, value=value, code=code, params=params or {}), counted=True)
        self._per_key[(column, code)] += int(min(hits.size, room, len(shown)))

    def add(self, warning: RowWarning, counted: bool = False) -> None:
        if not counted:
            self.counts[warning.code] += 1
        self.kept.append(warning)


def ingest(data: bytes, filename: str, mapping: ColumnMapping | None = None) -> tuple[pd.DataFrame, IngestReport]:
    """Read one export. Raises IngestError for files that cannot be used, never anything else for bad input."""
    _check_size(data, filename)
    overrides_keys = frozenset(normalise_header(h) for h in (mapping.columns if mapping else {}))

    def score(row: list[str]) -> float:
        return header_score(row, overrides_keys)

    fmt = sniff_format(data, filename)
    raw = (
        read_xlsx_table(data, filename, score, sheet_hint_score)
        if fmt == "xlsx"
        else read_text_table(data, filename, score)
    )
    kind, scores, overrides = _choose_kind(raw, filename, mapping)
    return _build(raw, filename, kind, scores, overrides)


def _check_size(data: bytes, filename: str) -> None:
    if not data or not data[:65536].strip():
        raise IngestError("empty_file", file=filename)
    limit_mb = settings.get("max_file_mb")
    if len(data) > limit_mb * 1024 * 1024:
        raise IngestError("file_too_large", file=filename, size_mb=round(len(data) / 2**20, 1), limit_mb=int(limit_mb))


def _choose_kind(raw: RawTable, filename: str, mapping: ColumnMapping | None) -> tuple[ExportKind, list[KindScore], dict[int, str]]:
    scores = score_kinds(raw.headers)
    if mapping is None or not (mapping.columns or mapping.kind):
        best = scores[0]
        if not best.eligible or best.score < settings.get("min_kind_score"):
            raise _no_known_columns(raw, filename, scores)
        return _level_kind(raw, get_kind(best.kind), scores), scores, {}
    by_key = {normalise_header(h): i for i, h in enumerate(raw.headers)}
    positions: dict[str, int] = {}
    for header in mapping.columns:
        if normalise_header(header) not in by_key:
            shown = ", ".join(h for h in raw.headers if h)[:300]
            raise IngestError("mapping_header_missing", file=filename, header=header, headers=shown)
        positions[header] = by_key[normalise_header(header)]
    mapped_fields = set(mapping.columns.values())
    overrides = {positions[h]: f for h, f in mapping.columns.items()}
    if mapping.kind is not None:
        if mapping.kind not in export_kinds():
            raise IngestError("unknown_kind", file=filename, kind=mapping.kind, known=", ".join(export_kinds()))
        kind = get_kind(mapping.kind)
    else:
        fitting = [k for k in export_kinds().values() if mapped_fields <= {f.field for f in k.fields}]
        if not fitting:
            raise IngestError("mapping_invalid", file=filename, detail=f"no export kind has all of {sorted(mapped_fields)}")
        kind = max(fitting, key=lambda k: _fit_with_mapping(k, raw.headers, overrides))
    known = {f.field for f in kind.fields}
    for field in mapping.columns.values():
        if field not in known:
            raise IngestError("mapping_unknown_field", file=filename, field=field, kind=kind.kind, known=", ".join(sorted(known)))
    matches, _ = match_columns(kind, raw.headers, overrides)
    missing = [g for g in kind.requires if not set(g) & {m.spec.field for m in matches}]
    if missing:
        raise IngestError("missing_required", file=filename, kind=kind.kind, needed=" / ".join(missing[0]))
    return kind, scores, overrides


def _level_values(table: pa.Table, headers: list[str], kind: ExportKind, overrides: dict[int, str]) -> dict[str, np.ndarray]:
    """Per level column of the kind present in the file (by its header): True where the row's value means "all"."""
    if not kind.levels or table.num_columns == 0:
        return {}
    matches, _ = match_columns(kind, headers, overrides)
    out = {}
    for m in matches:
        words = kind.levels.get(m.spec.field)
        if words and m.index < table.num_columns:
            cells = pc.utf8_lower(pc.utf8_trim_whitespace(pc.cast(table.column(m.index), pa.string())))
            out[m.header] = _bool(pc.is_in(cells, value_set=pa.array([w.lower() for w in words], pa.string())))
    return out


def _level_kind(raw: RawTable, chosen: ExportKind, scores: list[KindScore]) -> ExportKind:
    """A breakdown kind whose dimension says "all" on every row (成交概览 with 载体类型 = 全部) is really the
    store-level kind that knows the same dimension: the eligible one that scored best."""
    if chosen.level_rows != "breakdown":
        return chosen
    flags = _level_values(raw.data, raw.headers, chosen, {})
    if not flags or not all(f.all() for f in flags.values()):
        return chosen
    for score in scores:
        kind = get_kind(score.kind)
        if kind.level_rows == "all" and score.eligible and set(chosen.levels) <= set(kind.levels):
            return kind
    return chosen


def _keep_level_rows(table: pa.Table, rows: np.ndarray, headers: list[str], kind: ExportKind, overrides: dict[int, str],
                     notes: list[dict[str, str]]) -> tuple[pa.Table, np.ndarray]:
    """Only the rows of the kind's own grain: a store-level kind drops breakdown rows (one carrier, one ad slot), a
    breakdown kind drops the "all" rows that total it; the report says how many and why."""
    flags = _level_values(table, headers, kind, overrides)
    if not flags:
        return table, rows
    keep = np.ones(table.num_rows, dtype=bool)
    for is_all in flags.values():
        keep &= is_all if kind.level_rows == "all" else ~is_all
    dropped = int((~keep).sum())
    if dropped and keep.any():
        notes.append({"code": "level_rows_dropped", "rows": str(dropped), "column": ", ".join(flags)})
        return table.filter(pa.array(keep)), rows[keep]
    return table, rows


def _fit_with_mapping(kind: ExportKind, headers: list[str], overrides: dict[int, str]) -> tuple[bool, float]:
    """Rank kinds for a mapping without a kind: requirements met first, then detection score."""
    matches, _ = match_columns(kind, headers, overrides)
    found = score_kind(kind, {m.spec.field for m in matches})
    return found.eligible, found.score


def _no_known_columns(raw: RawTable, filename: str, scores: list[KindScore]) -> IngestError:
    closest = []
    for s in scores[:3]:
        if s.matched:
            closest.append(f"{s.kind} {s.score:.2f} ({', '.join(s.matched[:6])})")
    headers = ", ".join(h for h in raw.headers if h)[:300] or "—"
    return IngestError("no_known_columns", file=filename, headers=headers, closest="; ".join(closest) or "—")


def _totals_tokens() -> pa.Array:
    tokens = {normalise_header(x) for x in parsing_rules().totals_tokens}
    variants = {v for tok in tokens for v in (tok, tok.upper(), tok.title(), f"{tok}:", f"{tok}：", f" {tok}", f"{tok} ")}
    return pa.array(sorted(variants), pa.string())


def _is_totals(column: pa.ChunkedArray, tokens: pa.Array) -> np.ndarray:
    return _bool(pc.is_in(column, value_set=tokens))


def _bool(arr) -> np.ndarray:
    return np.asarray(pc.fill_null(arr, False).to_numpy(zero_copy_only=False), dtype=bool)


def _drop_rows(raw: RawTable, warnings: _Warnings, dropped: dict[str, int]) -> tuple[pa.Table, np.ndarray]:
    """Drop totals rows (合计/总计 in the first non-empty of the first two cells) and fully blank rows,
    counting both in `dropped`."""
    table = raw.data
    if table.num_columns == 0:
        return table, raw.row_numbers
    tokens = _totals_tokens()
    first = table.column(0)
    first_blank = _bool(pc.equal(first, ""))
    totals = _is_totals(first, tokens)
    if table.num_columns > 1 and first_blank.any():
        totals |= first_blank & _is_totals(table.column(1), tokens)
    blank = first_blank.copy()
    for i in range(1, table.num_columns):
        if not blank.any():
            break
        blank &= _bool(pc.equal(table.column(i), ""))
    if totals.any():
        hits = pa.array(np.flatnonzero(totals))
        label = first.take(hits)
        if table.num_columns > 1:
            label = pc.if_else(pc.equal(label, ""), table.column(1).take(hits), label)
        warnings.add_hits(np.arange(len(hits)), raw.row_numbers[totals], label.to_pylist(), None, "totals_row")
    dropped["totals_row"] = int(totals.sum())
    dropped["blank_row"] += int((blank & ~totals).sum())
    drop = totals | blank
    if not drop.any():
        return table, raw.row_numbers
    keep = ~drop
    return _keep_rows(table, keep), raw.row_numbers[keep]


def _keep_rows(table: pa.Table, keep: np.ndarray) -> pa.Table:
    """The kept rows as zero-copy slices when they form a few runs (a totals row at the bottom), so a
    million-row table is not copied to lose one row."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], keep.astype(np.int8), [0]])))
    runs = list(zip(edges[::2], edges[1::2]))
    if len(runs) > 1000:
        return table.filter(pa.array(keep))
    return pa.concat_tables([table.slice(a, b - a) for a, b in runs]) if runs else table.slice(0, 0)


@dataclass
class _ColumnResult:
    """One column parsed: output arrays, its problem cells (code, row indices, their raw text) and notes."""

    columns: dict[str, object]
    problems: list[tuple[str, np.ndarray, list[str | None]]]
    notes: list[dict[str, str]]


def _problem(code: str, mask: np.ndarray, raw_col: pa.ChunkedArray, limit: int) -> tuple[str, np.ndarray, list[str | None]]:
    hits = np.flatnonzero(mask)
    shown = raw_col.take(pa.array(hits[:limit])).to_pylist() if hits.size else []
    return code, hits, shown


def _parse_one(m: ColumnMatch, raw_col: pa.ChunkedArray, limit: int) -> _ColumnResult:
    parsed = PARSERS[m.spec.dtype](raw_col, m.spec, m.factor)
    problems = [_problem("id_mangled" if m.spec.dtype == "id" else "unparseable", parsed.invalid, raw_col, limit)]
    notes = [{"code": n, "column": m.header} for n in parsed.notes]
    if m.factor != 1.0:
        notes.append({"code": "header_unit", "column": m.header, "factor": f"{m.factor:g}"})
    columns = {}
    for name, values in parsed.columns.items():
        for bound in BOUNDS.get(m.spec.dtype, ()):
            values = np.asarray(values)
            bad = bound.test(values)
            if bad.any():
                problems.append(_problem(bound.code, bad, raw_col, limit))
                values = np.where(bad, np.datetime64("NaT") if values.dtype.kind == "M" else np.nan, values)
        columns[name] = values
    return _ColumnResult(columns, problems, notes)


PARALLEL_FROM_ROWS = 20_000


def _parse_columns(
    pending: dict[int, pa.ChunkedArray], rows: np.ndarray, matches: list[ColumnMatch], warnings: _Warnings, notes: list[dict[str, str]]
) -> dict[str, object]:
    """Parse columns two at a time (Arrow kernels release the GIL); each raw column is let go as soon as
    it is parsed, so peak memory stays near one copy of the file."""

    def work(m: ColumnMatch) -> _ColumnResult:
        result = _parse_one(m, pending.pop(m.index), warnings.limit)
        pa.default_memory_pool().release_unused()  # hand the freed column back to the OS for the outputs
        return result

    if len(rows) < PARALLEL_FROM_ROWS:  # starting threads costs more than a small export takes to parse
        results = [_parse_one(m, pending.pop(m.index), warnings.limit) for m in matches]
    else:
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            results = list(pool.map(work, matches))
    columns: dict[str, object] = {}
    for m, result in zip(matches, results):
        for code, hits, shown in result.problems:
            warnings.add_hits(hits, rows, shown, m.header, code)
        notes.extend(result.notes)
        columns.update(result.columns)
    return columns


def _to_frame(columns: dict[str, object], n: int) -> pd.DataFrame:
    data = {}
    for name, values in columns.items():
        if isinstance(values, (pa.Array, pa.ChunkedArray)):
            data[name] = pd.Series(pd.array(values, dtype=pd.StringDtype(na_value=np.nan)), copy=False)
        else:
            data[name] = values
    return pd.DataFrame(data, index=pd.RangeIndex(n), copy=False)


def _key_hash(frame: pd.DataFrame, key: list[str]) -> np.ndarray:
    """One uint64 per row from the key columns; equal keys give equal hashes (collisions are re-checked)."""
    combined = np.zeros(len(frame), dtype=np.uint64)
    for column in key:
        combined *= np.uint64(1_000_003)
        combined ^= _column_hash(frame[column])
    return combined


def _column_hash(series: pd.Series) -> np.ndarray:
    if series.dtype.kind in "mMfiu":
        return np.ascontiguousarray(series.to_numpy()).view(np.uint64) if series.dtype.itemsize == 8 else series.to_numpy().astype(np.uint64)
    try:  # digit-only IDs (商品编码, 视频ID) cast straight to integers, far cheaper than hashing strings
        return pc.fill_null(pc.cast(pa.array(series), pa.uint64()), 0).to_numpy(zero_copy_only=False)
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError):
        return pd.util.hash_array(series.to_numpy(dtype=object), categorize=True)


def _drop_duplicates(
    frame: pd.DataFrame, rows: np.ndarray, kind: ExportKind, warnings: _Warnings, dropped: dict[str, int]
) -> tuple[pd.DataFrame, np.ndarray]:
    """Drop later rows repeating an earlier row's key (e.g. the same date twice), saying which row they repeat.

    Hashing first keeps the common case (no duplicates) cheap on a million rows; only rows whose hash
    repeats are compared exactly."""
    key = [k for k in kind.key if k in frame.columns and frame[k].notna().any()]
    if not key or kind.date_field not in key:
        return frame, rows
    hashes = _key_hash(frame, key)
    undated = frame[kind.date_field].isna().to_numpy()
    if undated.any():  # rows without a date are not copies of each other: give each its own hash
        hashes[undated] = np.uint64(2**64 - 1) - np.arange(int(undated.sum()), dtype=np.uint64)
    ordered = np.sort(hashes)
    if not (ordered[1:] == ordered[:-1]).any():
        return frame, rows
    repeated = pd.Series(hashes).duplicated(keep=False).to_numpy()
    if not repeated.any():
        return frame, rows
    candidates = frame.loc[repeated, key]
    dup = np.zeros(len(frame), dtype=bool)
    dup[np.flatnonzero(repeated)[candidates.duplicated(keep="first").to_numpy()]] = True
    if not dup.any():
        return frame, rows
    first_row = candidates.assign(_row=rows[repeated]).groupby(key, dropna=False, sort=False)["_row"].transform("first")
    first_of = dict(zip(np.flatnonzero(repeated), first_row.to_numpy()))
    hits = np.flatnonzero(dup)
    for i in hits[: warnings.limit]:
        described = ", ".join(f"{k}={_show(frame[k].iloc[i])}" for k in key)
        params = {"first_row": str(int(first_of[i])), "key": described}
        warnings.add(RowWarning(row=int(rows[i]), column=None, value=None, code="duplicate_key", params=params))
    warnings.counts["duplicate_key"] += max(int(hits.size) - warnings.limit, 0)
    dropped["duplicate_key"] = int(hits.size)
    keep = ~dup
    return frame.loc[keep].reset_index(drop=True), rows[keep]


def _show(value: object) -> str:
    if isinstance(value, pd.Timestamp):
        return value.strftime("%Y-%m-%d %H:%M") if (value.hour or value.minute) else value.strftime("%Y-%m-%d")
    return str(value)


def _totals(frame: pd.DataFrame, kind: ExportKind) -> dict[str, float]:
    """Sums of the additive money and count fields present (a column with no value at all has no total)."""
    sums = {}
    for spec in kind.fields:
        if spec.additive and spec.field in frame.columns:
            total = frame[spec.field].sum(min_count=1)
            if pd.notna(total):
                sums[spec.field] = round(float(total), 2)
    return sums


# (field, field it cannot exceed) in one row: clicks come from impressions, buyers place orders, a room's
# average audience is below its peak, new buyers are buyers. Applied to every kind holding both fields.
AT_MOST: tuple[tuple[str, str], ...] = (
    ("product_click_uv", "product_impr_uv"),
    ("product_click_pv", "product_impr_pv"),
    ("clicks", "impressions"),
    ("room_product_click_uv", "room_product_impr_uv"),
    ("room_product_click_pv", "room_product_impr_pv"),
    ("video_product_click_pv", "video_product_impr_pv"),
    ("play_3s", "video_plays"),
    ("buyer_count", "order_count"),
    ("new_buyer_count", "buyer_count"),
    ("avg_online", "peak_online"),
)


def _check_funnel(columns: dict[str, object], rows: np.ndarray, headers: dict[str, str], warnings: _Warnings) -> None:
    """A row claiming more clicks than impressions (or buyers than orders) cannot be scored: the first field is
    set to missing there and each such row is warned about, naming the column it exceeds."""
    for small, large in AT_MOST:
        if small in columns and large in columns:
            bad = np.asarray(columns[small], dtype="float64") > np.asarray(columns[large], dtype="float64")  # NaN: False
            _blank(columns, small, bad, rows, headers, warnings, code="exceeds_field", params={"other": headers[large]})


def _check_score_scale(columns: dict[str, object], rows: np.ndarray, kind: ExportKind, headers: dict[str, str], warnings: _Warnings) -> None:
    """Experience scores are on a 5- or a 100-point scale, one per file. Scores above a declared scale, or on
    the scale the rest of the file does not use (7 among 4.8s, 4.5 among 92s), are warned about and set to
    missing, so the scale derived later is the file's own."""
    declared = columns.get("experience_scale")
    declared = np.asarray(declared, dtype="float64") if declared is not None else None
    for spec in kind.fields:
        if spec.dtype != "score" or spec.field not in columns:
            continue
        values = np.asarray(columns[spec.field], dtype="float64")
        if declared is not None and np.isfinite(declared).any():
            _blank(columns, spec.field, values > declared, rows, headers, warnings, code="score_above_scale")
            continue
        small, large = values <= 5, values > 5
        if small.any() and large.any():
            minority = small if small.sum() < large.sum() else large
            _blank(columns, spec.field, minority, rows, headers, warnings, code="score_scale_mixed")


def _blank(
    columns: dict[str, object], field: str, bad: np.ndarray, rows: np.ndarray, headers: dict[str, str],
    warnings: _Warnings, code: str, params: dict[str, str] | None = None,
) -> None:
    """Set the `bad` cells of a parsed numeric column to missing, with a row warning each."""
    if not bad.any():
        return
    values = np.asarray(columns[field], dtype="float64")
    hits = np.flatnonzero(bad)
    warnings.add_hits(hits, rows, [f"{v:g}" for v in values[hits[: warnings.limit]]], headers[field], code, params)
    columns[field] = np.where(bad, np.nan, values)


def _build(raw: RawTable, filename: str, kind: ExportKind, scores: list[KindScore], overrides: dict[int, str]) -> tuple[pd.DataFrame, IngestReport]:
    warnings = _Warnings()
    for number, text in raw.skipped_rows:
        warnings.add(RowWarning(row=number, column=None, value=text[:120], code="bad_row_shape"))
    dropped = {"bad_row_shape": len(raw.skipped_rows), "blank_row": raw.blank_rows}
    rows_read = raw.data.num_rows
    if rows_read == 0:
        raise IngestError("header_only", file=filename, header_row=raw.header_row)
    table, rows = _drop_rows(raw, warnings, dropped)
    if table.num_rows == 0:
        raise IngestError("header_only", file=filename, header_row=raw.header_row)
    level_notes: list[dict[str, str]] = []
    table, rows = _keep_level_rows(table, rows, raw.headers, kind, overrides, level_notes)
    limit = int(settings.get("max_rows"))
    if table.num_rows > limit:
        raise IngestError("too_many_rows", file=filename, limit=limit)
    matches, duplicates = match_columns(kind, raw.headers, overrides)
    notes: list[dict[str, str]] = level_notes + [{"code": "duplicate_header", "column": h, "first": first} for h, first in duplicates]
    n_rows = table.num_rows
    pending = {m.index: table.column(m.index) for m in matches}
    raw.data = table = None  # only the mapped columns stay alive, each until it is parsed
    pa.default_memory_pool().release_unused()
    columns = _parse_columns(pending, rows, matches, warnings, notes)
    headers = {name: m.header for m in matches for name in m.spec.columns}
    _check_funnel(columns, rows, headers, warnings)
    _check_score_scale(columns, rows, kind, headers, warnings)
    if raw.replaced_chars:
        notes.append({"code": "bytes_replaced", "count": str(raw.replaced_chars)})
    derived_columns, derived = derive(columns, kind)
    frame = _to_frame(columns | derived_columns, n_rows)
    notes.extend({"code": "derived", "field": f, "formula": formula} for f, formula in derived.items())
    if "experience_scale" in frame.columns and frame["experience_scale"].notna().any():
        notes.append({"code": "experience_scale", "scale": f"{frame['experience_scale'].iloc[0]:g}"})
    frame, rows = _drop_duplicates(frame, rows, kind, warnings, dropped)
    frame[SOURCE_ROW] = rows.astype(np.int32)  # evidence points back to the file's own row numbers
    starts = frame[kind.date_field].dropna() if kind.date_field in frame.columns else pd.Series(dtype="datetime64[ns]")
    ends = frame[kind.end_field].dropna() if kind.end_field in frame.columns else starts
    mapped_fields = {m.spec.field for m in matches}
    used = {m.index for m in matches}
    report = IngestReport(
        file=filename,
        kind=kind.kind,
        kind_title={"zh": kind.title.zh, "en": kind.title.en},
        kind_scores={s.kind: s.score for s in scores},
        format=raw.format,
        encoding=raw.encoding,
        delimiter=raw.delimiter,
        sheet=raw.sheet,
        header_row=raw.header_row,
        rows_read=rows_read,
        rows_kept=len(frame),
        start=starts.min().date() if len(starts) else None,
        end=ends.max().date() if len(ends) else None,
        mapped=[
            MappedColumn(
                header=m.header, field=m.spec.field, label_zh=m.spec.zh, label_en=m.spec.en,
                dtype=m.spec.dtype, unit=m.spec.unit, factor=m.factor,
            )
            for m in matches
        ],
        ignored=[h for i, h in enumerate(raw.headers) if i not in used and h],
        missing_expected=[f for f in kind.expected_fields if f not in mapped_fields and f not in derived],
        derived=derived,
        notes=notes,
        warnings=warnings.kept,
        warning_counts=dict(warnings.counts),
        dropped_rows={k: v for k, v in dropped.items() if v},
        totals=_totals(frame, kind),
    )
    return frame, report
