"""Portfolio batch benchmark: `beltdoctor batch` over a large provider's 1,300 merchant folders, 90 days each.

Why: before a promotion a provider re-diagnoses the whole portfolio in one run, and the portfolio page must
still open at once with 1,300 rows. Each merchant folder holds a merchant.json (category, margin and stage
varied) and three exports (店铺成交概览, 千川全域推直播, 商家体验分) written by the same generator as
bench_diagnose (real headers, varied numbers so rules fire differently). In one process:

    (a) baseline: ingest every merchant's three files serially, nothing else;
    (b) `run_batch(..., offline=True, workers=2)` into a fresh SQLite workspace, with --out (portfolio files and
        one brief per merchant): ingest, diagnose, plan context with cases, offline plan, store;
    (c) `portfolio()` on the filled workspace, and the DataFrame a portfolio page would show built from it;
    (d) the Portfolio page itself, run by Streamlit's AppTest on that workspace: the whole script, server side;
    (e) the same batch again: every merchant unchanged, so it is skipped by the hashes of its files.

Reports merchants per second of (b), the share of work per stage, peak RSS and CPU of this process and of the
workers, (b)/(a), and the times of (c) and (d). Targets: (b) >= 20 merchants/s, (d) < 1 s. Linux (reads /proc).
Run from the repository root: `python -m benchmarks.bench_batch [--merchants N] [--workers N]`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

from benchmarks.bench_diagnose import merchant_files
from diagnosis.batch import STAGES, run_batch
from diagnosis.ingest import ingest
from diagnosis.merchants import export_files
from diagnosis.profile import CATEGORIES
from diagnosis.profile import STAGES as LIFE_STAGES
from diagnosis.store.portfolio import portfolio
from diagnosis.store.workspace import Workspace
from ui import portfolio as page

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "benchmarks" / "out"
TARGET_RATE = 20.0
TARGET_PORTFOLIO_S = 1.0


def write_portfolio(root: Path, merchants: int) -> None:
    rng = np.random.default_rng(1300)
    for i in range(merchants):
        folder = root / f"m{i:04d}"
        folder.mkdir(parents=True)
        profile = {"name": f"商家{i:04d}", "category": CATEGORIES[i % len(CATEGORIES)],
                   "gross_margin": round(0.25 + (i % 6) * 0.05, 2), "stage": LIFE_STAGES[i % len(LIFE_STAGES)]}
        (folder / "merchant.json").write_text(json.dumps(profile, ensure_ascii=False), encoding="utf-8")
        for name, data in merchant_files(rng).items():
            (folder / name).write_bytes(data)


def page_run_seconds(home: Path, merchants: int, repeat: int = 3) -> float:
    """Median time of one full run of the Portfolio page (query, table, charts) on the workspace under `home`."""
    from streamlit.testing.v1 import AppTest

    os.environ["BELTDOCTOR_HOME"] = str(home)
    os.environ.pop("DATABASE_URL", None)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.run()
    at.switch_page(str(ROOT / "pages" / "portfolio.py")).run()
    if at.exception or len(at.dataframe[0].value) != merchants:
        raise SystemExit(f"the Portfolio page did not show {merchants} merchants: {at.exception}")
    return _median_seconds(at.run, repeat)


def page_frame(table):
    """What the portfolio page renders by default: every merchant, worst health first, with display columns."""
    return page.display_frame(page.filtered(table, [], [], False, (0, 100), "", "health"), "zh")


class Descendants(threading.Thread):
    """Peak RSS and CPU seconds of every process below this one, sampled from /proc: the workers are forked by a
    forkserver, so getrusage(RUSAGE_CHILDREN) of this process never sees them while it runs."""

    def __init__(self, interval: float = 0.25):
        super().__init__(daemon=True)
        self.interval, self.peak_mb, self.cpu_s, self.own_cpu_s = interval, {}, {}, 0.0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(self.interval):
            start = time.thread_time()
            self.sample()
            self.own_cpu_s += time.thread_time() - start  # the sampler's own CPU, kept out of the parent's

    def sample(self) -> None:
        children: dict[int, list[int]] = {}
        stats = {}
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            pid = int(stat.parent.name)
            children.setdefault(int(fields[1]), []).append(pid)
            stats[pid] = fields
        todo, below = list(children.get(os.getpid(), ())), []
        while todo:
            pid = todo.pop()
            below.append(pid)
            todo += children.get(pid, ())
        tick = os.sysconf("SC_CLK_TCK")
        for pid in below:
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            hwm = next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:")), 0)
            self.peak_mb[pid] = max(self.peak_mb.get(pid, 0.0), hwm / 1024)
            self.cpu_s[pid] = (int(stats[pid][11]) + int(stats[pid][12])) / tick


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def _median_seconds(fn, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=1300)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as tmp:
        base = Path(tmp)
        root = base / "merchants"
        write_portfolio(root, args.merchants)
        folders = sorted(p for p in root.iterdir() if p.is_dir())
        for path in export_files(folders[0]):  # warm-up: schemas and kinds loaded, as the workers load them
            ingest(path.read_bytes(), path.name)

        start = time.perf_counter()
        for folder in folders:
            for path in export_files(folder):
                ingest(path.read_bytes(), path.name)
        ingest_s = time.perf_counter() - start

        workspace = Workspace(f"sqlite:///{base / 'workspace.db'}")  # where BELTDOCTOR_HOME=base puts it, for (d)
        tree = Descendants()
        tree.start()
        load_before, cpu_before = os.getloadavg()[0], _cpu(resource.RUSAGE_SELF)
        report = run_batch(root, workspace, base / "out", offline=True, workers=args.workers, lang="zh")
        batch_s = report.wall
        tree.stopped.set()
        tree.join()
        cpu_parent = _cpu(resource.RUSAGE_SELF) - cpu_before - tree.own_cpu_s
        cpu_workers = sum(tree.cpu_s.values())
        rss_self = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rss_children = max(tree.peak_mb.values(), default=0.0)

        query_s = _median_seconds(lambda: portfolio(workspace))
        table = portfolio(workspace)
        render_s = _median_seconds(lambda: page_frame(table))
        rows = len(table)
        briefs = len(list((base / "out" / "briefs").glob("*.md")))
        again = run_batch(root, workspace, None, offline=True, workers=args.workers, lang="zh")
        workspace.engine.dispose()
        page_s = page_run_seconds(base, args.merchants)

    work = sum(report.seconds.values())
    rate = args.merchants / batch_s
    cpu_ms = (cpu_parent + cpu_workers) / args.merchants * 1000
    result = {
        "merchants": args.merchants, "workers": args.workers, "cpus": os.cpu_count(),
        "load_1min": {"before": load_before, "after": os.getloadavg()[0]},
        "baseline_ingest_seconds": ingest_s, "batch_seconds": batch_s, "merchants_per_s": rate, "ratio": batch_s / ingest_s,
        "stage_seconds": report.seconds, "stage_share": {k: report.seconds[k] / work for k in STAGES},
        "statuses": {s: report.count(s) for s in ("new", "changed", "unchanged", "failed")}, "briefs": briefs,
        "peak_rss_mb": {"self": rss_self, "largest_worker": rss_children},
        "cpu_ms_per_merchant": {"parent": cpu_parent / args.merchants * 1000, "workers": cpu_workers / args.merchants * 1000},
        "cpu_bound_merchants_per_s": min(args.workers, os.cpu_count() or 1) * 1000 / cpu_ms,
        "portfolio_rows": rows, "portfolio_query_seconds": query_s, "portfolio_frame_seconds": render_s,
        "portfolio_page_run_seconds": page_s,
        "rerun_seconds": again.wall, "rerun_statuses": {s: again.count(s) for s in ("new", "changed", "unchanged", "failed")},
        "target_merchants_per_s": TARGET_RATE, "target_portfolio_seconds": TARGET_PORTFOLIO_S,
        "verdict": "PASS" if rate >= TARGET_RATE and page_s < TARGET_PORTFOLIO_S else "MISSED",
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "batch.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"(a) ingest only, serial   {args.merchants} merchants × 3 files  {ingest_s:6.1f} s  ({args.merchants / ingest_s:.1f} merchants/s)")
    print(f"(b) batch, {args.workers} workers       {args.merchants} merchants            {batch_s:6.1f} s  ({rate:.1f} merchants/s, "
          f"target >= {TARGET_RATE:g})  {result['statuses']}")
    print("    work per stage (summed over processes): "
          + ", ".join(f"{k} {report.seconds[k]:.1f} s ({result['stage_share'][k]:.0%})" for k in STAGES))
    print(f"    peak RSS: this process {rss_self:.0f} MB, largest worker {rss_children:.0f} MB")
    print(f"    CPU per merchant: parent {result['cpu_ms_per_merchant']['parent']:.0f} ms + workers "
          f"{result['cpu_ms_per_merchant']['workers']:.0f} ms -> at most {result['cpu_bound_merchants_per_s']:.1f} merchants/s "
          f"on {min(args.workers, os.cpu_count() or 1)} idle cores (load before/after: {load_before:.1f}/{os.getloadavg()[0]:.1f})")
    print(f"ratio (b)/(a): {result['ratio']:.2f}")
    print(f"(c) portfolio() {rows} rows {query_s * 1000:6.0f} ms; page frame {render_s * 1000:.0f} ms")
    print(f"(d) Portfolio page, whole script run (AppTest) {page_s * 1000:6.0f} ms (target < {TARGET_PORTFOLIO_S * 1000:.0f} ms)")
    print(f"(e) the same batch again  {args.merchants} merchants            {again.wall:6.2f} s  {result['rerun_statuses']}")
    print(result["verdict"])
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
