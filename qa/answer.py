"""answer(): the whole pipeline behind the CLI, the UI and scripts — retrieve, answer, cite, time each stage.

Expensive things (embedding model, Chroma client, BM25 index) are loaded once per process and reused.
"""

from __future__ import annotations

import datetime as dt
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

from qa.answering.asked import analyse
from qa.answering.conflicts import Composed, ConflictParams, answer_conflict, answer_timeline, asks_for_timeline
from qa.answering.evidence import EvidenceParams, compact_evidence
from qa.answering.extractive import Draft, answer_from, refuse_before_reading
from qa.answering.followup import leans_on_context
from qa.answering.generate import Generated, PromptParams, answer_with_model, condense, sentence_deltas
from qa.answering.periods import read_period
from qa.answering.prompts import load_prompt
from qa.answering.rules import Evidence
from qa.answering.scoring import ExtractiveParams
from qa.config import Settings, bundled_dir, get_settings
from qa.errors import BadQuestionError, EmptyIndexError, LLMError
from qa.index import lexical
from qa.index.embed import VectorCache, get_embedder
from qa.index.ingest import ingest
from qa.index.store import Store, store_for
from qa.llm import get_llm, options_from
from qa.retrieve import RetrievalParams, Scope, resolve_outlets, retrieve
from qa.types import Answer, Passage

MAX_QUESTION_CHARS = 2000
_MAX_ANSWER_CONTEXT = 400
_CITATION_MARK = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True)
class AnswerParams:
    """Every tunable of the pipeline, one group per stage, each default with its calibration note where it is
    defined. Tuning scripts pass one to answer(); nothing changes module attributes."""

    retrieval: RetrievalParams = RetrievalParams()
    extractive: ExtractiveParams = ExtractiveParams()
    evidence: EvidenceParams = EvidenceParams()
    prompt: PromptParams = PromptParams()
    conflict: ConflictParams = ConflictParams()


def answer(
    question: str,
    *,
    top_k: int | None = None,
    history: list[Any] | None = None,
    llm: str | None = None,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
    outlet: str | Sequence[str] | None = None,
    settings: Settings | None = None,
    params: AnswerParams = AnswerParams(),
) -> Answer:
    """Answer question from the indexed articles, every sentence cited [n]; or abstain, saying the articles don't.

    history: earlier turns as {"role": "user"|"assistant", "content": str} dicts or (user, assistant) pairs;
    a follow-up's retrieval also uses the previous question, or, with a model, the follow-up rewritten by it to
    stand alone. as_of: the date the question is asked on (a date or ISO string); articles published on or before
    it are preferred, and "last week" or "in March" are read against it (against today without it). since/until
    (dates or ISO strings, inclusive) and outlet (one name or several, matched case-insensitively against the
    outlets indexed) limit which articles may answer. llm: the answerer spec (default QA_LLM): "extractive", "openai:MODEL", "ollama:MODEL" or
    "llamacpp:PATH.gguf". When the model fails (unreachable, HTTP errors, past QA_LLM_TIMEOUT, malformed replies)
    the extractive answer comes back with Answer.warnings saying why, or LLMError is raised if QA_LLM_FALLBACK is
    off. Raises BadQuestionError for an empty or oversized question or top_k < 1, EmptyIndexError when nothing is
    indexed (and QA_AUTO_SEED is off), StoreError when the store cannot be opened, LLMError for a spec that cannot
    work at all (unknown, no API key, no model file). params: the pipeline's tunables (AnswerParams).
    """
    stream = answer_stream(question, top_k=top_k, history=history, llm=llm, as_of=as_of, since=since, until=until,
                           outlet=outlet, settings=settings, params=params)
    for item in stream:
        if isinstance(item, Answer):
            return item
    raise AssertionError("answer_stream() ended without an Answer")


