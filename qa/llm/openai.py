"""openai:MODEL — the chat-completions API of OpenAI or any compatible server (vLLM, llama.cpp, LM Studio, Ollama's /v1).

OPENAI_BASE_URL picks the server and OPENAI_API_KEY the key; a local server needs no key.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

from qa.display import one_line
from qa.errors import LLMError
from qa.llm.base import Options, Prompt, TransientLLMError

_PLACEHOLDER_KEY = "no-key"  # the client insists on a key; servers on OPENAI_BASE_URL often want none


class OpenAIChat:
    """Chat completions through the official `openai` client, used directly.

    Not llama-index's OpenAI class: it rejects model names missing from OpenAI's own list before sending a
    request (so "openai:smollm2" on a local server fails), and importing llama_index.core adds seconds to every
    `qa ask`, which otherwise never needs it. Retries and the deadline are ours (qa.llm.bounded_stream), so the
    client's own retries are off.
    """

    def __init__(self, model: str, options: Options) -> None:
        import openai

        self.spec = f"openai:{model}"
        self._model = model
        self._options = options
        base_url = os.environ.get("OPENAI_BASE_URL", "").strip() or None
        key = os.environ.get("OPENAI_API_KEY", "").strip()
        if not key and base_url is None:
            raise LLMError(
                f"{self.spec} needs OPENAI_API_KEY, or OPENAI_BASE_URL pointing at an OpenAI-compatible server"
            )
        self._client = openai.OpenAI(
            api_key=key or _PLACEHOLDER_KEY, base_url=base_url, timeout=options.timeout, max_retries=0
        )
        self.where = str(self._client.base_url).rstrip("/")

    def complete(self, prompt: Prompt) -> str:
        try:
            reply = self._client.chat.completions.create(stream=False, **self._request(prompt))
            text = reply.choices[0].message.content
        except Exception as exc:  # noqa: BLE001 - a malformed reply fails in any way; each becomes an LLMError
            raise self._error(exc) from None
        if not isinstance(text, str):
            raise LLMError(f"{self.spec} at {self.where} sent a reply without text")
        return text

    def stream(self, prompt: Prompt) -> Iterator[str]:
        try:
            chunks = self._client.chat.completions.create(stream=True, **self._request(prompt))
            with chunks:
                for chunk in chunks:
                    if chunk.choices and chunk.choices[0].delta.content:
                        yield chunk.choices[0].delta.content
        except Exception as exc:  # noqa: BLE001 - as in complete()
            raise self._error(exc) from None

    def _request(self, prompt: Prompt) -> dict[str, Any]:
        return {
            "model": self._model,
            "messages": prompt.messages(),
            "temperature": self._options.temperature,
            "max_tokens": self._options.max_tokens,
        }

    def _error(self, exc: Exception) -> LLMError:
        import openai

        prefix = f"{self.spec} at {self.where}"
        if isinstance(exc, openai.APITimeoutError):
            return LLMError(f"{prefix} timed out")
        if isinstance(exc, openai.APIConnectionError):
            return TransientLLMError(f"{prefix} could not be reached ({one_line(str(exc.__cause__ or exc))})")
        if isinstance(exc, openai.APIStatusError):
            kind = TransientLLMError if exc.status_code >= 500 or exc.status_code == 429 else LLMError
            return kind(f"{prefix} answered HTTP {exc.status_code}: {one_line(_status_detail(exc))}")
        if isinstance(exc, LLMError):
            return exc
        return LLMError(f"{prefix} sent a reply qa could not read ({one_line(f'{type(exc).__name__}: {exc}')})")


def _status_detail(exc: Any) -> str:
    body = getattr(exc, "body", None)
    if isinstance(body, dict):
        message = body.get("message") or body.get("error") or body
        return str(message.get("message", message) if isinstance(message, dict) else message)
    return str(getattr(exc, "message", "") or exc)
