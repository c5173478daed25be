"""The CI quality gate for the offline default retrieval on the labelled queries (tests/data/retrieval_eval.jsonl)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from knowledge.evaluation import evaluate, load_queries
from knowledge.schema import finding_codes

EVAL = Path(__file__).resolve().parents[1] / "data" / "retrieval_eval.jsonl"


def test_eval_set_is_large_varied_and_labelled_with_real_ids(library):
    queries = load_queries(EVAL)
    assert len(queries) >= 100
    langs = Counter(q.lang for q in queries)
    assert set(langs) == {"zh", "en", "mixed", "cross"} and min(langs.values()) >= 15
    for q in queries:
        assert set(q.cases) <= set(library.cases), q
        assert set(q.pain_points) <= finding_codes(), q


def test_offline_retrieval_meets_the_bar(built_index):
    report = evaluate(built_index, load_queries(EVAL))
    overall = report.overall.as_dict()
    assert overall["hit@5"] >= 0.9, report.as_dict()
    assert overall["mrr"] >= 0.75, report.as_dict()
