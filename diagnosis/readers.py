"""Bytes → a raw grid of strings (header candidates and data), for CSV/TSV text and XLSX workbooks.

Readers know file formats, not export kinds: the caller passes `score_header`, which rates how much a
row looks like a known header, so the header row (and the sheet) can be picked below title rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv

from diagnosis import settings
from diagnosis.errors import IngestError

SAMPLE_BYTES = 256 * 1024
DELIMITERS = (",", "\t", ";", "|")
HeaderScorer = Callable[[list[str]], float]


@dataclass
class RawTable:
    """Header cells, data as string columns (positional), and each data row's 1-based row number in the file."""

    headers: list[str]
    data: pa.Table
    row_numbers: np.ndarray
    format: str
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    header_row: int = 1
    skipped_rows: list[tuple[int | None, str]] = field(default_factory=list)


def sniff_format(data: bytes, filename: str) -> str:
    """'xlsx', 'csv', or an IngestError for formats that are not tables we read."""
    head = data[:8]
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06"):
        return "xlsx"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise IngestError("legacy_xls", file=filename)
    for magic, what in ((b"%PDF", "PDF"), (b"\x89PNG", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"\x1f\x8b", "gzip")):
        if head.startswith(magic):
            raise IngestError("not_a_table_format", file=filename, what=what)
    if filename.lower().endswith((".xlsx", ".xlsm")) and not head.startswith(b"PK"):
        raise IngestError("corrupt_xlsx", file=filename, detail="not a zip archive")
    return "csv"


# ---------------------------------------------------------------- text (CSV / TSV)


def _bom(data: bytes) -> tuple[str | None, int]:
    for bom, name in ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be")):
        if data.startswith(bom):
            return name, len(bom)
    return None, 0


def _decodes(sample: bytes, encoding: str) -> bool:
    try:
        codecs.getincrementaldecoder(encoding)(errors="strict").decode(sample, final=False)
        return True
    except (UnicodeDecodeError, LookupError):
        return False


def detect_encoding(data: bytes, filename: str) -> tuple[str, int]:
    """(encoding, BOM length): BOM first, then strict UTF-8, then GB18030 (a superset of GBK), then
    charset-normalizer for anything else (Big5, UTF-16 without BOM...)."""
    name, skip = _bom(data)
    if name:
        return name, skip
    sample = data[:SAMPLE_BYTES]
    if b"\x00" in sample:
        guess = charset_normalizer.from_bytes(sample).best()
        if guess is not None and guess.encoding.startswith("utf_16"):
            return guess.encoding.replace("_", "-"), 0
        raise IngestError("binary_file", file=filename)
    for encoding in ("utf-8", "gb18030"):
        if _decodes(sample, encoding):
            return encoding, 0
    guess = charset_normalizer.from_bytes(sample).best()
    if guess is None:
        raise IngestError("unknown_encoding", file=filename)
    return guess.encoding, 0


_CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _looks_binary(text: str) -> bool:
    """Control characters or replacement characters in bulk mean the bytes were never text."""
    if not text:
        return False
    controls = len(_CONTROL_RE.findall(text))
    return controls / len(text) > 0.05 or text.count("\ufffd") > len(text) / 50


def _sample_rows(text: str, delimiter: str, limit: int) -> list[list[str]]:
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text), delimiter=delimiter):
            rows.append(row)
            if len(rows) >= limit:
                break
    except csv.Error:
        pass
    return rows


def sniff_delimiter(text: str) -> str:
    """The delimiter giving the most columns consistently over the sample's later lines (titles skew the top)."""
    best, best_score = ",", -1.0
    for delimiter in DELIMITERS:
        rows = [r for r in _sample_rows(text, delimiter, 60) if any(c.strip() for c in r)]
        if not rows:
            continue
        widths = [len(r) for r in rows]
        mode = max(set(widths), key=widths.count)
        score = (mode - 1) * widths.count(mode) / len(widths) if mode > 1 else 0.0
        if score > best_score:
            best, best_score = delimiter, score
    return best


def pick_header(rows: list[list[str]], score_header: HeaderScorer) -> tuple[int, float]:
    """Index of the row that best matches known headers (earliest on ties) and its score."""
    best_idx, best_score = 0, 0.0
    for i, row in enumerate(rows):
        score = score_header(row)
        if score > best_score:
            best_idx, best_score = i, score
    if best_score == 0:
        widths = [sum(1 for c in r if str(c).strip()) for r in rows]
        if widths:
            widest = max(widths)
            best_idx = next(i for i, w in enumerate(widths) if w == widest)
    return best_idx, best_score


