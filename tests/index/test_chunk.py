"""Chunking and sentence splitting: every span points back into the article text."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import SEED_NAMES, SEEDS_DIR, seed_text

from qa.config import Settings
from qa.index.chunk import chunk_id, split_into_chunks, split_sentences
from qa.index.ingest import build_article
from qa.index.load import read_article_file
from qa.index.tokens import count_tokens
from qa.types import Article, Chunk

DEFAULTS = Settings(home=Path("unused"), auto_seed=False)


@pytest.fixture(scope="module")
def articles() -> dict[str, Article]:
    return {name: build_article(read_article_file(SEEDS_DIR / name, 10_000_000)) for name in SEED_NAMES}


def assert_chunks_cover(text: str, chunks: list[Chunk], chunk_tokens: int) -> None:
    """Offsets map back, chunks come in order and between them they cover every non-space character."""
    assert chunks
    covered = [False] * len(text)
    for i, chunk in enumerate(chunks):
        assert chunk.index == i
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start : chunk.end] == chunk.text
        assert count_tokens(chunk.text) <= chunk_tokens
        for j in range(chunk.start, chunk.end):
            covered[j] = True
    for earlier, later in itertools.pairwise(chunks):
        assert earlier.start < later.start
        assert earlier.end < later.end
        assert text[earlier.end : later.start].strip() == ""  # overlap, or only whitespace between
    missed = [i for i, ch in enumerate(text) if not covered[i] and not ch.isspace()]
    assert not missed, f"characters not in any chunk: {text[missed[0]:missed[0] + 40]!r}"


@pytest.mark.parametrize("seed", SEED_NAMES)
def test_seed_chunks_map_back_and_cover_the_article(articles: dict[str, Article], seed: str) -> None:
    article = articles[seed]
    chunks = split_into_chunks(article, DEFAULTS.chunk_tokens, DEFAULTS.chunk_overlap)
    assert len(chunks) > 1
    assert_chunks_cover(article.text, chunks, DEFAULTS.chunk_tokens)
    assert chunks[0].start == 0
    assert chunks[-1].end == len(article.text)
    assert all(c.article_id == article.id for c in chunks)
    assert len({c.id for c in chunks}) == len(chunks)


@pytest.mark.parametrize(("chunk_tokens", "overlap"), [(32, 0), (64, 16), (400, 24)])
def test_other_chunk_sizes(articles: dict[str, Article], chunk_tokens: int, overlap: int) -> None:
    article = articles[SEED_NAMES[2]]
    chunks = split_into_chunks(article, chunk_tokens, overlap)
    assert_chunks_cover(article.text, chunks, chunk_tokens)


def test_chunk_ids_are_stable(articles: dict[str, Article]) -> None:
    article = articles[SEED_NAMES[1]]
    first = split_into_chunks(article, 160, 24)
    second = split_into_chunks(article, 160, 24)
    assert [c.id for c in first] == [c.id for c in second]
    assert first == second
    assert first[0].id == chunk_id(article.id, first[0].start, first[0].end)


def test_article_id_ignores_the_path(tmp_path: Path) -> None:
    text = seed_text(SEED_NAMES[1])
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    one = tmp_path / "a" / "one.txt"
    other = tmp_path / "b" / "another-name.txt"
    one.write_text(text)
    other.write_text(text)
    a = build_article(read_article_file(one, 10_000_000))
    b = build_article(read_article_file(other, 10_000_000))
    assert a.id == b.id
    assert a.path != b.path
    assert [c.id for c in split_into_chunks(a, 160, 24)] == [c.id for c in split_into_chunks(b, 160, 24)]


def test_article_id_changes_with_the_text(tmp_path: Path) -> None:
    text = seed_text(SEED_NAMES[1])
    one = tmp_path / "one.txt"
    other = tmp_path / "other.txt"
    one.write_text(text)
    other.write_text(text.replace("July 14-15", "July 15-16"))
    assert build_article(read_article_file(one, 10**7)).id != build_article(read_article_file(other, 10**7)).id


def test_article_id_ignores_page_junk(tmp_path: Path) -> None:
    text = seed_text(SEED_NAMES[1])
    one = tmp_path / "one.txt"
    other = tmp_path / "other.txt"
    one.write_text(text)
    other.write_text("Accept cookies\n\n" + text.replace("\n", "\r\n") + "\n\n1234 views\nShare:\n")
    assert build_article(read_article_file(one, 10**7)).id == build_article(read_article_file(other, 10**7)).id


# --- sentences ---------------------------------------------------------------------------------------------


def test_dateline_fragment_glued_to_following_sentence() -> None:
    text = "MOSCOW, July 11. /TASS/. Kerry will visit Moscow on Friday."
    assert [text[s:e] for s, e in split_sentences(text)] == [text]


def test_sentences_with_offset_and_paragraphs() -> None:
    text = (
        "Intro line of the story here.\n\n"
        "MOSCOW, July 11. /TASS/. Kerry will visit Moscow on Friday. He will meet Lavrov there on Saturday."
    )
    spans = split_sentences(text, offset=100)
    assert [text[s - 100 : e - 100] for s, e in spans] == [
        "Intro line of the story here.",
        "MOSCOW, July 11. /TASS/. Kerry will visit Moscow on Friday.",
        "He will meet Lavrov there on Saturday.",
    ]


def test_abbreviations_do_not_end_sentences() -> None:
    text = "The U.S. Secretary of State John Kerry met Mr. Lavrov in Moscow on Friday. The talks lasted for hours."
    assert [text[s:e] for s, e in split_sentences(text)] == [
        "The U.S. Secretary of State John Kerry met Mr. Lavrov in Moscow on Friday.",
        "The talks lasted for hours.",
    ]


def test_trailing_fragment_kept() -> None:
    text = "A full sentence is here for sure. See you."
    spans = split_sentences(text)
    assert "".join(text[s:e] for s, e in spans).replace(" ", "") == text.replace(" ", "")


@pytest.mark.parametrize("seed", SEED_NAMES)
def test_seed_sentences_cover_each_chunk(articles: dict[str, Article], seed: str) -> None:
    article = articles[seed]
    for chunk in split_into_chunks(article, 160, 24):
        assert_sentences_valid(chunk.text, chunk.start, split_sentences(chunk.text, offset=chunk.start))
        for s, e in split_sentences(chunk.text, offset=chunk.start):
            assert article.text[s:e] == chunk.text[s - chunk.start : e - chunk.start]


def assert_sentences_valid(text: str, offset: int, spans: list[tuple[int, int]]) -> None:
    previous_end = offset
    covered = [False] * len(text)
    for start, end in spans:
        assert previous_end <= start < end <= offset + len(text)
        assert "\n" not in text[start - offset : end - offset]  # a paragraph break always ends a sentence
        for i in range(start - offset, end - offset):
            covered[i] = True
        previous_end = end
    assert all(covered[i] for i, ch in enumerate(text) if not ch.isspace())


# --- properties --------------------------------------------------------------------------------------------

_VOCABULARY = sorted(set(" ".join(seed_text(name) for name in SEED_NAMES).split()))
_WORDS = st.sampled_from(_VOCABULARY + ["U.S.", "Mr.", "Jan.", "e.g.", "\u2014", "...", "5.6%", "\u041c\u043e\u0441\u043a\u0432\u0430", "don\u2019t"])
_ENDS = st.sampled_from([".", ".", "?", "!", "", '."', "..."])
_SENTENCES = st.tuples(st.lists(_WORDS, min_size=1, max_size=40), _ENDS)
_LAYOUT = st.lists(st.lists(_SENTENCES, min_size=1, max_size=6), min_size=1, max_size=10)
_SEPARATORS = st.sampled_from(["\n\n", "\n\n", "\n"])
_SIZES = st.sampled_from([(32, 0), (48, 8), (64, 24), (160, 24)])


def _render(layout: list[list[tuple[list[str], str]]], separator: str, numbered: bool) -> str:
    """Paragraphs of sentences; numbered=True starts each sentence with a word no other sentence has."""
    counter = iter(range(1_000_000))
    return separator.join(
        " ".join((f"W{next(counter)} " if numbered else "") + " ".join(words) + end for words, end in paragraph)
        for paragraph in layout
    )


def _article(text: str) -> Article:
    return Article(id="0123456789abcdef", source="x.txt", path="/x.txt", title="t", text=text, file_hash="h")


_PROPERTY_SETTINGS = settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)


@_PROPERTY_SETTINGS
@given(_LAYOUT, _SEPARATORS, _SIZES)
def test_chunk_offsets_always_map_back(layout: list, separator: str, sizes: tuple[int, int]) -> None:
    """Any text, repetitive or not: each chunk's offsets give back its text, within the token budget."""
    text = _render(layout, separator, numbered=False)
    chunks = split_into_chunks(_article(text), *sizes)
    assert chunks
    for i, chunk in enumerate(chunks):
        assert chunk.index == i
        assert 0 <= chunk.start < chunk.end <= len(text)
        assert text[chunk.start : chunk.end] == chunk.text
        # SentenceSplitter budgets the token counts of its pieces one by one; the joined text of word-level
        # pieces can tokenise a token or two longer (seen on degenerate text like '"After "After "After').
        assert count_tokens(chunk.text) <= sizes[0] + 2


