"""Article metadata read off the text: title, dateline place and date, outlet.

Only what the text states: a dateline without a year leaves the year unknown rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

_MONTHS = {
    name: i
    for i, names in enumerate(
        [
            ("january", "jan"), ("february", "feb"), ("march", "mar"), ("april", "apr"), ("may",),
            ("june", "jun"), ("july", "jul"), ("august", "aug"), ("september", "sep", "sept"),
            ("october", "oct"), ("november", "nov"), ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH_RE = "|".join(sorted(_MONTHS, key=len, reverse=True))

# "MOSCOW, July 11. /TASS/." · "WASHINGTON, Jan. 5, 2017 (Reuters) -" · "MOSCOW, December 15."
_DATELINE = re.compile(
    rf"""^(?P<place>[A-Z][A-Z .'\-]{{1,40}}[A-Z]),\s+
        (?P<month>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}})(?:,?\s+(?P<year>(?:19|20)\d\d))?\s*[.,]?\s*
        (?:[/(]\s*(?P<outlet>[A-Z][A-Za-z\-\. ]{{1,30}}?)\s*[/)])?""",
    re.VERBOSE | re.IGNORECASE,
)
_RIGHTS = re.compile(r"all rights reserved(?: by)?\s+(?P<outlet>[^.\n]{2,60})", re.IGNORECASE)
_URL_DATE = re.compile(r"/((?:19|20)\d\d)[/-](\d{1,2})[/-](\d{1,2})(?:/|$|[-_])")
_URL_SLUG_DATE = re.compile(rf"[-_/](?P<day>\d{{1,2}})-(?P<month>{_MONTH_RE})-(?P<year>(?:19|20)\d\d)(?![0-9])", re.IGNORECASE)
_NUMERIC_DATE = re.compile(r"^((?:19|20)\d\d)[-/.](\d{1,2})[-/.](\d{1,2})(?![0-9])")
_MONTH_FIRST = re.compile(
    rf"\b(?P<month>{_MONTH_RE})\.?\s+(?P<day>\d{{1,2}})(?:st|nd|rd|th)?,?\s+(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE
)
_DAY_FIRST = re.compile(rf"\b(?P<day>\d{{1,2}})\s+(?P<month>{_MONTH_RE})\.?,?\s+(?P<year>(?:19|20)\d\d)\b", re.IGNORECASE)
_MARKDOWN_HEADING = re.compile(r"^#+\s*")


@dataclass(frozen=True)
class Dateline:
    place: str
    month: int
    day: int
    year: int | None
    outlet: str | None

    @property
    def date(self) -> date | None:
        if self.year is None:
            return None
        try:
            return date(self.year, self.month, self.day)
        except ValueError:
            return None

    @property
    def date_text(self) -> str:
        month = date(2000, self.month, 1).strftime("%B")
        return f"{month} {self.day}" + (f", {self.year}" if self.year else "")


def extract_title(cleaned: str) -> str:
    """The first line of the cleaned text: the headline in scraped articles and in Markdown files."""
    first = next((line for line in cleaned.split("\n") if line.strip()), "")
    return _MARKDOWN_HEADING.sub("", first).strip()[:300] or "(untitled)"


def find_dateline(cleaned: str) -> Dateline | None:
    """The wire-style dateline opening one of the first paragraphs, if there is one."""
    for paragraph in cleaned.split("\n\n")[:8]:
        match = _DATELINE.match(paragraph)
        if match is None:
            continue
        place = match.group("place").strip()
        if not place.isupper():
            continue
        year = match.group("year")
        return Dateline(
            place=place.title(),
            month=_MONTHS[match.group("month").lower()],
            day=int(match.group("day")),
            year=int(year) if year else None,
            outlet=(match.group("outlet") or "").strip(" .") or None,
        )
    return None


def find_outlet(raw: str, dateline: Dateline | None) -> str | None:
    """The publisher when the page names it: the dateline's agency tag or a rights line."""
    if dateline is not None and dateline.outlet:
        return dateline.outlet
    match = _RIGHTS.search(raw)
    if match:
        return match.group("outlet").strip(" .")
    return None


def date_from_url(url: str | None) -> date | None:
    """Many news URLs carry the publication day: /2023/01/05/, or a slug ending "-17-june-2022"."""
    if not url:
        return None
    if (match := _URL_DATE.search(url)) is not None:
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if (match := _URL_SLUG_DATE.search(url)) is not None:
        return _safe_date(int(match.group("year")), _MONTHS[match.group("month").lower()], int(match.group("day")))
    return None


def parse_date(text: str | None) -> date | None:
    """A calendar date written as 2023-01-05, 2023/01/05/05:11, "January 5, 2023", "Jan. 5 2023" or "5 January
    2023" (what front matter, HTML heads and crawl logs hold); None for anything without a day, month and year."""
    if not text:
        return None
    text = text.strip()
    if (match := _NUMERIC_DATE.match(text)) is not None:
        return _safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if (match := _MONTH_FIRST.search(text)) is not None:
        return _safe_date(int(match.group("year")), _MONTHS[match.group("month").lower()], int(match.group("day")))
    if (match := _DAY_FIRST.search(text)) is not None:
        return _safe_date(int(match.group("year")), _MONTHS[match.group("month").lower()], int(match.group("day")))
    return None


def publication_date(
    stated: str | None, url: str | None, dateline: Dateline | None, retrieved_at: str | None = None
) -> date | None:
    """The day an article was published, from the best evidence there is: a date its file states (front matter,
    HTML head), its URL (/2023/01/05/ or a slug ending 17-june-2022), its dateline when that gives the year.

    retrieved_at (when the page was fetched) bounds it from above: a candidate later than that is wrong and the
    next one is tried. None when nothing gives a whole date: an undated article is kept undated, never guessed.
    """
    latest = parse_date(retrieved_at)
    candidates = (parse_date(stated), date_from_url(url), dateline.date if dateline else None)
    for candidate in candidates:
        if candidate is not None and (latest is None or candidate <= latest):
            return candidate
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


def _safe_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None
