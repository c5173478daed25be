"""A whole portfolio in one run: every merchant folder under a root is ingested, diagnosed, planned and stored,
unchanged merchants are skipped, and the portfolio plus one brief per merchant can be written out.

CPU work (ingest, Parquet encoding, diagnosis, plan context, offline drafting) runs in worker processes; the
parent is the workspace's single writer and stores each merchant in one transaction. LLM drafting, which only
waits on the network, runs in parent threads bounded by `workers`. A merchant that fails is reported with its
reason and never stops the others.

A worker diagnoses the files it ingested. That is what the workspace holds afterwards only when the stored
uploads are exactly those files, in that order and uncut; otherwise (older uploads stay, or a file replaced days
of another) the merchant is diagnosed again from the stored frames, so a diagnosis always matches its data hash.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import multiprocessing
import time
from collections.abc import Callable
from concurrent.futures import (
    FIRST_COMPLETED,
    Future,
    ProcessPoolExecutor,
    ThreadPoolExecutor,
    wait,
)
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field, replace
from pathlib import Path

import pandas as pd

from diagnosis import kpis
from diagnosis.errors import IngestError
from diagnosis.i18n import t
from diagnosis.merchants import export_files
from diagnosis.plan.context import PlanContext
from diagnosis.plan.drafters import PlanResult
from diagnosis.plan.export import plan_document, safe_cell
from diagnosis.profile import MerchantProfile
from diagnosis.service import diagnose_merchant, draft_plan, plan_context, read_profile
from diagnosis.store.workspace import EncodedExport, StoredState, Workspace

STAGES = ("ingest", "diagnose", "plan", "store", "output", "index")  # index: building the case index, once per worker
Progress = Callable[[int, int], None]


@dataclass
class MerchantResult:
    slug: str
    status: str  # new | changed | unchanged | failed
    reason: str | None = None


@dataclass
class BatchReport:
    """`seconds` per stage are summed over the worker processes and the parent, so they can add up to more
    than `wall`; their shares say where the work goes."""

    merchants: list[MerchantResult] = field(default_factory=list)
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(STAGES, 0.0))
    wall: float = 0.0

    def count(self, *statuses: str) -> int:
        return sum(m.status in statuses for m in self.merchants)

    @property
    def failed(self) -> list[MerchantResult]:
        return [m for m in self.merchants if m.status == "failed"]

    def summary(self, lang: str) -> str:
        return t("batch.summary", lang, n=len(self.merchants), changed=self.count("new", "changed"),
                 unchanged=self.count("unchanged"), failed=self.count("failed"))


def merchant_folders(root: Path, out: Path | None = None) -> list[Path]:
    """Sub-folders of `root` in name order, leaving out hidden ones and the output folder."""
    skip = out.resolve() if out is not None else None
    return sorted(p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".") and p.resolve() != skip)


# --------------------------------------------------------------------------- worker processes

class _Cases:
    """The worker's case index. `cases_for` depends only on (finding, category, stage, k), so each combination is
    ranked once per worker rather than once per merchant."""

    def __init__(self, index):
        self.cases = index.cases
        self._ranked = functools.cache(index.cases_for)

    def cases_for(self, *args, **kwargs) -> list:
        return list(self._ranked(*args, **kwargs))


_INDEX: _Cases | None = None  # over CaseIndex.in_memory(library): one per worker process, never the shared Chroma store


def _index() -> _Cases:
    """Built on first use (a few seconds), so a worker that only meets broken files never pays for it."""
    global _INDEX
    if _INDEX is None:
        from knowledge.cards import load_library
        from knowledge.index import CaseIndex

        _INDEX = _Cases(CaseIndex.in_memory(load_library()))
    return _INDEX


@dataclass
class _Job:
    """One merchant for a worker: files to ingest, or (a second pass) the frames the workspace holds."""

    profile: MerchantProfile
    lang: str
    draft: bool  # draft offline in the worker; False when the parent drafts with the LLM
    brief: bool
    files: list[tuple[str, bytes]] | None = None
    frames: kpis.Frames | None = None
    diagnose: bool = True  # False: only ingest (the diagnosis will be of the stored frames anyway)


@dataclass
class _Work:
    ingested: list[EncodedExport] = field(default_factory=list)  # per file of the job, ready to store
    context: PlanContext | None = None
    result: PlanResult | None = None
    brief: str | None = None
    error: str | None = None
    seconds: dict[str, float] = field(default_factory=lambda: dict.fromkeys(("ingest", "store", "diagnose", "plan", "index"), 0.0))


def _work(job: _Job) -> _Work:
    """Everything CPU-bound for one merchant; errors come back as text, so nothing unpicklable crosses over."""
    from diagnosis.documents import to_markdown
    from diagnosis.ingest import ingest

    work, lang = _Work(), job.lang
    clock = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        work.seconds[stage] += now - clock
        clock = now

    name = None
    try:
        read = []
        for name, data in job.files or ():
            read.append(ingest(data, name))
        name = None
        frames = job.frames if job.frames is not None else kpis.combine(read)
        lap("ingest")
        work.ingested = [EncodedExport.encode(frame, report) for frame, report in read]
        lap("store")
        if not job.diagnose:
            return work
        diagnosis = diagnose_merchant(frames, job.profile)
        lap("diagnose")
        index = _index()
        lap("index")
        work.context = plan_context(frames, job.profile, lang, index, diagnosis=diagnosis)
        if job.draft:
            work.result = draft_plan(work.context, index)
            if job.brief:
                work.brief = to_markdown(plan_document(work.result, work.context, index.cases, charts=False))
            work.context.cases = {}  # the parent stores findings, KPIs and GMV; cases are the bulk of the pickle
        lap("plan")
    except IngestError as exc:
        work.error = f"{name}: {exc.message(lang)}" if name else exc.message(lang)
    except Exception as exc:  # noqa: BLE001 - one merchant's failure is reported, the batch goes on
        work.error = f"{name}: {t('error.unreadable', lang, detail=_one_line(exc))}" if name else t("batch.crashed", lang, detail=_one_line(exc))
    return work


def _one_line(exc: Exception) -> str:
    return " ".join(f"{type(exc).__name__}: {exc}".split())[:300]


def _draft_llm(context: PlanContext, library, settings, brief: bool) -> tuple[PlanResult, str | None]:
    """In a parent thread: the network wait overlaps the workers' CPU work."""
    from diagnosis.documents import to_markdown

    result = draft_plan(context, library, settings)
    return result, to_markdown(plan_document(result, context, library.cases, charts=False)) if brief else None


