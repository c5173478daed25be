"""A whole workspace as one zip (for backups and for moving from SQLite on a laptop to a PostgreSQL server).

Rows are JSON lines per table with binary columns (the stored Parquet) base64-encoded; the archive records the
Alembic revision so a newer program can migrate an older backup. Import goes into an empty workspace in one
transaction: a broken archive leaves the target untouched.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import zipfile
import zlib
from datetime import date, datetime

from sqlalchemy import Date, DateTime, LargeBinary, func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from diagnosis.store.models import Base
from diagnosis.store.workspace import Workspace, db_reason

FORMAT = 1
MAX_MEMBER_BYTES = 2 * 1024**3


def _tables() -> list:
    """The tables a backup carries: everything but caches (they are learned again)."""
    return [table for table in Base.metadata.sorted_tables if not table.info.get("cache")]


def _encode(value: object) -> object:
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def export_zip(workspace: Workspace) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive, workspace.session() as s:
        revision = s.execute(text("SELECT version_num FROM alembic_version")).scalar()
        counts = {}
        for table in _tables():
            rows = [{k: _encode(v) for k, v in row._mapping.items()} for row in s.execute(select(table))]
            counts[table.name] = len(rows)
            archive.writestr(f"{table.name}.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
        archive.writestr("manifest.json", json.dumps({"format": FORMAT, "revision": revision, "rows": counts}))
    return buffer.getvalue()


def _decode(table, row: dict) -> dict:
    out = {}
    for column in table.columns:
        value = row.get(column.name)
        if value is not None:
            if isinstance(column.type, LargeBinary):
                value = base64.b64decode(value)
            elif isinstance(column.type, DateTime):
                value = datetime.fromisoformat(value)
            elif isinstance(column.type, Date):
                value = date.fromisoformat(value)
        out[column.name] = value
    return out


class BackupError(ValueError):
    pass


def _rows(archive: zipfile.ZipFile, table) -> list[dict]:
    name = f"{table.name}.jsonl"
    try:
        lines = archive.read(name).decode("utf-8").splitlines()
    except KeyError:
        raise BackupError(f"the archive lacks {name}") from None
    except (zipfile.BadZipFile, UnicodeDecodeError, EOFError, zlib.error) as exc:
        raise BackupError(f"{name} is damaged ({exc})") from None
    rows = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise TypeError("not a JSON object")
            rows.append(_decode(table, row))
        except (ValueError, TypeError, binascii.Error) as exc:
            raise BackupError(f"{name} line {number}: {exc}") from None
    return rows


def import_zip(workspace: Workspace, data: bytes) -> dict[str, int]:
    """Load a backup into an empty workspace; BackupError (nothing written) for a bad archive or a used target."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        if sum(i.file_size for i in archive.infolist()) > MAX_MEMBER_BYTES:
            raise BackupError("the archive would unpack to more than 2 GB")
        manifest = json.loads(archive.read("manifest.json"))
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BackupError(f"not a BeltDoctor workspace backup ({exc})") from None
    if manifest.get("format") != FORMAT:
        raise BackupError(f"backup format {manifest.get('format')} is not supported (expected {FORMAT})")
    counts = {}
    with workspace.transaction() as s:
        for table in _tables():
            if s.scalar(select(func.count()).select_from(table)):
                raise BackupError(f"the target workspace is not empty (table {table.name} has rows)")
        for table in _tables():
            rows = _rows(archive, table)
            if rows:
                try:
                    s.execute(insert(table), rows)
                except SQLAlchemyError as exc:  # a row that breaks a key or a constraint: the backup was edited or cut
                    raise BackupError(f"{table.name}.jsonl does not fit the workspace ({db_reason(exc)})") from None
            counts[table.name] = len(rows)
        if workspace.engine.dialect.name == "postgresql":
            for table in _tables():
                s.execute(text(f"SELECT setval(pg_get_serial_sequence('{table.name}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {table.name}"))
    return counts
