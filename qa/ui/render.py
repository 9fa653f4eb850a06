"""What the chat page shows, as HTML and Markdown: answers with clickable [n], sources with the cited span
highlighted, the conversation as Markdown, example questions. Gradio-free, so it is tested without a browser.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from qa.display import shorten
from qa.types import Answer, Citation, Passage

CONTEXT_CHARS = 320  # shown either side of a cited span when no retrieved passage holds it

# A question per seed article that the extractive answerer gets right, offered on an empty chat.
SEED_QUESTIONS = {
    "002_6624380a7a1481d5.txt": "Which Syrian airbase did the US strike with missiles before Tillerson's visit?",
    "001_c0f27d665046d203.txt": "On which dates was John Kerry's working visit to Moscow in July?",
    "000_01f1bfafd69e353d.txt": "Where did Lavrov and Kerry hold talks in May?",
    "004_6a792777fe64eb82.txt": "Who will Lavrov hold talks with in Moscow on December 15?",
}

_MARKER = re.compile(r"\[(\d+)\]")


@dataclass(frozen=True)
class Turn:
    """One exchange of a chat session: the question, and the Answer or the error message it got."""

    question: str
    answer: Answer | None = None
    error: str | None = None


def source_anchor(turn: int, n: int) -> str:
    """The element id of citation n of the turn-th answer in the sources panel (what `[n]` links to)."""
    return f"qa-src-{turn}-{n}"


def _escape_text(text: str) -> str:
    """Article or model text shown in a Markdown bubble: no HTML, no links or images, no eaten backslashes."""
    escaped = html.escape(text, quote=False)
    return re.sub(r"([\\\[\]`$])", r"\\\1", escaped)


def link_citations(text: str, turn: int, unsupported: Iterable[int] = ()) -> str:
    """Answer text for the chat bubble: escaped, each `[n]` a badge linking to its source in the panel.

    unsupported: numbers whose passage does not back the sentence citing it; their badges are marked.
    """
    out: list[str] = []
    last = 0
    doubtful = set(unsupported)
    for match in _MARKER.finditer(text):
        out.append(_escape_text(text[last : match.start()]))
        n = int(match.group(1))
        kind, tip = ("qa-cite qa-unsupported", ": it does not back this sentence") if n in doubtful else ("qa-cite", "")
        out.append(f'<a href="#{source_anchor(turn, n)}" class="{kind}" title="Show source {n}{tip}">[{n}]</a>')
        last = match.end()
    out.append(_escape_text(text[last:]))
    return "".join(out)


def answer_bubble(answer: Answer, turn: int) -> str:
    """The assistant's message: an answer with linked citations, or an abstention set apart from answers."""
    if answer.abstained:
        body = f'<div class="qa-abstain">{html.escape(answer.text)}</div>'
    else:
        body = link_citations(answer.text, turn, [c.n for c in answer.citations if not c.supported])
    # Which model wrote it, when one did; notes from the answerer: a model that failed over to extractive,
    # sentences no passage backs.
    by = f'<div class="qa-answerer">{html.escape(answer.answerer)}</div>' if answer.answerer != "extractive" else ""
    return body + by + "".join(f'<div class="qa-warning">⚠ {html.escape(note)}</div>' for note in answer.warnings)


def error_bubble(message: str) -> str:
    return f'<div class="qa-error">⚠ {html.escape(message)}</div>'


def question_bubble(question: str) -> str:
    return _escape_text(question)


def chat_messages(turns: Sequence[Turn], pending: str | None = None) -> list[dict[str, str]]:
    """The Chatbot's value (Gradio's messages format) for a session; pending is the answer streaming in."""
    messages: list[dict[str, str]] = []
    for i, turn in enumerate(turns, start=1):
        messages.append({"role": "user", "content": question_bubble(turn.question)})
        if turn.answer is not None:
            messages.append({"role": "assistant", "content": answer_bubble(turn.answer, i)})
        elif turn.error is not None:
            messages.append({"role": "assistant", "content": error_bubble(turn.error)})
        elif pending is not None and i == len(turns):
            messages.append({"role": "assistant", "content": link_citations(pending, i) if pending else "…"})
    return messages


def history_for(turns: Iterable[Turn]) -> list[dict[str, str]]:
    """Earlier turns as answer()'s history: plain question and answer text; failed turns are left out."""
    history: list[dict[str, str]] = []
    for turn in turns:
        if turn.answer is None:
            continue
        history.append({"role": "user", "content": turn.question})
        history.append({"role": "assistant", "content": turn.answer.text})
    return history


