"""The one calendar vocabulary: month names, years, and reading a written date into a day number.

Metadata extraction reads publication dates with it; question analysis reads the dates a question names.
"""

from __future__ import annotations

import re
from datetime import date

_SPELLINGS = [
    ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
    ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
    ("october", "oct"), ("november", "nov"), ("december", "dec"),
]
MONTH_NUMBERS: dict[str, int] = {name: i for i, names in enumerate(_SPELLINGS, start=1) for name in names}
# Regex alternations: the full names (what questions are matched on), and every spelling longest first, so that
# "sept" wins over "sep" in a dateline.
MONTH_NAMES = "|".join(names[0] for names in _SPELLINGS)
ANY_MONTH = "|".join(sorted(MONTH_NUMBERS, key=len, reverse=True))
YEAR_DIGITS = r"(?:19|20)\d\d"
YEAR = re.compile(rf"\b{YEAR_DIGITS}\b")
WEEKDAYS = "monday tuesday wednesday thursday friday saturday sunday".split()

_NUMERIC_DATE = re.compile(rf"^({YEAR_DIGITS})[-/.](\d{{1,2}})[-/.](\d{{1,2}})(?![0-9])")
_MONTH_FIRST = re.compile(
    rf"\b(?P<month>{ANY_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>{YEAR_DIGITS})\b", re.IGNORECASE
)
_DAY_FIRST = re.compile(rf"\b(?P<day>\d{{1,2}})\s+(?P<month>{ANY_MONTH})\.?,?\s+(?P<year>{YEAR_DIGITS})\b", re.IGNORECASE)


def parse_date(text: str | None) -> date | None:
    """A calendar date written as 2023-01-05, 2023/01/05/05:11, "January 5, 2023", "Jan. 5 2023" or "5 January
    2023" (what front matter, HTML heads and crawl logs hold); None for anything without a day, month and year."""
    if not text:
        return None
    text = text.strip()
    if (match := _NUMERIC_DATE.match(text)) is not None:
        return safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        if (match := pattern.search(text)) is not None:
            return safe_date(int(match.group("year")), month_number(match.group("month")), int(match.group("day")))
    return None


def month_number(name: str) -> int:
    """1–12 for any spelling in MONTH_NUMBERS, in any case."""
    return MONTH_NUMBERS[name.lower()]


def safe_date(year: int, month: int, day: int) -> date | None:
    """The date, or None for an impossible one (February 30) rather than an exception."""
    try:
        return date(year, month, day)
    except ValueError:
        return None


def date_ordinal(day: date | None) -> int:
    """A sortable day number for the index (date.toordinal()); 0 stands for undated."""
    return day.toordinal() if day is not None else 0


def stored_date_ord(meta: dict[str, object]) -> int:
    """A chunk record's date_ord, or one read off its ISO date in a store written before date_ord was stored."""
    stored = meta.get("date_ord")
    if isinstance(stored, int):
        return stored
    return date_ordinal(parse_date(str(meta["date"]))) if meta.get("date") else 0