# --------------------------------------------------------------------------- the parent


class _Batch:
    def __init__(self, workspace: Workspace, out: Path | None, settings, workers: int, lang: str, progress: Progress | None):
        self.workspace, self.out, self.settings, self.workers, self.lang = workspace, out, settings, workers, lang
        self.progress = progress
        self.report = BatchReport()
        self.pending: dict[Future, Callable[[Future], None]] = {}
        self.pool: ProcessPoolExecutor | None = None
        self.pool_finished = 0  # merchants the current pool has returned
        self.pool_dead = False  # a pool broke before returning anything: it cannot start, so no new one is tried
        self.llm = ThreadPoolExecutor(workers) if settings else None
        self.library = None
        if settings:
            from knowledge.cards import load_library

            self.library = load_library()
        self.total = 0

    def run(self, folders: list[Path], state: dict[str, StoredState]) -> BatchReport:
        """Keep at most a few merchants per worker in flight, so memory stays flat however many there are."""
        self.total = len(folders)
        queue = iter(folders)
        try:
            while True:
                while len(self.pending) < 4 * self.workers and (folder := next(queue, None)) is not None:
                    self._start(folder, state.get(folder.name))
                if not self.pending:
                    break
                done, _ = wait(self.pending, return_when=FIRST_COMPLETED)
                for future in done:
                    self.pending.pop(future)(future)
        finally:
            for pool in (self.pool, self.llm):
                if pool is not None:
                    pool.shutdown(cancel_futures=True)
        self.report.merchants.sort(key=lambda m: m.slug)
        return self.report

    def _finish(self, slug: str, status: str, reason: str | None = None) -> None:
        self.report.merchants.append(MerchantResult(slug, status, reason))
        if self.progress:
            self.progress(len(self.report.merchants), self.total)

    def _timed(self, stage: str, start: float) -> None:
        self.report.seconds[stage] += time.perf_counter() - start

    def _start(self, folder: Path, stored: StoredState | None) -> None:
        start, slug, name = time.perf_counter(), folder.name, None
        try:
            profile = read_profile(folder, self.lang)
            files = []
            for path in export_files(folder):
                name = path.name
                files.append((name, path.read_bytes()))
        except IngestError as exc:  # an unusable merchant.json, named with its line or field
            self._finish(slug, "failed", f"merchant.json: {exc.message(self.lang)}")
            return
        except Exception as exc:  # noqa: BLE001 - an unreadable file
            detail = exc.strerror if isinstance(exc, OSError) and exc.strerror else _one_line(exc)
            reason = f"{name}: {t('error.unreadable', self.lang, detail=detail)}" if name else t("batch.bad_profile", self.lang, detail=detail)
            self._finish(slug, "failed", reason)
            return
        finally:
            self._timed("ingest", start)
        if not files:
            self._finish(slug, "failed", t("batch.no_files", self.lang))
            return
        if stored is not None and stored.diagnosed and stored.profile.model_dump() == profile.model_dump() and {_sha(d) for _, d in files} <= stored.hashes:
            self._finish(slug, "unchanged")
            return
        job = _Job(profile, self.lang, draft=self.settings is None, brief=self.out is not None, files=files)
        if stored is not None and stored.hashes:  # its diagnosis will be of the stored frames: ingest the new files only
            status = "changed"
            job = replace(job, files=[(n, d) for n, d in files if _sha(d) not in stored.hashes], diagnose=False)
        else:
            status = "new"
        self._submit(slug, job, lambda work: self._store_files(slug, status, job, work))

    def _submit(self, slug: str, job: _Job, then: Callable[[_Work], None]) -> None:
        if self.pool is None:
            if self.pool_dead:
                self._finish(slug, "failed", t("batch.worker_died", self.lang))
                return
            self.pool, self.pool_finished = _pool(self.workers), 0
        pool = self.pool
        self.pending[pool.submit(_work, job)] = lambda future: self._collect(slug, pool, future, then)

    def _collect(self, slug: str, pool: ProcessPoolExecutor, future: Future, then: Callable[[_Work], None]) -> None:
        try:
            work = future.result()
        except BrokenProcessPool:
            if self.pool is pool:  # a crashed worker takes its pool down; later merchants get a new one
                self.pool, self.pool_dead = None, self.pool_finished == 0
            self._finish(slug, "failed", t("batch.worker_died", self.lang))
            return
        except Exception as exc:  # noqa: BLE001 - e.g. a result that would not pickle
            self._finish(slug, "failed", t("batch.crashed", self.lang, detail=_one_line(exc)))
            return
        if self.pool is pool:
            self.pool_finished += 1
        for stage, seconds in work.seconds.items():
            self.report.seconds[stage] += seconds
        if work.error:
            self._finish(slug, "failed", work.error)
            return
        self._guarded(slug, lambda: then(work))

    def _guarded(self, slug: str, step: Callable[[], None]) -> None:
        """A store step that fails (a database error, a bug) fails this merchant only; `atomic` rolled it back."""
        try:
            step()
        except Exception as exc:  # noqa: BLE001 - reported per merchant, the batch goes on
            self._finish(slug, "failed", t("batch.crashed", self.lang, detail=_one_line(exc)))

    def _store_files(self, slug: str, status: str, job: _Job, work: _Work) -> None:
        """Profile and files, plus diagnosis and plan in the same transaction when the worker's diagnosis is of
        exactly what is now stored and its plan is drafted; otherwise diagnose the stored frames again."""
        ws, start = self.workspace, time.perf_counter()
        with ws.atomic():
            ws.upsert_merchant(slug, job.profile)
            imported = [ws.import_file(slug, data, name, ingested=ingested)
                        for (name, data), ingested in zip(job.files, work.ingested, strict=True)]
            # only a merchant with no stored files was diagnosed here: every file new and none cut means the
            # workspace now holds exactly what the worker combined
            exact = work.context is not None and all(r.status == "new" and not r.replaced for r in imported)
            if exact and work.result is not None:
                self._save(slug, work.context, work.result)
        frames = None if exact else ws.frames(slug)
        self._timed("store", start)
        if frames is not None:
            again = replace(job, files=None, frames=frames, diagnose=True)
            self._submit(slug, again, lambda redone: self._planned(slug, status, redone))
        elif work.result is None:
            self._draft(slug, status, work.context)
        else:
            self._done(slug, status, work.brief)

    def _planned(self, slug: str, status: str, work: _Work) -> None:
        if work.result is None:
            self._draft(slug, status, work.context)
        else:
            self._store_plan(slug, status, work.context, work.result, work.brief)

    def _draft(self, slug: str, status: str, context: PlanContext) -> None:
        future = self.llm.submit(_draft_llm, context, self.library, self.settings, self.out is not None)
        self.pending[future] = lambda done: self._guarded(slug, lambda: self._store_plan(slug, status, context, *done.result()))

    def _store_plan(self, slug: str, status: str, context: PlanContext, result: PlanResult, brief: str | None) -> None:
        start = time.perf_counter()
        with self.workspace.atomic():
            self._save(slug, context, result)
        self._timed("store", start)
        self._done(slug, status, brief)

    def _save(self, slug: str, context: PlanContext, result: PlanResult) -> None:
        """Diagnosis and plan together: a merchant the batch diagnosed always has the plan of that diagnosis."""
        record = self.workspace.save_diagnosis(slug, context, self.workspace.data_hash(slug))
        self.workspace.save_plan(slug, result, record.id)

    def _done(self, slug: str, status: str, brief: str | None) -> None:
        if brief is not None:
            start = time.perf_counter()
            folder = self.out / "briefs"
            folder.mkdir(parents=True, exist_ok=True)
            (folder / f"{slug}.md").write_text(brief, encoding="utf-8")
            self._timed("output", start)
        self._finish(slug, status)


