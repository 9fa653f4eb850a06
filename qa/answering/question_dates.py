"""The dates a question names, and whether a sentence dates itself to another day or year.

The month names and year pattern come from qa/index/dates.py, the vocabulary metadata extraction reads dates with.
"""

from __future__ import annotations

import re

from qa.answering.question import Question
from qa.answering.words import TEXT_WORDS
from qa.index.dates import MONTH_NAMES, YEAR

_CALENDAR_DAY = re.compile(rf"\b(?:(?:{MONTH_NAMES})\.?\s+\d{{1,2}}\b|\d{{1,2}}\s+(?:{MONTH_NAMES})\b)", re.IGNORECASE)
# "May" only when capitalised: "may" is a verb far more often than a month in a question.
_MONTH_WORD = re.compile(rf"\b(?:{MONTH_NAMES.title()})\b")
_DAY_RANGE = re.compile(
    rf"\b(?:({MONTH_NAMES})\.?\s+(\d{{1,2}})(?:\s*[-–]\s*(\d{{1,2}}))?|(\d{{1,2}})(?:\s*[-–]\s*(\d{{1,2}}))?\s+({MONTH_NAMES}))\b",
    re.IGNORECASE,
)
_DEADLINE = re.compile(r"\b(?:by|until|till|through)\s+$", re.IGNORECASE)


def event_years(question: str) -> list[str]:
    """Years the question places its fact in: "trade in 2015", not the "December 2015 article" it reads from,
    nor the target of a plan ("to make up 20% by 2025"), which articles of earlier years report."""
    return [
        m.group() for m in YEAR.finditer(question)
        if (not (following := question[m.end():].split()[:1])
            or following[0].strip(".,?!'’s").lower() not in TEXT_WORDS)
        and not _DEADLINE.search(question[: m.start()])
    ]


def calendar_days(text: str) -> set[tuple[str, int]]:
    """("july", 14), ("july", 15) for "July 14-15" or "14-15 July"."""
    days = set()
    for m in _DAY_RANGE.finditer(text):
        month = (m.group(1) or m.group(6)).lower()
        first, last = (m.group(2), m.group(3)) if m.group(1) else (m.group(4), m.group(5))
        days |= {(month, int(d)) for d in (first, last) if d}
    return days


def on_another_date(question: Question, text: str, published: str | None = None) -> bool:
    """The sentence dates itself to another year or another day of the month the question names ("trade in
    2014" for "trade in 2015", "13 December" for "the December 18-19 meeting"), or its article was published
    (a date, in any form that gives its year) before the earliest year the question names: it is about another
    event."""
    if not question.years and not question.days:
        return False
    years = set(YEAR.findall(text))
    if question.years and years and not question.years & years:
        return True
    published_years = YEAR.findall(published or "")
    if question.years and published_years and min(published_years) < min(question.years):
        return True
    days = calendar_days(text)
    months = {month for month, _ in question.days}
    same_month = {d for d in days if d[0] in months}
    return bool(same_month) and not same_month & question.days


def names_a_day(text: str) -> bool:
    """A calendar date ("July 14-15", "15 October 2006"), which answers "when" better than "on Tuesday"."""
    return bool(_CALENDAR_DAY.search(text))



def months_named(question: str) -> set[str]:
    """"december" of "his December visit"."""
    return {m.lower() for m in _MONTH_WORD.findall(question)}
