"""Split cleaned articles into token-bounded, sentence-aligned chunks, and chunks into sentences, with offsets.

Every span keeps its character offsets into the cleaned article, so a citation can point at the exact quote.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache

from qa.config import configure_offline
from qa.index.tokens import encode
from qa.types import Article, Chunk


@cache
def _splitter(chunk_tokens: int, overlap: int):  # type: ignore[no-untyped-def]
    configure_offline()
    from llama_index.core.node_parser import SentenceSplitter

    return SentenceSplitter(
        chunk_size=chunk_tokens,
        chunk_overlap=min(overlap, chunk_tokens // 2),
        tokenizer=encode,
        paragraph_separator="\n\n",
    )


def contextual_text(title: str, date_text: str | None, text: str) -> str:
    """A chunk with its article's headline (and date) in front, as the retrievers see it.

    A chunk deep in an article rarely repeats who and when; the header lets "the December visit" find it.
    BM25 gets the date too; the embedding gets the headline only, which measured better on evals/questions.jsonl.
    """
    return f"{title}\n{date_text}\n{text}" if date_text else f"{title}\n{text}"


def chunk_id(article_id: str, start: int, end: int) -> str:
    """Stable from content: the article's hash and the span, so re-chunking the same text gives the same ids."""
    return hashlib.sha256(f"{article_id}:{start}:{end}".encode()).hexdigest()[:20]


def split_into_chunks(article: Article, chunk_tokens: int, overlap: int) -> list[Chunk]:
    """llama-index's SentenceSplitter, sized in tiktoken tokens, with each chunk located in the article text."""
    text = article.text
    chunks: list[Chunk] = []
    previous_start, previous_end = -1, 0
    for piece in _splitter(chunk_tokens, overlap).split_text(text):
        start, end = _locate(text, piece, previous_start, previous_end)
        previous_start, previous_end = start, end
        chunks.append(
            Chunk(
                id=chunk_id(article.id, start, end),
                article_id=article.id,
                index=len(chunks),
                text=text[start:end],
                start=start,
                end=end,
                sentences=tuple(split_sentences(text[start:end], offset=start)),
            )
        )
    return chunks


def _locate(text: str, piece: str, previous_start: int, previous_end: int) -> tuple[int, int]:
    """Where the splitter's next chunk sits: after the previous chunk's start and reaching past its end, since a
    chunk may begin with overlap but always adds new text (so a repeated sentence is placed at its later copy)."""
    pattern = re.compile(r"\s+".join(re.escape(word) for word in piece.split()))  # whitespace-tolerant
    position = previous_start + 1
    while (match := pattern.search(text, position)) is not None:
        if match.end() > previous_end:
            return match.start(), match.end()
        position = match.start() + 1
    raise ValueError("chunk text not found in article")


@cache
def _punkt():  # type: ignore[no-untyped-def]
    configure_offline()
    from nltk.tokenize import PunktTokenizer

    return PunktTokenizer("english")


def split_sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Sentence spans (start, end) within text, shifted by offset; paragraph breaks always end a sentence."""
    spans: list[tuple[int, int]] = []
    for para in re.finditer(r"[^\n]+", text):
        first = len(spans)
        pending: int | None = None  # start of a fragment ("MOSCOW, July 11." "/TASS/.") to glue onward
        for start, end in _punkt().span_tokenize(para.group()):
            is_fragment = len(para.group()[start:end].split()) < _MIN_SENTENCE_WORDS
            if pending is not None:
                start = pending
                pending = None
            if is_fragment:
                pending = start
                continue
            spans.append((offset + para.start() + start, offset + para.start() + end))
        if pending is not None:
            if len(spans) > first:  # a trailing fragment ('"...?" the commentary says.') ends the sentence before
                spans[-1] = (spans[-1][0], offset + para.end())
            else:
                spans.append((offset + para.start() + pending, offset + para.end()))
    return spans


_MIN_SENTENCE_WORDS = 4
