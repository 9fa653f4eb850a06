"""How qa's messages reach a user: on one line, shortened at a word, and with secrets masked.

The CLI, the chat page and the model backends all go through here, so an API key never shows in any of them.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

MAX_MESSAGE_CHARS = 240  # one terminal line and a bit: longer library messages are cut, never wrapped

# Environment variables whose values are secrets, and shapes of secrets wherever they come from.
_SECRET_ENV = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD|AUTH)$", re.IGNORECASE)
_SECRET_SHAPES = [
    re.compile(r"\b(?:sk|rk|pk)-[A-Za-z0-9_\-]{6,}"),  # OpenAI-style keys
    re.compile(r"\bhf_[A-Za-z0-9]{20,}"),
    re.compile(r"(?i)(bearer\s+)[A-Za-z0-9._\-]{8,}"),
    re.compile(r"(?i)((?:api[_-]?key|token|password|secret)\s*[=:]\s*)[^\s,;&'\"]{4,}"),
    re.compile(r"(?i)\b(?:api[_-]?)?key[-_][A-Za-z0-9*_\-]{6,}"),
]


def redact_secrets(text: str, environ: Mapping[str, str] | None = None) -> str:
    """text with API keys and passwords masked: values of *_KEY/*_TOKEN/... variables and key-shaped strings."""
    env = os.environ if environ is None else environ
    for name, value in env.items():
        if _SECRET_ENV.search(name) and len(value) >= 6:
            text = text.replace(value, "***")
    for pattern in _SECRET_SHAPES:
        text = pattern.sub(lambda m: (m.group(1) if m.re.groups else "") + "***", text)
    return text


def shorten(text: str, limit: int) -> str:
    """text on one line, cut at a word boundary with "…" when longer than limit characters."""
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rsplit(" ", 1)[0] + "…"


def one_line(message: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """A library's error message as qa shows it: secrets masked, on one line, at most limit characters."""
    message = " ".join(redact_secrets(message).split())
    return message if len(message) <= limit else message[: limit - 1] + "…"
