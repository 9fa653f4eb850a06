"""What every backend shares: the prompt, the call options, the LLM Protocol and the retryable error."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qa.errors import LLMError


@dataclass(frozen=True)
class Prompt:
    """A chat prompt: standing instructions (system) and this request (user). An empty system is not sent."""

    system: str
    user: str
    # A GBNF grammar the reply must follow, for backends that can hold a model to one (llama.cpp); the others
    # ignore it. It makes a small model end each sentence with a citation instead of answering "[1]".
    grammar: str | None = None

    def messages(self) -> list[dict[str, str]]:
        turns = [{"role": "system", "content": self.system}] if self.system else []
        return [*turns, {"role": "user", "content": self.user}]


@dataclass(frozen=True)
class Options:
    """How every backend is called (see options_from)."""

    timeout: float = 60.0
    temperature: float = 0.0
    max_tokens: int = 400
    context_tokens: int = 4096
    model_dir: Path | None = None  # where named local models are assembled (None: the user's cache)


class LLM(Protocol):
    """A chat model. Both methods raise LLMError on failure; neither needs to enforce the deadline (see bounded)."""

    spec: str
    where: str  # the server it talks to ("" in-process), for messages

    def complete(self, prompt: Prompt) -> str:
        """The whole reply at once."""
        ...

    def stream(self, prompt: Prompt) -> Iterator[str]:
        """The reply as text deltas, as the model writes them."""
        ...


class TransientLLMError(LLMError):
    """A failure worth one quick retry: the server refused the connection or answered 5xx/429."""
