"""Bytes → a raw grid of strings (header candidates and data), for CSV/TSV text and XLSX workbooks.

Readers know file formats, not export kinds: the caller passes `score_header`, which rates how much a
row looks like a known header, so the header row (and the sheet) can be picked below title rows.
"""

from __future__ import annotations

import bisect
import codecs
import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import charset_normalizer
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from diagnosis import settings
from diagnosis.errors import IngestError

SAMPLE_BYTES = 256 * 1024
csv.field_size_limit(SAMPLE_BYTES)  # a sample cell may be as long as the sample; the default 128 KB would end it
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
    blank_rows: int = 0
    replaced_chars: int = 0


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
    """Rows of the sample; `newline=""` lets csv see CR-only line ends (old Mac / some exporters)."""
    rows: list[list[str]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
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


def _line_limit() -> int:
    return int(settings.get("max_line_kb") * 1024)


def _check_first_line(data: bytes, bom: int, filename: str) -> None:
    """A file whose first line runs past the line limit is no table (or one line of 50 MB): say so, instead
    of "empty" from a sample that holds no complete row."""
    limit = _line_limit()
    window = data[bom : bom + limit + 1]
    if len(window) > limit and b"\n" not in window and b"\r" not in window:
        raise IngestError("line_too_long", file=filename, row=1, limit_kb=limit // 1024)


def read_text_table(data: bytes, filename: str, score_header: HeaderScorer) -> RawTable:
    encoding, bom = detect_encoding(data, filename)
    _check_first_line(data, bom, filename)
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
    width = len(headers)
    replaced = 0
    try:
        table, skipped = _arrow_read(payload, filename, header_idx, width, delimiter, multiline, threads=True)
    except IngestError as exc:
        if exc.code != "invalid_utf8":
            raise
        # UTF-8 in the sample but not further down: read it with the bad bytes replaced, and say how many
        marker = "\ufffd".encode()
        payload = data[bom:].decode("utf-8", errors="replace").encode("utf-8")
        replaced = payload.count(marker) - data.count(marker)
        table, skipped = _arrow_read(payload, filename, header_idx, width, delimiter, multiline, threads=True)
    source = payload if isinstance(payload, bytes) else data
    ends = source.count(b"\n") or source.count(b"\r")
    if not multiline and ends > header_idx + 1 + table.num_rows + len(skipped):
        # more lines than records: a quoted cell spans lines past the sample. Read without quote-blind block
        # splitting, which drops the rows of a block silently when a quote is left open in it.
        multiline = True
        table, skipped = _arrow_read(payload, filename, header_idx, width, delimiter, multiline, threads=True)
    if skipped:  # row numbers of skipped rows are only known to a single-threaded read
        table, skipped = _arrow_read(payload, filename, header_idx, width, delimiter, multiline, threads=False)
    row_numbers = _row_numbers(table.num_rows, header_idx, skipped)
    runaway = _runaway_quote(ends, table, row_numbers, skipped, header_idx, delimiter, width)
    if runaway is not None:
        raise IngestError("unterminated_quote", file=filename, row=runaway)
    return RawTable(
        headers=[h.strip() for h in headers],
        data=table,
        row_numbers=row_numbers,
        format="csv",
        encoding=encoding,
        delimiter=delimiter,
        header_row=header_idx + 1,
        skipped_rows=[(number, text) for number, text in skipped if text.strip(delimiter + " \r\n")],
        blank_rows=sum(1 for _, text in skipped if not text.strip(delimiter + " \r\n")),
        replaced_chars=replaced,
    )


def _swallows_rows(text: str, delimiter: str, width: int) -> bool:
    """A record holding later lines that look like whole rows of this table: a quote opened and never closed
    where it should have been, so those rows were read as part of one cell."""
    lines = re.split(r"\r\n|\r|\n", text)[1:]
    return width >= 3 and any(line.count(delimiter) >= width - 1 for line in lines)


def _runaway_quote(
    ends: int, table: pa.Table, row_numbers: np.ndarray, skipped: list[tuple[int | None, str]], header_idx: int, delimiter: str, width: int
) -> int | None:
    """File row where an unterminated quote swallowed the rows after it, or None.

    Only records spanning several lines can do that, so cells are searched only when the file has more
    line ends than records (`ends`: one count, cheap next to the parse)."""
    for number, text in skipped:
        if _swallows_rows(text, delimiter, width):
            return number
    records = header_idx + 1 + table.num_rows + len(skipped)
    if width < 3 or ends <= records:
        return None
    d = re.escape(delimiter)
    swallowed = rf"[\r\n](?:[^\r\n{d}]*{d}){{{width - 1}}}"  # the _swallows_rows test, as one RE2 scan a column
    for column in table.columns:
        hits = np.flatnonzero(np.asarray(pc.fill_null(pc.match_substring_regex(column, swallowed), False), dtype=bool))
        if hits.size:
            return int(row_numbers[hits[0]])
    return None


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
            read_options=pacsv.ReadOptions(
                skip_rows=header_idx + 1, column_names=names, use_threads=threads, block_size=_line_limit()
            ),
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
        if str(exc).startswith("Could not skip initial"):  # nothing below the header row
            return pa.table({n: pa.array([], pa.string()) for n in names}), skipped
        raise _arrow_error(str(exc), payload, filename, delimiter) from None
    return table, skipped


def _arrow_error(message: str, payload, filename: str, delimiter: str) -> IngestError:
    """Our own reason for a failed Arrow read (its messages name its internals, not the file's problem).

    A record longer than a parse block ("straddles two block boundaries") is either one overlong line or a
    quote left open across many lines; the line ends tell which, and where."""
    if "invalid UTF8" in message:
        return IngestError("invalid_utf8", file=filename)
    if "straddl" not in message:
        return IngestError("csv_unreadable", file=filename)
    source = payload if isinstance(payload, bytes) else payload.to_pybytes()
    limit = _line_limit()
    end_byte = 10 if b"\n" in source else 13
    ends = np.flatnonzero(np.frombuffer(source, dtype=np.uint8) == end_byte)
    starts = np.concatenate([[0], ends + 1])
    lengths = np.concatenate([ends, [len(source)]]) - starts
    longest = int(np.argmax(lengths))
    if lengths[longest] > limit:
        return IngestError("line_too_long", file=filename, row=longest + 1, limit_kb=limit // 1024)
    return IngestError("quoted_record_too_long", file=filename, row=_open_quote_row(source, delimiter), limit_kb=limit // 1024)


def _open_quote_row(source: bytes, delimiter: str) -> int | None:
    """1-based line where the first overlong quoted record starts (Python's csv tracks line numbers)."""
    text = io.StringIO(source.decode("utf-8", errors="replace"), newline="")
    reader = csv.reader(text, delimiter=delimiter)
    start = 1
    try:
        for _ in reader:
            start = reader.line_num + 1
    except csv.Error:
        return start
    return None


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
_STRING_ITEM_RE = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?si[\s/>]")
EXCEL_MAX_ROWS = 1_048_576
SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def _col_index(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n - 1


def _stream_matches(archive: zipfile.ZipFile, path: str, pattern: re.Pattern, overlap: int) -> Iterator[re.Match]:
    """Matches of `pattern` over a part read 1 MB at a time (a match cut by a chunk edge is found in the next)."""
    tail = b""
    with archive.open(path.lstrip("/")) as stream:
        while chunk := stream.read(1 << 20):
            buf = tail + chunk
            end = 0
            for m in pattern.finditer(buf):
                end = m.end()
                yield m
            tail = buf[max(end, len(buf) - overlap) :]


def _merged_ranges(archive: zipfile.ZipFile, path: str, filename: str) -> list[tuple[int, int, int, int]]:
    """(min_row, min_col, max_row, max_col), 0-based, read by streaming the sheet XML (read-only mode
    does not expose merges); refused past the merge limit before any is applied."""
    limit = int(settings.get("max_merged_ranges"))
    ranges: set[tuple[int, int, int, int]] = set()
    for m in _stream_matches(archive, path, _MERGE_RE, 200):
        ranges.add((int(m.group(2)) - 1, _col_index(m.group(1)), int(m.group(4)) - 1, _col_index(m.group(3))))
        if len(ranges) > limit:
            raise IngestError("too_many_merges", file=filename, limit=limit)
    return sorted(ranges)


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


def _fill_merges(rows: list[list[str]], numbers: list[int], ranges: list[tuple[int, int, int, int]], filename: str) -> None:
    """Give every cell of a merged block the block's value, as a reader of the sheet sees it. `numbers` are
    the 0-based sheet rows of `rows` (ascending; empty rows are not materialised).

    Merged ranges of a real sheet never overlap, so together they cover at most the rows × columns in view;
    more means overlapping ranges, each re-filling the same cells (20,000 of them over 100,000 rows is two
    billion writes): refused before any is filled."""
    width_limit = int(settings.get("max_columns"))
    spans = []
    for r0, c0, r1, c1 in ranges:
        top = bisect.bisect_left(numbers, r0)
        if top >= len(rows) or numbers[top] != r0 or c0 >= len(rows[top]):
            continue
        spans.append((top, bisect.bisect_right(numbers, r1), c0, min(c1, width_limit - 1)))
    width = max([len(r) for r in rows] + [last + 1 for *_, last in spans], default=0)
    if sum((bottom - top) * (last + 1 - c0) for top, bottom, c0, last in spans) > len(rows) * width:
        raise IngestError("corrupt_xlsx", file=filename, detail="merged cell ranges overlap")
    for top, bottom, c0, last in spans:
        value = rows[top][c0]
        for r in range(top, bottom):
            row = rows[r]
            if len(row) <= last:
                row.extend([""] * (last + 1 - len(row)))
            row[c0 : last + 1] = [value] * (last + 1 - c0)


def check_zip(data: bytes, filename: str) -> zipfile.ZipFile:
    """Open the archive, refusing corrupt ones and those whose declared unpacked size is a bomb.

    Sizes come from the zip directory, which zipfile enforces while inflating (a part that inflates past its
    declared size fails its CRC check), so nothing is decompressed to learn them."""
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
    _check_part_sizes(archive, filename)
    return archive


# Parts read in read-only mode only as streams (sheets) or not at all (drawings, charts, pictures)
NOT_LOADED_WHOLE = ("xl/worksheets/", "xl/drawings/", "xl/charts/", "xl/media/")


def _check_part_sizes(archive: zipfile.ZipFile, filename: str) -> None:
    """openpyxl parses the workbook, styles, relationships, properties and external links whole at load (a
    12 MB styles part, 40 KB zipped, takes 8 s): each is bounded by max_xlsx_part_mb, the manifest first
    since it is read to find the shared strings, which have limits of their own."""
    limit_mb = settings.get("max_xlsx_part_mb")

    def check(info: zipfile.ZipInfo) -> None:
        if info.file_size > limit_mb * 2**20:
            raise IngestError(
                "xlsx_part_too_large", file=filename, part=info.filename[:120], size_mb=round(info.file_size / 2**20), limit_mb=int(limit_mb)
            )

    from openpyxl.xml.constants import ARC_CONTENT_TYPES

    if ARC_CONTENT_TYPES in archive.NameToInfo:
        check(archive.getinfo(ARC_CONTENT_TYPES))
    shared = _shared_string_parts(archive)
    for info in archive.infolist():
        if info.filename not in shared and not info.filename.startswith(NOT_LOADED_WHOLE):
            check(info)
    _check_shared_strings(archive, shared, filename)


def _shared_string_parts(archive: zipfile.ZipFile) -> list[str]:
    """The parts openpyxl will load as shared strings: those the content types declare as such."""
    from openpyxl.packaging.manifest import Manifest
    from openpyxl.xml.constants import ARC_CONTENT_TYPES
    from openpyxl.xml.functions import fromstring

    try:
        manifest = Manifest.from_tree(fromstring(archive.read(ARC_CONTENT_TYPES)))
    except Exception:  # noqa: BLE001 - openpyxl itself reports a damaged manifest, as corrupt_xlsx
        return []
    names = set(archive.namelist())
    return [p.PartName.lstrip("/") for p in manifest.findall(SHARED_STRINGS_TYPE) if p.PartName.lstrip("/") in names]


def _check_shared_strings(archive: zipfile.ZipFile, parts: list[str], filename: str) -> None:
    """openpyxl loads the whole shared-string table before the first cell (10 µs an entry): bound its size
    from the directory, then its entry count by streaming it, before that happens."""
    limit_mb = settings.get("max_shared_strings_mb")
    limit = int(settings.get("max_shared_strings"))
    for part in parts:
        size = archive.getinfo(part).file_size
        if size > limit_mb * 2**20:
            raise IngestError("shared_strings_too_large", file=filename, size_mb=round(size / 2**20), limit_mb=int(limit_mb))
        count = 0
        for _ in _stream_matches(archive, part, _STRING_ITEM_RE, 64):
            count += 1
            if count > limit:
                raise IngestError("too_many_shared_strings", file=filename, limit=limit)


def _sheet_rows(ws, filename: str, max_row: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """(0-based sheet row, cell texts) for each row holding a value, straight from openpyxl's sheet parser.

    Not `iter_rows`: read-only worksheets pad every row to the declared `<dimension>` (a 5 KB file claiming
    A1:XFD1048576 becomes 17 billion cells). Rows are as wide as their last value; a value past the column
    limit refuses the file at once."""
    from openpyxl.worksheet._reader import WorkSheetParser

    width_limit = int(settings.get("max_columns"))
    book = ws.parent
    with book._archive.open(ws._worksheet_path) as source, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # openpyxl warns (on stderr) about cells it cannot convert
        parser = WorkSheetParser(
            source, ws._shared_strings, data_only=True, epoch=book.epoch,
            date_formats=book._date_formats, timedelta_formats=book._timedelta_formats,
        )
        for number, cells in parser.parse():
            if max_row is not None and number > max_row:
                return
            if not 1 <= number <= EXCEL_MAX_ROWS:
                raise IngestError("corrupt_xlsx", file=filename, detail=f"row number {number} outside Excel's 1-{EXCEL_MAX_ROWS:,}")
            values = [(c["column"], c["value"]) for c in cells if c["value"] is not None]
            if not values:
                continue
            width = max(column for column, _ in values)
            if width > width_limit:
                raise IngestError("too_many_columns", file=filename, found=width, limit=width_limit)
            row = [""] * width
            for column, value in values:
                row[column - 1] = _cell_text(value)
            yield number - 1, row


def _top_rows(ws, filename: str, scan: int) -> list[list[str]]:
    """The sheet's first `scan` rows, empty ones included, for the header search."""
    rows: list[list[str]] = [[] for _ in range(scan)]
    for number, row in _sheet_rows(ws, filename, max_row=scan):
        rows[number] = row
    while rows and not rows[-1]:
        rows.pop()
    return rows


def read_xlsx_table(data: bytes, filename: str, score_header: HeaderScorer, sheet_hint: Callable[[str], float]) -> RawTable:
    import openpyxl

    archive = check_zip(data, filename)
    try:
        workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types (KeyError, XML errors...) for a damaged file
        raise IngestError("corrupt_xlsx", file=filename, detail=f"{type(exc).__name__}: {exc}"[:200]) from None
    scan = int(settings.get("header_scan_rows"))
    max_sheets = int(settings.get("max_sheets"))
    try:
        candidates = []
        for order, ws in enumerate(workbook.worksheets[:max_sheets]):
            merges = _merged_ranges(archive, ws._worksheet_path, filename)
            top = _top_rows(ws, filename, scan)
            _fill_merges(top, list(range(len(top))), merges, filename)
            idx, score = pick_header(top, score_header)
            candidates.append((score + sheet_hint(ws.title), -order, ws, idx, merges, score))
        if len(workbook.worksheets) > max_sheets and not any(c[5] > 0 for c in candidates):
            raise IngestError("too_many_sheets", file=filename, found=len(workbook.worksheets), limit=max_sheets)
        if not candidates:
            raise IngestError("empty_file", file=filename)
        _, _, ws, header_idx, merges, _ = max(candidates, key=lambda c: (c[0], c[1]))
        numbers, rows = _read_rows(ws, filename)
    except IngestError:
        raise
    except Exception as exc:  # damaged sheet XML surfaces only while rows are read
        raise IngestError("corrupt_xlsx", file=filename, detail=f"{type(exc).__name__}: {exc}"[:200]) from None
    finally:
        workbook.close()
    _fill_merges(rows, numbers, merges, filename)
    if not rows:
        raise IngestError("empty_file", file=filename)
    start = bisect.bisect_right(numbers, header_idx)
    header = rows[start - 1] if start and numbers[start - 1] == header_idx else []
    body = rows[start:]
    width = max(len(header), max((len(r) for r in body), default=0))
    headers = header + [""] * (width - len(header))
    columns = [[r[c] if c < len(r) else "" for r in body] for c in range(width)]
    table = pa.table({name: pa.array(col, pa.string()) for name, col in zip(_unique_names(width), columns)})
    return RawTable(
        headers=[h.strip() for h in headers],
        data=table,
        row_numbers=np.asarray(numbers[start:], dtype=np.int64) + 1,
        format="xlsx",
        sheet=ws.title,
        header_row=header_idx + 1,
    )


def _read_rows(ws, filename: str) -> tuple[list[int], list[list[str]]]:
    """The sheet's rows, refused as soon as they pass the row limit or the cell budget (a few MB of zipped
    XML can hold a billion cells, each a Python string here until the columns are built)."""
    limit = int(settings.get("max_rows"))
    cell_limit = int(settings.get("max_xlsx_cells"))
    cells = 0
    numbers: list[int] = []
    rows: list[list[str]] = []
    for number, row in _sheet_rows(ws, filename):
        numbers.append(number)
        rows.append(row)
        cells += len(row)
        if len(rows) > limit + 50:
            raise IngestError("too_many_rows", file=filename, limit=limit)
        if cells > cell_limit:
            raise IngestError("too_many_cells", file=filename, limit=cell_limit)
    return numbers, rows
