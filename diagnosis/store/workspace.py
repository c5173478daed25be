"""The workspace API every interface uses (pages, batch, CLI); the only module that opens sessions.

Every write runs in one transaction, so an error half-way leaves the previous state intact. Uploads are
idempotent by the hash of the original bytes, and a file whose dates overlap an earlier file of the same kind
replaces those days in the earlier one (and says which).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import pandas as pd
from sqlalchemy import create_engine, event, func, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from diagnosis import kpis
from diagnosis.config import config
from diagnosis.ingest import IngestReport, ingest
from diagnosis.profile import MerchantProfile
from diagnosis.settings import data_home
from diagnosis.store.models import (
    ActionRecord,
    DiagnosisRecord,
    EndpointCapability,
    MeetingNote,
    Merchant,
    PlanRecord,
    Upload,
    User,
    now,
)

MIGRATIONS = Path(__file__).parent / "migrations"
STATUSES = ("todo", "doing", "done")


def database_url() -> str:
    """`DATABASE_URL` (e.g. postgresql+psycopg://user@host/db), else a SQLite file under the data home."""
    url = config().database_url
    if url:
        return url
    home = data_home()
    home.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(home / 'workspace.db').resolve()}"


def migrate(engine: Engine) -> None:
    from alembic import command
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # with WAL: atomic and consistent, one fsync per checkpoint, not per commit
    cursor.close()


def to_parquet(frame: pd.DataFrame) -> bytes:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return buffer.getvalue()


def from_parquet(data: bytes) -> pd.DataFrame:
    return pd.read_parquet(io.BytesIO(data))


@dataclass(frozen=True)
class EncodedExport:
    """An export read and encoded elsewhere (a batch worker): the workspace's single writer then only stores
    bytes, rather than converting every merchant's frames to Parquet itself."""

    report: IngestReport
    rows: int
    parquet: bytes

    @classmethod
    def encode(cls, frame: pd.DataFrame, report: IngestReport) -> EncodedExport:
        return cls(report, len(frame), to_parquet(frame))


@dataclass
class ImportResult:
    filename: str
    status: str  # new | unchanged
    kind: str | None = None
    start: date | None = None
    end: date | None = None
    rows: int = 0
    replaced: list[tuple[str, int]] = field(default_factory=list)  # (earlier file, days replaced)


class NotFound(LookupError):
    pass


@dataclass(frozen=True)
class StoredState:
    """What a batch needs to tell an unchanged merchant: its profile, the sha256 of its stored uploads and
    whether its latest diagnosis was made from exactly those uploads."""

    profile: MerchantProfile
    hashes: frozenset[str]
    diagnosed: bool


