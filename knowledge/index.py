"""The case index: Chroma holds case documents and metadata (filters, a shared server, the dense leg); BM25 ranks.

One writer (`sync`, behind `beltdoctor cases index`) upserts only cases whose content hash changed, so unchanged
cases are never re-embedded. Readers rebuild the local BM25 index whenever the collection's content differs from
what it was built from, which is how a team sharing one Chroma server sees each other's edits.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from diagnosis.config import config
from diagnosis.i18n import t
from diagnosis.settings import data_home
from knowledge.cards import Library, parse_case, render_case
from knowledge.embedders import Embedder, NoEmbedder
from knowledge.lexical import LexicalIndex
from knowledge.schema import CHANNELS, Case, finding_codes
from knowledge.thesaurus import expand
from knowledge.tokens import surface_words, tokenize

COLLECTION = "beltdoctor_cases"
HNSW = {"space": "cosine", "ef_construction": 200, "max_neighbors": 32, "ef_search": 128}
SYNONYM_WEIGHT = 0.5
PAIN_POINT_BOOST = 0.35
RRF_K = 60
Progress = Callable[[int, int], None]


class IndexMismatch(RuntimeError):
    """The collection was built with another embedder; mixing vector spaces would return nonsense."""


def content_hash(case: Case) -> str:
    return hashlib.sha256(case.model_dump_json().encode("utf-8")).hexdigest()[:16]


def case_text(case: Case) -> str:
    """What BM25 reads: titles twice (they say what the case is about), tags, names and both bodies."""
    parts = [case.title_zh, case.title_en, case.title_zh, case.title_en]
    parts += [f"{tac.zh} {tac.en}" for tac in case.tactics]
    parts += [case.provider.zh, case.provider.en, case.merchant.zh, case.merchant.en, case.industry_belt.zh, case.industry_belt.en]
    parts += [f"{t(f'rule.{code}.title', 'zh')} {t(f'rule.{code}.title', 'en')}" for code in case.pain_points]
    for lang in ("zh", "en"):
        body = case.body[lang]
        parts += [body.situation, body.diagnosis, body.actions, body.result, body.lessons]
    return "\n".join(parts)


def metadata(case: Case, digest: str) -> dict[str, str | bool]:
    meta: dict[str, str | bool] = {"kind": case.kind, "category": case.category, "stage": case.stage, "hash": digest}
    meta.update({f"pp_{code}": code in case.pain_points for code in finding_codes()})
    meta.update({f"ch_{ch}": ch in case.channels for ch in CHANNELS})
    return meta


@dataclass(frozen=True)
class Filters:
    category: str | None = None
    pain_point: str | None = None
    stage: str | None = None
    channel: str | None = None
    kind: str | None = None

    def accepts(self, case: Case) -> bool:
        return (
            all(getattr(self, key) in (None, getattr(case, key)) for key in ("category", "stage", "kind"))
            and (self.pain_point is None or self.pain_point in case.pain_points)
            and (self.channel is None or self.channel in case.channels)
        )

    def where(self) -> dict | None:
        clauses: list[dict] = []
        for key in ("category", "stage", "kind"):
            if getattr(self, key):
                clauses.append({key: getattr(self, key)})
        if self.pain_point:
            clauses.append({f"pp_{self.pain_point}": True})
        if self.channel:
            clauses.append({f"ch_{self.channel}": True})
        if not clauses:
            return None
        return clauses[0] if len(clauses) == 1 else {"$and": clauses}


@dataclass(frozen=True)
class Why:
    """One reason a case matched: `kind` is term | synonym | pain_point | category | stage | dense."""

    kind: str
    value: str


@dataclass(frozen=True)
class Hit:
    case: Case
    score: float
    why_matched: tuple[Why, ...] = ()

    def terms(self) -> list[str]:
        return [w.value for w in self.why_matched if w.kind in ("term", "synonym")]


@dataclass
class SyncReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    embedded: int = 0


def chroma_client(home: Path | None = None):
    """`HttpClient` when `CHROMA_HOST` is set (a team's shared server), else a `PersistentClient` under the data home."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    host = config().chroma_host
    if host:
        return chromadb.HttpClient(host=host, port=config().chroma_port, settings=settings)
    path = (home or data_home()) / "index" / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=settings)


