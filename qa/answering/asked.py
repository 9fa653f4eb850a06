"""What a question asks for, read off its words: a date, a count or a duration, a person, an outcome, a list, a
comparison, a yes/no; and whether a sentence holds the kind of thing asked.

The extractive answerer ranks and abstains with these; nothing here looks at the index.
"""

from __future__ import annotations

import os
import re

from qa.answering.names import names_someone_new, question_entities
from qa.answering.question import AskedType, Question
from qa.answering.question_dates import calendar_days, event_years, months_named
from qa.index.dates import MONTH_NAMES, YEAR_DIGITS
from qa.index.lexical import analyze

_HAS_DATE = re.compile(
    rf"\b(?:{MONTH_NAMES}|jan\.|feb\.|aug\.|sept?\.|oct\.|nov\.|dec\.|monday|tuesday|wednesday|thursday|friday"
    rf"|saturday|sunday|today|tomorrow|yesterday|{YEAR_DIGITS})\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|seventeen"
    r"|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred|thousand"
    r"|million|billion|dozens?|once|twice|half|quarter"
)
_HAS_NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_HAS_ORDINAL = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\b", re.IGNORECASE
)
_COUNT = re.compile(rf"\b(?!{YEAR_DIGITS}\b)\d+(?:[.,]\d+)*\b")
_AFTER_MONTH = re.compile(rf"(?:{MONTH_NAMES})\.?\s*$", re.IGNORECASE)
# "a two-day visit", "for three hours" — not "two years ago", which says when, not how long.
_DURATION = re.compile(
    rf"\b(?:\d+|{_NUMBER_WORDS}|several|a few|few)[\s-]+(?:days?|weeks?|months?|years?|hours?|minutes?|decades?)\b"
    r"(?![\s,]+(?:ago|earlier|later|before|after)\b)",
    re.IGNORECASE,
)

_ASKS_DATE = re.compile(
    r"^\s*when\b|\b(?:what|which)\s+(?:date|dates|day|days|month|year)\b|\bdates?\s*\??\s*$", re.IGNORECASE
)
_ASKS_NUMBER = re.compile(
    r"\bhow\s+(?:many|much|often|long)\b|\b(?:what|which)\s+(?:number|percentage|share|amount|figure|sum|tally|count)\b"
    r"|\bthe\s+(?:number|amount|size|sum|total|cost)\s+of\b|\b(?:death|casualty)\s+toll\b"
    r"|\b(?:dollar|monetary|total)\s+(?:value|amount|figure)\b",
    re.IGNORECASE,
)
# "Which official…", "who was the ambassador…": the answer names somebody. A bare "who"/"whom" is left out, as
# its answer is as often a body or a group ("whom did the militants fight?" — American troops).
_ASKS_PERSON = re.compile(
    r"(?:\b(?:which|what)|^\s*who\s+(?:is|was|were|are)(?:\s+the)?)\s+"
    r"(?:(?!(?:did|does|do|was|were|is|are|has|have|had|will|would|can|could|the|a|an)\b)[\w'’-]+\s+){0,3}?(?:officials?|spokes(?:man|woman|person)|"
    r"ministers?|leaders?|ambassadors?|envoys?|diplomats?|senators?|politicians?|president|person|people|"
    r"analysts?|experts?|journalists?|correspondents?|prosecutors?|judges?)\b",
    re.IGNORECASE,
)
_ASKS_MONEY = re.compile(
    r"\b(?:dollar|monetary|cash)\s+(?:value|amount|figure)\b|\bhow\s+much\s+(?:money\b|[^?]*\b(?:invest\w*|cost|costs|"
    r"spen[dt]|paid|pay|worth|earn\w*|lost|lose|fined?|charged?)\b)|\b(?:what|which)\s+(?:sum|price)\b",
    re.IGNORECASE,
)
_HAS_MONEY = re.compile(
    r"[$€£¥]\s?\d|\b\d[\d.,]*\s*(?:dollars|euros?|rubles?|roubles?|pounds|yuan|bn|mln|billion|million|trillion)\b",
    re.IGNORECASE,
)
_ASKS_PROPORTION = re.compile(
    r"\bhow\s+much\s+of\b|\b(?:what|which)\s+(?:share|proportion|part|percentage)\s+of\b", re.IGNORECASE
)
_HAS_PROPORTION = re.compile(r"\b(?:most|majority|minority|all|half|quarter|third|percent|per cent)\b|%", re.IGNORECASE)
_ASKS_DURATION = re.compile(r"\bhow\s+long\b", re.IGNORECASE)
# The counted thing: "how many [Russian troops] were ..." (up to three words before a verb or preposition).
_HOW_MANY = re.compile(
    r"\bhow\s+many\s+((?:(?!(?:did|do|does|were|was|are|is|have|has|had|will|would|could|can|in|of|on|at|for|to|"
    r"that|which|who|made|make)\b)[\w'’-]+\s*){1,3})",
    re.IGNORECASE,
)
# Words after "how many" that place the count rather than name the thing counted ("how many years earlier").
_NOT_COUNTED = frozenset(analyze("earlier later ago before after since more fewer less again altogether"))
_OUTCOME = re.compile(
    r"\b(?:agree(?:d|ment|ments)?|decided?|decisions?|outcome|results?|reached|signed|concluded|achieved|happened)\b",
    re.IGNORECASE,
)
_PAST = re.compile(r"\b(?:did|was|were|had|came|emerged|resulted)\b", re.IGNORECASE)
PROSPECTIVE = re.compile(
    r"\b(?:will|would|shall|must|should|ought|needs? to|expects?|expected|hopes?|hoped|plans?|planned|forthcoming|"
    r"upcoming|next|to be held)\b",
    re.IGNORECASE,
)
_TWO_SIDED = re.compile(
    r"\b(?:compare[sd]?|comparison|differ(?:ed|ent|ence)?|change[sd]?|both|versus|vs\.?|earlier|later|"
    r"more|fewer|less|than|whereas|while|and how|and what|and which|and when|and who)\b",
    re.IGNORECASE,
)
_YES_NO = re.compile(r"^\s*(?:did|does|do|is|was|were|are|has|have|had|can|could|will|would)\b", re.IGNORECASE)


