"""The value objects that cross stage boundaries: Article, Chunk, Passage, Citation, Answer, ingest results.

Frozen pydantic models, so every one of them is typed and serialises to JSON as it is.
"""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True)


class Article(_Frozen):
    """One cleaned news article; `text` is what every offset below points into."""

    id: str = Field(description="Hash of the cleaned text: the same story under another name gets the same id.")
    source: str = Field(description="File name the article came from.")
    path: str = Field(description="Absolute path at ingest time.")
    title: str
    text: str
    file_hash: str = Field(description="sha256 of the raw file, to skip unchanged files cheaply.")
    outlet: str | None = None
    place: str | None = None
    date: dt.date | None = Field(default=None, description="Publication date, only when the year is known.")
    date_text: str | None = Field(default=None, description="The date as the article gives it, e.g. 'July 11'.")
    url: str | None = None


class Chunk(_Frozen):
    """A token-bounded, sentence-aligned span of an article: text == article.text[start:end]."""

    id: str
    article_id: str
    index: int
    text: str
    start: int
    end: int
    sentences: tuple[tuple[int, int], ...] = Field(
        default=(), description="Sentence spans (article offsets), found once at ingest so answering needs no parser."
    )


class Passage(_Frozen):
    """A retrieved chunk with its article's metadata and how it scored."""

    chunk_id: str
    article_id: str
    source: str
    title: str
    text: str
    start: int
    end: int
    score: float = Field(description="Fused (reciprocal rank) score; higher is better.")
    dense_score: float | None = Field(default=None, description="Cosine similarity to the question, if retrieved densely.")
    lexical_score: float | None = Field(default=None, description="BM25 score, if retrieved lexically.")
    date: str | None = Field(default=None, description="The date as the article gives it, for display.")
    published: str | None = Field(default=None, description="Publication date, ISO, when the year is known.")
    outlet: str | None = None
    sentences: tuple[tuple[int, int], ...] = Field(default=(), description="Sentence spans, article offsets.")


class Citation(_Frozen):
    """What an `[n]` marker in the answer points at: the exact quoted span of an article."""

    n: int
    source: str
    title: str
    quote: str
    start: int = Field(description="Offset of the quote in the cleaned article text.")
    end: int
    score: float
    article_id: str
    date: str | None = None
    outlet: str | None = None
    supported: bool = Field(
        default=True, description="False when a sentence citing it says something this passage does not back."
    )


class ConflictValue(_Frozen):
    """One source's version of a disputed fact: what it says, who said it when, and the [n] that shows it."""

    value: str = Field(description="The value as the source gives it, e.g. '19' or 'July 23'.")
    n: int = Field(description="The citation number of the sentence that gives it.")
    source: str
    date: str | None = Field(default=None, description="The source's publication date, ISO (YYYY-MM-DD).")
    outlet: str | None = None


class Conflict(_Frozen):
    """Sources that answer the question with different values, newest first; the first is the latest word."""

    kind: Literal["number", "date", "name", "outcome"]
    values: list[ConflictValue] = Field(description="One entry per differing value, newest first.")
    updated: bool = Field(
        default=False, description="True when the sources are dated apart, so the newest is read as an update."
    )


class TimelineEntry(_Frozen):
    """One dated line of a timeline answer."""

    date: str = Field(description="ISO date the line's source was published.")
    text: str
    n: int


class Answer(_Frozen):
    """The result of answer(): text with inline [n] markers and the citations they resolve to."""

    question: str
    text: str
    citations: list[Citation]
    abstained: bool
    passages: list[Passage]
    timings: dict[str, float] = Field(description="Milliseconds per stage.")
    abstain_rule: str | None = Field(
        default=None,
        description="What refused, when it abstained: a rule of qa/answering/rules.py (e.g. missing_entity), or model.",
    )
    answerer: str = Field(default="extractive", description="The answerer that wrote text (extractive after a fallback).")
    standalone_question: str | None = None
    warnings: list[str] = Field(
        default_factory=list, description="What a reader should know: a model failure, unsupported or uncited sentences."
    )
    conflict: Conflict | None = Field(
        default=None, description="Set when the passages that answer give different values: each with date and [n]."
    )
    timeline: list[TimelineEntry] = Field(
        default_factory=list, description="For 'how did X develop' questions: one cited line per date, oldest first."
    )


FileStatus = Literal["added", "updated", "unchanged", "duplicate", "skipped", "removed"]


class FileResult(_Frozen):
    """What ingest did with one file, in words a user can act on."""

    path: str
    status: FileStatus
    detail: str = ""
    article_id: str | None = None
    chunks: int = 0


class IngestReport(_Frozen):
    results: list[FileResult]
    documents: int
    chunks: int
    seconds: float

    def count(self, status: FileStatus) -> int:
        return sum(1 for r in self.results if r.status == status)

    @property
    def indexed_anything(self) -> bool:
        return any(r.status in ("added", "updated", "unchanged", "duplicate") for r in self.results)
