"""Dashboard compute benchmark: all KPIs and all dashboard figures for one merchant, against ingesting it.

Why: a merchant's dashboard must not cost more to compute than reading their files did. The merchant has
two years of daily store data, 300 live sessions and 2,000 products (generated here, in the real export
headers). In one process, median of K runs each:

    (a) ingest the three export files (bytes → canonical frames);
    (b) `diagnosis.dashboard.build_views` over the whole two years at daily granularity, previous-period
        comparison: every KPI, the time series of every metric, and every figure.

    ratio = median(b) / median(a)      target <= 1.0

Run from the repository root: `python -m benchmarks.bench_kpis [--repeat K]`.
"""

from __future__ import annotations

import argparse
import io
import json
import statistics
import time
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from diagnosis import dashboard, kpis
from diagnosis.ingest import ingest

OUT = Path(__file__).resolve().parent / "out"
TARGET = 1.0


def _csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


def make_exports(seed: int = 7, days: int = 730, sessions: int = 300, products: int = 2000) -> dict[str, bytes]:
    rng = np.random.default_rng(seed)
    dates = pd.date_range("2023-01-01", periods=days, freq="D")
    impressions = rng.integers(20_000, 60_000, days)
    clicks = (impressions * rng.uniform(0.05, 0.12, days)).astype(int)
    buyers = (clicks * rng.uniform(0.03, 0.08, days)).astype(int) + 1
    paid = buyers * rng.uniform(60, 140, days)
    store = pd.DataFrame({
        "日期": dates.strftime("%Y/%-m/%-d"),
        "用户支付金额": [f"{v:,.2f}" for v in paid],
        "成交金额": [f"{v:,.2f}" for v in paid * 1.03],
        "成交订单数": buyers + rng.integers(0, 5, days),
        "成交人数": buyers,
        "商品曝光人数": impressions,
        "商品点击人数": clicks,
        "退款金额(支付时间)": np.round(paid * rng.uniform(0.1, 0.3, days), 2),
        "投放消耗(店铺被投)": np.round(paid * rng.uniform(0.2, 0.4, days), 2),
        "投放贡献成交金额": np.round(paid * rng.uniform(0.4, 0.7, days), 2),
        "两日内发货率": [f"{v:.2%}" for v in rng.uniform(0.85, 0.99, days)],
    })
    starts = pd.Timestamp("2023-01-01 19:00") + pd.to_timedelta(np.sort(rng.choice(days, sessions, replace=False)), unit="D")
    viewers = rng.integers(500, 20_000, sessions)
    live = pd.DataFrame({
        "直播开始时间": starts.strftime("%Y/%m/%d %H:%M:%S"),
        "直播时长(分钟)": rng.integers(60, 360, sessions),
        "直播间曝光人数": viewers * rng.integers(5, 15, sessions),
        "直播间观看人数": viewers,
        "直播间观看次数": (viewers * 1.3).astype(int),
        "最高在线人数": rng.integers(50, 500, sessions),
        "平均在线人数": rng.integers(10, 50, sessions),
        "人均观看时长(分钟)": np.round(rng.uniform(0.5, 3, sessions), 2),
        "直播间成交金额": np.round(viewers * rng.uniform(1, 5, sessions), 2),
        "直播间成交人数": (viewers * rng.uniform(0.005, 0.03, sessions)).astype(int),
        "新增粉丝数": (viewers * 0.02).astype(int),
    })
    product = pd.DataFrame({
        "统计周期": "2024-12-01~2024-12-31",
        "商品名称": [f"示例商品 {i} 号 纯棉" for i in range(products)],
        "商品编码": [str(3_400_000_000_000_000_000 + i) for i in range(products)],
        "成交金额": np.round(rng.pareto(1.2, products) * 500, 2),
        "成交订单数": rng.integers(0, 300, products),
        "成交件数": rng.integers(0, 400, products),
        "商品曝光人数": rng.integers(100, 50_000, products),
        "商品点击人数": rng.integers(10, 5_000, products),
    })
    return {"成交概览.csv": _csv(store), "直播间列表.csv": _csv(live), "商品列表.csv": _csv(product)}


def _ingest_all(files: dict[str, bytes]) -> dict[str, pd.DataFrame]:
    return kpis.combine(ingest(data, name) for name, data in files.items())


def _views(frames: dict[str, pd.DataFrame]) -> dashboard.Views:
    span = kpis.data_range(frames)
    current, reference = dashboard.periods(frames, kpis.Period(*span), "prev")
    return dashboard.build_views(frames, current, reference, "D", "zh", gross_margin=0.4)


def _median_time(call, repeat: int) -> tuple[float, list[float]]:
    runs = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), runs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    files = make_exports()
    frames = _ingest_all(files)  # warm-up: schema loading and first-use costs are not per merchant
    _views(frames)
    ingest_s, ingest_runs = _median_time(lambda: _ingest_all(files), args.repeat)
    views_s, views_runs = _median_time(lambda: _views(frames), args.repeat)
    views = _views(frames)
    ratio = views_s / ingest_s
    report = {
        "files_bytes": {name: len(data) for name, data in files.items()},
        "rows": {kind: len(frame) for kind, frame in frames.items()},
        "ingest_seconds": ingest_runs,
        "views_seconds": views_runs,
        "ingest_median": ingest_s,
        "views_median": views_s,
        "ratio": ratio,
        "target": TARGET,
        "verdict": "PASS" if ratio <= TARGET else "MISSED",
        "figures": sorted(views.figures),
        "metrics": len(views.comparison.current),
        "measured_on": date.today().isoformat(),
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_kpis.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(f"rows: {report['rows']}")
    print(f"(a) ingest 3 files      median {ingest_s * 1000:7.1f} ms  runs {[round(r * 1000) for r in ingest_runs]}")
    print(f"(b) all KPIs + figures  median {views_s * 1000:7.1f} ms  runs {[round(r * 1000) for r in views_runs]}"
          f"  ({len(views.figures)} figures, {report['metrics']} KPIs)")
    print(f"ratio (b)/(a): {ratio:.2f}  (target <= {TARGET})  {report['verdict']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
