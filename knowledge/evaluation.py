"""Retrieval quality on labelled queries: hit@k, recall@k and MRR, overall and per query language.

A query's relevant set is its listed case ids plus every case tagged with one of its listed pain-point codes,
so a query about a problem is answered by any card for that problem and a query about one story by that story.
Shared by the CI quality gate (tests) and `benchmarks/bench_retrieval.py`.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from knowledge.index import CaseIndex, Filters


@dataclass(frozen=True)
class Query:
    query: str
    lang: str
    cases: tuple[str, ...] = ()
    pain_points: tuple[str, ...] = ()
    category: str | None = None


def load_queries(path: Path) -> list[Query]:
    out = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        query = Query(raw["query"], raw["lang"], tuple(raw.get("cases", ())), tuple(raw.get("pain_points", ())), raw.get("category"))
        if not query.cases and not query.pain_points:
            raise ValueError(f"{path}:{n}: a query needs relevant case ids or pain-point codes")
        out.append(query)
    return out


def relevant(query: Query, index: CaseIndex) -> set[str]:
    ids = {cid for cid in query.cases if cid in index.cases}
    ids |= {c.id for c in index.cases.values() if set(c.pain_points) & set(query.pain_points)}
    return ids


@dataclass
class Scores:
    n: int = 0
    hits: float = 0.0
    recall: float = 0.0
    rr: float = 0.0

    def add(self, hit: bool, recall: float, rr: float) -> None:
        self.n += 1
        self.hits += hit
        self.recall += recall
        self.rr += rr

    def as_dict(self) -> dict[str, float]:
        n = max(self.n, 1)
        return {"queries": self.n, "hit@5": round(self.hits / n, 3), "recall@5": round(self.recall / n, 3), "mrr": round(self.rr / n, 3)}


@dataclass
class Report:
    overall: Scores = field(default_factory=Scores)
    by_lang: dict[str, Scores] = field(default_factory=lambda: defaultdict(Scores))
    misses: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        return {"overall": self.overall.as_dict(), "by_lang": {k: v.as_dict() for k, v in sorted(self.by_lang.items())}, "misses": self.misses}


def evaluate(index: CaseIndex, queries: list[Query], k: int = 5) -> Report:
    report = Report()
    for q in queries:
        wanted = relevant(q, index)
        if not wanted:
            raise ValueError(f"query {q.query!r}: none of its labels exist in the library")
        ranked = [h.case.id for h in index.search(q.query, k=max(k, 20), filters=Filters(category=q.category))]
        first = next((r for r, cid in enumerate(ranked, 1) if cid in wanted), None)
        top = ranked[:k]
        hit = first is not None and first <= k
        recall = len(wanted & set(top)) / min(k, len(wanted))
        rr = 1.0 / first if first else 0.0
        report.overall.add(hit, recall, rr)
        report.by_lang[q.lang].add(hit, recall, rr)
        if not hit:
            report.misses.append({"query": q.query, "lang": q.lang, "wanted": sorted(wanted)[:8], "got": top, "first_rank": first})
    return report
