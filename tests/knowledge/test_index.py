"""The case index on the embedded store and a real Chroma server: incremental sync, filters, embedder
guard, ranking across languages, why-matched, cases for a finding, and the dense leg through a loopback
OpenAI-compatible /embeddings server."""

from __future__ import annotations

import hashlib
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from knowledge.cards import load_library
from knowledge.embedders import OpenAIEmbedder
from knowledge.index import CaseIndex, Filters, IndexMismatch
from knowledge.tokens import tokenize


class CountingEmbedder:
    """A dense test embedder (hashed tokens) that records what it was asked to embed."""

    id = "test:counting"
    dense = True

    def __init__(self, dim: int = 32):
        self.dim = dim
        self.calls: list[int] = []

    def embed_batch(self, texts):
        self.calls.append(len(texts))
        return [_hashed(text, self.dim) for text in texts]


def _hashed(text: str, dim: int) -> list[float]:
    vector = [0.0] * dim
    for token in tokenize(text):
        vector[int(hashlib.md5(token.encode()).hexdigest(), 16) % dim] += 1.0
    norm = sum(v * v for v in vector) ** 0.5 or 1.0
    return [v / norm for v in vector]


def _subset(library, n=12):
    return [library.cases[k] for k in sorted(library.cases)[:n]]


def test_sync_is_incremental_and_removes_deleted_cases(open_index, library):
    embedder = CountingEmbedder()
    index = open_index(embedder=embedder)
    cases = _subset(library)
    first = index.sync(cases)
    assert len(first.added) == 12 and first.embedded == 12 and len(index) == 12
    second = index.sync(cases)
    assert second.added == second.updated == second.removed == [] and second.unchanged == 12
    assert sum(embedder.calls) == 12, "unchanged cases must not be embedded again"
    changed = cases[0].model_copy(update={"title_en": cases[0].title_en + " (revised)"})
    third = index.sync([changed, *cases[1:-1]])
    assert third.updated == [changed.id] and third.removed == [cases[-1].id] and third.embedded == 1
    assert sum(embedder.calls) == 13
    assert index.get(changed.id).title_en.endswith("(revised)") and index.get(cases[-1].id) is None


def test_reopening_reads_the_collection_and_refuses_another_embedder(open_index, library):
    index = open_index(embedder=CountingEmbedder())
    index.sync(_subset(library, 5))
    again = open_index(embedder=CountingEmbedder())
    assert sorted(again.cases) == sorted(index.cases)
    with pytest.raises(IndexMismatch, match="test:counting"):
        open_index()
    other = CountingEmbedder(dim=16)
    with pytest.raises(IndexMismatch, match="32-dimensional"):
        open_index(embedder=other).sync(_subset(library, 6))


def test_filters_run_in_chroma(open_index, library):
    index = open_index()
    index.sync(list(library))
    hits = index.search("直播间 停留", k=50, filters=Filters(kind="playbook", pain_point="live_stay_low"))
    assert hits and all(h.case.kind == "playbook" and "live_stay_low" in h.case.pain_points for h in hits)
    kids = index.browse(Filters(category="kids"))
    assert kids and {c.category for c in kids} == {"kids"}
    assert {c.id for c in kids} == {c.id for c in library if c.category == "kids"}
    assert index.search("投产比", filters=Filters(channel="supply_chain", category="food", stage="cold_start")) == [] or all(
        h.case.category == "food" for h in index.search("投产比", filters=Filters(category="food"))
    )


def test_a_team_member_sees_cases_added_by_another(open_index, library):
    writer = open_index()
    writer.sync(_subset(library, 4))
    reader = open_index()
    assert len(reader) == 4
    writer.sync(_subset(library, 7))
    reader.refresh()
    assert len(reader) == 7 and reader.search(library.cases[sorted(library.cases)[6]].title_zh)


