"""Article metadata read off the text: title, dateline place and date, outlet.

Only what the text states: a dateline without a year leaves the year unknown rather than guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from qa.index.dates import ANY_MONTH, YEAR_DIGITS, month_number, parse_date, safe_date

# "MOSCOW, July 11. /TASS/." · "WASHINGTON, Jan. 5, 2017 (Reuters) -" · "MOSCOW, December 15."
DATELINE = re.compile(
    rf"""^(?P<place>[A-Z][A-Z .'\-]{{1,40}}[A-Z]),\s+
        (?P<month>{ANY_MONTH})\.?\s+(?P<day>\d{{1,2}})(?:,?\s+(?P<year>{YEAR_DIGITS}))?\s*[.,]?\s*
        (?:[/(]\s*(?P<outlet>[A-Z][A-Za-z\-\. ]{{1,30}}?)\s*[/)])?""",
    re.VERBOSE | re.IGNORECASE,
)
_RIGHTS = re.compile(r"all rights reserved(?: by)?\s+(?P<outlet>[^.\n]{2,60})", re.IGNORECASE)
_URL_DATE = re.compile(rf"/({YEAR_DIGITS})[/-](\d{{1,2}})[/-](\d{{1,2}})(?:/|$|[-_])")
_URL_SLUG_DATE = re.compile(rf"[-_/](?P<day>\d{{1,2}})-(?P<month>{ANY_MONTH})-(?P<year>{YEAR_DIGITS})(?![0-9])", re.IGNORECASE)
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
        return safe_date(self.year, self.month, self.day) if self.year is not None else None

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
        match = DATELINE.match(paragraph)
        if match is None:
            continue
        place = match.group("place").strip()
        if not place.isupper():
            continue
        year = match.group("year")
        return Dateline(
            place=place.title(),
            month=month_number(match.group("month")),
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
        return safe_date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    if (match := _URL_SLUG_DATE.search(url)) is not None:
        return safe_date(int(match.group("year")), month_number(match.group("month")), int(match.group("day")))
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
