"""BM25 over case text with bm25s, saved beside the Chroma folder.

Lexical vectors must not be ranked by Chroma's HNSW (measured: it finds only 39-52 % of the exact top 5 on
sparse vectors at 10k cases), so BM25 scores every document exactly; at 10k cases that takes about a millisecond.
"""

from __future__ import annotations

import json
from pathlib import Path

import bm25s
import numpy as np

from knowledge.tokens import tokenize_many


class LexicalIndex:
    def __init__(self, ids: list[str], retriever: bm25s.BM25 | None, fingerprint: str):
        self.ids = ids
        self.position = {case_id: i for i, case_id in enumerate(ids)}
        self.retriever = retriever
        self.fingerprint = fingerprint
        self._vocab: dict[str, int] = retriever.vocab_dict if retriever else {}

    @classmethod
    def build(cls, ids: list[str], texts: list[str], fingerprint: str) -> LexicalIndex:
        if not ids:
            return cls([], None, fingerprint)
        retriever = bm25s.BM25(k1=1.2, b=0.75)
        corpus = tokenize_many(texts)
        retriever.index(corpus, show_progress=False)
        return cls(ids, retriever, fingerprint)

    def scores(self, tokens: list[str]) -> np.ndarray:
        """BM25 score of every document (in `ids` order); tokens the corpus never saw score nothing."""
        known = list(dict.fromkeys(t for t in tokens if t in self._vocab))
        if not known or not self.ids:
            return np.zeros(len(self.ids), dtype=np.float32)
        return np.asarray(self.retriever.get_scores(known), dtype=np.float32)

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        if self.retriever is not None:
            self.retriever.save(str(folder))
        (folder / "manifest.json").write_text(json.dumps({"fingerprint": self.fingerprint, "ids": self.ids}), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path, fingerprint: str) -> LexicalIndex | None:
        """The saved index if it was built from exactly the documents `fingerprint` describes, else None."""
        manifest = folder / "manifest.json"
        try:
            meta = json.loads(manifest.read_text(encoding="utf-8"))
            if meta.get("fingerprint") != fingerprint:
                return None
            if not meta["ids"]:
                return cls([], None, fingerprint)
            retriever = bm25s.BM25.load(str(folder))
        except (OSError, ValueError, KeyError):
            return None
        return cls(list(meta["ids"]), retriever, fingerprint)
