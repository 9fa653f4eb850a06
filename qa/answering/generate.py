"""Answers written by a language model from the retrieved passages: the prompt, the streamed reply, its citations
checked (qa.answering.cite), one retry when nothing is cited, and the extractive answer when the model fails.

The passages go to the model numbered and fenced as data, fitted into its context window by tiktoken counts.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from qa.answering.cite import CitationParams, MarkerFilter, check_citations, cite_uncited, split_answer
from qa.answering.extractive import Draft
from qa.answering.guard import defuse
from qa.answering.prompts import load_prompt, render
from qa.errors import LLMError
from qa.index.embed import VectorCache
from qa.index.tokens import count_tokens, truncate_to_tokens
from qa.llm import LLM, Options, Prompt, bounded_complete, bounded_stream
from qa.types import Citation, Passage

_DATA_TAG = re.compile(r"<(/?)\s*(passage|conversation)", re.IGNORECASE)
_ABSTENTION = re.compile(
    r"\b(?:the (?:articles?|passages?|sources?|texts?|context) (?:do|does|did)(?: not|n['’]t) "
    r"(?:say|contain|mention|answer|provide|include|state|give|tell)"
    r"|(?:i|we) (?:can ?not|can['’]t|could not|couldn['’]t|am unable to|do not know|don['’]t know)"
    r"|(?:is|are) not (?:mentioned|given|stated|provided|in the (?:passages?|articles?))"
    r"|no (?:passage|article|information) (?:says|mentions|answers|about|on)"
    r"|there is no (?:information|mention))",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class PromptParams:
    """How the model's prompts are filled: the passage budget and how much of the conversation a rewrite sees."""

    # Other models' tokenizers split news text into up to a quarter more tokens than cl100k does.
    tokenizer_slack: float = 1.25
    prompt_margin: int = 64  # tokens for the chat template's role markers
    min_passage_tokens: int = 48  # a first passage cut shorter than this is no evidence; the prompt is refused
    history_turns: int = 4  # turns of the conversation a follow-up rewrite reads
    history_turn_chars: int = 600
    citation: CitationParams = CitationParams()
    grammar: bool = True  # hold llama.cpp models to prompts/answer_grammar.txt: sentences that each end cited


@dataclass
class Generated:
    """What answer() needs from an answerer: text, citations, whether it abstained, and what to warn about."""

    text: str
    citations: list[Citation]
    abstained: bool
    answerer: str
    warnings: list[str] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)
    abstain_rule: str | None = None  # what refused: a rule of qa/answering/rules.py, or "model"
    passages: list[Passage] | None = None  # what the model read, which its [n] number; None: the retrieved ones


def answer_with_model(
    llm: LLM,
    question: str,
    passages: list[Passage],
    *,
    options: Options,
    vectors: VectorCache,
    extractive: Callable[[], Draft],
    fallback: bool = True,
    failed: LLMError | None = None,
    params: PromptParams = PromptParams(),
) -> Generator[str, None, Generated]:
    """Stream the model's answer to question from passages; return it with checked citations.

    When the model fails (or already failed: `failed`, e.g. while rewriting a follow-up) the extractive answer
    is returned instead, with a warning saying why; with fallback off, the LLMError is raised.
    """
    shown = _Shown()
    # Worked out while the model writes, so a failure late in the timeout is answered at once.
    backup = _Background(extractive) if fallback else None
    try:
        if failed is not None:
            raise failed
        return (yield from _generate(llm, question, passages, options, vectors, shown, params))
    except LLMError as exc:
        if backup is None:
            raise
        note = render("model_failed", reason=str(exc).rstrip("."))
        draft = backup.result()
        if shown.any:
            yield f"\n\n{note}\n\n"
        yield from sentence_deltas(draft.text)
        if shown.started is not None:  # how long the model had before it failed
            shown.timings["llm_ms"] = (time.perf_counter() - shown.started) * 1000
        return Generated(
            draft.text, draft.citations, draft.abstained, "extractive", [note], shown.timings, draft.abstain_rule
        )


class _Background:
    """fn() run in a thread from now; result() waits for it and returns it (or raises what it raised)."""

    def __init__(self, fn: Callable[[], Draft]) -> None:
        self._fn = fn
        self._value: Draft | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="qa-extractive-backup", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller's thread
            self._error = exc

    def result(self) -> Draft:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


