"""Citation markers in a model's answer: parsing, normalising as they stream, and checking each cited sentence
against the passage it names, on the real seed index."""

from __future__ import annotations

from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st
from support import SEED_001, SEED_002

from qa.answer import answer
from qa.answering.cite import (
    MarkerFilter,
    check_citations,
    cite_uncited,
    clean_markers,
    parse_marker,
    split_answer,
)
from qa.config import Settings
from qa.index.embed import VectorCache, get_embedder
from qa.index.store import Store
from qa.types import Answer, Passage

KERRY_JULY = "On which dates was John Kerry's working visit to Moscow in July?"
KERRY_FACT = "John Kerry will pay a working visit to Moscow on July 14-15"


@pytest.mark.parametrize(
    ("marker", "numbers"),
    [
        ("[1]", [1]),
        ("[ 12 ]", [12]),
        ("[1, 2]", [1, 2]),
        ("[1,2,2]", [1, 2]),
        ("[3; 1]", [3, 1]),
        ("[2-4]", [2, 3, 4]),
        ("[2–4]", [2, 3, 4]),
        ("[4-2]", [4, 2]),
        ("[passage 3]", [3]),
        ("[Passages 1 and 3]", [1, 3]),
        ("[Source #2]", [2]),
        ("[doc 1, doc 5]", [1, 5]),
    ],
)
def test_parse_marker(marker: str, numbers: list[int]) -> None:
    assert parse_marker(marker) == numbers


@pytest.mark.parametrize("text", ["[sic]", "[a]", "[]", "[1.5]", "[1 2]", "[see 1]", "(1)", "1", "[passage]"])
def test_parse_marker_refuses_what_is_not_a_citation(text: str) -> None:
    assert parse_marker(text) is None


@pytest.mark.parametrize(
    ("text", "cleaned", "dropped"),
    [
        ("Kerry came [1].", "Kerry came [1].", []),
        ("Kerry came [1, 2].", "Kerry came [1][2].", []),
        ("Kerry came [passage 2].", "Kerry came [2].", []),
        ("Kerry came [1]. He left [9].", "Kerry came [1]. He left.", [9]),
        ("Kerry came [1][7].", "Kerry came [1].", [7]),
        ("Kerry came [0] [6].", "Kerry came.", [0, 6]),
        ("Kerry came [2-7].", "Kerry came [2][3][4][5].", [6, 7]),
        ("He said it [sic] twice.", "He said it [sic] twice.", []),
        ("An open bracket [1", "An open bracket [1", []),
        ("Ends with a space ", "Ends with a space ", []),
    ],
)
def test_clean_markers(text: str, cleaned: str, dropped: list[int]) -> None:
    assert clean_markers(text, passages=5) == (cleaned, dropped)


def test_marker_filter_holds_back_an_unfinished_marker() -> None:
    markers = MarkerFilter(passages=3)
    assert markers.feed("Kerry came ") == "Kerry came"
    assert markers.feed("[") == ""
    assert markers.feed("9") == ""
    assert markers.feed("]. He ") == ". He"
    assert markers.feed("left [2") == " left"
    assert markers.feed("]") == " [2]"
    assert markers.flush() == ""
    assert markers.dropped == [9]


# Answers made of words, punctuation and markers in the shapes models write them.
_WORD = st.sampled_from(["Kerry", "came", "to", "Moscow", "on", "July", "14-15", "[sic]", "(see", "it)", "a[b]"])
_MARKER = st.builds(
    lambda numbers, style: style.format(", ".join(map(str, numbers)) if "{}" in style else numbers[0]),
    st.lists(st.integers(0, 12), min_size=1, max_size=3),
    st.sampled_from(["[{}]", "[ {} ]", "[passage {}]", "[{}"]),
)
_PIECE = st.one_of(_WORD, _MARKER, st.sampled_from([" ", ". ", "\n", "! ", "  "]))


@given(pieces=st.lists(_PIECE, max_size=30), cuts=st.lists(st.integers(0, 400), max_size=12))
def test_streaming_in_any_pieces_gives_the_same_text(pieces: list[str], cuts: list[int]) -> None:
    text = " ".join(pieces)
    whole, dropped = clean_markers(text, passages=5)
    markers = MarkerFilter(passages=5)
    bounds = sorted({0, len(text), *(c for c in cuts if c < len(text))})
    streamed = "".join(markers.feed(text[a:b]) for a, b in pairwise(bounds)) + markers.flush()
    assert streamed == whole
    assert markers.dropped == dropped


@given(pieces=st.lists(_PIECE, max_size=30))
def test_every_marker_left_names_a_passage(pieces: list[str]) -> None:
    cleaned, dropped = clean_markers(" ".join(pieces), passages=5)
    for sentence in split_answer(cleaned):
        assert all(1 <= n <= 5 for n in sentence.cites)
    assert all(not 1 <= n <= 5 for n in dropped)
    assert clean_markers(cleaned, passages=5) == (cleaned, [])  # already clean: unchanged


