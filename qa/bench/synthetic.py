"""Synthetic news corpora for the benchmark: real article sentences recombined into new articles, and an embedder
that builds each text's vector from cached embeddings of those sentences (so a million chunks need no model run).

The sentences come from the seed articles and, when given, a news corpus (JSON lines with title and text, e.g.
the RealTime QA corpus), read at run time; nothing from them is stored in the repository.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import random
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.index.embed import Embedder
from qa.types import Article, Chunk

# A sentence ends at . ! or ? (optionally closed by a quote or bracket) before a capital, quote or digit.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"'”’)]))\s+(?=[A-Z\"“‘(0-9])|\n+")
_MIN_WORDS, _MAX_WORDS = 6, 60


def split_plain_sentences(text: str) -> list[str]:
    """Sentences by punctuation, one per piece; the same rule finds them again in a chunk made of them."""
    return [s.strip() for s in _SENTENCE_END.split(text) if s and s.strip()]


def read_sentences(
    seeds: Path | None, corpus: Path | None, max_articles: int, max_sentences: int, per_article: int = 1_000
) -> list[str]:
    """Distinct, article-like sentences (6-60 words), at most per_article from each, from seed .txt files and
    up to max_articles of a .jsonl(.gz) corpus, in a stable order."""
    texts: list[str] = []
    if seeds is not None:
        texts += [p.read_text(encoding="utf-8") for p in sorted(seeds.glob("*.txt"))]
    if corpus is not None:
        opener = gzip.open if corpus.suffix == ".gz" else open
        with opener(corpus, "rt", encoding="utf-8") as lines:
            for i, line in enumerate(lines):
                if i >= max_articles:
                    break
                texts.append(str(json.loads(line).get("text", "")))
    seen: dict[str, None] = {}
    for text in texts:  # a few sentences from each article, so the pool spans many stories
        taken = 0
        for sentence in split_plain_sentences(text):
            if _MIN_WORDS <= len(sentence.split()) <= _MAX_WORDS and sentence[-1] in ".!?\"”'’":
                taken += " ".join(sentence.split()) not in seen
                seen.setdefault(" ".join(sentence.split()), None)
            if len(seen) >= max_sentences:
                return list(seen)
            if taken >= per_article:
                break
    return list(seen)


@dataclass(frozen=True)
class SyntheticArticle:
    title: str
    paragraphs: list[list[int]]  # sentence indexes into the pool, grouped in paragraphs

    def text(self, pool: list[str]) -> str:
        return self.title + "\n\n" + "\n\n".join(" ".join(pool[i] for i in para) for para in self.paragraphs)

    @property
    def sentence_ids(self) -> list[int]:
        return [i for para in self.paragraphs for i in para]


def generate_articles(pool: list[str], n_words: int, seed: int = 0) -> Iterator[SyntheticArticle]:
    """Articles of 8-30 pool sentences in paragraphs of 1-4, headlined by the first words of another sentence,
    until about n_words words are written. Deterministic for a given pool and seed."""
    if not pool:
        raise ValueError("no sentences to build articles from")
    rng = random.Random(seed)
    lengths = [len(s.split()) for s in pool]
    written = 0
    while written < n_words:
        ids = [rng.randrange(len(pool)) for _ in range(rng.randint(8, 30))]
        paragraphs: list[list[int]] = []
        i = 0
        while i < len(ids):
            step = rng.randint(1, 4)
            paragraphs.append(ids[i : i + step])
            i += step
        headline = " ".join(pool[rng.randrange(len(pool))].split()[:10]).rstrip(".,;:")
        written += sum(lengths[j] for j in ids)
        yield SyntheticArticle(title=headline, paragraphs=paragraphs)


def words_for_chunks(n_chunks: int, chunk_tokens: int = 128, overlap: int = 24) -> int:
    """Words of news text that chunk into about n_chunks chunks (1.3 tiktoken tokens a word, overlap repeated)."""
    return int(n_chunks * (chunk_tokens - overlap) / 1.3)


class CachedSentenceEmbedder:
    """An Embedder whose vector for a text is the normalised mean of the cached model vectors of the pool
    sentences it holds; a piece that is not a pool sentence (a headline, a sentence cut at a chunk edge) gets
    a pool sentence's vector picked by its hash. Same space and spread as the model's vectors, no model run."""

    name = "minilm-int8"  # the vectors are that model's, so the store accepts them
    dim = 384

    def __init__(self, pool: list[str], vectors: np.ndarray) -> None:
        self._index = {s: i for i, s in enumerate(pool)}
        self._vectors = vectors.astype(np.float32)
        self.tokens_embedded = 0

    def vector_of(self, sentence_ids: list[int]) -> np.ndarray:
        mean = self._vectors[sentence_ids].sum(axis=0)
        normalised: np.ndarray = mean / max(float(np.linalg.norm(mean)), 1e-12)
        return normalised

    def embed(self, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            ids = [self._lookup(piece) for piece in split_plain_sentences(text)] or [self._lookup(text)]
            out[row] = self.vector_of(ids)
        return out

    def _lookup(self, piece: str) -> int:
        found = self._index.get(" ".join(piece.split()))
        if found is not None:
            return found
        digest = hashlib.blake2b(piece.encode(), digest_size=8).digest()
        return int.from_bytes(digest, "little") % len(self._vectors)


def sentence_vectors(pool: list[str], embedder: Embedder, cache: Path | None) -> np.ndarray:
    """The model's vectors of the pool sentences, cached in a .npy file keyed by the pool's content."""
    key = hashlib.sha1(("\n".join(pool) + embedder.name).encode()).hexdigest()[:16]
    path = cache / f"sentences-{key}.npy" if cache is not None else None
    if path is not None and path.exists():
        cached: np.ndarray = np.load(path)
        return cached
    vectors = embedder.embed(pool)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        np.save(path, vectors)
    return vectors


def synthetic_article(
    synthetic: SyntheticArticle, pool: list[str], n: int
) -> tuple[Article, list[tuple[Chunk, list[int]]]]:
    """The Article and its chunks (runs of whole sentences up to ~100 words) with each chunk's sentence ids."""
    import hashlib

    from qa.index.chunk import chunk_id

    text = synthetic.text(pool)
    article_id = hashlib.sha256(text.encode()).hexdigest()[:16]
    article = Article(id=article_id, source=f"synthetic_{n:07d}.txt", path=f"/synthetic/{n:07d}.txt",
                      title=synthetic.title, text=text, file_hash=article_id)
    pieces: list[tuple[Chunk, list[int]]] = []
    position = len(synthetic.title) + 2
    run: list[int] = []
    start = position
    spans: list[tuple[int, int]] = []
    for p, para in enumerate(synthetic.paragraphs):
        if p:
            position += 2
        for s, sid in enumerate(para):
            if s:
                position += 1
            if run and sum(len(pool[i].split()) for i in run) + len(pool[sid].split()) > 100:
                pieces.append(_chunk(article, text, start, spans, run, len(pieces), chunk_id))
                run, spans = [], []
            if not run:
                start = position
            run.append(sid)
            spans.append((position, position + len(pool[sid])))
            position += len(pool[sid])
    if run:
        pieces.append(_chunk(article, text, start, spans, run, len(pieces), chunk_id))
    return article, pieces


def _chunk(article: Article, text: str, start: int, spans: list[tuple[int, int]], run: list[int], index: int,
           chunk_id: Callable[[str, int, int], str]) -> tuple[Chunk, list[int]]:
    end = spans[-1][1]
    chunk = Chunk(id=chunk_id(article.id, start, end), article_id=article.id, index=index, text=text[start:end],
                  start=start, end=end, sentences=tuple(spans))
    return chunk, list(run)