def answer_stream(
    question: str,
    *,
    top_k: int | None = None,
    history: list[Any] | None = None,
    llm: str | None = None,
    as_of: dt.date | str | None = None,
    since: dt.date | str | None = None,
    until: dt.date | str | None = None,
    outlet: str | Sequence[str] | None = None,
    settings: Settings | None = None,
    params: AnswerParams = AnswerParams(),
) -> Iterator[str | Answer]:
    """answer(), streamed: yields text deltas as they are ready, then the finished Answer as the last item.

    The extractive answerer has its answer at once, so it yields it sentence by sentence; a model's tokens are
    yielded as they arrive, citation markers normalised on the way ([1, 2] → [1][2]; a number that names no
    passage dropped). Joining the deltas gives Answer.text, except when the model's text is replaced: a retry
    after an answer that cited nothing, or the extractive answer after the model failed mid-answer, arrive after
    a note in a paragraph of its own, and an abstention loses its markers. Show the deltas while they come, then
    Answer.text. Raises what answer() raises.
    """
    started = time.perf_counter()
    settings = settings or get_settings()
    asked = _check_question(question)
    # "as of March 4" in the question is the day to answer as on; "last week", "in March" a period up to it
    period = read_period(asked, dt.date.today(), _as_date(as_of))
    question = period.question
    k = settings.top_k if top_k is None else top_k
    if k < 1:
        raise BadQuestionError(f"top_k must be at least 1 (got {k})")
    spec = (llm or settings.llm).strip()
    options = options_from(settings)
    model = None if spec == "extractive" else get_llm(spec, options)

    chunks = ensure_indexed(settings)  # one count, handed on: each is a round trip to a Chroma server
    store = store_for(settings)
    scope = _scope(store, since, until, outlet)
    index = lexical.load(store, settings.resolved_home(), settings.collection, chunks_in_store=chunks)
    embedder = get_embedder(settings.embed_model, settings.embed_batch)
    # A model rewrites any follow-up itself; without one, only a question that leans on the conversation brings
    # the previous exchange into retrieval, so a change of topic is answered from the new topic's articles.
    previous = last_exchange(history) if model is not None or leans_on_context(question) else ""
    query = f"{previous}\n{question}" if previous else question
    t_setup = time.perf_counter()
    rewritten: str | None = None
    failed: LLMError | None = None
    if previous and model is not None:
        try:
            rewritten = condense(model, history or [], question, options.timeout, params.prompt)
        except LLMError as exc:
            if not settings.llm_fallback:
                raise
            failed = exc
    t_condensed = time.perf_counter()

    # "last week", "in March": the articles of that period rank first, as those of the week before as_of do;
    # the others stay, since a report of March's events may be dated April.
    day, retrieval_params = period.as_of, params.retrieval
    if period.since is not None and period.until is not None:
        day = period.until
        retrieval_params = replace(params.retrieval, recent_days=(period.until - period.since).days)
    found = retrieve(rewritten or query, store=store, lexical_index=index, embedder=embedder, top_k=k,
                     candidates=max(settings.candidates, k), as_of=day, scope=scope, params=retrieval_params,
                     extra=params.conflict.extra_passages)
    t_retrieved = time.perf_counter()
    vectors = _text_vectors(settings.embed_model, settings.resolved_home())

    query_vector = embedder.embed([question])[0] if previous else found.query_vector
    # One Evidence, scored once, for the rules, the extractive answer and what a model is shown.
    evidence = Evidence(question, analyse(question), found.passages, query_vector, vectors, index, previous,
                        params.extractive)

    composed: Composed | None = None

    def extract() -> Draft:
        nonlocal composed
        draft = answer_from(evidence)
        anchor = (draft.citations[0].article_id, draft.citations[0].start) if draft.citations else None
        if not draft.abstained and (composed := _versions(evidence, found.more, anchor, params.conflict)) is not None:
            return Draft(composed.text, composed.citations, abstained=False)
        return draft

    # Without a model, or with the rules deciding, the extractive answer comes first; with the model deciding,
    # only the rules that need no reading may refuse before it is asked.
    draft: Draft | None = None
    if model is None or settings.llm_reader in ("rules", "either"):
        draft = extract()
    elif settings.llm_reader == "model":
        draft = refuse_before_reading(evidence)
    if draft is not None and (model is None or draft.abstained):
        yield from sentence_deltas(draft.text)
        result = Generated(draft.text, draft.citations, draft.abstained, "extractive", abstain_rule=draft.abstain_rule)
    else:
        assert model is not None
        shown = found.passages
        if settings.llm_evidence == "sentences":
            shown = compact_evidence(evidence, params.evidence) or found.passages
        result = yield from answer_with_model(
            model, rewritten or question, shown, options=options, vectors=vectors,
            extractive=(lambda: draft) if draft is not None else extract,
            fallback=settings.llm_fallback, failed=failed, params=params.prompt,
        )
        if settings.llm_reader == "rules" and result.abstained and draft is not None and not draft.abstained:
            # the rules found an answer the model missed: they decide, the model only words what they let through
            note = load_prompt("model_declined")
            yield f"\n\n{note}\n\n"
            yield from sentence_deltas(draft.text)
            result = Generated(draft.text, draft.citations, False, "extractive", [note, *result.warnings], result.timings)
    marks = [started, t_setup, t_condensed, t_retrieved, time.perf_counter()]
    timings = _stage_timings(marks, found.timings, result.timings)
    yield Answer(
        question=asked,
        text=result.text,
        citations=result.citations,
        abstained=result.abstained,
        abstain_rule=result.abstain_rule,
        passages=found.passages if result.passages is None else result.passages,
        timings={name: round(ms, 2) for name, ms in timings.items()},
        answerer=result.answerer,
        standalone_question=(rewritten or query) if previous else None,
        warnings=result.warnings,
        conflict=composed.conflict if composed and result.answerer == "extractive" else None,
        timeline=(composed.timeline or []) if composed and result.answerer == "extractive" else [],
    )


