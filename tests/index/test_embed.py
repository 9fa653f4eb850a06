"""The embedding model and the vector cache answers lean on, through the real int8 MiniLM model."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa.index.embed import VectorCache, get_embedder


class _Counting:
    """The real embedder, counting how many texts it is asked to embed."""

    def __init__(self) -> None:
        self._inner = get_embedder("minilm-int8")
        self.name = self._inner.name
        self.dim = self._inner.dim
        self.calls = 0

    def embed(self, texts: list[str]) -> np.ndarray:
        self.calls += len(texts)
        return self._inner.embed(texts)


def test_embeddings_are_normalised_and_meaningful() -> None:
    vectors = get_embedder("minilm-int8").embed(
        ["Which Syrian airbase did the US strike?", "The US missile strike on the Shayrat airbase", "A recipe for soup"]
    )
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.3


def test_vector_cache_survives_a_new_process(tmp_path: Path) -> None:
    texts = ["Tillerson arrives on a two-day visit in Moscow on Tuesday.", "weather"]
    first = _Counting()
    before = VectorCache(first, tmp_path / "vectors.sqlite").get(texts)
    assert first.calls == 2
    second = _Counting()  # as a later `qa ask` would: a fresh cache object on the same file
    after = VectorCache(second, tmp_path / "vectors.sqlite").get(texts + texts)
    assert second.calls == 0
    assert after.shape == (4, 384)
    assert np.allclose(after[:2], before, atol=2e-3)  # stored as float16


def test_vector_cache_without_a_usable_file_still_answers(tmp_path: Path) -> None:
    blocked = tmp_path / "not-a-dir"
    blocked.write_text("a file where the cache folder would go")
    counting = _Counting()
    cache = VectorCache(counting, blocked / "vectors.sqlite")
    assert cache.get(["hello"]).shape == (1, 384)
    assert cache.get(["hello"]).shape == (1, 384)
    assert counting.calls == 1


@pytest.mark.slow
def test_the_float32_option_is_the_same_model_as_the_int8_default() -> None:
    """QA_EMBED_MODEL=minilm (the torch extra) through sentence-transformers: normalised, and within rounding of
    the int8 model on the same sentences."""
    pytest.importorskip("sentence_transformers", reason="the torch extra: pip install -e '.[torch]'")
    texts = ["Which Syrian airbase did the US strike?", "The US missile strike on the Shayrat airbase"]
    full = get_embedder("minilm").embed(texts)
    assert full.shape == (2, 384) and np.allclose(np.linalg.norm(full, axis=1), 1.0, atol=1e-4)
    assert np.all(np.sum(full * get_embedder("minilm-int8").embed(texts), axis=1) > 0.95)
