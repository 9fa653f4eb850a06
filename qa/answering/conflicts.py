"""Sources that disagree, and stories that were updated: find them among the retrieved reports and answer with
every version, newest first, each with its outlet, date and citation.

News reports one story again each day and the figures move (a toll of 14, then 17, then 19). Quoting whichever
sentence ranks first hides the rest, so when the reports that answer the question give different values for
what it asks, the answer shows each one; when they agree, the answer is left as it was.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qa.answering.extractive import cite_sentence
from qa.answering.guard import strip_citation_markers
from qa.answering.rules import Evidence
from qa.answering.scoring import Scored, is_heading
from qa.answering.values import Value, ValueKind, primary_value, value_kind, values_in
from qa.index.dates import parse_date
from qa.index.metadata import DATELINE
from qa.types import Citation, Conflict, ConflictValue, TimelineEntry

_TIMELINE = re.compile(
    r"\bhow\s+(?:did|has|have|do|does)\b[^?]*\b(?:develop|unfold|evolve|change|progress|play\s+out|turn\s+out)"
    r"|\bwhat\s+(?:(?:has|have)\s+)?happened\s+(?:to|with)\b|\b(?:timeline|chronology|sequence\s+of\s+events)\b",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class ConflictParams:
    """How close to the best sentence a report's sentence must score to count as answering too. Set on
    evals/conflicts.jsonl, checked on the blind evals/conflicts_blind.jsonl."""

    relevance: float = 0.6
    same_thing: float = 0.5  # share of the lead sentence's question words another report's sentence must hold
    extra_passages: int = 5  # retrieved beyond top_k, where the other reports of a story often rank
    max_values: int = 4
    timeline_relevance: float = 0.6
    max_timeline: int = 6


@dataclass(frozen=True)
class Version:
    """One report's answer: its best sentence and the value read off it."""

    sentence: Scored
    value: Value

    @property
    def published(self) -> dt.date | None:
        return parse_date(self.sentence.passage.published)


@dataclass
class Composed:
    text: str
    citations: list[Citation]
    conflict: Conflict | None = None
    timeline: list[TimelineEntry] | None = None


def find_versions(
    evidence: Evidence, anchor: tuple[str, int] | None = None, params: ConflictParams = ConflictParams()
) -> tuple[ValueKind, list[Version]] | None:
    """The differing values dated reports give for what the question asks, one per value, newest first; None when
    the question asks for no comparable value, or fewer than two dated reports answer it with different values.

    anchor (article id, sentence start) is the sentence the plain answer leads with: another report's version is
    its sentence that speaks of the same thing (the question words the anchor holds) and gives a value.
    """
    kind = value_kind(evidence.asked)
    if kind is None or not evidence.scored:
        return None
    lead = next((s for s in evidence.scored if anchor and (s.passage.article_id, s.start) == anchor), evidence.scored[0])
    lead_value = primary_value(display_text(lead.text), kind, evidence.asked)
    if lead_value is None or not lead.passage.published:
        return None
    lead_weight = sum(lead.covered.values()) or 1.0
    floor = lead.score * params.relevance
    best_per_article: dict[str, Version] = {lead.passage.article_id: Version(lead, lead_value)}
    ranked = sorted(
        (s for s in evidence.scored if s.score >= floor and s.passage.published),
        key=lambda s: (-_shared(s, lead) / lead_weight, -s.score),
    )
    for s in ranked:
        if s.passage.article_id in best_per_article or _shared(s, lead) / lead_weight < params.same_thing:
            continue
        value = primary_value(display_text(s.text), kind, evidence.asked)
        if value is not None:
            best_per_article[s.passage.article_id] = Version(s, value)
    newest_first = sorted(best_per_article.values(), key=lambda v: v.published or dt.date.min, reverse=True)
    versions: list[Version] = []
    for version in newest_first:
        given = {v.key for v in values_in(display_text(version.sentence.text), kind, evidence.asked)}
        if any(kept.value.key in given for kept in versions):
            continue  # it gives a value a newer report gives: they agree on it
        versions.append(version)
    versions = versions[: params.max_values]
    if len(versions) < 2 or (kind == "outcome" and len({v.published for v in versions}) < 2):
        return None
    return kind, versions


def _shared(s: Scored, lead: Scored) -> float:
    """The weight of the question words the lead sentence holds that s holds too."""
    return sum(w for t, w in lead.covered.items() if t in s.covered)


def answer_conflict(
    evidence: Evidence, anchor: tuple[str, int] | None = None, params: ConflictParams = ConflictParams()
) -> Composed | None:
    """The answer that shows each version with outlet, date and [n], newest first; None when reports agree."""
    found = find_versions(evidence, anchor, params)
    if found is None:
        return None
    kind, versions = found
    updated = len({v.published for v in versions}) > 1
    lead = "Reports differ; the latest first." if updated else "The sources differ."
    parts, citations, values = [lead], [], []
    for n, version in enumerate(versions, start=1):
        s = version.sentence
        parts.append(f"{_source_label(s)}: {display_text(s.text)} [{n}]")
        citations.append(cite_sentence(n, s))
        values.append(ConflictValue(value=version.value.text, n=n, source=s.passage.source, date=s.passage.published,
                                    outlet=s.passage.outlet))
    return Composed(" ".join(parts), citations, conflict=Conflict(kind=kind, values=values, updated=updated))


def asks_for_timeline(question: str) -> bool:
    """ "How did the strike develop?", "what has happened to the bid?": answered as dated lines."""
    return bool(_TIMELINE.search(question))


def answer_timeline(evidence: Evidence, params: ConflictParams = ConflictParams()) -> Composed | None:
    """One cited line per dated report, oldest first: each report's best sentence about the question. None when
    fewer than two dated reports answer."""
    sentences = [s for s in evidence.scored if not is_heading(s.text) and s.passage.published]
    if not sentences:
        return None
    floor = sentences[0].score * params.timeline_relevance
    best: dict[str, Scored] = {}
    for s in sentences:
        if s.score >= floor:
            best.setdefault(s.passage.article_id, s)
    if len({s.passage.published for s in best.values()}) < 2:
        return None
    lines = sorted(best.values(), key=lambda s: (s.passage.published or "", s.start))[: params.max_timeline]
    parts, citations, entries = ["How it developed, by date:"], [], []
    for n, s in enumerate(lines, start=1):
        parts.append(f"{_source_label(s)}: {display_text(s.text)} [{n}]")
        citations.append(cite_sentence(n, s))
        entries.append(TimelineEntry(date=s.passage.published or "", text=display_text(s.text), n=n))
    return Composed(" ".join(parts), citations, timeline=entries)


def display_text(sentence: str) -> str:
    """The sentence without its dateline ("KALTENAU, March 13 (Alpenland Tribune) - ": the answer names outlet
    and date itself) or the article's own [n]."""
    match = DATELINE.match(sentence)
    if match is not None and match.group("place").isupper():
        sentence = sentence[match.end():].lstrip(" -–—")
    return strip_citation_markers(sentence).strip()


def _source_label(s: Scored) -> str:
    """ "Alpenland Tribune, March 13, 2024": who said it and when, as a reader cites a report (Passage.date is
    the publication day as ingest wrote it)."""
    return f"{s.passage.outlet or s.passage.title}, {s.passage.date or s.passage.published or 'undated'}"