@given(numbers=st.lists(st.integers(1, 99), min_size=1, max_size=6), separator=st.sampled_from([",", ", ", ";", " and "]))
def test_parse_marker_reads_back_any_list(numbers: list[int], separator: str) -> None:
    assert parse_marker("[" + separator.join(map(str, numbers)) + "]") == list(dict.fromkeys(numbers))


def test_split_answer_keeps_markers_with_their_sentence() -> None:
    sentences = split_answer("Kerry arrived on Monday. [1] He met Lavrov [2][3]. The U.S. side said little.\nDone [1]")
    assert [(s.text, s.cites) for s in sentences] == [
        ("Kerry arrived on Monday.", (1,)),
        ("He met Lavrov.", (2, 3)),
        ("The U.S. side said little.", ()),
        ("Done", (1,)),
    ]


@pytest.fixture(scope="module")
def kerry(seed_settings: Settings) -> Answer:
    return answer(KERRY_JULY, settings=seed_settings)


@pytest.fixture(scope="module")
def vectors(seed_settings: Settings) -> VectorCache:
    return VectorCache(get_embedder(seed_settings.embed_model))


def number_of(passages: list[Passage], source: str) -> int:
    return next(i for i, p in enumerate(passages, start=1) if p.source == source)


def article_text(store: Store, article_id: str) -> str:
    record = store.article_by_id(article_id, with_text=True)
    assert record is not None
    return str(record["text"])


def test_a_citation_quotes_the_sentence_that_backs_it(kerry: Answer, vectors: VectorCache, seed_store: Store) -> None:
    n = number_of(kerry.passages, SEED_001)
    checked = check_citations(f"Kerry is to go to Moscow for a working visit on July 14-15 [{n}].", kerry.passages,
                              vectors)
    (citation,) = checked.citations
    assert (citation.n, citation.source, citation.supported) == (n, SEED_001, True)
    assert "July 14-15" in citation.quote
    assert article_text(seed_store, citation.article_id)[citation.start : citation.end] == citation.quote
    assert checked.unsupported == [] and checked.uncited == []


@pytest.mark.parametrize(
    "claim",
    [
        "John Kerry will pay a working visit to Moscow on July 24-25",  # a number the passage does not give
        "The United States struck the Shayrat airbase with cruise missiles",  # another article's fact
        "Kerry and Putin signed a treaty banning nuclear tests",  # nothing the passage says
    ],
)
def test_a_sentence_the_cited_passage_does_not_back_is_marked(kerry: Answer, vectors: VectorCache, claim: str) -> None:
    n = number_of(kerry.passages, SEED_001)
    checked = check_citations(f"{KERRY_FACT} [{n}]. {claim} [{n}].", kerry.passages, vectors)
    (citation,) = checked.citations
    assert not citation.supported and "July 14-15" in citation.quote
    assert [s.text for s in checked.unsupported] == [f"{claim}."]


def test_a_sentence_joining_two_passages_is_backed_by_both(seed_settings: Settings, vectors: VectorCache) -> None:
    both = answer("When did Kerry visit Moscow in July, and which airbase did the US strike before Tillerson's visit?",
                  settings=seed_settings, top_k=8)
    kerry_n, strike_n = number_of(both.passages, SEED_001), number_of(both.passages, SEED_002)
    checked = check_citations(
        f"Kerry visited Moscow on July 14-15 and the US struck the Shayrat airbase [{kerry_n}][{strike_n}].",
        both.passages, vectors,
    )
    assert {c.source for c in checked.citations} == {SEED_001, SEED_002}
    assert all(c.supported for c in checked.citations) and checked.unsupported == []


def test_citations_come_in_the_order_they_are_first_cited(kerry: Answer, vectors: VectorCache) -> None:
    checked = check_citations("Second passage first [2]. Then the first [1]. The second again [2].", kerry.passages,
                              vectors)
    assert [c.n for c in checked.citations] == [2, 1]


def test_an_uncited_claim_is_listed(kerry: Answer, vectors: VectorCache) -> None:
    checked = check_citations(f"{KERRY_FACT} [1]. Lavrov will host a dinner for the delegation.", kerry.passages,
                              vectors)
    assert [s.text for s in checked.uncited] == ["Lavrov will host a dinner for the delegation."]


def test_an_uncited_sentence_gets_the_passage_that_backs_it_and_an_unbacked_one_is_left_out(
    kerry: Answer, vectors: VectorCache
) -> None:
    n = number_of(kerry.passages, SEED_001)
    text, left_out = cite_uncited("Kerry is to go to Moscow for a working visit on July 14-15. Kerry will swim "
                                  "across the Volga next spring.", kerry.passages, vectors)
    assert text == f"Kerry is to go to Moscow for a working visit on July 14-15. [{n}]"
    assert left_out == ["Kerry will swim across the Volga next spring."]
    cited = f"{KERRY_FACT} [{n}]."
    assert cite_uncited(cited, kerry.passages, vectors) == (cited, [])  # nothing to add: left as written
