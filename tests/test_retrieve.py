"""Hybrid retrieval: reciprocal rank fusion, and the retriever on the seed index."""

from __future__ import annotations

import datetime as dt
from typing import Any

import numpy as np
import pytest
from support import SEED_001, SEED_002, overlap, word_shingles

from qa.config import Settings
from qa.index import lexical
from qa.index.embed import get_embedder
from qa.index.store import DenseHit, Store
from qa.retrieve import Retrieval, RetrievalParams, fuse_rankings, retrieve

# --- fuse_rankings ------------------------------------------------------------------------------------------


def test_rrf_scores_are_the_sum_of_reciprocal_ranks() -> None:
    fused = dict(fuse_rankings([["a", "b", "c"], ["c", "a"]]))
    assert fused["a"] == pytest.approx(1 / (RetrievalParams().rrf_k + 1) + 1 / (RetrievalParams().rrf_k + 2))
    assert fused["b"] == pytest.approx(1 / (RetrievalParams().rrf_k + 2))
    assert fused["c"] == pytest.approx(1 / (RetrievalParams().rrf_k + 3) + 1 / (RetrievalParams().rrf_k + 1))
    assert RetrievalParams().rrf_k == 60


def test_first_in_both_lists_beats_first_in_one() -> None:
    fused = fuse_rankings([["both", "only_dense"], ["both", "only_lexical"]])
    assert fused[0][0] == "both"
    fused = fuse_rankings([["only_dense", "x", "both"], ["both", "y"]])
    assert fused[0][0] == "both"  # 1st + 3rd beats a single 1st


def test_results_are_sorted_best_first_and_unique() -> None:
    fused = fuse_rankings([["a", "b", "c", "d"], ["d", "c", "e"], ["c"]])
    scores = [score for _, score in fused]
    assert scores == sorted(scores, reverse=True)
    assert sorted(item for item, _ in fused) == ["a", "b", "c", "d", "e"]
    assert fused[0][0] == "c"


def test_weights_scale_each_list() -> None:
    fused = fuse_rankings([["a"], ["b"]], weights=[1.0, 2.0])
    assert [item for item, _ in fused] == ["b", "a"]
    assert dict(fused)["b"] == pytest.approx(2 / (RetrievalParams().rrf_k + 1))
    fused = fuse_rankings([["a", "b"], ["b", "a"]], weights=[3.0, 1.0])
    assert fused[0][0] == "a"
    assert fuse_rankings([["a"], ["b"]], weights=[0.0, 1.0])[0][0] == "b"


def test_k_damps_the_first_ranks() -> None:
    assert dict(fuse_rankings([["a"]], k=0))["a"] == pytest.approx(1.0)
    assert dict(fuse_rankings([["a", "b"]], k=10)) == pytest.approx({"a": 1 / 11, "b": 1 / 12})


def test_ties_keep_first_seen_order() -> None:
    assert [item for item, _ in fuse_rankings([["a", "b"], ["b", "a"]])] == ["a", "b"]
    assert [item for item, _ in fuse_rankings([["b", "a"], ["a", "b"]])] == ["b", "a"]
    assert [item for item, _ in fuse_rankings([["x"], ["y"], ["z"]])] == ["x", "y", "z"]


def test_empty_rankings() -> None:
    assert fuse_rankings([]) == []
    assert fuse_rankings([[], []]) == []
    assert fuse_rankings([[], ["a"]]) == [("a", pytest.approx(1 / (RetrievalParams().rrf_k + 1)))]


def test_weights_must_match_rankings() -> None:
    with pytest.raises(ValueError):
        fuse_rankings([["a"], ["b"]], weights=[1.0])


# --- retrieve() on the seed index --------------------------------------------------------------------------

AIRBASE = "Which Syrian airbase did the US strike with missiles?"


def run(settings: Settings, store: Store, question: str, top_k: int = 5) -> Retrieval:
    return retrieve(
        question,
        store=store,
        lexical_index=lexical.load(store, settings.resolved_home(), settings.collection),
        embedder=get_embedder(settings.embed_model, settings.embed_batch),
        top_k=top_k,
        candidates=settings.candidates,
    )


def test_airbase_question_finds_seed_002_first(seed_settings: Settings, seed_store: Store) -> None:
    found = run(seed_settings, seed_store, AIRBASE)
    assert found.passages[0].source == SEED_002
    assert "Shayrat" in found.passages[0].text
    assert len(found.passages) == 5
    assert found.query_vector.shape == (384,)
    assert set(found.timings) == {"embed_ms", "dense_ms", "lexical_ms", "fuse_ms"}


