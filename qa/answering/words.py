"""The question's vocabulary: its question words, words about the articles rather than the news, content words."""

from __future__ import annotations

import re

from qa.index.lexical import stopwords

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



def content_words(text: str) -> list[str]:
    """Lower-case words of three letters or more that are not stopwords, unstemmed (for embedding one by one)."""
    return [w for w in _WORD.findall(text.lower()) if w not in stopwords() and len(w) > 2]