def _pool(workers: int) -> ProcessPoolExecutor:
    """Workers forked from a clean single-threaded server with this module preloaded, never from the parent:
    the parent may run threads (Streamlit, the LLM pool) whose locks a fork would copy mid-use. Where there is
    no forkserver (Windows), spawned."""
    if "forkserver" not in multiprocessing.get_all_start_methods():
        return ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn"))
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return ProcessPoolExecutor(workers, mp_context=context)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def run_batch(root: Path, workspace: Workspace, out: Path | None, offline: bool = True, workers: int = 2, lang: str = "zh",
              progress: Progress | None = None) -> BatchReport:
    """Process every merchant folder under `root` (slug = folder name); with `out`, also write portfolio.csv,
    portfolio.xlsx, failed.csv and briefs/<slug>.md. `progress(done, total)` is called as merchants finish.

    Workers start from a forkserver, which imports the calling script again: a script needs the usual
    `if __name__ == "__main__":` guard (without it every merchant fails with `batch.worker_died`)."""
    from diagnosis.plan.llm import LlmSettings

    started = time.perf_counter()
    settings = None if offline else LlmSettings.from_env()
    if settings is not None:
        settings = replace(settings, cache=workspace)
    folders = merchant_folders(root, out)
    report = _Batch(workspace, out, settings, workers, lang, progress).run(folders, workspace.stored_state())
    if out is not None:
        start = time.perf_counter()
        _write_outputs(report, workspace, out)
        report.seconds["output"] += time.perf_counter() - start
    report.wall = time.perf_counter() - started
    return report


def _write_outputs(report: BatchReport, workspace: Workspace, out: Path) -> None:
    """portfolio.csv / .xlsx for the merchants that are in good order, failed.csv for the others. Text cells
    (merchant names come from merchant.json) are kept from being read as spreadsheet formulas."""
    from diagnosis.store.portfolio import portfolio

    out.mkdir(parents=True, exist_ok=True)
    good = {m.slug for m in report.merchants if m.status != "failed"}
    table = _safe(portfolio(workspace, good).drop(columns="gmv_trend").round(4))
    table.to_csv(out / "portfolio.csv", index=False, encoding="utf-8-sig")
    table.to_excel(out / "portfolio.xlsx", index=False, sheet_name="portfolio")
    with (out / "failed.csv").open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(("merchant", "reason"))
        writer.writerows((safe_cell(m.slug), safe_cell(m.reason or "")) for m in report.failed)


def _safe(table: pd.DataFrame) -> pd.DataFrame:
    return table.map(lambda v: safe_cell(v) if isinstance(v, str) else v)
