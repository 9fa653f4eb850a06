"""Prompt and message templates, kept as text files in prompts/ and loaded by name at run time.

Wording changes are edits to prompts/*.txt, never to code.
"""

from __future__ import annotations

from functools import cache

from qa.config import bundled_dir


@cache
def load_prompt(name: str) -> str:
    """The template prompts/{name}.txt, without its trailing newline."""
    return (bundled_dir("prompts") / f"{name}.txt").read_text(encoding="utf-8").rstrip("\n")


def render(name: str, **values: str) -> str:
    return load_prompt(name).format(**values)
