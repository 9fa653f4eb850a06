"""Counting and cutting text in tiktoken's cl100k tokens: chunk sizes, prompt budgets and context budgets.

tiktoken directly (from the copy llama-index ships, since it cannot download here): llama_index.core is slow to
import and answering needs nothing else of it. Special-token strings in an article are read as plain text.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from qa.config import configure_offline


@cache
def _encoding() -> Any:
    configure_offline()
    import tiktoken

    return tiktoken.get_encoding("cl100k_base")


def encode(text: str) -> list[int]:
    """The token ids of text; what llama-index's splitters take as their tokenizer."""
    ids: list[int] = _encoding().encode(text, disallowed_special=())
    return ids


def count_tokens(text: str) -> int:
    """How many cl100k tokens text takes."""
    return len(encode(text))


def truncate_to_tokens(text: str, tokens: int) -> str:
    """text cut to at most `tokens` tokens, with " …" marking a cut."""
    ids = encode(text)
    return text if len(ids) <= tokens else _encoding().decode(ids[:tokens]) + " …"
