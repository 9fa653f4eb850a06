"""The time a question speaks of, read against the day it is asked: "as of March 4, 2025", "last week",
"yesterday", "this year", "in March".

News questions carry their own dates. "As of March 4" is the day to answer as on; "last week" and "in March" name
a stretch of days counted back from that day (as_of, else today), whose articles the caller ranks first.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from qa.index.dates import ANY_MONTH, MONTH_NAMES, YEAR_DIGITS, month_number, parse_date, safe_date

_AS_OF = re.compile(
    rf"\b(?:as\s+of|as\s+at)\s+(?P<date>(?:(?:{ANY_MONTH})\.?\s+\d{{1,2}}(?!\d)(?:st|nd|rd|th)?(?:,?\s+{YEAR_DIGITS})?)"
    rf"|(?:\d{{1,2}}(?:st|nd|rd|th)?\s+(?:{ANY_MONTH})\.?(?:,?\s+{YEAR_DIGITS})?)|{YEAR_DIGITS}-\d\d-\d\d)\s*,?\s*",
    re.IGNORECASE,
)
_RELATIVE = re.compile(r"\b(?:(?P<which>last|this|past)\s+(?P<unit>week|month|year)|(?P<day>yesterday|today))\b",
                       re.IGNORECASE)
# "in March" without a year; capitalised, as "may" is a verb far more often than a month
_IN_MONTH = re.compile(rf"\bin\s+(?:early\s+|late\s+|mid-)?(?P<month>{MONTH_NAMES.title()})\b(?!\s*,?\s*{YEAR_DIGITS})")
_DAY_MONTH_YEAR = re.compile(rf"^(?P<day>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<month>{ANY_MONTH})\.?(?:,?\s+(?P<year>{YEAR_DIGITS}))?$",
                             re.IGNORECASE)
_MONTH_DAY_YEAR = re.compile(rf"^(?P<month>{ANY_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?(?:,?\s+(?P<year>{YEAR_DIGITS}))?$",
                             re.IGNORECASE)


@dataclass(frozen=True)
class Period:
    """What the question's own words say about time."""

    question: str  # the question without an "as of DATE" phrase, which the rules would read as a fact asked about
    as_of: dt.date | None = None  # from "as of DATE"
    since: dt.date | None = None  # from "last week", "in March", ...
    until: dt.date | None = None


def read_period(question: str, today: dt.date, as_of: dt.date | None = None) -> Period:
    """The period the question speaks of. An "as of DATE" in the question is used only when as_of is not given;
    relative words count back from as_of, else from today. A date without a year is the latest such day up to it."""
    text, stated = question, None
    if (match := _AS_OF.search(question)) is not None and (day := _day(match.group("date"), as_of or today)):
        stated = day
        text = (question[: match.start()] + question[match.end():]).strip()
        text = text[:1].upper() + text[1:]
    day = as_of or stated
    since, until = _relative(text, day or today, asked_on_a_day=day is not None)
    return Period(question=text, as_of=day, since=since, until=until)


def _relative(text: str, ref: dt.date, asked_on_a_day: bool) -> tuple[dt.date | None, dt.date | None]:
    """(since, until) of the period the words name, counted back from ref. "This week" or "the past week" on a
    given day is left out: retrieval already ranks the week before as_of first (RetrievalParams.recent_days)."""
    if (match := _RELATIVE.search(text)) is not None:
        if match.group("day"):
            back = 1 if match.group("day").lower() == "yesterday" else 0
            return ref - dt.timedelta(days=back), ref
        unit, which = match.group("unit").lower(), match.group("which").lower()
        if unit == "week":
            if asked_on_a_day and which in ("this", "past"):
                return None, None
            monday = ref - dt.timedelta(days=ref.weekday())
            start = monday - dt.timedelta(days=7) if which == "last" else monday
            return (ref - dt.timedelta(days=7) if which == "past" else start), ref
        if unit == "month":
            first = ref.replace(day=1)
            if which == "last":
                first = (first - dt.timedelta(days=1)).replace(day=1)
            return (ref - dt.timedelta(days=31) if which == "past" else first), ref
        year = ref.year - (1 if which == "last" else 0)
        return (ref - dt.timedelta(days=366) if which == "past" else dt.date(year, 1, 1)), ref
    if (match := _IN_MONTH.search(text)) is not None:
        month = month_number(match.group("month"))
        year = ref.year if month <= ref.month else ref.year - 1
        return dt.date(year, month, 1), ref
    return None, None


def _day(written: str, ref: dt.date) -> dt.date | None:
    """A written day; without a year, the latest such day on or before ref."""
    if (full := parse_date(written)) is not None:
        return full
    match = _MONTH_DAY_YEAR.match(written.strip()) or _DAY_MONTH_YEAR.match(written.strip())
    if match is None:
        return None
    month, day = month_number(match.group("month")), int(match.group("day"))
    year = int(match.group("year")) if match.group("year") else ref.year
    found = safe_date(year, month, day)
    if found is not None and not match.group("year") and found > ref:
        found = safe_date(year - 1, month, day)
    return found
