"""answer(): the whole pipeline behind the CLI, the UI and scripts — retrieve, answer, cite, time each stage.

Expensive things (embedding model, Chroma client, BM25 index) are loaded once per process and reused.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

from qa import lexical
from qa.config import Settings, bundled_dir, get_settings
from qa.embed import VectorCache, get_embedder
from qa.errors import BadQuestionError, EmptyIndexError, QAError
from qa.extractive import answer_extractively
from qa.ingest import ingest, store_for
from qa.retrieve import retrieve
from qa.types import Answer

MAX_QUESTION_CHARS = 2000
_MAX_ANSWER_CONTEXT = 400
_CITATION_MARK = re.compile(r"\s*\[\d+\]")


def answer(
    question: str,
    *,
    top_k: int | None = None,
    history: list[Any] | None = None,
    llm: str | None = None,
    as_of: dt.date | str | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer question from the indexed articles, every sentence cited [n]; or abstain, saying the articles don't.

    history: earlier turns as {"role": "user"|"assistant", "content": str} dicts or (user, assistant) pairs;
    a follow-up's retrieval also uses the previous question. as_of: the date the question is asked on (a date
    or ISO string); articles published on or before it are preferred. Raises BadQuestionError for an empty or oversized
    question or top_k < 1, EmptyIndexError when nothing is indexed (and QA_AUTO_SEED is off), StoreError when
    the store cannot be opened.
    """
    started = time.perf_counter()
    settings = settings or get_settings()
    question = _check_question(question)
    k = settings.top_k if top_k is None else top_k
    if k < 1:
        raise BadQuestionError(f"top_k must be at least 1 (got {k})")
    spec = llm or settings.llm
    if spec != "extractive":
        raise QAError(f"unknown answerer {spec!r}: only 'extractive' is available in this version (QA_LLM)")

    ensure_indexed(settings)
    store = store_for(settings)
    index = lexical.load(store, settings.resolved_home(), settings.collection)
    embedder = get_embedder(settings.embed_model, settings.embed_batch)
    previous = last_exchange(history)
    query = f"{previous}\n{question}" if previous else question
    t_setup = time.perf_counter()
    found = retrieve(
        query,
        store=store,
        lexical_index=index,
        embedder=embedder,
        top_k=k,
        candidates=max(settings.candidates, k),
        as_of=_as_date(as_of),
    )
    t_retrieved = time.perf_counter()
    draft = answer_extractively(
        question,
        found.passages,
        embedder.embed([question])[0] if previous else found.query_vector,
        _text_vectors(settings.embed_model, settings.resolved_home()),
        index,
        context=previous,
    )
    t_answered = time.perf_counter()
    timings = {
        "setup_ms": (t_setup - started) * 1000,
        **found.timings,
        "retrieve_ms": (t_retrieved - t_setup) * 1000,
        "answer_ms": (t_answered - t_retrieved) * 1000,
        "total_ms": (t_answered - started) * 1000,
    }
    return Answer(
        question=question,
        text=draft.text,
        citations=draft.citations,
        abstained=draft.abstained,
        passages=found.passages,
        timings={name: round(ms, 2) for name, ms in timings.items()},
        answerer="extractive",
        standalone_question=query if previous else None,
    )


def answer_stream(
    question: str,
    *,
    top_k: int | None = None,
    history: list[Any] | None = None,
    llm: str | None = None,
    as_of: dt.date | str | None = None,
    settings: Settings | None = None,
) -> Iterator[str | Answer]:
    """answer(), streamed: yields text deltas as they are ready, then the finished Answer as the last item.

    Joining the deltas gives Answer.text. The extractive answerer has its answer at once, so it yields it
    sentence by sentence; an LLM answerer yields the model's tokens as they arrive.
    """
    result = answer(question, top_k=top_k, history=history, llm=llm, as_of=as_of, settings=settings)
    yield from _sentence_deltas(result.text)
    yield result


def _sentence_deltas(text: str) -> Iterator[str]:
    """Split text after each citation marker, so a streamed answer arrives a cited sentence at a time."""
    start = 0
    for match in re.finditer(r"\[\d+\]", text):
        yield text[start : match.end()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def _as_date(value: dt.date | str | None) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise BadQuestionError(f"as_of must be a date like 2023-01-05 (got {value!r})") from exc


def last_exchange(history: list[Any] | None) -> str:
    """The most recent question and its answer, in either history shape the UI and scripts use.

    A follow-up ("when did he arrive?") leans on both: the question names the topic, the answer the person.
    """
    question = answer_text = ""
    for turn in reversed(history or []):
        if isinstance(turn, dict):
            content = str(turn.get("content", "")).strip()
            if turn.get("role") == "assistant" and not answer_text and not question:
                answer_text = content
            elif turn.get("role") == "user":
                question = content
                break
        elif isinstance(turn, (list, tuple)) and turn:
            question = str(turn[0]).strip()
            answer_text = str(turn[1]).strip() if len(turn) > 1 and turn[1] else ""
            break
    answer_text = _CITATION_MARK.sub("", answer_text)[:_MAX_ANSWER_CONTEXT]
    return f"{question}\n{answer_text}".strip()


def _check_question(question: str) -> str:
    if not isinstance(question, str):
        raise BadQuestionError("the question must be text")
    cleaned = " ".join("".join(ch if ch.isprintable() else " " for ch in question).split())
    if not cleaned:
        raise BadQuestionError("the question is empty: ask something about the articles")
    if len(cleaned) > MAX_QUESTION_CHARS:
        raise BadQuestionError(f"the question is {len(cleaned)} characters long; keep it under {MAX_QUESTION_CHARS}")
    return cleaned


def ensure_indexed(
    settings: Settings, *, progress: bool = False, announce: Callable[[str], None] | None = None
) -> None:
    """Index the bundled seeds when the store is empty (QA_AUTO_SEED), so one command answers on a new machine.

    announce gets a one-line message before the seeds are indexed. Raises EmptyIndexError when nothing is
    indexed and auto-seeding is off (or indexed nothing).
    """
    if store_for(settings).count_chunks() > 0:
        return
    where = settings.chroma_url or settings.resolved_home()
    if not settings.auto_seed:
        raise EmptyIndexError(f"no articles are indexed in {where}: run `qa ingest PATH` first")
    if announce is not None:
        announce(f"nothing is indexed in {where} yet; indexing the bundled seed articles first")
    ingest([bundled_dir("seeds")], settings=settings, progress=progress)
    if store_for(settings).count_chunks() == 0:
        raise EmptyIndexError(f"no articles are indexed in {where}: run `qa ingest PATH` first")


@cache
def _text_vectors(model: str, home: Path) -> VectorCache:
    return VectorCache(get_embedder(model), home / "vectors.sqlite")
