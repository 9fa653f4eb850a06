"""The names and numbers a question uses, and how the corpus knows them: the entities a sentence must be about,
the ones no article mentions, and people's names a "who" question is answered with.
"""

from __future__ import annotations

import re

from qa.answering.question import Question
from qa.answering.words import QUESTION_WORDS, TEXT_WORDS, content_words
from qa.index.dates import MONTH_NAMES, WEEKDAYS, YEAR
from qa.index.lexical import LexicalIndex, analyze

_ENTITY = re.compile(r"\b(?:[A-Z][\w'’.-]*[\w]|\d[\d,.]*\d|\d)")
# Capitalised words that start organisations, places and calendars rather than people's names.
_NOT_A_NAME = frozenset(
    """ministry ministries department council states nations union federation foreign security secretary state
    house group sea kingdom emirates arab republic office agency organisation organization commission committee
    conference assembly government administration army navy forces embassy airbase air base north south east west
    united russian american syrian ukrainian iranian british european western eastern islamic the a an in on at of
    for and to by with from as but this that these those it he she they we mr mrs ms dr""".split()
    + MONTH_NAMES.split("|")
    + WEEKDAYS
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



def question_entities(question: str) -> list[str]:
    """Names and numbers in the question; years are how people place an event ("the July 2016 visit"), and the
    first word is capitalised anyway."""
    words = question.split()
    body = " ".join(words[1:]) if words else ""
    entities = [m.group().strip(".,") for m in _ENTITY.finditer(body)]
    return [e for e in entities if e.lower() not in QUESTION_WORDS and not YEAR.fullmatch(e)]


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
