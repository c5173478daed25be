"""Portfolio diagnosis benchmark: a large provider's 1,300 merchants, 90 days of store + ads + experience each.

Why: a provider diagnoses the whole portfolio before a promotion; diagnosis must not cost much more than
reading the files. In one process (files generated in memory, in the real export headers):

    (a) ingest every merchant's three files;
    (b) diagnose every merchant (all rules) from the ingested frames.

Reports merchants per second for each and (b)/(a); target: (b) adds at most 50 % on top of (a), i.e.
(b)/(a) <= 0.5. Run from the repository root: `python -m benchmarks.bench_diagnose [--merchants N]`.
"""

from __future__ import annotations

import argparse
import io
import json
import time
from pathlib import Path

import numpy as np
import pandas as pd

from diagnosis import kpis
from diagnosis.ingest import ingest
from diagnosis.profile import CATEGORIES, MerchantProfile
from diagnosis.rules import diagnose

OUT = Path(__file__).resolve().parent / "out"
TARGET = 0.5
DAYS = pd.date_range("2022-05-01", periods=90, freq="D")


def _csv(frame: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    frame.to_csv(buf, index=False)
    return buf.getvalue().encode("utf-8-sig")


def merchant_files(rng: np.random.Generator) -> dict[str, bytes]:
    n = len(DAYS)
    clicks = rng.integers(200, 3000, n)
    buyers = (clicks * rng.uniform(0.02, 0.1)).astype(int) + 1
    paid = buyers * rng.uniform(30, 200)
    store = pd.DataFrame({
        "日期": DAYS.strftime("%Y-%m-%d"), "用户支付金额": np.round(paid, 2), "成交金额": np.round(paid * 1.02, 2),
        "成交订单数": buyers + 1, "成交人数": buyers, "商品曝光人数": clicks * rng.integers(8, 15),
        "商品点击人数": clicks, "退款金额(支付时间)": np.round(paid * rng.uniform(0.05, 0.4), 2),
        "投放贡献成交金额": np.round(paid * rng.uniform(0.2, 0.8), 2),
    })
    spend = paid * rng.uniform(0.1, 0.5)
    ads = pd.DataFrame({"日期": DAYS.strftime("%Y/%m/%d"), "整体消耗": np.round(spend, 2),
                        "整体成交金额": np.round(spend * rng.uniform(1.5, 5), 2), "整体支付ROI": 0})
    experience = pd.DataFrame({"日期": DAYS.strftime("%Y%m%d"), "商家体验分": np.round(rng.uniform(60, 95) + rng.normal(0, 1, n), 1)})
    return {"成交概览.csv": _csv(store), "千川_全域推直播.csv": _csv(ads.drop(columns="整体支付ROI")), "商家体验分.csv": _csv(experience)}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--merchants", type=int, default=1300)
    args = parser.parse_args()
    rng = np.random.default_rng(1300)
    portfolio = [merchant_files(rng) for _ in range(args.merchants)]
    profiles = [MerchantProfile(name=f"m{i}", category=CATEGORIES[i % len(CATEGORIES)], gross_margin=0.3 + (i % 5) * 0.05)
                for i in range(args.merchants)]
    kpis.combine(ingest(data, name) for name, data in portfolio[0].items())  # warm-up: schema and rule loading

    start = time.perf_counter()
    frames = [kpis.combine(ingest(data, name) for name, data in files.items()) for files in portfolio]
    ingest_s = time.perf_counter() - start
    start = time.perf_counter()
    results = [diagnose(f, p) for f, p in zip(frames, profiles, strict=True)]
    diagnose_s = time.perf_counter() - start

    ratio = diagnose_s / ingest_s
    findings = sum(len(r.findings) for r in results)
    report = {
        "merchants": args.merchants, "ingest_seconds": ingest_s, "diagnose_seconds": diagnose_s,
        "ingest_merchants_per_s": args.merchants / ingest_s, "diagnose_merchants_per_s": args.merchants / diagnose_s,
        "ratio": ratio, "target": TARGET, "verdict": "PASS" if ratio <= TARGET else "MISSED", "findings": findings,
    }
    OUT.mkdir(exist_ok=True)
    (OUT / "bench_diagnose.json").write_text(json.dumps(report, indent=2) + "\n")
    print(f"(a) ingest   {args.merchants} merchants × 3 files  {ingest_s:6.1f} s  ({report['ingest_merchants_per_s']:.0f} merchants/s)")
    print(f"(b) diagnose {args.merchants} merchants            {diagnose_s:6.1f} s  ({report['diagnose_merchants_per_s']:.0f} merchants/s, {findings} findings)")
    print(f"ratio (b)/(a): {ratio:.2f}  (target <= {TARGET})  {report['verdict']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
