"""Whether a question leans on the conversation before it ("and when did he…?") or stands alone."""

from __future__ import annotations

import re

from qa.answering.words import content_words

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
