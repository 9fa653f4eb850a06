"""ollama:MODEL — Ollama's native chat API at OLLAMA_HOST (default http://127.0.0.1:11434).

The native API (not its /v1 compatibility layer, which openai: covers) lets qa set the context window per call.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from qa.display import one_line
from qa.errors import LLMError
from qa.llm.base import Options, Prompt, TransientLLMError

DEFAULT_HOST = "http://127.0.0.1:11434"


class OllamaChat:
    """/api/chat through the official `ollama` client, used directly.

    Not llama-index's Ollama class: it wraps this same client, and importing llama_index.core adds seconds to
    every `qa ask`. Retries and the deadline are ours (qa.llm.bounded_stream).
    """

    def __init__(self, model: str, options: Options) -> None:
        import ollama

        self.spec = f"ollama:{model}"
        self._model = model
        self._options = options
        self.where = os.environ.get("OLLAMA_HOST", "").strip() or DEFAULT_HOST
        self._client = ollama.Client(host=self.where, timeout=options.timeout)

    def complete(self, prompt: Prompt) -> str:
        try:
            reply = self._client.chat(model=self._model, messages=prompt.messages(), stream=False,
                                      options=self._model_options())
            text = reply.message.content if reply.message else None
        except Exception as exc:  # noqa: BLE001 - a malformed reply fails in any way; each becomes an LLMError
            raise self._error(exc) from None
        if not isinstance(text, str):
            raise LLMError(f"{self.spec} at {self.where} sent a reply without text")
        return text

    def stream(self, prompt: Prompt) -> Iterator[str]:
        try:
            parts = self._client.chat(model=self._model, messages=prompt.messages(), stream=True,
                                      options=self._model_options())
            for part in parts:
                if part.message and part.message.content:
                    yield part.message.content
        except Exception as exc:  # noqa: BLE001 - as in complete()
            raise self._error(exc) from None

    def _model_options(self) -> dict[str, Any]:
        return {
            "temperature": self._options.temperature,
            "num_predict": self._options.max_tokens,
            "num_ctx": self._options.context_tokens,
        }

    def _error(self, exc: Exception) -> LLMError:
        import httpx
        import ollama

        prefix = f"{self.spec} at {self.where}"
        if isinstance(exc, httpx.TimeoutException):
            return LLMError(f"{prefix} timed out")
        if isinstance(exc, (ConnectionError, httpx.TransportError)):
            return TransientLLMError(f"{prefix} could not be reached ({type(exc).__name__})")
        if isinstance(exc, ollama.ResponseError):
            if exc.status_code == -1:  # an error reported inside a streamed reply
                return LLMError(f"{prefix} failed: {one_line(str(exc.error))}")
            kind = TransientLLMError if exc.status_code >= 500 or exc.status_code == 429 else LLMError
            hint = f" (is the model pulled? `ollama pull {self._model}`)" if exc.status_code == 404 else ""
            return kind(f"{prefix} answered HTTP {exc.status_code}: {one_line(str(exc.error))}{hint}")
        if isinstance(exc, LLMError):
            return exc
        return LLMError(f"{prefix} sent a reply qa could not read ({one_line(f'{type(exc).__name__}: {exc}')})")
