"""Compact evidence: the few retrieved sentences a model reads instead of five whole passages."""

from __future__ import annotations

from qa.answering.asked import analyse
from qa.answering.evidence import EvidenceParams, compact_evidence
from qa.answering.rules import Evidence
from qa.config import Settings
from qa.index import lexical
from qa.index.embed import VectorCache, get_embedder
from qa.index.store import Store, store_for
from qa.index.tokens import count_tokens
from qa.retrieve import retrieve

KERRY_JULY = "On which dates was John Kerry's working visit to Moscow in July?"


def test_evidence_is_the_answering_sentences_within_the_budget_with_exact_offsets(
    seed_settings: Settings, seed_store: Store
) -> None:
    store = store_for(seed_settings)
    index = lexical.load(store, seed_settings.resolved_home(), seed_settings.collection)
    embedder = get_embedder(seed_settings.embed_model)
    found = retrieve(KERRY_JULY, store=store, lexical_index=index, embedder=embedder, top_k=5, candidates=40)
    params = EvidenceParams(budget_tokens=120, max_sentences=4)
    evidence = Evidence(KERRY_JULY, analyse(KERRY_JULY), found.passages, found.query_vector, VectorCache(embedder),
                        index)
    windows = compact_evidence(evidence, params)
    assert windows and "July 14-15" in windows[0].text  # the dated sentence comes first
    assert sum(len(w.sentences) for w in windows) <= 4
    assert sum(count_tokens(w.text) for w in windows) <= 120 + max(count_tokens(w.text) for w in windows)
    assert sum(count_tokens(w.text) for w in windows) < sum(count_tokens(p.text) for p in found.passages) / 2
    for window in windows:
        record = seed_store.article_by_id(window.article_id, with_text=True)
        assert record is not None and str(record["text"])[window.start : window.end] == window.text
        assert window.title  # each keeps its article's headline (and date) for the prompt
