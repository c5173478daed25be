"""Ingest throughput benchmark: BeltDoctor's full ingest vs a bare pyarrow CSV parse.

Why: sellers upload raw Douyin Compass exports, and a 1M-row product list
(~100 MB) must be usable in an interactive session. The yardstick is the
fastest plain parse of the same bytes, ``pandas.read_csv(engine="pyarrow")``,
which does none of the work BeltDoctor has to do (encoding detection, header
mapping, parsing ``12,345.60`` / ``¥3,200`` / ``1.25万`` / ``15.28%`` /
``-``, period splitting, dropping the 合计 row).

    ratio = median(b) / median(a)

says what that cleaning costs on top of the raw parse: a ratio of 3.0 means
cleaning may take at most twice as long as parsing itself. The memory target
(peak-RSS increase of the ingest <= 4x the file size, the file read included)
keeps a 100 MB export well under 1 GB of a worker's memory.

Each measured call runs in a fresh subprocess so peak RSS is not polluted by
earlier runs. Before the measured call, each child makes the same call once on
the file's first 200 lines: one-time start-up (loading the export schema,
first use of compute kernels, lazy imports) is paid once per process, not per
file, so it is reported separately as `warmup_seconds`, for (a) and (b) alike. This is a measurement, not a test: a missed target is printed as
MISSED and the exit code stays 0. Exit code 1 means the ingest crashed.

Run from the repository root:

    python -m benchmarks.bench_ingest [--rows N] [--repeat K] [--keep]
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from importlib.metadata import version
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

REPO_ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = REPO_ROOT / "benchmarks" / "out"

RATIO_TARGET = 3.0
MEMORY_TARGET = 4.0

HEADER = [
    "统计周期", "商品名称", "商品编码", "成交金额", "用户支付金额", "成交订单数",
    "成交人数", "成交件数", "商品曝光人数", "商品点击人数", "曝光点击率(人数)",
    "退款金额(退款时间)", "商品品质退货率", "投放消耗(店铺被投)",
]
PERIODS = ["2022-08-01~2022-08-31", "2022/8/1", "20220801"]
PERIOD_SHARES = [0.9, 0.05, 0.05]
MISSING_TOKENS = ["-", "--", ""]
MISSING_SHARE = 0.02
AD_SHARE = 0.3  # share of products with paid traffic; the rest show "-"
CHUNK_ROWS = 200_000

# Titles are kept short-ish (~23 bytes) so 1M rows come to ~100 MB like real exports;
# the prefix, style and size segments appear only in a share of titles.
NAME_PREFIXES = ["【2件装】", "【新品】", "【热卖】", "【品牌直发】", "【清仓】"]
NAME_AUDIENCES = ["女童", "男童", "儿童", "婴儿", "中大童", "女装", "男装", "宝宝"]
NAME_STYLES = ["夏季", "春秋款", "冬季加绒", "纯棉", "韩版洋气", "宽松", "薄款", "新款"]
NAME_ITEMS = [
    "连衣裙", "卫衣", "T恤", "打底裤", "运动套装", "羽绒服", "牛仔裤", "短袖",
    "背心", "睡衣家居服", "外套", "衬衫", "半身裙", "袜子", "校服裤",
]
NAME_SIZES = [" 90-130cm", " 110-160cm", " S-XL", " M-4XL", " 80cm", " 均码", " 100-150"]
NAME_PREFIX_SHARE = 0.1
NAME_STYLE_SHARE = 0.5
NAME_SIZE_SHARE = 0.4
NAME_COMMA_SHARE = 0.05


@dataclass(frozen=True)
class ExportTruth:
    """What the generator wrote, as the values a correct ingest must recover."""

    rows: int  # data rows, the 合计 row excluded
    gmv_yuan: float  # sum of 成交金额 as written, missing cells excluded
    order_count: int  # sum of 成交订单数 as written, missing cells excluded
    file_bytes: int


# ---------------------------------------------------------------- formatting


def _digits(values: np.ndarray, min_width: int = 1) -> pa.Array:
    """Non-negative integers as decimal strings, zero-padded to ``min_width``."""
    text = pc.cast(pa.array(values), pa.string())
    return pc.utf8_lpad(text, width=min_width, padding="0") if min_width > 1 else text


def _cat(*parts) -> pa.Array:
    return pc.binary_join_element_wise(*parts, "")


def _insert(text: pa.Array, position: int, literal: str) -> pa.Array:
    """Insert ``literal`` at byte ``position`` (negative counts from the end).

    Cheaper than concatenation; callers only insert into ASCII digits.
    """
    return pc.binary_replace_slice(text, start=position, stop=position, replacement=literal)


def _append(text: pa.Array, literal: str) -> pa.Array:
    return _insert(text, sys.maxsize, literal)  # a start past the end appends


def _decimal(values: np.ndarray, decimals: int) -> pa.Array:
    """Integers in units of 10**-decimals as fixed-point text: 1528, 2 -> ``15.28``."""
    return _insert(_digits(values, decimals + 1), -decimals, ".")


def _grouped(text: pa.Array, whole: np.ndarray, tail: int = 0) -> pa.Array:
    """Add thousands separators to the integer part ``whole`` of ``text``.

    ``tail`` is the length of what follows the integer part (3 for ``.60``).
    """
    group = 1
    while (big := whole >= 1000**group).any():
        text = pc.if_else(pa.array(big), _insert(text, -(4 * group - 1 + tail), ","), text)
        group += 1
    return text


def _with_missing(rng: np.random.Generator, text: pa.Array, missing: np.ndarray) -> pa.Array:
    tokens = pa.array(MISSING_TOKENS).take(rng.integers(len(MISSING_TOKENS), size=len(text)))
    return pc.if_else(pa.array(missing), tokens, text)


def _missing_mask(rng: np.random.Generator, n: int) -> np.ndarray:
    return rng.random(n) < MISSING_SHARE


def _money_column(rng, cents, missing) -> tuple[pa.Array, np.ndarray]:
    """Cells as ``12,345.60``, ``¥3,200`` or ``318.5``; returns text and written cents."""
    decimal = _decimal(cents, 2)
    rounded = (cents + 50) // 100
    fmt = rng.choice(3, size=len(cents), p=[0.6, 0.15, 0.25])
    text = pc.choose(
        pa.array(fmt),
        _grouped(decimal, cents // 100, tail=3),
        _insert(_grouped(_digits(rounded), rounded), 0, "¥"),
        pc.utf8_rtrim(pc.utf8_rtrim(decimal, characters="0"), characters="."),
    )
    written = np.choose(fmt, [cents, rounded * 100, cents])
    return _with_missing(rng, text, missing), np.where(missing, 0, written)


def _count_column(rng, counts, missing) -> tuple[pa.Array, np.ndarray]:
    """Cells as ``1,234``, ``87`` or (from 10,000 up) ``1.25万``; returns text and written counts."""
    digits = _digits(counts)
    hundreds = (counts + 50) // 100
    fmt = rng.choice(2, size=len(counts), p=[0.6, 0.4])
    fmt[(counts >= 10_000) & (rng.random(len(counts)) < 0.3)] = 2
    text = pc.choose(pa.array(fmt), _grouped(digits, counts), digits, _append(_decimal(hundreds, 2), "万"))
    written = np.choose(fmt, [counts, counts, hundreds * 100])
    return _with_missing(rng, text, missing), np.where(missing, 0, written)


def _rate_column(rng, basis_points, missing) -> pa.Array:
    """Ratios given in 1/10000 as ``15.28%`` or ``0.1528``."""
    percent = _append(_decimal(basis_points, 2), "%")
    text = pc.if_else(pa.array(rng.random(len(basis_points)) < 0.7), percent, _decimal(basis_points, 4))
    return _with_missing(rng, text, missing)


def _pick(rng, pool: list[str], n: int, p=None) -> pa.Array:
    return pa.array(pool).take(rng.choice(len(pool), size=n, p=p))


def _sometimes(rng, segments: pa.Array, share: float) -> pa.Array:
    return pc.if_else(pa.array(rng.random(len(segments)) < share), segments, "")


def _product_names(rng, n: int) -> pa.Array:
    """Titles like 【热卖】女童纯棉连衣裙 110-160cm; a few with a comma, so they get quoted."""
    return _cat(
        _sometimes(rng, _pick(rng, NAME_PREFIXES, n), NAME_PREFIX_SHARE),
        _pick(rng, NAME_AUDIENCES, n),
        _sometimes(rng, _pick(rng, NAME_STYLES, n), NAME_STYLE_SHARE),
        _sometimes(rng, pa.array(np.full(n, ",")), NAME_COMMA_SHARE),
        _pick(rng, NAME_ITEMS, n),
        _sometimes(rng, _pick(rng, NAME_SIZES, n), NAME_SIZE_SHARE),
    )


def _quote_commas(text: pa.Array) -> pa.Array:
    """Quote cells containing a comma, as a CSV writer would (no cell contains a quote)."""
    quoted = _append(_insert(text, 0, '"'), '"')
    return pc.if_else(pc.match_substring(text, ","), quoted, text)


# ----------------------------------------------------------------- generator


def _simulate_funnel(rng, n: int) -> dict[str, np.ndarray]:
    """A long-tailed product funnel: exposure -> click -> order -> items -> money."""
    impr = np.minimum(rng.lognormal(6.0, 2.0, n), 5e7).astype(np.int64)
    clicks = rng.binomial(impr, rng.beta(2, 18, n))
    buyers = rng.binomial(clicks, rng.beta(1, 30, n))
    orders = buyers + rng.binomial(buyers, 0.1)
    items = orders + rng.binomial(orders, 0.2)
    gmv = items * rng.lognormal(np.log(8000), 0.7, n).astype(np.int64)
    return {
        "impr": impr,
        "clicks": clicks,
        "buyers": buyers,
        "orders": orders,
        "items": items,
        "gmv": gmv,
        "user_pay": (gmv * rng.uniform(0.8, 1.0, n)).astype(np.int64),
        "refund": (gmv * rng.beta(2, 12, n)).astype(np.int64),
        "ad_spend": (gmv / rng.uniform(1.5, 6.0, n)).astype(np.int64) + rng.integers(0, 5000, n),
        "ctr_bp": np.where(impr > 0, np.rint(clicks * 10_000 / np.maximum(impr, 1)), 0).astype(np.int64),
        "quality_return_bp": (rng.beta(1, 40, n) * 10_000).astype(np.int64),
    }


def _totals_row(written: dict[str, np.ndarray]) -> list[str]:
    ctr = written["clicks"].sum() / max(written["impr"].sum(), 1)
    return [
        "合计", "", "",
        f"{written['gmv'].sum() / 100:,.2f}",
        f"{written['user_pay'].sum() / 100:,.2f}",
        f"{written['orders'].sum():,}",
        f"{written['buyers'].sum():,}",
        f"{written['items'].sum():,}",
        f"{written['impr'].sum():,}",
        f"{written['clicks'].sum():,}",
        f"{ctr:.2%}",
        f"{written['refund'].sum() / 100:,.2f}",
        "-",
        f"{written['ad_spend'].sum() / 100:,.2f}",
    ]


def _csv_line(cells: list[str]) -> bytes:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue().encode("utf-8")


def _write_body(fh, columns: list[pa.Array]) -> None:
    """Join cells into lines and lines into one buffer per chunk, all in Arrow."""
    for start in range(0, len(columns[0]), CHUNK_ROWS):
        lines = pc.binary_join_element_wise(*(col.slice(start, CHUNK_ROWS) for col in columns), ",")
        block = pa.ListArray.from_arrays(pa.array([0, len(lines)], pa.int32()), lines)
        fh.write(pc.binary_join(block, "\n")[0].as_buffer())
        fh.write(b"\n")


def make_product_export(path: Path, rows: int = 1_000_000, seed: int = 1) -> ExportTruth:
    """Write a messy Compass 商品列表 CSV (UTF-8 with BOM, 合计 row last); return its truth."""
    rng = np.random.default_rng(seed)
    funnel = _simulate_funnel(rng, rows)
    no_orders = funnel["orders"] == 0
    unpromoted = rng.random(rows) >= AD_SHARE

    texts: dict[str, pa.Array] = {}
    written: dict[str, np.ndarray] = {}
    for key in ("gmv", "user_pay", "refund"):
        texts[key], written[key] = _money_column(rng, funnel[key], _missing_mask(rng, rows))
    texts["ad_spend"], written["ad_spend"] = _money_column(
        rng, funnel["ad_spend"], _missing_mask(rng, rows) | unpromoted
    )
    for key in ("orders", "buyers", "items", "impr", "clicks"):
        texts[key], written[key] = _count_column(rng, funnel[key], _missing_mask(rng, rows))
    ctr = _rate_column(rng, funnel["ctr_bp"], _missing_mask(rng, rows) | (funnel["impr"] == 0))
    quality = _rate_column(rng, funnel["quality_return_bp"], _missing_mask(rng, rows) | no_orders)

    columns = [
        _pick(rng, PERIODS, rows, PERIOD_SHARES),
        _product_names(rng, rows),
        _digits(rng.integers(3_400_000_000_000_000_000, 3_800_000_000_000_000_000, rows)),
        texts["gmv"], texts["user_pay"], texts["orders"], texts["buyers"], texts["items"],
        texts["impr"], texts["clicks"], ctr, texts["refund"], quality, texts["ad_spend"],
    ]
    with path.open("wb") as fh:
        fh.write("\ufeff".encode("utf-8"))
        fh.write(_csv_line(HEADER))
        _write_body(fh, [_quote_commas(col) for col in columns])
        fh.write(_csv_line(_totals_row(written)))
        fh.flush()
        os.fsync(fh.fileno())  # write back now, not during the first timed run
    return ExportTruth(
        rows=rows,
        gmv_yuan=int(written["gmv"].sum()) / 100,
        order_count=int(written["orders"].sum()),
        file_bytes=path.stat().st_size,
    )


# ---------------------------------------------------------------- subprocess


def _peak_rss_kib() -> int:
    """Peak RSS of this process in KiB (Linux ``VmHWM``).

    Not ``getrusage().ru_maxrss``: Linux carries the parent's peak across
    fork+exec into it, so every child would start at the generator's peak
    and a smaller measured peak would read as +0.
    """
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status (the memory figure needs Linux)")


def _measure(call) -> tuple[object, dict]:
    before = _peak_rss_kib()
    start = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - start
    return result, {"seconds": seconds, "rss_increase_kib": _peak_rss_kib() - before}


def _warmup_file(path: Path) -> Path:
    return path.with_name(path.stem + ".warmup.csv")


def _write_warmup_file(path: Path, lines: int = 200) -> None:
    with path.open("rb") as src, _warmup_file(path).open("wb") as dst:
        for _ in range(lines):
            dst.write(src.readline())


def _warm(call) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _child_pandas(path: Path) -> dict:
    import pandas as pd

    warmup = _warm(lambda: pd.read_csv(_warmup_file(path), engine="pyarrow"))
    _, measured = _measure(lambda: pd.read_csv(path, engine="pyarrow"))
    return measured | {"warmup_seconds": warmup}


def _child_beltdoctor(path: Path) -> dict:
    try:
        from diagnosis.ingest import ingest
    except ImportError as exc:
        return {"unavailable": f"{type(exc).__name__}: {exc}"}
    small = _warmup_file(path)
    warmup = _warm(lambda: ingest(small.read_bytes(), small.name))
    (frame, report), measured = _measure(lambda: ingest(path.read_bytes(), path.name))
    return measured | {"warmup_seconds": warmup} | {
        "rows_kept": int(report.rows_kept),
        "gmv_sum": float(frame["gmv"].sum()),
        "order_count_sum": int(frame["order_count"].sum()),
    }


CHILDREN = {"pandas": _child_pandas, "beltdoctor": _child_beltdoctor}


def _run_child(kind: str, path: Path) -> dict:
    """Run one measurement in a fresh interpreter; its last stdout line is JSON."""
    proc = subprocess.run(
        [sys.executable, "-m", "benchmarks.bench_ingest", "--child", kind, str(path)],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        last_line = (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]
        return {"error": last_line, "stderr": proc.stderr[-4000:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------- summary


def _summarise(runs: list[dict], file_bytes: int) -> dict:
    for run in runs:
        run["memory_multiple"] = run["rss_increase_kib"] * 1024 / file_bytes
    return {
        "status": "ok",
        "runs": runs,
        "median_seconds": statistics.median(run["seconds"] for run in runs),
        "memory_multiple_max": max(run["memory_multiple"] for run in runs),
    }


def _check_totals(run: dict, truth: ExportTruth) -> dict:
    gmv_ok = math.isclose(run["gmv_sum"], truth.gmv_yuan, rel_tol=1e-9, abs_tol=0.01)
    checks = {
        "rows_kept": run["rows_kept"] == truth.rows,
        "gmv": gmv_ok,
        "order_count": run["order_count_sum"] == truth.order_count,
    }
    return {"checks": checks, "verdict": "OK" if all(checks.values()) else "MISMATCH"}


def _benchmark(path: Path, truth: ExportTruth, repeat: int) -> dict:
    """Interleave (a) and (b) runs so drift in machine load hits both alike."""
    runs: dict[str, list[dict]] = {"pandas": [], "beltdoctor": []}
    beltdoctor_status: dict | None = None
    for _ in range(repeat):
        runs["pandas"].append(_run_child("pandas", path))
        if beltdoctor_status is None:
            result = _run_child("beltdoctor", path)
            if "unavailable" in result or "error" in result:
                beltdoctor_status = {"status": "unavailable" if "unavailable" in result else "error"} | result
            else:
                runs["beltdoctor"].append(result)
    failed_pandas = [run for run in runs["pandas"] if "error" in run]
    if failed_pandas:
        raise RuntimeError(f"pandas.read_csv failed: {failed_pandas[0]['stderr']}")
    results = {"pandas_read_csv": _summarise(runs["pandas"], truth.file_bytes)}
    results["beltdoctor_ingest"] = beltdoctor_status or _summarise(runs["beltdoctor"], truth.file_bytes)
    return results


def _verdicts(results: dict, truth: ExportTruth) -> dict:
    pandas_, belt = results["pandas_read_csv"], results["beltdoctor_ingest"]
    if belt["status"] != "ok":
        return {"ratio": None, "ratio_verdict": "n/a", "memory_verdict": "n/a", "totals": None}
    ratio = belt["median_seconds"] / pandas_["median_seconds"]
    return {
        "ratio": ratio,
        "ratio_verdict": "PASS" if ratio <= RATIO_TARGET else "MISSED",
        "memory_verdict": "PASS" if belt["memory_multiple_max"] <= MEMORY_TARGET else "MISSED",
        "totals": _check_totals(belt["runs"][0], truth),
    }


def _environment() -> dict:
    return {
        "python": platform.python_version(),
        "pandas": version("pandas"),
        "pyarrow": version("pyarrow"),
        "numpy": version("numpy"),
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],  # other load makes the timings noisy
        "platform": platform.platform(),
    }


def _print_row(label: str, summary: dict) -> None:
    if summary["status"] != "ok":
        print(f"{label:<30} {summary['status'].upper()}: {summary.get('unavailable') or summary.get('error')}")
        if summary["status"] == "unavailable":
            print(f"{'':<30} (diagnosis.ingest cannot be imported yet; generator and (a) still ran)")
        return
    runs = "  ".join(f"{run['seconds']:6.2f}s" for run in summary["runs"])
    worst = max(summary["runs"], key=lambda run: run["memory_multiple"])
    warmup = statistics.median(run["warmup_seconds"] for run in summary["runs"])
    print(f"{label:<30} {runs}   median {summary['median_seconds']:6.2f}s   "
          f"peak RSS +{worst['rss_increase_kib'] / 1024:,.0f} MiB = {summary['memory_multiple_max']:.2f}x file   "
          f"(start-up {warmup:.2f}s)")


def _print_report(report: dict) -> None:
    mib = report["file_bytes"] / 2**20
    print(f"\nBeltDoctor ingest benchmark: {report['rows']:,} rows, {mib:,.1f} MiB "
          f"({report['file_bytes']:,} bytes, {mib * 1_000_000 / report['rows']:,.1f} MiB per 1M rows), "
          f"generated in {report['generate_seconds']:.1f}s, {report['environment']['cpu_count']} CPUs")
    _print_row("(a) pandas.read_csv(pyarrow)", report["pandas_read_csv"])
    _print_row("(b) beltdoctor ingest", report["beltdoctor_ingest"])
    verdicts = report["verdicts"]
    if verdicts["ratio"] is None:
        print(f"ratio (b)/(a): n/a (target <= {RATIO_TARGET})")
        return
    belt = report["beltdoctor_ingest"]
    print(f"ratio (b)/(a): {verdicts['ratio']:.2f}  (target <= {RATIO_TARGET})  {verdicts['ratio_verdict']}")
    print(f"memory (b):    {belt['memory_multiple_max']:.2f}x file  (target <= {MEMORY_TARGET}x)  "
          f"{verdicts['memory_verdict']}")
    totals = verdicts["totals"]
    failing = [name for name, ok in totals["checks"].items() if not ok]
    run, expected = belt["runs"][0], report["expected"]
    print(f"totals check:  {totals['verdict']}" + (f" ({', '.join(failing)})" if failing else "")
          + f"  rows {run['rows_kept']:,}/{expected['rows']:,}  gmv {run['gmv_sum']:,.2f}/{expected['gmv_yuan']:,.2f}"
          f"  orders {run['order_count_sum']:,}/{expected['order_count']:,}")


# ----------------------------------------------------------------------- CLI


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help=f"keep the generated CSV in {OUT_DIR}")
    parser.add_argument("--child", nargs=2, metavar=("KIND", "PATH"), help=argparse.SUPPRESS)
    return parser.parse_args()


def _run(args: argparse.Namespace, workdir: Path) -> dict:
    path = workdir / f"product_export_{args.rows}.csv"
    start = time.perf_counter()
    truth = make_product_export(path, rows=args.rows)
    generate_seconds = time.perf_counter() - start
    print(f"generated {path} ({truth.file_bytes / 2**20:,.1f} MiB) in {generate_seconds:.1f}s")
    _write_warmup_file(path)
    results = _benchmark(path, truth, args.repeat)
    return {
        "rows": truth.rows,
        "file_bytes": truth.file_bytes,
        "file": str(path) if args.keep else None,
        "generate_seconds": generate_seconds,
        "repeat": args.repeat,
        "expected": {k: v for k, v in asdict(truth).items() if k != "file_bytes"},
        **results,
        "targets": {"ratio_max": RATIO_TARGET, "memory_multiple_max": MEMORY_TARGET},
        "verdicts": _verdicts(results, truth),
        "environment": _environment(),
    }


def main() -> int:
    args = _parse_args()
    if args.child:
        kind, path = args.child
        print(json.dumps(CHILDREN[kind](Path(path))))
        return 0
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    if args.keep:
        report = _run(args, OUT_DIR)
    else:
        with tempfile.TemporaryDirectory(prefix="bench_ingest_") as tmp:
            report = _run(args, Path(tmp))
    (OUT_DIR / "bench_ingest.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    _print_report(report)
    print(f"\nwrote {OUT_DIR / 'bench_ingest.json'}")
    return 1 if report["beltdoctor_ingest"]["status"] == "error" else 0


if __name__ == "__main__":
    sys.exit(main())