def message_text(content: Any) -> str:
    """Plain text of a Chatbot message's content, whichever shape Gradio hands it in (str or content blocks)."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        return str(content.get("text") or content.get("content") or "")
    if isinstance(content, (list, tuple)):
        return " ".join(t for t in (message_text(part) for part in content) if t)
    return ""


def highlight(text: str, start: int, end: int) -> str:
    """text as HTML with text[start:end] in a <mark>; offsets are clamped, everything is escaped."""
    start = max(0, min(start, len(text)))
    end = max(start, min(end, len(text)))
    return (
        html.escape(text[:start]) + '<mark class="qa-span">' + html.escape(text[start:end]) + "</mark>"
        + html.escape(text[end:])
    )


def citation_context(
    citation: Citation, passages: Sequence[Passage], article_text: Callable[[str], str | None] | None = None
) -> tuple[str, int, int, bool, bool]:
    """(text, start, end, cut_before, cut_after): the passage around a cited span and the span's place in it.

    The retrieved passage holding the span is the context when there is one; else a window of the whole article
    (article_text(article_id)); else the quote alone. cut_* say whether text was left out on that side.
    """
    for p in passages:
        if p.article_id == citation.article_id and p.start <= citation.start and citation.end <= p.end:
            return p.text, citation.start - p.start, citation.end - p.start, p.start > 0, True
    full = article_text(citation.article_id) if article_text is not None else None
    if full and citation.end <= len(full) and full[citation.start : citation.end].strip():
        lo = max(0, citation.start - CONTEXT_CHARS)
        hi = min(len(full), citation.end + CONTEXT_CHARS)
        if lo > 0:  # cut at a space, not inside a word
            lo = full.find(" ", lo, citation.start) + 1 or lo
        if hi < len(full):
            space = full.rfind(" ", citation.end, hi)
            hi = space if space > 0 else hi
        return full[lo:hi], citation.start - lo, citation.end - lo, lo > 0, hi < len(full)
    return citation.quote, 0, len(citation.quote), False, False


def _meta_line(*parts: str | None) -> str:
    return " · ".join(html.escape(p) for p in parts if p)


def source_card(
    citation: Citation, turn: int, passages: Sequence[Passage], article_text: Callable[[str], str | None] | None
) -> str:
    text, start, end, before, after = citation_context(citation, passages, article_text)
    body = ("… " if before else "") + highlight(text, start, end) + (" …" if after else "")
    doubt = "" if citation.supported else '<div class="qa-warning">⚠ This passage does not back the sentence citing it.</div>'
    return (
        f'<div class="qa-source" id="{source_anchor(turn, citation.n)}">'
        f'<div class="qa-source-head"><span class="qa-badge">{citation.n}</span> '
        f'<span class="qa-title">{html.escape(citation.title)}</span></div>'
        f'<div class="qa-meta">{_meta_line(citation.outlet, citation.date, citation.source)}</div>'
        f'<blockquote class="qa-passage">{body}</blockquote>{doubt}</div>'
    )


def uncited_passages(answer: Answer) -> list[Passage]:
    """Retrieved passages no citation points into, in retrieval order."""
    def cited(p: Passage) -> bool:
        return any(c.article_id == p.article_id and c.start < p.end and p.start < c.end for c in answer.citations)

    return [p for p in answer.passages if not cited(p)]


def _uncited_html(answer: Answer) -> str:
    others = uncited_passages(answer)
    if not others:
        return ""
    items = "".join(
        f'<div class="qa-source qa-uncited-item"><div class="qa-source-head"><span class="qa-title">'
        f'{html.escape(p.title)}</span></div><div class="qa-meta">{_meta_line(p.outlet, p.date, p.source)}'
        f' · score {p.score:.3f}</div><blockquote class="qa-passage">{html.escape(p.text)}</blockquote></div>'
        for p in others
    )
    return f'<details class="qa-uncited"><summary>Retrieved but not cited ({len(others)})</summary>{items}</details>'


def sources_html(
    turns: Sequence[Turn], *, show_uncited: bool = False, article_text: Callable[[str], str | None] | None = None
) -> str:
    """The sources panel: the latest answer's sources open, earlier answers' folded, newest first."""
    blocks: list[str] = []
    numbered = list(enumerate(turns, start=1))
    for i, turn in reversed(numbered):
        answer = turn.answer
        if answer is None:
            continue
        if answer.citations:
            cards = "".join(source_card(c, i, answer.passages, article_text) for c in answer.citations)
        else:
            note = "No passage was cited: the articles don't answer this." if answer.abstained else "No citations."
            cards = f'<p class="qa-none">{note}</p>'
        extra = _uncited_html(answer) if show_uncited else ""
        opened = " open" if i == numbered[-1][0] else ""
        blocks.append(
            f'<details class="qa-turn" id="qa-turn-{i}"{opened}><summary>Sources · '
            f"{html.escape(shorten(turn.question, 80))}</summary>{cards}{extra}</details>"
        )
    if not blocks:
        return '<div class="qa-sources qa-empty">Sources of each answer appear here. Click a [n] to see its passage.</div>'
    return '<div class="qa-sources">' + "".join(blocks) + "</div>"


def conversation_markdown(turns: Sequence[Turn], *, exported: dt.datetime | None = None) -> str:
    """The whole conversation as Markdown, each answer followed by its numbered sources and quotes."""
    when = (exported or dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    lines = ["# qa conversation", "", f"_Exported {when}_", ""]
    for turn in turns:
        lines += [f"## {turn.question}", ""]
        if turn.error is not None:
            lines += [f"_Error: {turn.error}_", ""]
            continue
        if turn.answer is None:
            continue
        lines += [turn.answer.text, ""]
        if turn.answer.citations:
            lines += ["Sources:", ""]
            for c in turn.answer.citations:
                meta = " · ".join(x for x in (c.outlet, c.date) if x)
                lines.append(f"[{c.n}] **{c.title}**" + (f" ({meta})" if meta else "") + f" — {c.source}")
                lines += [f"> {' '.join(c.quote.split())}", ""]
    return "\n".join(lines).rstrip() + "\n"


def example_questions(sources_and_titles: Iterable[tuple[str, str]], limit: int = 4) -> list[str]:
    """Questions to offer on an empty chat: known-good ones for the seeds, else one per newest titles given."""
    pairs = list(sources_and_titles)
    questions = [SEED_QUESTIONS[s] for s, _ in pairs if s in SEED_QUESTIONS]
    questions.sort(key=list(SEED_QUESTIONS.values()).index)
    for source, title in pairs:
        if len(questions) >= limit:
            break
        if source not in SEED_QUESTIONS and title:
            questions.append(f"What does the article “{shorten(title, 90)}” report?")
    return questions[:limit]
