"""The BM25 side: the analyser, the persisted index and its rebuilds."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from support import SEED_002

from qa.config import Settings
from qa.index import lexical
from qa.index.lexical import analyze, index_dir
from qa.index.store import Store

QUERIES = ["Shayrat airbase missile strike", "Kerry working visit Moscow July", "bilateral trade 2014 billion", "Sochi"]


def test_analyze_lowercases_stems_and_drops_stopwords() -> None:
    assert analyze("The TALKS in Moscow") == ["talk", "moscow"]
    assert analyze("Russia\u2019s ministry") == analyze("Russia's ministry") == ["russia", "ministri"]
    assert analyze("talking talked talks") == ["talk", "talk", "talk"]
    assert analyze("21 working groups and 5 states") == ["21", "work", "group", "5", "state"]
    assert analyze("the of and to") == []
    assert analyze("") == []


def load(settings: Settings, store: Store) -> lexical.LexicalIndex:
    return lexical.load(store, settings.resolved_home(), settings.collection)


def test_index_is_persisted_under_qa_home(seed_settings: Settings, seed_store: Store) -> None:
    target = index_dir(seed_settings.resolved_home(), seed_settings.collection)
    assert target == seed_settings.resolved_home() / "lexical" / "articles"
    for name in ("chunk_ids.json", "doc_freq.json", "meta.json", "params.index.json", "vocab.index.json"):
        assert (target / name).is_file(), name
    meta = json.loads((target / "meta.json").read_text())
    assert meta["chunks"] == seed_store.count_chunks()
    chunk_ids = json.loads((target / "chunk_ids.json").read_text())
    assert sorted(chunk_ids) == sorted(cid for cid, _, _ in seed_store.iter_chunks())


def test_search_finds_the_right_chunk(seed_settings: Settings, seed_store: Store) -> None:
    index = load(seed_settings, seed_store)
    hits = index.search("Shayrat airbase", 5)
    assert hits
    best, _ = seed_store.get_chunks([hits[0][0]])[hits[0][0]]
    assert "Shayrat" in best
    assert seed_store.get_chunks([hits[0][0]])[hits[0][0]][1]["source"] == SEED_002
    scores = [score for _, score in hits]
    assert scores == sorted(scores, reverse=True)
    assert all(score > 0 for score in scores)


def test_search_with_no_known_terms_is_empty(seed_settings: Settings, seed_store: Store) -> None:
    index = load(seed_settings, seed_store)
    assert index.search("the of and", 5) == []
    assert index.search("zzqxv blorfing", 5) == []
    assert index.search("", 5) == []


def test_search_k_larger_than_index(seed_settings: Settings, seed_store: Store) -> None:
    index = load(seed_settings, seed_store)
    hits = index.search("Kerry Lavrov talks Moscow", 10_000)
    assert 0 < len(hits) <= index.size
    assert len({cid for cid, _ in hits}) == len(hits)


def test_idf_weighs_rare_words_more(seed_settings: Settings, seed_store: Store) -> None:
    index = load(seed_settings, seed_store)
    assert index.idf("shayrat") > index.idf("moscow") > 0
    assert index.idf("neverseenword") > index.idf("shayrat")


def test_reloading_from_disk_gives_same_results(
    seed_settings: Settings, seed_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = load(seed_settings, seed_store)
    before = {q: original.search(q, 10) for q in QUERIES}
    monkeypatch.setattr(lexical, "_cache", {})  # a new process: nothing loaded yet
    reloaded = load(seed_settings, seed_store)
    assert reloaded is not original
    assert reloaded.chunk_ids == original.chunk_ids
    assert reloaded.doc_freq == original.doc_freq
    assert {q: reloaded.search(q, 10) for q in QUERIES} == before
    assert load(seed_settings, seed_store) is reloaded  # and then it is cached


def test_deleted_index_is_rebuilt_to_match_the_store(
    seed_settings: Settings, seed_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = {q: load(seed_settings, seed_store).search(q, 10) for q in QUERIES}
    target = index_dir(seed_settings.resolved_home(), seed_settings.collection)
    shutil.rmtree(target)
    monkeypatch.setattr(lexical, "_cache", {})
    rebuilt = load(seed_settings, seed_store)
    assert (target / "meta.json").is_file()
    assert sorted(rebuilt.chunk_ids) == sorted(cid for cid, _, _ in seed_store.iter_chunks())
    assert rebuilt.size == seed_store.count_chunks()
    after = {q: rebuilt.search(q, 10) for q in QUERIES}
    assert after.keys() == before.keys()
    for q in QUERIES:
        assert [cid for cid, _ in after[q]] == [cid for cid, _ in before[q]]
        assert [s for _, s in after[q]] == pytest.approx([s for _, s in before[q]])


@pytest.mark.parametrize(
    "meta",
    [
        {"format": lexical._FORMAT, "analyzer": "current", "chunks": 1},  # chunk count disagrees
        {"format": 999, "analyzer": "current", "chunks": None},  # files of another shape
        {"format": lexical._FORMAT, "analyzer": "built-with-other-stopwords", "chunks": None},  # analyser changed
    ],
)
def test_index_disagreeing_with_the_store_is_rebuilt(
    seed_settings: Settings, seed_store: Store, monkeypatch: pytest.MonkeyPatch, meta: dict
) -> None:
    target = index_dir(seed_settings.resolved_home(), seed_settings.collection)
    if meta["chunks"] is None:
        meta["chunks"] = seed_store.count_chunks()
    if meta["analyzer"] == "current":
        meta["analyzer"] = lexical.analyzer_version()
    (target / "meta.json").write_text(json.dumps(meta))
    monkeypatch.setattr(lexical, "_cache", {})
    index = load(seed_settings, seed_store)
    assert index.size == seed_store.count_chunks()
    written = json.loads((target / "meta.json").read_text())
    assert {k: written[k] for k in ("format", "analyzer", "chunks")} == {
        "format": lexical._FORMAT,
        "analyzer": lexical.analyzer_version(),
        "chunks": seed_store.count_chunks(),
    }


def test_empty_store_gives_an_empty_index(fresh_settings: Settings) -> None:
    from qa.index.store import store_for

    store = store_for(fresh_settings)
    index = load(fresh_settings, store)
    assert index.size == 0
    assert index.search("Kerry", 5) == []
    assert (index_dir(fresh_settings.resolved_home(), fresh_settings.collection) / "meta.json").is_file()
    assert not Path(index_dir(fresh_settings.resolved_home(), fresh_settings.collection) / "params.index.json").exists()


def test_an_ingest_updates_the_index_in_place_with_the_scores_of_a_full_rebuild(
    fresh_settings: Settings, make_article, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Adding, replacing and pruning articles folds into the index without a rebuild, scoring exactly as one."""
    from support import ARTICLE_COMET, ARTICLE_PARKS, ARTICLE_TRAINS

    from qa.index.ingest import ingest
    from qa.index.store import store_for

    make_article("parks.txt", ARTICLE_PARKS)
    comet = make_article("comet.txt", ARTICLE_COMET)
    ingest([docs], settings=fresh_settings)
    rebuilds = []
    real_rebuild = lexical.rebuild
    monkeypatch.setattr(lexical, "rebuild", lambda *a: rebuilds.append(a) or real_rebuild(*a))
    make_article("trains.txt", ARTICLE_TRAINS)
    make_article("parks.txt", ARTICLE_PARKS.replace("4.2 million", "4.5 million"))
    comet.unlink()
    ingest([docs], prune=True, settings=fresh_settings)
    assert rebuilds == []
    store = store_for(fresh_settings)
    updated = load(fresh_settings, store)
    assert sorted(updated.chunk_ids) == sorted(cid for cid, _, _ in store.iter_chunks())
    queries = ["parks budget 4.5 million", "night trains Vienna Paris", "comet Chile", "council playgrounds"]
    before = {q: updated.search(q, 10) for q in queries}
    rebuilt = real_rebuild(store, fresh_settings.resolved_home(), fresh_settings.collection)
    assert rebuilt.doc_freq == updated.doc_freq
    for q in queries:
        assert dict(rebuilt.search(q, 10)) == pytest.approx(dict(before[q]))
    assert before["comet Chile"] == []