@_PROPERTY_SETTINGS
@given(_LAYOUT, _SEPARATORS, _SIZES)
def test_chunks_of_non_repetitive_text_cover_it_in_order(layout: list, separator: str, sizes: tuple[int, int]) -> None:
    """Text whose sentences are all different (as in real articles): chunks cover all of it, in order."""
    text = _render(layout, separator, numbered=True)
    assert_chunks_cover(text, split_into_chunks(_article(text), *sizes), sizes[0])


def test_repeated_sentence_at_the_end_is_still_chunked() -> None:
    # An article that ends by repeating, as its own paragraph, the quote that closed the paragraph before.
    body = " ".join(
        f"Sentence number {n} says the talks in Moscow covered trade, security and the situation in Syria."
        for n in ("one", "two", "three", "four", "five", "six", "seven", "eight")
    )
    quote = '"We are ready to work together," he said.'
    text = f"Headline of it\n\n{body} {quote}\n\n{quote}"
    assert_chunks_cover(text, split_into_chunks(_article(text), 160, 24), 160)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(st.builds(_render, _LAYOUT, _SEPARATORS, st.booleans()), st.text(max_size=300)),
       st.integers(min_value=0, max_value=10_000))
def test_sentence_spans_always_map_back(text: str, offset: int) -> None:
    assert_sentences_valid(text, offset, split_sentences(text, offset=offset))


def test_a_trailing_attribution_stays_with_its_quote() -> None:
    text = '"What is the further strategy on Yemen?" the commentary says.\nNext paragraph has a full sentence here.'
    spans = split_sentences(text)
    assert [text[a:b] for a, b in spans] == [
        '"What is the further strategy on Yemen?" the commentary says.',
        "Next paragraph has a full sentence here.",
    ]