def analyse(question: str) -> Question:
    how_many = _HOW_MANY.search(question)
    # The counted thing is the last noun of "how many Russian children adopted…": skip participles and adverbs.
    phrase = [w for w in how_many.group(1).split() if not w.lower().endswith("ed")] if how_many else []
    counted_words = [s for w in phrase for s in analyze(w) if s not in _NOT_COUNTED]
    interval = bool(_ASKS_INTERVAL.search(question))
    asks: AskedType | None = "date" if interval else _asked_type(question)
    # "When was the breakthrough achieved?" asks for a date, not for what was achieved.
    asks_outcome = (
        asks is None and _OUTCOME.search(question) and _PAST.search(question) and not PROSPECTIVE.search(question)
    )
    return Question(
        text=question,
        asks=asks,
        counted=frozenset(counted_words[-1:]),
        numbers=frozenset(number_tokens(question)),
        outcome=frozenset(s for w in _OUTCOME.findall(question) for s in analyze(w)) if asks_outcome else frozenset(),
        entities=tuple(question_entities(question)),
        compares=bool(_TWO_SIDED.search(question)),
        yes_no=bool(_YES_NO.match(question)),
        role=_specific_role(question) if asks == "person" else None,
        interval=interval,
        wants_list=bool(_ASKS_LIST.search(question)),
        proportion=bool(_ASKS_PROPORTION.search(question)),
        years=frozenset(event_years(question)),
        days=frozenset(calendar_days(question)),
        months=frozenset(months_named(question)),
    )


# Offices a text names by the same word whenever it names the holder; "official" or "leader" it may not repeat.
_SPECIFIC_ROLE = re.compile(
    r"\b(ambassadors?|envoys?|spokes(?:man|woman|person)|senators?|prosecutors?|judges?|journalists?|"
    r"correspondents?|analysts?|experts?|successors?|predecessors?)\b",
    re.IGNORECASE,
)


def _specific_role(question: str) -> str | None:
    match = _SPECIFIC_ROLE.search(question)
    stems = analyze(match.group(1)) if match else []
    return stems[0] if stems else None