@dataclass
class _Shown:
    """Whether any of the model's text reached the caller, and the timings so far."""

    any: bool = False
    started: float | None = None  # when the first model call began
    timings: dict[str, float] = field(default_factory=dict)


def _generate(
    llm: LLM,
    question: str,
    passages: list[Passage],
    options: Options,
    vectors: VectorCache,
    shown: _Shown,
    params: PromptParams,
) -> Generator[str, None, Generated]:
    building = time.perf_counter()
    prompt, count = build_prompt(question, passages, options, params)
    started = shown.started = time.perf_counter()
    shown.timings["prompt_ms"] = (started - building) * 1000
    text, dropped = yield from _stream_reply(llm, prompt, count, options.timeout, shown, started)
    left_out: list[str] = []
    text = _quote_bare_markers(text, passages[:count])
    if not _abstains(text):
        # Sentences without a marker get the passage that supports them, so the model is never asked again.
        text, left_out = cite_uncited(text, passages[:count], vectors, params.citation)
    shown.timings["llm_ms"] = (time.perf_counter() - started) * 1000
    shown.timings["passages_in_prompt"] = count
    checking = time.perf_counter()
    warnings = [f"Dropped {_markers(dropped)}: the model was given only {count} passages."] if dropped else []
    warnings += [f"Left out, as no passage supports it: “{sentence}”" for sentence in left_out]
    if not text.strip():  # every sentence the model wrote was its own
        text = load_prompt("unsupported").strip()
        result = Generated(text, [], True, llm.spec, warnings, shown.timings, abstain_rule="unsupported")
    elif _abstains(text):
        text = " ".join(re.sub(r"\s*\[\d+\]", "", text).split())  # an abstention cites nothing
        result = Generated(text, [], True, llm.spec, warnings, shown.timings, abstain_rule="model")
    else:
        checked = check_citations(text, passages[:count], vectors, params.citation)
        warnings += [f"Not backed by {_markers(s.cites)}: “{s.text}”" for s in checked.unsupported]
        warnings += [f"Cites no passage: “{s.text}”" for s in checked.uncited]
        if not checked.citations:
            warnings.append("The model's answer cites none of the passages it was given: check it against them.")
        result = Generated(text.strip(), checked.citations, False, llm.spec, warnings, shown.timings)
    shown.timings["cite_ms"] = (time.perf_counter() - checking) * 1000
    result.passages = passages[:count]
    return result


def _stream_reply(
    llm: LLM, prompt: Prompt, count: int, timeout: float, shown: _Shown, started: float
) -> Generator[str, None, tuple[str, list[int]]]:
    """Yield the model's reply with markers normalised as it streams; return the whole reply and dropped numbers."""
    markers = MarkerFilter(count)
    parts: list[str] = []
    for delta in bounded_stream(llm, prompt, timeout):
        shown.timings.setdefault("first_token_ms", (time.perf_counter() - started) * 1000)
        piece = markers.feed(delta)
        if piece:
            parts.append(piece)
            shown.any = True
            yield piece
    rest = markers.flush()
    if rest:
        parts.append(rest)
        shown.any = True
        yield rest
    text = "".join(parts)
    if not text.strip():
        raise LLMError(f"{llm.spec} returned an empty answer")
    return text, markers.dropped


def build_prompt(
    question: str, passages: list[Passage], options: Options, params: PromptParams = PromptParams()
) -> tuple[Prompt, int]:
    """The answer prompt with as many leading passages as the context window holds (the first one cut short
    if it alone is too long), and how many it holds. Raises LLMError when not even a piece of one fits."""
    system = load_prompt("answer_system")
    fixed = count_tokens(system) + count_tokens(render("answer", passages="", question=_as_data(question)))
    budget = int((options.context_tokens - options.max_tokens) / params.tokenizer_slack) - fixed - params.prompt_margin
    blocks: list[str] = []
    for n, passage in enumerate(passages, start=1):
        text = defuse(passage.text)  # once: it splits sentences, and the cut-short block below needs it again
        block = passage_block(n, passage, text)
        cost = count_tokens(block) + 1
        if cost > budget:
            if not blocks and budget >= params.min_passage_tokens:
                limit = budget - (cost - count_tokens(text))
                blocks.append(passage_block(n, passage, truncate_to_tokens(text, limit)))
            break
        blocks.append(block)
        budget -= cost
    if not blocks:
        raise LLMError(
            f"the model's context ({options.context_tokens} tokens, QA_LLM_CONTEXT_TOKENS) leaves no room for a "
            f"passage after {options.max_tokens} tokens for the answer (QA_LLM_MAX_TOKENS)"
        )
    user = render("answer", passages="\n\n".join(blocks), question=_as_data(question))
    return Prompt(system, user, load_prompt("answer_grammar") if params.grammar else None), len(blocks)