class Workspace:
    def __init__(self, url: str | None = None):
        self.url = url or database_url()
        self.engine = create_engine(self.url, future=True)
        if self.engine.dialect.name == "sqlite":
            event.listen(self.engine, "connect", _sqlite_pragmas)
        migrate(self.engine)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._local = threading.local()  # the session of this thread's `atomic()` block, if any

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        shared = getattr(self._local, "session", None)
        if shared is not None:
            yield shared
            shared.flush()  # ids for the caller, as a commit would give
            return
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Every write (and read) of this thread inside the block shares one transaction: a batch stores a
        merchant's profile, files, diagnosis and plan with one commit, and a failure part-way stores none of them."""
        if getattr(self._local, "session", None) is not None:
            yield
            return
        with self._sessions() as session, session.begin():
            self._local.session = session
            try:
                yield
            finally:
                self._local.session = None

    @contextmanager
    def _reading(self) -> Iterator[Session]:
        """A session for reads that sees the writes of an enclosing `atomic()` block."""
        shared = getattr(self._local, "session", None)
        if shared is not None:
            yield shared
            return
        with self._sessions() as session:
            yield session

    def session(self) -> Session:
        return self._sessions()

    # ---------------------------------------------------------------- LLM endpoint capabilities (a CapabilityCache)

    def load_capabilities(self, endpoint: str) -> dict | None:
        with self._reading() as s:
            found = s.get(EndpointCapability, endpoint)
            return dict(found.data) if found else None

    def save_capabilities(self, endpoint: str, data: dict) -> None:
        with self.transaction() as s:
            found = s.get(EndpointCapability, endpoint)
            if found is None:
                s.add(EndpointCapability(endpoint=endpoint, data=data))
            else:
                found.data, found.updated_at = data, now()

    # ---------------------------------------------------------------- merchants

    def merchant(self, session: Session, slug: str) -> Merchant:
        """Looked up once per session: an `atomic()` block would otherwise repeat it for every write."""
        known = session.info.setdefault("merchants", {})
        found = known.get(slug) or session.scalar(select(Merchant).where(Merchant.slug == slug))
        if found is None:
            raise NotFound(f"no merchant '{slug}' in this workspace")
        known[slug] = found
        return found

    def upsert_merchant(self, slug: str, profile: MerchantProfile, owner: str | None = None) -> Merchant:
        with self.transaction() as s:
            found = s.scalar(select(Merchant).where(Merchant.slug == slug))
            if found is None:
                found = Merchant(slug=slug)
                s.add(found)
            found.name, found.category, found.gross_margin, found.stage = profile.name, profile.category, profile.gross_margin, profile.stage
            if owner is not None:
                found.owner = owner
            return found

    def merchants(self) -> list[Merchant]:
        with self._reading() as s:
            return list(s.scalars(select(Merchant).order_by(Merchant.slug)))

    def profile(self, slug: str) -> MerchantProfile:
        with self._reading() as s:
            m = self.merchant(s, slug)
            return MerchantProfile(name=m.name, category=m.category, gross_margin=m.gross_margin, stage=m.stage)

    # ---------------------------------------------------------------- uploads

    def import_file(self, slug: str, data: bytes | None, filename: str,
                    ingested: tuple[pd.DataFrame, IngestReport] | EncodedExport | None = None, digest: str | None = None) -> ImportResult:
        """Store one export for `slug` (which must exist). IngestError propagates with nothing written. An export
        already read elsewhere comes as `ingested`, with the `digest` of its original bytes when `data` is None."""
        digest = digest or hashlib.sha256(data or b"").hexdigest()
        with self._reading() as s:
            merchant = self.merchant(s, slug)
            if s.scalar(select(Upload.id).where(Upload.merchant_id == merchant.id, Upload.sha256 == digest)) is not None:
                return ImportResult(filename, "unchanged")
        if not isinstance(ingested, EncodedExport):
            ingested = EncodedExport.encode(*(ingested or ingest(data, filename)))
        return self._store(slug, digest, filename, ingested)

    def _store(self, slug: str, digest: str, filename: str, export: EncodedExport) -> ImportResult:
        report = export.report
        result = ImportResult(filename, "new", report.kind, report.start, report.end, export.rows)
        with self.transaction() as s:
            merchant = self.merchant(s, slug)
            if report.start is not None and report.end is not None:
                overlapping = s.scalars(select(Upload).where(
                    Upload.merchant_id == merchant.id, Upload.kind == report.kind,
                    Upload.start <= report.end, Upload.end >= report.start,
                ))
                for earlier in overlapping:
                    result.replaced.append((earlier.filename, self._cut_days(s, earlier, report.start, report.end)))
            s.add(Upload(merchant_id=merchant.id, sha256=digest, filename=filename, kind=report.kind, start=report.start,
                         end=report.end, rows=export.rows, data=export.parquet))
        return result

    @staticmethod
    def _cut_days(s: Session, upload: Upload, start: date, end: date) -> int:
        frame = from_parquet(upload.data)
        column = kpis.date_column(upload.kind)
        if column not in frame:
            s.delete(upload)
            return 0
        days = pd.to_datetime(frame[column]).dt.date
        inside = (days >= start) & (days <= end)
        replaced = int(days[inside].nunique())
        kept = frame[~inside]
        if kept.empty:
            s.delete(upload)
        else:
            kept_days = pd.to_datetime(kept[column]).dt.date
            upload.data, upload.rows, upload.start, upload.end = to_parquet(kept), len(kept), kept_days.min(), kept_days.max()
        return replaced

    def uploads(self, slug: str) -> list[Upload]:
        with self._reading() as s:
            merchant = self.merchant(s, slug)
            return list(s.scalars(select(Upload).where(Upload.merchant_id == merchant.id).order_by(Upload.id)))

    def frames(self, slug: str) -> dict[str, pd.DataFrame]:
        return kpis.combine((from_parquet(u.data), u.kind) for u in self.uploads(slug))

    def data_hash(self, slug: str) -> str:
        with self._reading() as s:
            merchant = self.merchant(s, slug)
            return _data_hash(s.scalars(select(Upload.sha256).where(Upload.merchant_id == merchant.id)))

    def known_hashes(self, slug: str) -> set[str]:
        with self._reading() as s:
            merchant = s.scalar(select(Merchant).where(Merchant.slug == slug))
            if merchant is None:
                return set()
            return set(s.scalars(select(Upload.sha256).where(Upload.merchant_id == merchant.id)))

    def stored_state(self) -> dict[str, StoredState]:
        """Every merchant's StoredState by slug, from three set-based queries (no per-merchant round trips)."""
        with self._reading() as s:
            merchants = s.execute(select(Merchant.id, Merchant.slug, Merchant.name, Merchant.category, Merchant.gross_margin,
                                         Merchant.stage)).all()
            hashes: dict[int, set[str]] = {}
            for merchant_id, sha in s.execute(select(Upload.merchant_id, Upload.sha256)):
                hashes.setdefault(merchant_id, set()).add(sha)
            latest = select(DiagnosisRecord.merchant_id, func.max(DiagnosisRecord.version).label("v")).group_by(DiagnosisRecord.merchant_id).subquery()
            diagnosed = dict(s.execute(
                select(DiagnosisRecord.merchant_id, DiagnosisRecord.data_hash)
                .join(latest, (DiagnosisRecord.merchant_id == latest.c.merchant_id) & (DiagnosisRecord.version == latest.c.v))
            ).all())
        return {
            m.slug: StoredState(
                MerchantProfile(name=m.name, category=m.category, gross_margin=m.gross_margin, stage=m.stage),
                frozenset(hashes.get(m.id, ())), diagnosed.get(m.id) == _data_hash(hashes.get(m.id, ())),
            )
            for m in merchants
        }

    # ---------------------------------------------------------------- diagnoses and plans

    def save_diagnosis(self, slug: str, context, data_hash: str) -> DiagnosisRecord:
        """`context` is the PlanContext of the diagnosis (findings, KPI summary, daily GMV)."""
        gmv = context.gmv_daily
        with self.transaction() as s:
            merchant = self.merchant(s, slug)
            version = (s.scalar(select(func.max(DiagnosisRecord.version)).where(DiagnosisRecord.merchant_id == merchant.id)) or 0) + 1
            record = DiagnosisRecord(
                merchant_id=merchant.id, version=version, data_hash=data_hash, period_start=context.period[0],
                period_end=context.period[1], health_score=context.health_score,
                findings=[f.model_dump(mode="json") for f in context.findings],
                kpis={k.metric: k.value for k in context.kpis},
                gmv_daily=[[d.isoformat(), v] for d, v in gmv], gmv_previous=context.gmv_previous,
            )
            s.add(record)
            return record

    def save_plan(self, slug: str, result, diagnosis_id: int | None, edited: bool = False) -> PlanRecord:
        """A new plan version; its actions start as to-do unless the previous plan had the same action (same
        first finding code), whose status, dates and note carry over."""
        with self.transaction() as s:
            merchant = self.merchant(s, slug)
            version = (s.scalar(select(func.max(PlanRecord.version)).where(PlanRecord.merchant_id == merchant.id)) or 0) + 1
            previous = {a.why[0]: a for a in self._latest_actions(s, merchant.id) if a.why}
            record = PlanRecord(
                merchant_id=merchant.id, diagnosis_id=diagnosis_id, version=version, drafter=result.drafter, edited=edited,
                fallback_reason=result.fallback.dumps() if result.fallback else None, plan=result.plan.model_dump(mode="json"),
                problems=[{"code": p.code, "where": p.where, "message": p.message, "severity": p.severity} for p in result.problems],
            )
            s.add(record)
            s.flush()
            for n, action in enumerate(result.plan.actions, 1):
                old = previous.get(action.why[0]) if action.why else None
                s.add(ActionRecord(
                    plan_id=record.id, merchant_id=merchant.id, n=n, title=action.title, why=list(action.why),
                    metric=action.kpi.metric, current=action.kpi.current, target=action.kpi.target,
                    status=old.status if old else "todo", started_on=old.started_on if old else None,
                    done_on=old.done_on if old else None, note=old.note if old else "",
                ))
            return record

    @staticmethod
    def _latest_plan_id(s: Session, merchant_id: int) -> int | None:
        return s.scalar(select(PlanRecord.id).where(PlanRecord.merchant_id == merchant_id).order_by(PlanRecord.version.desc()).limit(1))

    def _latest_actions(self, s: Session, merchant_id: int) -> list[ActionRecord]:
        plan_id = self._latest_plan_id(s, merchant_id)
        if plan_id is None:
            return []
        return list(s.scalars(select(ActionRecord).where(ActionRecord.plan_id == plan_id).order_by(ActionRecord.n)))

    def diagnoses(self, slug: str) -> list[DiagnosisRecord]:
        with self._reading() as s:
            merchant = self.merchant(s, slug)
            return list(s.scalars(select(DiagnosisRecord).where(DiagnosisRecord.merchant_id == merchant.id).order_by(DiagnosisRecord.version)))

    def latest_plan(self, slug: str) -> PlanRecord | None:
        with self._reading() as s:
            merchant = self.merchant(s, slug)
            return s.scalar(select(PlanRecord).where(PlanRecord.merchant_id == merchant.id).order_by(PlanRecord.version.desc()).limit(1))

    def actions(self, slug: str) -> list[ActionRecord]:
        with self._reading() as s:
            return self._latest_actions(s, self.merchant(s, slug).id)

    def set_action_status(self, slug: str, action_id: int, status: str, note: str | None = None, on: date | None = None) -> ActionRecord:
        """Status todo/doing/done; the first move to doing or done dates the start, done dates the end."""
        if status not in STATUSES:
            raise ValueError(f"status must be one of {', '.join(STATUSES)}")
        on = on or date.today()
        with self.transaction() as s:
            merchant = self.merchant(s, slug)
            action = s.get(ActionRecord, action_id)
            if action is None or action.merchant_id != merchant.id:
                raise NotFound(f"no action {action_id} for merchant '{slug}'")
            if status in ("doing", "done") and action.started_on is None:
                action.started_on = on
            action.done_on = on if status == "done" else None
            action.status = status
            if note is not None:
                action.note = note
            return action

    # ---------------------------------------------------------------- meetings

    def add_meeting(self, slug: str, held_on: date, text: str = "") -> MeetingNote:
        with self.transaction() as s:
            note = MeetingNote(merchant_id=self.merchant(s, slug).id, held_on=held_on, text=text)
            s.add(note)
            return note

    def meetings(self, slug: str) -> list[MeetingNote]:
        with self._reading() as s:
            merchant = self.merchant(s, slug)
            return list(s.scalars(select(MeetingNote).where(MeetingNote.merchant_id == merchant.id).order_by(MeetingNote.held_on)))

    # ---------------------------------------------------------------- users

    def users(self) -> list[User]:
        with self._reading() as s:
            return list(s.scalars(select(User).order_by(User.username)))

    def add_user(self, username: str, name: str, role: str, password_hash: str, merchant_slug: str | None = None) -> User:
        if role not in ("provider", "merchant"):
            raise ValueError("role must be provider or merchant")
        if role == "merchant" and not merchant_slug:
            raise ValueError("a merchant login needs the merchant it belongs to")
        with self.transaction() as s:
            merchant_id = self.merchant(s, merchant_slug).id if merchant_slug else None
            user = s.scalar(select(User).where(User.username == username)) or User(username=username)
            user.name, user.role, user.merchant_id, user.password_hash = name, role, merchant_id, password_hash
            s.add(user)
            return user

    def user_merchant_slug(self, username: str) -> str | None:
        with self._reading() as s:
            user = s.scalar(select(User).where(User.username == username))
            if user is None or user.merchant_id is None:
                return None
            return s.get(Merchant, user.merchant_id).slug


def _data_hash(hashes) -> str:
    return hashlib.sha256("\n".join(sorted(hashes)).encode()).hexdigest()


def db_reason(exc: Exception) -> str:
    """The database's own one-line reason for a failed statement (locked, disk full, a broken key), for messages."""
    return " ".join(str(getattr(exc, "orig", None) or exc).split())[:200]


def stale(last_day: date | None, today: date | None = None, days: int = 14) -> bool:
    return last_day is None or (today or date.today()) - last_day > timedelta(days=days)


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
