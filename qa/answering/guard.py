"""Prompt-injection hygiene: article text is data, never instructions, and never a source of citation markers.

Articles can carry text written for a model ("ignore previous instructions", fake system prompts, chat-template
tokens, fake [n] markers). Answerers never obey it; these helpers keep it out of answers and prompts too.
"""

from __future__ import annotations

import re
import unicodedata

from qa.index.chunk import split_sentences

# Phrases that address a model rather than report news, in the forms seen in real injection attempts. A news
# sentence that *reports* such an attempt ("researchers showed that 'ignore previous instructions' works") is rare
# in an archive, and losing it from extractive answers costs less than quoting an injection as fact.
_ADDRESSES_A_MODEL = re.compile(
    r"""
    \b(?:ignore|disregard|forget|override)\b[^.!?\n]{0,40}\b(?:instructions?|rules|prompts?|directions)\b
    | \b(?:system|developer)\s*(?:prompt|mode|override)\b
    | ^\s*(?:system|assistant|user|developer)\s*:
    | \bnote\s+to\s+(?:the\s+)?(?:ai|model|assistant|llm|chatbot|bot)s?\b
    | \b(?:you\s+are\s+now\s+(?:in|a|an)|from\s+now\s+on,?\s+(?:answer|reply|respond))\b
    | \bnew\s+instructions?\b
    | \b(?:repeat|reveal|print|show)\s+(?:your|the)\s+(?:system\s+)?(?:prompt|instructions)\b
    | \b(?:answer|reply|respond)\s+(?:to\s+)?(?:every|all)\s+questions?\b
    | \byou\s+must\s+(?:answer|reply|say|respond|cite)\b
    | <\|[a-z_]+\|> | </?(?:passages?|system|instructions?)> | \[/?INST\]
    | "role"\s*:\s*"(?:system|assistant|developer)"
    | \bигнорируй\w*\b[^.!?\n]{0,40}\bинструкци
    """,
    re.IGNORECASE | re.VERBOSE | re.MULTILINE,
)
_CITATION_LIKE = re.compile(r"\s*\[\s*\d+(?:\s*[,;]\s*\d+)*\s*\]")
_INVISIBLE = {"Cf", "Co", "Cn"}


def visible_text(text: str) -> str:
    """text without zero-width and other invisible format characters, which can hide words from a reader."""
    return "".join(ch for ch in text if unicodedata.category(ch) not in _INVISIBLE)


def addresses_a_model(text: str) -> bool:
    """True when text reads as an instruction to an AI model rather than as news."""
    return bool(_ADDRESSES_A_MODEL.search(visible_text(text)))


def strip_citation_markers(text: str) -> str:
    """text without [n]-style markers, so a quoted article can't plant citations of its own in an answer."""
    while True:  # "[[1]2]" hides a second marker behind the first
        stripped = _CITATION_LIKE.sub("", text)
        if stripped == text:
            return text
        text = stripped


WITHHELD = "[text addressed to an AI model withheld]"


def defuse(text: str) -> str:
    """Article text made safe to quote to a model: sentences that address a model are replaced by a visible
    placeholder and fake citation markers are removed.

    The prompt already fences passages as data; this is the second layer, for models too small to respect fences.
    """
    parts: list[str] = []
    last = 0
    for start, end in split_sentences(text):
        if addresses_a_model(text[start:end]):
            parts.append(text[last:start])
            parts.append(WITHHELD)
            last = end
    parts.append(text[last:])
    return strip_citation_markers("".join(parts))