def passage_block(n: int, passage: Passage, text: str) -> str:
    """One numbered passage: its headline, date and text (passage.text, defused and maybe cut short) fenced as
    quoted data."""
    date = ", ".join(x for x in (passage.date, passage.outlet) if x) or "unknown"
    return render("passage", n=str(n), title=_as_data(defuse(passage.title)), date=_as_data(date), text=_as_data(text))


def condense(
    llm: LLM, history: list[Any], question: str, timeout: float, params: PromptParams = PromptParams()
) -> str | None:
    """The follow-up question rewritten by the model to stand alone, or None when its reply is not a question.

    Raises LLMError when the model fails.
    """
    transcript = _transcript(history, params.history_turns, params.history_turn_chars)
    if not transcript:
        return None
    prompt = Prompt("", render("condense", history=_as_data(transcript), question=_as_data(question)))
    reply = bounded_complete(llm, prompt, timeout)
    lines = [line.strip().strip("\"'“”*").strip() for line in reply.splitlines() if line.strip()]
    label = re.compile(r"^(?:rewritten|standalone)?\s*(?:follow-up\s*)?question\s*:\s*", re.IGNORECASE)
    rewritten = label.sub("", lines[0]) if lines else ""
    if not rewritten.endswith("?") or len(rewritten) > 2 * len(question) + 300:
        return None
    return rewritten


def _transcript(history: list[Any], turns_kept: int, turn_chars: int) -> str:
    turns: list[tuple[str, str]] = []
    for turn in history or []:
        if isinstance(turn, dict):
            role = "User" if turn.get("role") == "user" else "Assistant"
            turns.append((role, str(turn.get("content", ""))))
        elif isinstance(turn, (list, tuple)) and turn:
            turns.append(("User", str(turn[0])))
            if len(turn) > 1 and turn[1]:
                turns.append(("Assistant", str(turn[1])))
    lines = []
    for role, content in turns[-turns_kept:]:
        content = " ".join(re.sub(r"\[\d+\]", "", content).split())[:turn_chars]
        if content:
            lines.append(f"{role}: {content}")
    return "\n".join(lines)


def _quote_bare_markers(text: str, passages: list[Passage]) -> str:
    """A reply of markers alone ("[1]", "[2][3]": small models point at the evidence rather than restate it) as
    the first sentence of each passage it points at, cited; any other reply as it is."""
    sentences = split_answer(text)
    if not sentences or any(s.text for s in sentences):
        return text
    numbers = [n for s in sentences for n in s.cites if 1 <= n <= len(passages)]
    quoted = []
    for n in dict.fromkeys(numbers):
        p = passages[n - 1]
        start, end = p.sentences[0] if p.sentences else (p.start, p.end)
        quoted.append(f"{p.text[start - p.start : end - p.start].strip()} [{n}]")
    return " ".join(quoted) or text


def _abstains(text: str) -> bool:
    """The reply says the passages hold no answer: its first sentence says so and no later sentence cites."""
    sentences = split_answer(text)
    if not sentences or not _ABSTENTION.search(sentences[0].text):
        return False
    return not any(s.cites for s in sentences[1:])


def sentence_deltas(text: str) -> Generator[str, None, None]:
    """Split text after each citation marker, so a streamed answer arrives a cited sentence at a time."""
    start = 0
    for match in re.finditer(r"\[\d+\]", text):
        yield text[start : match.end()]
        start = match.end()
    if start < len(text):
        yield text[start:]


def _markers(numbers: Any) -> str:
    return "".join(f"[{n}]" for n in numbers)


def _as_data(text: str) -> str:
    """text with anything that could close or open our data fences defused, so an article can't pose as us."""
    return _DATA_TAG.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", text)
