"""llamacpp:PATH.gguf, llamacpp:NAME or llamacpp:hf:REPO/FILE.gguf — a GGUF model run in this process by
llama-cpp-python (the `local` extra); names and hub files are resolved by qa/llm/models.py.

The model is loaded once per process and path; one generation at a time uses it. Its KV state is cached by
prompt prefix, so the fixed system prompt is read once, not once per question.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from functools import cache
from typing import Any

from qa.display import one_line
from qa.errors import LLMError
from qa.llm.base import Options, Prompt
from qa.llm.models import resolve_model

# llama.cpp's own default; llama-cpp-python's chat default (1.0) lets small models loop on a phrase at temperature 0.
_REPEAT_PENALTY = 1.1
_CACHE_BYTES = 512 << 20  # KV states of recent prompts; a 4k-token state of the 1.5B is about 100 MB


class LlamaCppChat:
    """Chat completion with the chat template the GGUF file carries, through llama_cpp.Llama directly.

    Not llama-index's LlamaCPP class: it formats chat turns with a Llama-2 prompt template unless given
    formatting functions for each model, where create_chat_completion uses the template stored in the model
    file; and importing llama_index.core adds seconds to every `qa ask`.
    """

    def __init__(self, target: str, options: Options) -> None:
        self.spec = f"llamacpp:{target}"
        self.where = ""
        self._options = options
        model_path = resolve_model(target, options.model_dir)
        self._model, self._lock = _load(str(model_path), options.context_tokens)

    def complete(self, prompt: Prompt) -> str:
        return "".join(self.stream(prompt))

    def stream(self, prompt: Prompt) -> Iterator[str]:
        # Llama is not thread-safe; a generation abandoned at the deadline releases it at its next token.
        if not self._lock.acquire(timeout=self._options.timeout):
            raise LLMError(f"{self.spec} is still busy with an earlier question")
        try:
            chunks: Any = self._model.create_chat_completion(
                messages=prompt.messages(),
                temperature=self._options.temperature,
                max_tokens=self._options.max_tokens,
                repeat_penalty=_REPEAT_PENALTY,
                stream=True,
                grammar=_grammar(prompt.grammar) if prompt.grammar else None,
            )
            for chunk in chunks:
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    yield delta
        except (ValueError, RuntimeError) as exc:  # e.g. a prompt longer than the context window
            raise LLMError(f"{self.spec} failed: {one_line(str(exc))}") from None
        finally:
            self._lock.release()


@cache
def _grammar(text: str) -> Any:
    from llama_cpp.llama_grammar import LlamaGrammar

    return LlamaGrammar.from_string(text, verbose=False)


@cache
def _load(path: str, context_tokens: int) -> tuple[Any, threading.Lock]:
    try:
        import llama_cpp
        from llama_cpp.llama_cache import LlamaRAMCache
    except ImportError:
        raise LLMError(
            "llamacpp: needs llama-cpp-python, an optional extra: pip install -e \".[local]\" (compiles for minutes)"
        ) from None
    try:
        model = llama_cpp.Llama(model_path=path, n_ctx=context_tokens, verbose=False)
    except (ValueError, RuntimeError, OSError) as exc:
        raise LLMError(f"llamacpp:{path} could not be loaded: {one_line(str(exc))}") from None
    # Llama keeps the KV state of its last prompt and reuses the longest common prefix; the RAM cache keeps
    # the states of earlier prompts too, so the shared system prompt is not read again after another request
    # (a follow-up rewrite, a reader check) came in between.
    model.set_cache(LlamaRAMCache(capacity_bytes=_CACHE_BYTES))
    return model, threading.Lock()
