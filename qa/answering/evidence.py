"""Compact evidence for a model: the retrieved sentences the extractive scorer ranks highest, joined into short
windows where they are neighbours, each with its article's headline and date, within a token budget.

Five whole passages cost a small model seconds to read on two cores and lead it astray; the few sentences that
hold the answer are what it needs. Each window is a Passage (with article offsets), so citations and the
support check work on it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

from qa.answering.rules import Evidence
from qa.answering.scoring import Scored, is_heading
from qa.index.tokens import count_tokens
from qa.types import Passage


@dataclass(frozen=True)
class EvidenceParams:
    """How much evidence a model reads. Measured with the Qwen2.5 0.5B/1.5B on 2 cores: prompt reading is most of
    the time to first token, about 40 tokens a second for the 1.5B."""

    budget_tokens: int = 300  # of evidence text, headlines and dates aside
    max_sentences: int = 8
    typed_first: int = 2  # sentences holding what is asked (a date for "when") taken first, whatever their rank
    gap: int = 3  # characters between two sentences that make them one window


def compact_evidence(evidence: Evidence, params: EvidenceParams = EvidenceParams()) -> list[Passage]:
    """The evidence windows for the question, best first; empty when nothing was retrieved. Reads the sentences as
    evidence.scored ranks them (shared with the rules and the extractive answer, so scored once)."""
    scored = [s for s in evidence.scored if not is_heading(s.text)]
    typed = [s for s in scored if s.has_type][: params.typed_first] if evidence.asked.asks else []
    chosen: list[Scored] = []
    used = 0
    for s in [*typed, *(s for s in scored if s not in typed)]:
        cost = count_tokens(s.text)
        if len(chosen) == params.max_sentences or (chosen and used + cost > params.budget_tokens):
            continue
        chosen.append(s)
        used += cost
    return _windows(chosen, params.gap)


def _windows(chosen: list[Scored], gap: int) -> list[Passage]:
    """Neighbouring chosen sentences of one passage joined into one window, windows ordered by their best rank."""
    rank = {id(s): i for i, s in enumerate(chosen)}
    groups: list[list[Scored]] = []
    for s in sorted(chosen, key=lambda s: (s.passage.chunk_id, s.start)):
        last = groups[-1][-1] if groups else None
        if last is not None and last.passage.chunk_id == s.passage.chunk_id and 0 <= s.start - last.end <= gap:
            groups[-1].append(s)
        else:
            groups.append([s])
    groups.sort(key=lambda g: min(rank[id(s)] for s in g))
    windows = []
    for group in groups:
        p, start, end = group[0].passage, group[0].start, group[-1].end
        windows.append(p.model_copy(update={
            "chunk_id": f"{p.chunk_id}@{start}",
            "text": p.text[start - p.start : end - p.start],
            "start": start,
            "end": end,
            "score": max(s.score for s in group),
            "sentences": tuple((s.start, s.end) for s in group),
        }))
    return windows
