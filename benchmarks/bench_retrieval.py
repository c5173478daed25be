"""Retrieval quality on the labelled queries and speed at 10,000 cases.

    python -m benchmarks.bench_retrieval [--scale 10000] [--json out.json]

Quality: hit@5, recall@5, MRR overall and per query language, with every miss listed, for the offline default
(and for the dense leg fused by RRF when BELTDOCTOR_EMBED_URL names an OpenAI-compatible /embeddings server).
Scale: the bundled cards are multiplied into N near-duplicate variants (titles, merchants, numbers and sentence
order changed, pain points kept), indexed from scratch, then queried with the eval queries: build time and
query p50/p95, with and without a Chroma-side filter. The ratio line compares a filtered query with a plain one
in the same process.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from knowledge.cards import load_library
from knowledge.embedders import configured_embedder
from knowledge.evaluation import evaluate, load_queries
from knowledge.index import CaseIndex, Filters

EVAL = Path(__file__).resolve().parents[1] / "tests" / "data" / "retrieval_eval.jsonl"
ADJECTIVES = ["华东", "华南", "北方", "西南", "老牌", "新锐", "工厂店", "档口"]


def variants(library, n: int, seed: int = 7):
    """N generated cases derived from the real ones: same structure and pain points, shuffled wording."""
    rng = random.Random(seed)
    base = list(library)
    for i in range(n):
        case = base[i % len(base)]
        body = {}
        for lang in ("zh", "en"):
            sections = case.body[lang].model_dump()
            lines = sections["situation"].split("。" if lang == "zh" else ". ")
            rng.shuffle(lines)
            sections["situation"] = ("。" if lang == "zh" else ". ").join(lines) + f" #{i}"
            body[lang] = sections
        tag = rng.choice(ADJECTIVES)
        yield case.model_copy(update={
            "id": f"gen-{i:05d}-{case.id}"[:120],
            "title_zh": f"{tag}{case.title_zh}（样本 {i}）",
            "title_en": f"{case.title_en} (sample {i})",
            "body": {lang: case.body[lang].model_validate(body[lang]) for lang in body},
        })


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return ordered[len(ordered) // 2], ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))]


def quality() -> dict:
    queries = load_queries(EVAL)
    out = {}
    with tempfile.TemporaryDirectory() as home:
        index = CaseIndex.open(home=Path(home), library=load_library())
        out["offline_default"] = evaluate(index, queries).as_dict()
    embedder = configured_embedder()
    if getattr(embedder, "dense", False):
        with tempfile.TemporaryDirectory() as home:
            index = CaseIndex.open(home=Path(home), embedder=embedder, library=load_library())
            out[f"fused_{embedder.id}"] = evaluate(index, queries).as_dict()
    return out


def scale(n: int) -> dict:
    library = load_library()
    cases = [*library, *variants(library, n - len(library))]
    queries = [q.query for q in load_queries(EVAL)]
    with tempfile.TemporaryDirectory() as home:
        started = time.perf_counter()
        index = CaseIndex.open(home=Path(home))
        index.sync(cases)
        build = time.perf_counter() - started
        started = time.perf_counter()
        reopened = CaseIndex.open(home=Path(home))
        reopen = time.perf_counter() - started
        timings = {"plain": [], "filtered": []}
        for _ in range(3):
            for q in queries:
                t0 = time.perf_counter()
                reopened.search(q, k=5)
                timings["plain"].append((time.perf_counter() - t0) * 1000)
                t0 = time.perf_counter()
                reopened.search(q, k=5, filters=Filters(pain_point="aov_low"))
                timings["filtered"].append((time.perf_counter() - t0) * 1000)
        rows = {}
        for name, samples in timings.items():
            p50, p95 = percentiles(samples)
            rows[name] = {"p50_ms": round(p50, 2), "p95_ms": round(p95, 2), "mean_ms": round(statistics.mean(samples), 2)}
    return {
        "cases": len(cases), "build_s": round(build, 1), "reopen_s": round(reopen, 2), "queries": len(queries) * 3, **rows,
        "filtered_over_plain_p50": round(rows["filtered"]["p50_ms"] / rows["plain"]["p50_ms"], 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=int, default=10_000)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    result = {"quality": quality()}
    for name, report in result["quality"].items():
        print(name, json.dumps(report["overall"]), json.dumps(report["by_lang"], ensure_ascii=False))
        for miss in report["misses"]:
            print("  miss:", json.dumps(miss, ensure_ascii=False))
    if args.scale:
        result["scale"] = scale(args.scale)
        print("scale", json.dumps(result["scale"]))
    if args.json:
        Path(args.json).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")


if __name__ == "__main__":
    main()