def _unique_names(n: int) -> list[str]:
    return [f"c{i}" for i in range(n)]


def read_text_table(data: bytes, filename: str, score_header: HeaderScorer) -> RawTable:
    encoding, bom = detect_encoding(data, filename)
    sample = data[bom : bom + SAMPLE_BYTES]
    text = codecs.getincrementaldecoder(encoding)(errors="replace").decode(sample, final=False)
    if _looks_binary(text):
        raise IngestError("binary_file", file=filename)
    delimiter = sniff_delimiter(text)
    scan = int(settings.get("header_scan_rows"))
    sample_rows = _sample_rows(text, delimiter, 20_000)
    rows = sample_rows[:scan]
    if not any(any(c.strip() for c in r) for r in rows):
        raise IngestError("empty_file", file=filename)
    header_idx, _ = pick_header(rows, score_header)
    headers = rows[header_idx]
    if len(headers) > settings.get("max_columns"):
        raise IngestError("too_many_columns", file=filename, found=len(headers), limit=int(settings.get("max_columns")))
    payload: pa.Buffer | bytes = pa.py_buffer(data).slice(bom, len(data) - bom - _cut_tail(data))
    if encoding not in ("utf-8", "utf-8-sig"):
        payload = data[bom:].decode(encoding, errors="replace").encode("utf-8")
    multiline = any("\n" in cell or "\r" in cell for row in sample_rows for cell in row)
    table, skipped = _arrow_read(payload, filename, header_idx, len(headers), delimiter, multiline, threads=True)
    if skipped:  # row numbers of skipped rows are only known to a single-threaded read
        table, skipped = _arrow_read(payload, filename, header_idx, len(headers), delimiter, multiline, threads=False)
    row_numbers = _row_numbers(table.num_rows, header_idx, skipped)
    return RawTable(
        headers=[h.strip() for h in headers],
        data=table,
        row_numbers=row_numbers,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_idx + 1,
        skipped_rows=[(number, text) for number, text in skipped if text.strip(delimiter + " \r\n")],
    )


def _arrow_read(
    payload, filename: str, header_idx: int, width: int, delimiter: str, multiline: bool, threads: bool
) -> tuple[pa.Table, list[tuple[int | None, str]]]:
    """All cells as strings; rows of the wrong width (blank lines included) are skipped and remembered."""
    skipped: list[tuple[int | None, str]] = []

    def on_invalid(row: pacsv.InvalidRow) -> str:
        skipped.append((row.number, row.text or ""))
        return "skip"

    names = _unique_names(width)
    try:
        table = pacsv.read_csv(
            pa.BufferReader(payload),
            read_options=pacsv.ReadOptions(skip_rows=header_idx + 1, column_names=names, use_threads=threads),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter,
                invalid_row_handler=on_invalid,
                newlines_in_values=multiline,
                ignore_empty_lines=width == 1,
            ),
            convert_options=pacsv.ConvertOptions(
                column_types={n: pa.string() for n in names},
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
    except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
        raise IngestError("not_a_table", file=filename, detail=str(exc).splitlines()[0][:200]) from None
    return table, skipped


def _cut_tail(data: bytes) -> int:
    """Bytes of a UTF-8 character cut off at the end of a truncated download (0-3), so the last,
    partial row is reported as such instead of failing the whole read."""
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 == 0x80:
            continue
        if byte >= 0xC0:
            needed = 2 if byte < 0xE0 else 3 if byte < 0xF0 else 4
            return back if needed > back else 0
        return 0
    return 0


def _row_numbers(n: int, header_idx: int, skipped: list[tuple[int | None, str]]) -> np.ndarray:
    """File row numbers of kept rows: data starts below the header; each skipped row shifts the rest by one."""
    numbers = np.arange(n, dtype=np.int64) + header_idx + 2
    for number, _ in sorted((s for s in skipped if s[0] is not None), key=lambda s: s[0]):
        numbers[numbers >= number] += 1
    return numbers


# ---------------------------------------------------------------- XLSX


_MERGE_RE = re.compile(rb'<mergeCell\s+ref="([A-Z]+)(\d+):([A-Z]+)(\d+)"')


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _merged_ranges(archive: zipfile.ZipFile, path: str) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col), 0-based, read by streaming the sheet XML (read-only mode
    does not expose merges)."""
    ranges: list[tuple[int, int, int, int]] = []
    tail = b""
    with archive.open(path.lstrip("/")) as stream:
        while chunk := stream.read(1 << 20):
            buf = tail + chunk
            for m in _MERGE_RE.finditer(buf):
                ranges.append((int(m.group(2)) - 1, _col_index(m.group(1)), int(m.group(4)) - 1, _col_index(m.group(3))))
            tail = buf[-200:] if b"<mergeCell" in buf[-200:] else b""
    return sorted(set(ranges))


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S") if value.time() != dt.time() else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.strftime("%Y-%m-%d")
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value)


def _fill_merges(rows: list[list[str]], ranges: list[tuple[int, int, int, int]], offset: int = 0) -> None:
    """Give every cell of a merged block the block's value, as a reader of the sheet sees it."""
    for r0, c0, r1, c1 in ranges:
        top = r0 - offset
        if top < 0 or top >= len(rows) or c0 >= len(rows[top]):
            continue
        value = rows[top][c0]
        for r in range(max(top, 0), min(r1 - offset, len(rows) - 1) + 1):
            row = rows[r]
            for c in range(c0, min(c1, len(row) - 1) + 1):
                row[c] = value