def test_the_score_matrix_matches_bm25s_own_indexing(tmp_path: Path) -> None:
    """qa builds bm25s's matrix with numpy (a million chunks would not fit bm25s.index's Python lists); the scores
    must be the ones bm25s itself computes."""
    import bm25s

    texts = [
        "The council approved the budget for the new bridge and the river park.",
        "Night trains from Vienna to Paris return after a decade, the railway said.",
        "Astronomers in Chile found a comet; the comet will pass Earth next spring.",
        "The park budget grew and the council said the bridge opens in spring.",
    ]
    update = lexical.LexicalUpdate()
    update.add([f"c{i}" for i in range(len(texts))], texts, [0] * len(texts))
    ours = lexical._write(update.postings(), update.vocab, tmp_path / "index")
    reference = bm25s.BM25(k1=lexical._K1, b=lexical._B)
    reference.index([analyze(t) for t in texts], show_progress=False)
    for query in ["council budget bridge", "comet spring", "trains Paris", "park"]:
        docs, scores = reference.retrieve([analyze(query)], k=len(texts), show_progress=False)
        expected = {f"c{int(d)}": float(s) for d, s in zip(docs[0], scores[0], strict=True) if s > 0}
        assert dict(ours.search(query, len(texts))) == pytest.approx(expected, rel=1e-5)