def _fingerprint(hashes: dict[str, str]) -> str:
    joined = "\n".join(f"{k}:{v}" for k, v in sorted(hashes.items()))
    return hashlib.sha256(joined.encode("utf-8")).hexdigest()[:20]


class CaseIndex:
    def __init__(self, collection, embedder: Embedder, lexical_dir: Path):
        self.collection = collection
        self.embedder = embedder
        self.lexical_dir = lexical_dir
        self.cases: dict[str, Case] = {}
        self.hashes: dict[str, str] = {}
        self.lexical: LexicalIndex | None = None
        self._texts: dict[str, str] = {}
        self._code_masks: dict[str, np.ndarray] = {}
        self._filter_masks: dict[Filters, np.ndarray] = {}

    @classmethod
    def open(
        cls, home: Path | None = None, embedder: Embedder | None = None, library: Library | None = None, name: str = COLLECTION,
    ) -> CaseIndex:
        """Connect; with `library`, bring the collection up to date with it first (the single writer's path)."""
        embedder = embedder or NoEmbedder()
        client = chroma_client(home)
        collection = client.get_or_create_collection(
            name, embedding_function=None, configuration={"hnsw": HNSW},
            metadata={"embedder": embedder.id, "dim": embedder.dim or 0},
        )
        recorded = (collection.metadata or {}).get("embedder")
        if recorded != embedder.id:
            raise IndexMismatch(
                f"the case index was built with embedder '{recorded}', not '{embedder.id}'; rebuild it with "
                f"`beltdoctor cases index --rebuild` or configure the same embedder"
            )
        lexical_dir = (home or data_home()) / "index" / "bm25" / name
        index = cls(collection, embedder, lexical_dir)
        if library is not None:
            index.sync(library)
        else:
            index.refresh()
        return index

    @classmethod
    def in_memory(cls, library: Iterable[Case]) -> CaseIndex:
        """BM25 over `library` with no Chroma behind it: for worker processes of a batch, which only rank cases
        per finding (`cases_for`) and must not open the shared store concurrently."""
        index = cls(None, NoEmbedder(), Path())
        index.cases = {c.id: c for c in sorted(library, key=lambda c: c.id)}
        index.hashes = {cid: content_hash(c) for cid, c in index.cases.items()}
        order = list(index.cases)
        index.lexical = LexicalIndex.build(order, [case_text(index.cases[k]) for k in order], _fingerprint(index.hashes))
        return index

    def refresh(self) -> None:
        """Load every case document from the collection and make the BM25 index match them."""
        got = self.collection.get(include=["documents", "metadatas"])
        cases, hashes = {}, {}
        for case_id, doc, meta in zip(got["ids"], got["documents"], got["metadatas"], strict=True):
            cases[case_id] = parse_case(doc, case_id)
            hashes[case_id] = meta["hash"]
        order = sorted(cases)
        self.cases = {k: cases[k] for k in order}
        self.hashes = {k: hashes[k] for k in order}
        self._texts = {}
        self._code_masks = {}
        self._filter_masks = {}
        fingerprint = _fingerprint(self.hashes)
        lexical = LexicalIndex.load(self.lexical_dir, fingerprint)
        if lexical is None or lexical.ids != order:
            lexical = LexicalIndex.build(order, [case_text(self.cases[k]) for k in order], fingerprint)
            lexical.save(self.lexical_dir)
        self.lexical = lexical

    def sync(self, library: Iterable[Case], progress: Progress | None = None, batch: int = 256) -> SyncReport:
        """Upsert changed cases (embedding only those), delete cases gone from the library, refresh BM25."""
        report = SyncReport()
        existing = self.collection.get(include=["metadatas"])
        old = {i: m["hash"] for i, m in zip(existing["ids"], existing["metadatas"], strict=True)}
        wanted = {case.id: case for case in library}
        changed = []
        for case_id, case in wanted.items():
            digest = content_hash(case)
            if old.get(case_id) == digest:
                report.unchanged += 1
                continue
            (report.updated if case_id in old else report.added).append(case_id)
            changed.append((case, digest))
        total = len(changed)
        for start in range(0, total, batch):
            chunk = changed[start:start + batch]
            docs = [render_case(case) for case, _ in chunk]
            vectors = self.embedder.embed_batch([case_text(case) for case, _ in chunk])
            self._record_dimension(len(vectors[0]))
            if getattr(self.embedder, "dense", False):
                report.embedded += len(chunk)
            self.collection.upsert(
                ids=[case.id for case, _ in chunk], documents=docs, embeddings=vectors,
                metadatas=[metadata(case, digest) for case, digest in chunk],
            )
            if progress:
                progress(min(start + batch, total), total)
        report.removed = sorted(set(old) - set(wanted))
        if report.removed:
            self.collection.delete(ids=report.removed)
        self.refresh()
        return report

    def _record_dimension(self, dim: int) -> None:
        """A dense embedder learns its dimension from its first answer; the collection keeps it, and a later
        embedder of another dimension is refused before anything is written."""
        meta = dict(self.collection.metadata or {})
        recorded = int(meta.get("dim") or 0)
        if dim and recorded and dim != recorded:
            raise IndexMismatch(f"the case index holds {recorded}-dimensional vectors, the embedder gives {dim}")
        if dim and not recorded:
            meta["dim"] = dim
            self.collection.modify(metadata=meta)

    def __len__(self) -> int:
        return len(self.cases)

    def get(self, case_id: str) -> Case | None:
        return self.cases.get(case_id)

    def _allowed(self, filters: Filters | None) -> np.ndarray | None:
        """Which documents pass `filters`, as a mask over the BM25 order. The predicates are Chroma's `where`
        evaluated on the metadata loaded from Chroma: a round trip to Chroma costs ~60 ms at 10k cases, a cached
        mask nothing (`matching_ids` runs the same filter in Chroma, and a test keeps the two in agreement)."""
        if filters is None or filters.where() is None:
            return None
        if filters not in self._filter_masks:
            self._filter_masks[filters] = np.array([filters.accepts(self.cases[i]) for i in self.lexical.ids], dtype=bool)
        return self._filter_masks[filters]

    def matching_ids(self, filters: Filters) -> set[str]:
        where = filters.where()
        return set(self.collection.get(where=where, include=[])["ids"]) if where else set(self.cases)

    def browse(self, filters: Filters | None = None) -> list[Case]:
        """Every case within `filters`, reported cases first, for listing the library without a query."""
        ids = self.matching_ids(filters or Filters())
        return sorted((self.cases[i] for i in ids if i in self.cases), key=lambda c: (c.kind != "reported_case", c.id))

    def _code_mask(self, code: str) -> np.ndarray:
        if code not in self._code_masks:
            self._code_masks[code] = np.array([code in self.cases[i].pain_points for i in self.lexical.ids], dtype=bool)
        return self._code_masks[code]

    def _text(self, case_id: str) -> str:
        if case_id not in self._texts:
            self._texts[case_id] = case_text(self.cases[case_id]).lower()
        return self._texts[case_id]

    def _why(self, case: Case, words: list[str], synonyms: tuple[str, ...], codes: tuple[str, ...]) -> tuple[Why, ...]:
        text = self._text(case.id)
        why = [Why("pain_point", c) for c in codes if c in case.pain_points]
        why += [Why("term", w) for w in words if w in text]
        why += [Why("synonym", s) for s in synonyms if s.lower() in text][:6]
        return tuple(why)

    def _dense_ranks(self, query: str, n: int, where: dict | None) -> dict[str, int]:
        vector = self.embedder.embed_batch([query])[0]
        got = self.collection.query(query_embeddings=[vector], n_results=n, where=where, include=[])
        return {case_id: rank for rank, case_id in enumerate(got["ids"][0])}

    def search(self, query: str, k: int = 5, filters: Filters | None = None) -> list[Hit]:
        """Best `k` cases for a free-text query in either language, within `filters`."""
        if not self.cases or not query.strip():
            return []
        expansion = expand(query)
        scores = self.lexical.scores(tokenize(query))
        if expansion.synonyms:
            scores = scores + SYNONYM_WEIGHT * self.lexical.scores(tokenize(" ".join(expansion.synonyms)))
        top = float(scores.max()) if scores.size else 0.0
        fused = scores / top if top > 0 else scores
        if expansion.pain_points:
            tagged = np.logical_or.reduce([self._code_mask(c) for c in expansion.pain_points])
            fused = fused + PAIN_POINT_BOOST * tagged
        allowed = self._allowed(filters)
        if allowed is not None:
            fused = np.where(allowed, fused, -1.0)
        order = [i for i in np.argsort(-fused, kind="stable")[: max(k * 4, 20)] if fused[i] > 0]
        ranked = [(self.lexical.ids[i], float(fused[i])) for i in order]
        dense: dict[str, int] = {}
        if getattr(self.embedder, "dense", False):
            dense = self._dense_ranks(query, min(len(self.cases), max(k * 4, 20)), filters.where() if filters else None)
            lexical_rank = {case_id: r for r, (case_id, _) in enumerate(ranked)}
            pool = set(lexical_rank) | set(dense)
            rrf = {
                cid: sum(1.0 / (RRF_K + r[cid]) for r in (lexical_rank, dense) if cid in r) for cid in pool
            }
            ranked = sorted(rrf.items(), key=lambda kv: -kv[1])
        words = surface_words(query)
        hits = []
        for case_id, score in ranked[:k]:
            case = self.cases[case_id]
            why = self._why(case, words, expansion.synonyms, expansion.pain_points)
            if case_id in dense:
                why += (Why("dense", str(dense[case_id] + 1)),)
            hits.append(Hit(case, round(score, 4), why))
        return hits

    def cases_for(self, code: str, category: str = "default", stage: str | None = None, k: int = 3, query: str = "") -> list[Hit]:
        """Cases for one finding: tagged with its code first, then category and stage fit, then text relevance."""
        tagged = [c for c in self.cases.values() if code in c.pain_points]
        text = query or f"{t(f'rule.{code}.title', 'zh')} {t(f'rule.{code}.title', 'en')}"
        scores = self.lexical.scores(tokenize(text)) if self.lexical else np.zeros(0)
        text_score = {cid: float(scores[i]) for i, cid in enumerate(self.lexical.ids)} if scores.size else {}

        def fit(case: Case) -> tuple:
            category_rank = 0 if case.category == category else 1 if case.category == "default" else 2
            return (category_rank, 0 if stage and case.stage == stage else 1, 0 if case.pain_points[0] == code else 1,
                    -text_score.get(case.id, 0.0), case.id)

        ranked = sorted((fit(case), case) for case in tagged)[:k]
        hits = []
        for key, case in ranked:
            why = [Why("pain_point", code)]
            if case.category == category:
                why.append(Why("category", category))
            if stage and case.stage == stage:
                why.append(Why("stage", stage))
            hits.append(Hit(case, round(1.0 / (1 + key[0] + key[1]), 4), tuple(why)))
        if len(hits) < k:
            seen = {h.case.id for h in hits}
            hits += [h for h in self.search(text, k * 2) if h.case.id not in seen][: k - len(hits)]
        return hits
