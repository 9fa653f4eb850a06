"""The value a sentence gives for what a question asks: a figure, a date, a name; read so that two reports of
one story can be compared ("Nineteen people have died" and "the toll rose to 19" agree; 17 and 19 do not).

Only what is needed to tell agreement from disagreement: each value is kept as written, with a normal form.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from qa.answering.question import Question
from qa.index.dates import ANY_MONTH, YEAR_DIGITS
from qa.index.lexical import analyze

ValueKind = Literal["number", "date", "name", "outcome"]

_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
          "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
          "seventeen": 17, "eighteen": 18, "nineteen": 19}
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80,
         "ninety": 90}
_SCALES = {"hundred": 100, "thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000, "bn": 1_000_000_000,
           "mn": 1_000_000, "m": 1_000_000}
_WORD = "|".join(sorted([*_UNITS, *_TENS], key=len, reverse=True))
_NUMBER = re.compile(
    rf"(?<![\w.,:/-])(?P<num>\d{{1,3}}(?:,\d{{3}})+(?:\.\d+)?|\d+(?:\.\d+)?|(?:{_WORD})(?:[- ](?:{_WORD}))?)"
    r"(?P<scale>\s*(?:hundred|thousand|million|billion|bn|mn)\b)?(?P<pct>\s*(?:%|percent\b|per cent\b))?",
    re.IGNORECASE,
)
_AFTER_MONTH = re.compile(rf"\b(?:{ANY_MONTH})\.?\s*$", re.IGNORECASE)
_BEFORE_MONTH = re.compile(rf"^(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{ANY_MONTH})\b", re.IGNORECASE)
_YEAR = re.compile(rf"^{YEAR_DIGITS}$")
# "two more passengers died": a change in the figure, not the figure
_DELTA_AFTER = re.compile(r"^\s*(?:more|additional|further|other|others|extra|new)\b", re.IGNORECASE)
_TIME_AFTER = re.compile(r"^\s*(?::\d\d|a\.m\.|p\.m\.|am\b|pm\b|o'clock)", re.IGNORECASE)
_DATE_VALUE = re.compile(
    rf"\b(?:(?:early|mid|late|the\s+end\s+of|end\s+of|the\s+start\s+of|start\s+of|spring|summer|autumn|fall|winter)"
    rf"[\s-]+(?:of\s+)?(?:the\s+)?)?(?:(?:first|second|third|fourth)\s+quarter(?:\s+of\s+{YEAR_DIGITS})?"
    rf"|(?:{ANY_MONTH})\.?\s+\d{{1,2}}(?:st|nd|rd|th)?(?:,?\s+{YEAR_DIGITS})?|\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?"
    rf"(?:{ANY_MONTH})\b(?:\s+{YEAR_DIGITS})?|(?:{ANY_MONTH})\s+{YEAR_DIGITS}|{YEAR_DIGITS}|(?:{ANY_MONTH})\b)",
    re.IGNORECASE,
)
_MONTH_ONLY = re.compile(rf"^(?:{ANY_MONTH})$", re.IGNORECASE)
_TITLES = re.compile(
    r"\b(?:(?:Vice|Deputy|Prime|Foreign|Defen[cs]e|Interior|Finance|Chief|Former)\s+)*(?:President|Minister|"
    r"Chancellor|Secretary|Governor|Mayor|General|Inspector|Detective|Superintendent|Director|Chairman|"
    r"Chairwoman|Commissioner|Judge|Dr|Mr|Mrs|Ms)\.?\s+",
)
_NAME = re.compile(r"\b[A-Z][\w'’-]*[a-zà-ÿ][\w'’-]*(?:\s+(?:[A-Z][\w'’-]*[a-zà-ÿćčšžł][\w'’-]*))+")
_NOT_NAMES = frozenset(analyze(
    "monday tuesday wednesday thursday friday saturday sunday january february march april may june july august "
    "september october november december the a an police government ministry council court office"))
_QUANTITY = re.compile(
    r"\b(?:turnout|magnitude|depth|area|share|percentage|rate|toll|total|value|price|cost|size|height|length|"
    r"distance|speed|temperature|amount|figure|estimate|tally|charges?|how\s+large|how\s+deep|how\s+big|how\s+high)\b",
    re.IGNORECASE,
)
_ASKS_WHEN = re.compile(r"^\s*(?:by\s+)?when\b|\b(?:what|which)\s+(?:date|day|month)\b", re.IGNORECASE)
_ASKS_WHO = re.compile(r"^\s*(?:who|whom)\b|\bwho\s+(?:is|was|will|has)\b", re.IGNORECASE)
_ASKS_STATUS = re.compile(
    r"\b(?:where\s+(?:does|do|did|is|are)\b[^?]*\bstand|standing|status|latest\s+(?:on|news|word))\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Value:
    text: str  # as the sentence writes it
    key: str  # the normal form two values are compared on
    at: int  # character offset in the sentence


def value_kind(question: Question) -> ValueKind | None:
    """What kind of value answers the question, when it asks for one that sources can disagree on; None for
    questions that ask for an explanation or a list, which are answered as before."""
    text = question.text
    if question.wants_list or question.compares or question.yes_no:
        return None
    if question.asks in ("number", "money", "duration") or (question.asks is None and _QUANTITY.search(text)):
        return "number"
    if question.asks == "date" or _ASKS_WHEN.search(text):
        return "date"
    if question.asks == "person" or _ASKS_WHO.search(text):
        return "name"
    if _ASKS_STATUS.search(text):
        return "outcome"
    return None


def values_in(sentence: str, kind: ValueKind, question: Question) -> list[Value]:
    """The values of kind the sentence gives, first to last, leaving out what the question itself states."""
    if kind == "number":
        return [v for v in _numbers(sentence) if v.key not in question.numbers and v.key not in _question_numbers(question)]
    if kind == "date":
        return [v for v in _dates(sentence) if v.key not in question.text.casefold()]
    if kind == "name":
        asked = set(analyze(question.text))
        names = []
        for match in _NAME.finditer(sentence):
            bare = _TITLES.sub("", match.group()).strip()
            words = analyze(bare)
            if len(bare.split()) >= 2 and words and not set(words) & asked and not set(words) & _NOT_NAMES:
                names.append(Value(bare, words[-1], match.start()))
        return names
    return [Value(sentence, " ".join(analyze(sentence)), 0)]


def primary_value(sentence: str, kind: ValueKind, question: Question) -> Value | None:
    """The value the sentence gives for what is asked: of several, the one nearest the question's own words
    ("44 missiles and 20 drones" for "how many missiles"); the first when none is near."""
    found = values_in(sentence, kind, question)
    if len(found) <= 1 or kind in ("outcome",):
        return found[0] if found else None
    stems = set(analyze(question.text)) | set(question.counted)
    positions = [m.start() for m in re.finditer(r"\w+", sentence) if set(analyze(m.group())) & stems]
    if not positions:
        return found[0]
    return min(found, key=lambda v: (min(abs(v.at - p) for p in positions), v.at))


def _question_numbers(question: Question) -> set[str]:
    return {v.key for v in _numbers(question.text)}


def _numbers(sentence: str) -> list[Value]:
    out = []
    for match in _NUMBER.finditer(sentence):
        raw = match.group("num")
        before, after = sentence[: match.start()], sentence[match.end():]
        if _YEAR.match(raw) and not match.group("scale") and not match.group("pct"):
            continue
        if _AFTER_MONTH.search(before[-12:]) or (raw.isdigit() and _BEFORE_MONTH.match(after)):
            continue  # the day of a date
        if _DELTA_AFTER.match(after) or _TIME_AFTER.match(after):
            continue
        number = _to_number(raw)
        if number is None:
            continue
        scale = (match.group("scale") or "").strip().casefold()
        number *= _SCALES.get(scale, 1)
        key = f"{number:g}" + ("%" if match.group("pct") else "")
        out.append(Value(match.group().strip(), key, match.start()))
    return out


def _to_number(raw: str) -> float | None:
    text = raw.casefold().replace(",", "")
    try:
        return float(text)
    except ValueError:
        pass
    total = 0
    for word in re.split(r"[- ]", text):
        if word in _UNITS:
            total += _UNITS[word]
        elif word in _TENS:
            total += _TENS[word]
        else:
            return None
    return float(total)


def _dates(sentence: str) -> list[Value]:
    out = []
    for match in _DATE_VALUE.finditer(sentence):
        text = match.group().strip()
        if _MONTH_ONLY.match(text) and text.casefold() == "may":
            continue  # the verb far more often than the month
        key = " ".join(re.sub(r"(?<=\d)(?:st|nd|rd|th)\b|\bthe\b|\bof\b", " ", text.casefold()).replace("-", " ").split())
        out.append(Value(text, key, match.start()))
    return out