@pytest.mark.parametrize(
    ("query", "code"),
    [
        ("直播间留不住人", "live_stay_low"),
        ("people leave my live room after a few seconds", "live_stay_low"),
        ("千川投产比不保本", "paid_roi_below_breakeven"),
        ("ads lose money, roi below break even", "paid_roi_below_breakeven"),
        ("客单价太低", "aov_low"),
        ("basket size too small", "aov_low"),
        ("体验分掉到4.4", "experience_score_low"),
        ("断货 stockout before 818", "stockout_risk"),
    ],
)
def test_top_hit_addresses_the_problem_in_either_language(built_index, query, code):
    hits = built_index.search(query, k=3)
    assert hits and code in hits[0].case.pain_points
    assert any(w.kind == "pain_point" and w.value == code for w in hits[0].why_matched)


def test_cross_language_query_finds_a_story_told_in_the_other_language(built_index):
    hits = built_index.search("lucky bags and flash sales for a laptop live room", k=5)
    assert "seed-xiakehui-thinkpad-fudai-miaosha" in [h.case.id for h in hits]
    zh = built_index.search("华强北二手手机 冷启动", k=3)
    assert "seed-xiakehui-xuejie-cold-start" in [h.case.id for h in zh]


def test_why_matched_names_the_terms_found_in_the_case(built_index):
    hit = built_index.search("福袋 秒杀 ThinkPad", k=1)[0]
    terms = hit.terms()
    assert "thinkpad" in terms and "福袋" in terms
    text = (hit.case.title_zh + hit.case.body["zh"].actions + hit.case.body["en"].actions).lower()
    assert all(term.lower() in text or term.lower() in json.dumps(hit.case.model_dump(), ensure_ascii=False).lower() for term in terms)


def test_empty_and_unknown_queries_return_nothing(built_index):
    assert built_index.search("   ") == []
    assert built_index.search("zzzqqq xyzzy") == []


def test_cases_for_a_finding_puts_the_merchants_category_first(built_index):
    hits = built_index.cases_for("aov_low", category="kids", k=3)
    assert len(hits) == 3 and all("aov_low" in h.case.pain_points for h in hits)
    assert hits[0].case.category == "kids"
    ranks = [0 if h.case.category == "kids" else 1 if h.case.category == "default" else 2 for h in hits]
    assert ranks == sorted(ranks)
    digital = built_index.cases_for("cold_start", category="digital", stage="cold_start", k=2)
    assert digital[0].case.category == "digital" and digital[0].case.stage == "cold_start"
    assert {w.kind for w in digital[0].why_matched} >= {"pain_point", "category", "stage"}


class _EmbeddingsHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        self.server.requests.append(len(texts))
        data = [{"object": "embedding", "index": i, "embedding": _hashed(t, 48)} for i, t in enumerate(texts)]
        payload = json.dumps({"object": "list", "data": data, "model": body["model"], "usage": {"prompt_tokens": 1, "total_tokens": 1}})
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(payload.encode())

    def log_message(self, *args):
        pass


@pytest.fixture
def embeddings_server():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EmbeddingsHandler)
    server.requests = []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/v1", server
    server.shutdown()


def test_dense_leg_through_an_openai_compatible_endpoint_is_fused(tmp_path, embeddings_server):
    url, server = embeddings_server
    embedder = OpenAIEmbedder(url, "fake-bge")
    index = CaseIndex.open(home=tmp_path, embedder=embedder, library=load_library())
    assert index.collection.metadata["dim"] == 48 and index.collection.metadata["embedder"] == "openai:fake-bge"
    hits = index.search("直播间留不住人", k=5)
    assert hits and any(w.kind == "dense" for h in hits for w in h.why_matched)
    assert "live_stay_low" in hits[0].case.pain_points
    assert server.requests[-1] == 1


@pytest.mark.parametrize(
    "filters",
    [Filters(category="kids"), Filters(pain_point="aov_low", kind="playbook"), Filters(channel="supply_chain", stage="growth"),
     Filters(category="digital", pain_point="cold_start", channel="live")],
)
def test_in_memory_filters_agree_with_chroma(built_index, filters):
    mask = built_index._allowed(filters)
    in_memory = {cid for cid, keep in zip(built_index.lexical.ids, mask, strict=True) if keep}
    assert in_memory == built_index.matching_ids(filters) and in_memory