def test_july_visit_question_finds_seed_001_first(seed_settings: Settings, seed_store: Store) -> None:
    found = run(seed_settings, seed_store, "On which dates was John Kerry's working visit to Moscow in July?")
    assert found.passages[0].source == SEED_001
    assert "July 14-15" in found.passages[0].text


@pytest.mark.parametrize(
    "question",
    [AIRBASE, "How much was bilateral trade worth in 2014?", "Who is Victoria Nuland?", "Islamic State terrorist"],
)
def test_passages_point_into_their_articles(seed_settings: Settings, seed_store: Store, question: str) -> None:
    found = run(seed_settings, seed_store, question)
    assert found.passages
    for passage in found.passages:
        record = seed_store.article_by_id(passage.article_id, with_text=True)
        assert record is not None
        assert record["text"][passage.start : passage.end] == passage.text
        assert record["source"] == passage.source
        assert record["title"] == passage.title
        assert passage.dense_score is not None or passage.lexical_score is not None


@pytest.mark.parametrize("question", [AIRBASE, "Kerry Lavrov talks", "sanctions against Russia"])
def test_scores_descend_and_passages_differ(seed_settings: Settings, seed_store: Store, question: str) -> None:
    found = run(seed_settings, seed_store, question, top_k=10)
    scores = [p.score for p in found.passages]
    assert scores == sorted(scores, reverse=True)
    assert len({p.chunk_id for p in found.passages}) == len(found.passages)
    shingles = [word_shingles(p.text) for p in found.passages]
    for i in range(len(shingles)):
        for j in range(i + 1, len(shingles)):
            assert overlap(shingles[i], shingles[j]) < 0.8, (found.passages[i].text, found.passages[j].text)


@pytest.mark.parametrize("top_k", [1, 3, 8])
def test_top_k_bounds_the_passages(seed_settings: Settings, seed_store: Store, top_k: int) -> None:
    assert len(run(seed_settings, seed_store, "Kerry visit to Moscow", top_k=top_k).passages) == top_k


def test_dated_articles_carry_their_date_text(seed_settings: Settings, seed_store: Store) -> None:
    found = run(seed_settings, seed_store, "Kerry will pay a working visit to Moscow on July 14-15")
    top = found.passages[0]
    assert (top.source, top.date, top.outlet) == (SEED_001, "July 11", "TASS")


# --- retrieve() with stand-ins, for the cases the seeds do not have ----------------------------------------


class FakeEmbedder:
    name = "fake"
    dim = 3

    def embed(self, texts: list[str]) -> np.ndarray:
        return np.ones((len(texts), 3), dtype=np.float32) / np.sqrt(3)


