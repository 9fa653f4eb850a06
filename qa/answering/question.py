"""The analysed question: what kind of answer it wants and which of its words carry meaning.

asked.py reads a question into one; the extractive answerer and its rules read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

AskedType = Literal["date", "money", "number", "duration", "person"]


@dataclass(frozen=True)
class Question:
    """One question, analysed once: what kind of answer it wants and which of its words carry meaning."""

    text: str
    asks: AskedType | None
    counted: frozenset[str] = field(default_factory=frozenset)  # head stem of "how many <thing>"
    numbers: frozenset[str] = field(default_factory=frozenset)  # counts the question itself states
    outcome: frozenset[str] = field(default_factory=frozenset)  # stems of "agreed", "decided", ... if it asks what happened
    entities: tuple[str, ...] = ()
    compares: bool = False
    yes_no: bool = False
    role: str | None = None  # stem of the office a "who" question asks about ("ambassador"), when it is specific
    interval: bool = False  # "how many days passed between X and Y": answered by the two dates
    wants_list: bool = False  # "which countries…", "what measures…": answered by an enumeration
    proportion: bool = False  # "how much of Syria…": "most of its provinces" answers
    years: frozenset[str] = field(default_factory=frozenset)  # years the question places its event in
    days: frozenset[tuple[str, int]] = field(default_factory=frozenset)  # ("december", 18): calendar days it names
    months: frozenset[str] = field(default_factory=frozenset)  # "december" of "his December visit"

    @property
    def asks_what_happened(self) -> bool:
        return bool(self.outcome)
