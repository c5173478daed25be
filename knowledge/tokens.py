"""Tokens for lexical retrieval in Chinese and English at once.

Measured (design/MEASUREMENTS.md): jieba's search mode plus CJK character bigrams plus English stemming is
the strongest cheap lexical recipe; bigrams make partial words and typos (头产比 for 投产比) still match, and the
domain terms of the thesaurus are added to jieba's dictionary so 投产比 or 停留时长 stay whole words.
"""

from __future__ import annotations

import logging
import os
import re
from functools import cache

import jieba
import Stemmer

_CJK = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_RUN = re.compile(rf"[{_CJK}]+|[a-z0-9]+(?:[.'][a-z0-9]+)*")
_IS_CJK = re.compile(rf"[{_CJK}]")
STOPWORDS = frozenset(
    ["a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "has", "have", "how", "i", "in", "into", "is", "it", "its", "my", "of", "on", "or", "our", "so", "that", "the", "their", "them", "then", "there", "these", "they", "this", "to", "was", "we", "were", "what", "when", "which", "who", "why", "will", "with", "you", "your", "not", "no", "do", "does", "did", "can", "could", "should", "的", "了", "和", "是", "在", "也", "就", "都", "而", "及", "与", "或", "一个", "我们", "我", "你", "他", "她", "它", "这", "那", "有", "没", "吗", "呢", "吧", "啊", "怎么", "怎么办", "如何", "什么", "为什么", "哪些", "这个", "那个", "因为", "所以", "但是", "如果", "还是", "就是", "可以", "需要", "应该", "一下"]
)


@cache
def _segmenter() -> jieba.Tokenizer:
    jieba.setLogLevel(logging.WARNING)
    from knowledge.thesaurus import chinese_terms

    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()
    for term in chinese_terms():
        tokenizer.add_word(term, freq=20_000)
    return tokenizer


@cache
def _stemmer() -> Stemmer.Stemmer:
    return Stemmer.Stemmer("english")


def _cjk_tokens(run: str) -> list[str]:
    if len(run) == 1:
        return [run]
    words = [w for w in _segmenter().lcut_for_search(run) if len(w) > 1 and w not in STOPWORDS]
    return words + [run[i:i + 2] for i in range(len(run) - 1)]


def tokenize(text: str) -> list[str]:
    """Index/query tokens: jieba words and bigrams for Chinese runs, stemmed lowercase words for the rest."""
    out: list[str] = []
    stem = _stemmer().stemWord
    for match in _RUN.finditer(text.lower()):
        piece = match.group()
        if _IS_CJK.match(piece):
            out.extend(_cjk_tokens(piece))
        elif piece not in STOPWORDS:
            out.append(stem(piece))
    return out


PARALLEL_FROM = 1500


def tokenize_many(texts: list[str]) -> list[list[str]]:
    """Many documents at once; large corpora are split over worker processes (jieba is single-threaded)."""
    workers = min(os.cpu_count() or 1, 8)
    if len(texts) < PARALLEL_FROM or workers < 2:
        return [tokenize(t) for t in texts]
    from concurrent.futures import ProcessPoolExecutor

    chunk = -(-len(texts) // (workers * 4))
    with ProcessPoolExecutor(workers) as pool:
        parts = pool.map(_tokenize_chunk, [texts[i:i + chunk] for i in range(0, len(texts), chunk)])
        return [tokens for part in parts for tokens in part]


def _tokenize_chunk(texts: list[str]) -> list[list[str]]:
    return [tokenize(t) for t in texts]


def contains_cjk(text: str) -> bool:
    return bool(_IS_CJK.search(text))


def surface_words(text: str) -> list[str]:
    """The words a reader sees (jieba words, English words), for saying which of them a case contains."""
    words = []
    for match in _RUN.finditer(text.lower()):
        piece = match.group()
        if _IS_CJK.match(piece):
            words += [w for w in _segmenter().lcut(piece) if len(w) > 1 and w not in STOPWORDS]
        elif piece not in STOPWORDS and len(piece) > 1:
            words.append(piece)
    return list(dict.fromkeys(words))