def check_zip(data: bytes, filename: str) -> zipfile.ZipFile:
    """Open the archive, refusing corrupt ones and those whose declared unpacked size is a bomb."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise IngestError("corrupt_xlsx", file=filename, detail=str(exc)[:200]) from None
    limit_mb = settings.get("max_uncompressed_mb")
    declared = sum(i.file_size for i in infos)
    if declared > limit_mb * 1024 * 1024:
        raise IngestError("zip_bomb", file=filename, size_mb=round(declared / 2**20), limit_mb=int(limit_mb))
    if not any(i.filename == "xl/workbook.xml" for i in infos):
        raise IngestError("corrupt_xlsx", file=filename, detail="zip archive without xl/workbook.xml")
    return archive


def read_xlsx_table(data: bytes, filename: str, score_header: HeaderScorer, sheet_hint: Callable[[str], float]) -> RawTable:
    import openpyxl

    archive = check_zip(data, filename)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types (KeyError, XML errors...) for a damaged file
        raise IngestError("corrupt_xlsx", file=filename, detail=f"{type(exc).__name__}: {exc}"[:200]) from None
    scan = int(settings.get("header_scan_rows"))
    try:
        candidates = []
        for order, ws in enumerate(workbook.worksheets[:30]):
            merges = _merged_ranges(archive, ws._worksheet_path)
            top = [[_cell_text(v) for v in row] for row in ws.iter_rows(max_row=scan, values_only=True)]
            _fill_merges(top, merges)
            idx, score = pick_header(top, score_header)
            candidates.append((score + sheet_hint(ws.title), -order, ws, idx, merges))
        if not candidates:
            raise IngestError("empty_file", file=filename)
        _, _, ws, header_idx, merges = max(candidates, key=lambda c: (c[0], c[1]))
        rows = _read_rows(ws, filename)
    except IngestError:
        raise
    except Exception as exc:  # damaged sheet XML surfaces only while rows are read
        raise IngestError("corrupt_xlsx", file=filename, detail=f"{type(exc).__name__}: {exc}"[:200]) from None
    finally:
        workbook.close()
    _fill_merges(rows, merges)
    if not rows:
        raise IngestError("empty_file", file=filename)
    width = max(len(r) for r in rows)
    if width > settings.get("max_columns"):
        raise IngestError("too_many_columns", file=filename, found=width, limit=int(settings.get("max_columns")))
    headers = rows[header_idx] + [""] * (width - len(rows[header_idx]))
    body = rows[header_idx + 1 :]
    columns = [[r[c] if c < len(r) else "" for r in body] for c in range(width)]
    table = pa.table({name: pa.array(col, pa.string()) for name, col in zip(_unique_names(width), columns)})
    return RawTable(
        headers=[h.strip() for h in headers],
        data=table,
        row_numbers=np.arange(len(body), dtype=np.int64) + header_idx + 2,
        format="xlsx",
        sheet=ws.title,
        header_row=header_idx + 1,
    )


def _read_rows(ws, filename: str) -> list[list[str]]:
    limit = int(settings.get("max_rows"))
    rows: list[list[str]] = []
    for row in ws.iter_rows(values_only=True):
        rows.append([_cell_text(v) for v in row])
        if len(rows) > limit + 50:
            raise IngestError("too_many_rows", file=filename, limit=limit)
    while rows and not any(c.strip() for c in rows[-1]):
        rows.pop()
    return rows
