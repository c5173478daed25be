"""Dense embedders behind a one-method contract, found through `EMBEDDERS`.

Offline there is no model worth shipping (measured: all-MiniLM cannot read Chinese and made the fused ranking
worse), so the default is `none`: Chroma then only stores documents and metadata and BM25 ranks alone. A real
multilingual model served at any OpenAI-compatible `/embeddings` endpoint (e.g. bge-m3) adds a dense leg.
Adding a backend is one class and one registry entry.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from diagnosis.config import config, secret


class Embedder(Protocol):
    id: str
    dim: int

    def embed_batch(self, texts: list[str]) -> list[list[float]]: ...


class NoEmbedder:
    """Lexical only: a constant one-dimensional vector, because Chroma needs some embedding per record."""

    id = "none"
    dim = 1
    dense = False

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        return [[1.0] for _ in texts]


class OpenAIEmbedder:
    """Any OpenAI-compatible `/embeddings` endpoint; the dimension is learned from the first answer."""

    dense = True

    def __init__(self, base_url: str, model: str, api_key: str | None = None, timeout: float = 30.0, batch: int = 64):
        from openai import OpenAI

        self.client = OpenAI(base_url=base_url, api_key=api_key or "not-needed", timeout=timeout, max_retries=1)
        self.model = model
        self.batch = batch
        self.id = f"openai:{model}"
        self.dim = 0

    def embed_batch(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch):
            answer = self.client.embeddings.create(model=self.model, input=texts[start:start + self.batch])
            vectors.extend(item.embedding for item in sorted(answer.data, key=lambda d: d.index))
        if vectors and not self.dim:
            self.dim = len(vectors[0])
        return vectors


def _openai_from_env() -> OpenAIEmbedder:
    cfg = config()
    return OpenAIEmbedder(
        base_url=cfg.embed_url,
        model=cfg.embed_model,
        api_key=secret(cfg.embed_key) or secret(cfg.openai_api_key),
    )


EMBEDDERS: dict[str, Callable[[], Embedder]] = {
    "none": NoEmbedder,
    "openai": _openai_from_env,
}


def configured_embedder() -> Embedder:
    """`BELTDOCTOR_EMBEDDER` names a registry entry; a set `BELTDOCTOR_EMBED_URL` implies `openai`."""
    cfg = config()
    name = cfg.embedder or ("openai" if cfg.embed_url else "none")
    if name not in EMBEDDERS:
        raise ValueError(f"unknown embedder '{name}'; known: {', '.join(EMBEDDERS)}")
    return EMBEDDERS[name]()