# "How many days passed between X and Y?": the articles give the two dates, not the difference; the dated
# sentences are the answer a reader can count from.
_ASKS_INTERVAL = re.compile(
    r"\bhow\s+(?:many|much)\s+(?:time|days|weeks|months|years)\b[^?]*\b(?:passed|elapsed|separat\w*|between|apart)\b",
    re.IGNORECASE,
)


# "Which countries", "what punitive measures", "name the…": a plural noun after which/what, or a request to list.
_ASKS_LIST = re.compile(
    r"\b(?:which|what)\s+(?:(?!(?:did|does|do|was|were|is|are|has|have|had|the)\b)[\w'’-]+\s+){0,2}?"
    r"(?!(?:was|is|has|does|news|process|access|press|business|class|address)\b)[a-z][\w-]*[^s']s\b|\blist(?:ed|s)?\b|\bname the\b",
    re.IGNORECASE,
)
_ENUMERATION = re.compile(r"(?:[^,;]+,){2,}[^,;]*\band\b")


def enumerates(text: str) -> bool:
    """A sentence that lists three or more things ("the USA, Canada, UK, … and Russia")."""
    return bool(_ENUMERATION.search(text))


def _asked_type(question: str) -> AskedType | None:
    if _ASKS_DATE.search(question):
        return "date"
    if _ASKS_MONEY.search(question):
        return "money"
    if _ASKS_DURATION.search(question):
        return "duration"
    if _ASKS_NUMBER.search(question):
        return "number"
    if _ASKS_PERSON.search(question):
        return "person"
    return None


def holds_asked_type(question: Question, text: str, terms: set[str]) -> bool:
    """Whether a sentence (with the stems around it) holds the date, duration or count the question asks for."""
    if question.asks == "date":
        return bool(_HAS_DATE.search(text))
    if question.asks == "duration":
        return bool(_DURATION.search(text))
    if question.asks == "money":
        return bool(_HAS_MONEY.search(text))
    if question.asks == "number":
        if question.proportion and _HAS_PROPORTION.search(text):  # "in most of Syria's provinces"
            return True
        if question.counted:  # "How many troops ...": the number must count the thing the question names
            return counts(question, text)
        return bool(
            set(number_tokens(text)) - question.numbers
            or _HAS_NUMBER_WORD.search(text)
            or _HAS_ORDINAL.search(text)  # "which visit was it?" -> "the fourth"
        )
    if question.asks == "person":
        return bool(names_someone_new(question.text, text)) and (
            question.role is None or any(t.startswith(question.role[:6]) for t in terms)  # spokesman ~ spokesperson
        )
    return True


_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|\w+")
_COUNT_WINDOW = 4


def counts(question: Question, text: str) -> bool:
    """A number within a few words of the counted thing: "35 Russian diplomats", "21 working groups" — not the
    "two" of "the two countries" when the question counts children."""
    tokens = _TOKEN.findall(text)
    numbers = [
        i for i, t in enumerate(tokens)
        if (_COUNT.fullmatch(t) and not (i and _AFTER_MONTH.search(tokens[i - 1])) and t not in question.numbers)
        or _HAS_NUMBER_WORD.fullmatch(t)
    ]
    heads = [i for i, t in enumerate(tokens) if question.counted & set(analyze(t))]
    return any(abs(n - h) <= _COUNT_WINDOW for n in numbers for h in heads)



def reports_outcome(question: Question, text: str) -> bool:
    """A sentence that is no preview and names the outcome asked about ("agreed", "decision")."""
    return not PROSPECTIVE.search(text) and any(
        _same_root(o, t) for o in question.outcome for t in analyze(text)
    )


def _same_root(a: str, b: str) -> bool:
    """agree/agreement, decide/decision: stems that share their first four letters and most of the shorter."""
    common = len(os.path.commonprefix([a, b]))
    return common >= 4 and common >= 0.8 * min(len(a), len(b))



def number_tokens(text: str) -> list[str]:
    """Numbers that can answer "how many": not years, not the day in "April 4"."""
    return [
        m.group() for m in _COUNT.finditer(text) if not _AFTER_MONTH.search(text[max(0, m.start() - 12) : m.start()])
    ]
