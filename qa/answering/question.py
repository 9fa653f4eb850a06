"""What a question asks for, read off its words: a date, a count or a duration; the names it uses; an outcome;
a comparison; a yes/no. And whether a sentence holds the kind of thing asked.

The extractive answerer ranks and abstains with these; nothing here looks at the index except through the
word statistics handed in.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import Literal

from qa.index.lexical import LexicalIndex, analyze, stopwords

AskedType = Literal["date", "money", "number", "duration", "person"]

_MONTHS = r"january|february|march|april|may|june|july|august|september|october|november|december"
_HAS_DATE = re.compile(
    rf"\b(?:{_MONTHS}|jan\.|feb\.|aug\.|sept?\.|oct\.|nov\.|dec\.|monday|tuesday|wednesday|thursday|friday"
    r"|saturday|sunday|today|tomorrow|yesterday|(?:19|20)\d\d)\b",
    re.IGNORECASE,
)
_NUMBER_WORDS = (
    r"one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|hundred|thousand"
    r"|million|billion|dozens?|once|twice|half|quarter"
)
_HAS_NUMBER_WORD = re.compile(rf"\b(?:{_NUMBER_WORDS})\b", re.IGNORECASE)
_HAS_ORDINAL = re.compile(
    r"\b(?:first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth|\d+(?:st|nd|rd|th))\b", re.IGNORECASE
)
_COUNT = re.compile(r"\b(?!(?:19|20)\d\d\b)\d+(?:[.,]\d+)*\b")
_AFTER_MONTH = re.compile(rf"(?:{_MONTHS})\.?\s*$", re.IGNORECASE)
_CALENDAR_DAY = re.compile(rf"\b(?:(?:{_MONTHS})\.?\s+\d{{1,2}}\b|\d{{1,2}}\s+(?:{_MONTHS})\b)", re.IGNORECASE)
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
_ENTITY = re.compile(r"\b(?:[A-Z][\w'’.-]*[\w]|\d[\d,.]*\d|\d)")
_YEAR = re.compile(r"\b(?:19|20)\d\d\b")
_WORD = re.compile(r"[a-z][a-z'’-]+")

QUESTION_WORDS = frozenset(
    """what which who whom whose when where why how did does do is are was were has have had can could will would
    should according the a an in on at of to for and or""".split()
)
# Words about the articles themselves, not about the news: never a sign the question is off the topic.
TEXT_WORDS = frozenset(
    """preview previews article articles report reports reported story stories piece text statement statements
    commentary describe described describes characterise characterize characterised characterized compare compared
    comparison mention mentioned mentions highlight highlighted list listed name named cite cited quote quoted
    according accord say said says tell told note noted claim claimed call called refer referred dateline headline
    write wrote written cover covered covers outline outlined summary summarise summarize mean meant earlier later
    latter former respectively coverage""".split()
)


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
        numbers=frozenset(count_tokens(question)),
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
        months=frozenset(m.lower() for m in _MONTH_WORD.findall(question)),
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
            set(count_tokens(text)) - question.numbers
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


# Capitalised words that start organisations, places and calendars rather than people's names.
_NOT_A_NAME = frozenset(
    """ministry ministries department council states nations union federation foreign security secretary state
    house group sea kingdom emirates arab republic office agency organisation organization commission committee
    conference assembly government administration army navy forces embassy airbase air base north south east west
    united russian american syrian ukrainian iranian british european western eastern islamic the a an in on at of
    for and to by with from as but this that these those it he she they we mr mrs ms dr""".split()
    + _MONTHS.split("|")
    + "monday tuesday wednesday thursday friday saturday sunday".split()
)
_NAME = re.compile(r"\b[A-Z][a-z’'-]+(?:\s+[A-Z][a-z’'-]+)+")
_POSSESSIVE = re.compile(r"[’']s?$")


def names_someone_new(question: str, text: str) -> list[str]:
    """Two or more capitalised words in a row that read as a person's name ("Rex Tillerson", "John Kirby") and
    that the question itself does not use: what answers "who…?" """
    asked = {_POSSESSIVE.sub("", w.lower()) for w in re.findall(r"[\w’'-]+", question)}
    names = []
    for match in _NAME.finditer(text):
        words = [_POSSESSIVE.sub("", w.lower()) for w in match.group().split()]
        people = [w for w in words if w not in _NOT_A_NAME]
        if len(people) >= 2 and people[-1] not in asked:  # a surname the question uses is its own name
            names.append(match.group())
    return names


# "May" only when capitalised: "may" is a verb far more often than a month in a question.
_MONTH_WORD = re.compile(
    r"\b(?:January|February|March|April|May|June|July|August|September|October|November|December)\b"
)
_DAY_RANGE = re.compile(
    rf"\b(?:({_MONTHS})\.?\s+(\d{{1,2}})(?:\s*[-–]\s*(\d{{1,2}}))?|(\d{{1,2}})(?:\s*[-–]\s*(\d{{1,2}}))?\s+({_MONTHS}))\b",
    re.IGNORECASE,
)


_DEADLINE = re.compile(r"\b(?:by|until|till|through)\s+$", re.IGNORECASE)


def event_years(question: str) -> list[str]:
    """Years the question places its fact in: "trade in 2015", not the "December 2015 article" it reads from,
    nor the target of a plan ("to make up 20% by 2025"), which articles of earlier years report."""
    return [
        m.group() for m in _YEAR.finditer(question)
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
    years = set(_YEAR.findall(text))
    if question.years and years and not question.years & years:
        return True
    published_years = _YEAR.findall(published or "")
    if question.years and published_years and min(published_years) < min(question.years):
        return True
    days = calendar_days(text)
    months = {month for month, _ in question.days}
    same_month = {d for d in days if d[0] in months}
    return bool(same_month) and not same_month & question.days


def names_a_day(text: str) -> bool:
    """A calendar date ("July 14-15", "15 October 2006"), which answers "when" better than "on Tuesday"."""
    return bool(_CALENDAR_DAY.search(text))


def reports_outcome(question: Question, text: str) -> bool:
    """A sentence that is no preview and names the outcome asked about ("agreed", "decision")."""
    return not PROSPECTIVE.search(text) and any(
        _same_root(o, t) for o in question.outcome for t in analyze(text)
    )


def _same_root(a: str, b: str) -> bool:
    """agree/agreement, decide/decision: stems that share their first four letters and most of the shorter."""
    common = len(os.path.commonprefix([a, b]))
    return common >= 4 and common >= 0.8 * min(len(a), len(b))


def question_entities(question: str) -> list[str]:
    """Names and numbers in the question; years are how people place an event ("the July 2016 visit"), and the
    first word is capitalised anyway."""
    words = question.split()
    body = " ".join(words[1:]) if words else ""
    entities = [m.group().strip(".,") for m in _ENTITY.finditer(body)]
    return [e for e in entities if e.lower() not in QUESTION_WORDS and not _YEAR.fullmatch(e)]


def rarest_entity(question: Question, index: LexicalIndex, at_least: float = 0.0) -> list[str]:
    """The stems of the question's rarest name ("Riyadh", "Damascus"), if its idf reaches at_least: what a
    sentence must be about to answer "when…?" or "how many…?" rather than give the date or count of another.
    Of a name in several words, only the last counts."""
    # In "Rupert Murdoch" or "Khan Shaykhun" the last word names; a first name is often left out of the text.
    heads = [e for e in question.entities if not re.search(rf"\b{re.escape(e)}\s+[A-Z]", question.text)]
    named = [(min(index.idf(s) for s in stems), stems) for e in heads if (stems := analyze(e))]
    idf, stems = max(named, default=(0.0, []))
    return stems if idf >= at_least else []


def missing_entities(question: Question, index: LexicalIndex) -> list[str]:
    """Names and numbers in the question that the corpus never uses, even as another form of the word."""
    return [e for e in question.entities if (stems := analyze(e)) and not all(index.knows(s) for s in stems)]


def words_unknown_to(question: str, index: LexicalIndex) -> list[str]:
    """Content words of the question that the corpus never uses, in any form: candidates for an off-topic ask."""
    return [
        w for w in dict.fromkeys(content_words(question))
        if w not in QUESTION_WORDS and w not in TEXT_WORDS
        and (stems := analyze(w)) and not any(index.knows(stem) for stem in stems)
    ]


def content_words(text: str) -> list[str]:
    """Lower-case words of three letters or more that are not stopwords, unstemmed (for embedding one by one)."""
    return [w for w in _WORD.findall(text.lower()) if w not in stopwords() and len(w) > 2]


def count_tokens(text: str) -> list[str]:
    """Numbers that can answer "how many": not years, not the day in "April 4"."""
    return [
        m.group() for m in _COUNT.finditer(text) if not _AFTER_MONTH.search(text[max(0, m.start() - 12) : m.start()])
    ]


# A question leans on the conversation before it when it opens with "and…", "what about…", points at something
# named earlier ("that strike", "those calls"), or uses a pronoun before it names anyone itself ("when did he…
# meet Lavrov?"; in "when did Kerry make his visit?" the pronoun points inside the question).
_OPENS_ON = re.compile(r"^\s*(?:and|also|so|but|then|what about|how about)\b", re.IGNORECASE)
_PRONOUN = re.compile(
    r"\b(?:he|she|they|him|her|hers|his|them|their|theirs|it|its|there|else|former|latter)\b", re.IGNORECASE
)
_NOT_A_NOUN = (
    r"the|a|an|he|she|it|they|we|you|i|his|her|its|their|there|this|these|those|is|was|were|would|will|could"
    r"|should|had|has|have|did|does|year|week|month|day|time|articles?|stories|story|reports?"
)
# "those calls"; and "that strike" only after a verb of thinking or a preposition, since "that" after a noun
# starts a relative clause ("the commission that Washington froze").
_DEMONSTRATIVE = re.compile(
    r"(?:\b(?:this|these|those)|\b(?:think|thought|about|of|after|before|on|in|at|from|with|for|by|to|is|was)\s+that)"
    rf"\s+(?!(?:{_NOT_A_NOUN})\b)[a-z]",
    re.IGNORECASE,
)
_EXISTENTIAL = re.compile(r"\b(?:is|are|was|were|be|been)\s+there\b", re.IGNORECASE)  # "were there more…"
_CAPITALISED = re.compile(r"\b[A-Z][\w’'–-]*")


def leans_on_context(question: str) -> bool:
    """True when a question needs the conversation before it to be understood: it opens on "and"/"what about",
    points back ("that strike"), uses a pronoun before naming anyone, or is too short to name a topic ("Why?").

    Without a model to rewrite follow-ups, only these take the previous exchange into retrieval: a question that
    stands alone after a change of topic must not be answered from the previous topic's articles.
    """
    if _OPENS_ON.search(question) or _DEMONSTRATIVE.search(question) or len(content_words(question)) < 2:
        return True
    pronoun = _PRONOUN.search(_EXISTENTIAL.sub("", question))
    if pronoun is None:
        return False
    names = [m.start() for m in _CAPITALISED.finditer(question) if m.start() > 0 and m.group().lower() != "i"]
    return not names or pronoun.start() < names[0]