class FakeStore:
    """Dense hits by id and similarity; texts and metadata only through get_chunks, as Chroma is asked."""

    def __init__(self, dense: list[DenseHit], extra: dict[str, tuple[str, dict[str, Any]]]) -> None:
        self.dense = dense
        self.records = {**{h.chunk_id: (h.text, h.metadata) for h in dense}, **extra}
        self.fetched: list[list[str]] = []

    def nearest_chunk_ids(self, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        return [(h.chunk_id, h.similarity) for h in self.dense[:n]]

    def get_chunks(self, ids: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
        self.fetched.append(ids)
        return {i: self.records[i] for i in ids if i in self.records}


class FakeLexical:
    def __init__(self, hits: list[tuple[str, float]]) -> None:
        self.hits = hits

    def search(self, query: str, k: int) -> list[tuple[str, float]]:
        return self.hits[:k]


def meta(article: str, start: int, text: str) -> dict[str, Any]:
    return {"article_id": article, "source": f"{article}.txt", "title": article.upper(), "start": start,
            "end": start + len(text)}


STORY = "The minister said the talks in Moscow on Friday were useful and would continue next month in Geneva."
OTHER = "Astronomers in Chile found a comet that will pass close to Earth next spring, the observatory said."


def test_near_identical_passages_are_dropped() -> None:
    near_copy = STORY.replace("Friday", "Saturday")
    dense = [
        DenseHit("c1", 0.9, STORY, meta("a", 0, STORY)),
        DenseHit("c2", 0.8, near_copy, meta("b", 10, near_copy)),
        DenseHit("c3", 0.7, OTHER, meta("c", 0, OTHER)),
    ]
    found = retrieve("talks", store=FakeStore(dense, {}), lexical_index=FakeLexical([]),  # type: ignore[arg-type]
                     embedder=FakeEmbedder(), top_k=5, candidates=10)
    assert [p.chunk_id for p in found.passages] == ["c1", "c3"]


def test_lexical_only_hits_are_fetched_from_the_store() -> None:
    dense = [DenseHit("c1", 0.9, STORY, meta("a", 0, STORY))]
    extra = {"c9": (OTHER, meta("c", 5, OTHER))}
    store = FakeStore(dense, extra)
    found = retrieve("comet", store=store, lexical_index=FakeLexical([("c9", 7.5), ("gone", 1.0)]),  # type: ignore[arg-type]
                     embedder=FakeEmbedder(), top_k=5, candidates=10)
    assert len(store.fetched) == 1  # one round trip for every kept candidate, dense or lexical
    by_id = {p.chunk_id: p for p in found.passages}
    assert set(by_id) == {"c1", "c9"}  # "gone" was deleted between the two searches and is skipped
    assert by_id["c9"].lexical_score == 7.5 and by_id["c9"].dense_score is None
    assert by_id["c1"].dense_score == pytest.approx(0.9) and by_id["c1"].lexical_score is None
    assert (by_id["c9"].start, by_id["c9"].end, by_id["c9"].source) == (5, 5 + len(OTHER), "c.txt")


def test_passages_carry_their_sentences(seed_settings: Settings, seed_store: Store) -> None:
    """Sentence spans found at ingest come back with each passage, so answering needs no sentence parser."""
    from qa.answer import answer

    result = answer("Which Syrian airbase did the US strike with missiles?", settings=seed_settings)
    for passage in result.passages:
        assert passage.sentences, passage.chunk_id
        record = seed_store.article_by_id(passage.article_id, with_text=True)
        assert record is not None
        for start, end in passage.sentences:
            assert passage.start <= start < end <= passage.end
            assert record["text"][start:end].strip()
    quote = result.citations[0]
    assert any((quote.start, quote.end) == span for p in result.passages for span in p.sentences)


# --- as_of: the days before the question come first, later articles never ---------------------------------


_BRIDGE_STORIES = {
    "january.md": ("2024-01-09", ("The Riverside council approved 12 million dollars for repairs to the old river bridge "
                   "on Tuesday, the mayor said. Engineers found rust in the steel beams during a winter inspection.")),
    "march.md": ("2024-03-04", ("Riverside councillors voted to spend 15 million dollars on the river bridge repairs, "
                 "more than planned, after contractors priced the new deck. One lane will close in April.")),
    "april.md": ("2024-04-02", ("Bridge repairs in Riverside will now cost 20 million dollars, the council agreed at a "
                 "late meeting, as flooding delayed the work on the deck and the approach roads.")),
    "undated.md": (None, ("A history of the Riverside river bridge: opened in 1931, widened in 1968, and repaired many "
                   "times since; the council has approved money for its repairs every decade or so.")),
}


def _bridge_story(day: str | None, text: str) -> str:
    return "---\ntitle: Riverside bridge\n" + (f"date: {day}\n" if day else "") + "---\n" + text


@pytest.fixture(scope="module")
def dated_index(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    from qa.index.ingest import ingest

    folder = tmp_path_factory.mktemp("dated")
    for name, (day, text) in _BRIDGE_STORIES.items():
        (folder / name).write_text(_bridge_story(day, text), encoding="utf-8")
    settings = Settings(home=tmp_path_factory.mktemp("dated-home") / "home", auto_seed=False)
    report = ingest([folder], settings=settings)
    assert report.count("added") == 4, report
    return settings


def _sources(settings: Settings, as_of: dt.date | None) -> list[str]:
    from qa.index.store import store_for

    store = store_for(settings)
    found = retrieve(
        "How much did the council approve for the bridge repairs?",
        store=store,
        lexical_index=lexical.load(store, settings.resolved_home(), settings.collection),
        embedder=get_embedder(settings.embed_model, settings.embed_batch),
        top_k=5,
        candidates=settings.candidates,
        as_of=as_of,
    )
    return [p.source for p in found.passages]


def test_as_of_ranks_the_week_before_first_and_leaves_out_later_articles(dated_index: Settings) -> None:
    assert sorted(_sources(dated_index, None)) == ["april.md", "january.md", "march.md", "undated.md"]
    in_march = _sources(dated_index, dt.date(2024, 3, 6))
    assert in_march[0] == "march.md"
    assert "april.md" not in in_march
    assert set(in_march) == {"march.md", "january.md", "undated.md"}  # undated articles stay


def test_as_of_before_every_dated_article_keeps_only_undated_ones(dated_index: Settings) -> None:
    assert _sources(dated_index, dt.date(2023, 12, 31)) == ["undated.md"]


def test_an_answer_as_of_a_day_never_cites_a_later_article(dated_index: Settings) -> None:
    from qa.answer import answer

    result = answer("How much did the council approve for the bridge repairs?", as_of="2024-03-06",
                    settings=dated_index)
    assert result.passages[0].source == "march.md"
    assert result.citations and "april.md" not in {c.source for c in result.citations}
    assert "20 million" not in result.text