class _CountingCollection:
    """A Chroma collection that counts how often it is asked for its size."""

    def __init__(self, inner: object) -> None:
        self._inner = inner
        self.counts = 0

    def count(self) -> int:
        self.counts += 1
        return self._inner.count()  # type: ignore[attr-defined]

    def __getattr__(self, name: str) -> object:
        return getattr(self._inner, name)


def test_answers_reuse_a_recent_count_and_a_write_makes_the_next_one_count(
    fresh_settings: Settings, make_article, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chroma counts by scanning the store, so answers reuse a count for a moment; this process's ingest resets it
    and the new article is answered from at once."""
    from support import ARTICLE_COMET, ARTICLE_PARKS

    from qa.answer import answer
    from qa.index.ingest import ingest
    from qa.index.store import store_for

    make_article("parks.txt", ARTICLE_PARKS)
    ingest([docs], settings=fresh_settings)
    store = store_for(fresh_settings)
    counting = _CountingCollection(store.chunks)
    monkeypatch.setattr(store, "chunks", counting)
    store.forget_count()
    for _ in range(3):
        answer("What did the council approve for the parks?", settings=fresh_settings)
    assert counting.counts == 1
    make_article("comet.txt", ARTICLE_COMET)
    ingest([docs], settings=fresh_settings)
    found = answer("Where was the comet spotted?", settings=fresh_settings)
    assert any(c.source == "comet.txt" for c in found.citations)


def test_a_stale_count_handed_to_load_recounts_instead_of_rebuilding(
    seed_settings: Settings, seed_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = seed_settings.resolved_home()
    index = lexical.load(seed_store, home, seed_settings.collection)
    monkeypatch.setattr(lexical, "rebuild", lambda *a: pytest.fail("rebuilt on a stale count"))
    lexical._cache.clear()  # as in a process that has not loaded it yet
    again = lexical.load(seed_store, home, seed_settings.collection, chunks_in_store=index.size - 3)
    assert again.size == index.size == seed_store.count_chunks()