def _versions(
    evidence: Evidence, more: list[Passage], anchor: tuple[str, int] | None, params: ConflictParams
) -> Composed | None:
    """A timeline for a "how did it develop" question, or every version when the reports disagree, read over the
    retrieved passages and the next few (where a story's other reports rank); None to keep the plain answer."""
    wide = Evidence(evidence.question, evidence.asked, [*evidence.passages, *more], evidence.query_vector,
                    evidence.text_vectors, evidence.index, evidence.context, evidence.params)
    if asks_for_timeline(evidence.question):
        return answer_timeline(wide, params)
    return answer_conflict(wide, anchor, params)


def _stage_timings(marks: list[float], retrieval: dict[str, float], answering: dict[str, float]) -> dict[str, float]:
    """Milliseconds per stage from the clock marks (start, set up, condensed, retrieved, answered), with what
    retrieval and the answerer timed inside their stages; first_token_ms is counted from the question."""
    started, setup, condensed, retrieved, answered = marks
    timings = {
        "setup_ms": (setup - started) * 1000,
        **({"condense_ms": (condensed - setup) * 1000} if condensed - setup > 1e-4 else {}),
        **retrieval,
        "retrieve_ms": (retrieved - condensed) * 1000,
        "answer_ms": (answered - retrieved) * 1000,
        **answering,
        "total_ms": (answered - started) * 1000,
    }
    if "first_token_ms" in timings:  # as a user waits for it
        timings["first_token_ms"] += (retrieved - started) * 1000 + timings.get("prompt_ms", 0.0)
    return timings


def _as_date(value: dt.date | str | None, name: str = "as_of") -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(value.strip()[:10])
    except ValueError as exc:
        raise BadQuestionError(f"{name} must be a date like 2023-01-05 (got {value!r})") from exc


def _scope(
    store: Store, since: dt.date | str | None, until: dt.date | str | None, outlet: str | Sequence[str] | None
) -> Scope:
    """The Scope the filters ask for; BadQuestionError for a date that does not parse, an empty range or an
    outlet no article names."""
    low, high = _as_date(since, "since"), _as_date(until, "until")
    if low is not None and high is not None and low > high:
        raise BadQuestionError(f"since ({low}) is after until ({high}): no article can be in that range")
    asked = [outlet] if isinstance(outlet, str) else list(outlet or [])
    asked = [name.strip() for name in asked if name and name.strip()]
    try:
        outlets = resolve_outlets(asked, list(store.outlets())) if asked else ()
    except ValueError as exc:
        raise BadQuestionError(str(exc)) from None
    return Scope(since=low, until=high, outlets=outlets)


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
) -> int:
    """Index the bundled seeds when the store is empty (QA_AUTO_SEED), so one command answers on a new machine.

    Returns the number of chunks indexed. announce gets a one-line message before the seeds are indexed.
    Raises EmptyIndexError when nothing is indexed and auto-seeding is off (or indexed nothing).
    """
    if (chunks := store_for(settings).recent_chunk_count()) > 0:
        return chunks
    where = settings.chroma_url or settings.resolved_home()
    if not settings.auto_seed:
        raise EmptyIndexError(f"no articles are indexed in {where}: run `qa ingest PATH` first")
    if announce is not None:
        announce(f"nothing is indexed in {where} yet; indexing the bundled seed articles first")
    ingest([bundled_dir("seeds")], settings=settings, progress=progress)
    if (chunks := store_for(settings).count_chunks()) == 0:
        raise EmptyIndexError(f"no articles are indexed in {where}: run `qa ingest PATH` first")
    return chunks


@cache
def _text_vectors(model: str, home: Path) -> VectorCache:
    return VectorCache(get_embedder(model), home / "vectors.sqlite")
