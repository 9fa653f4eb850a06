"""Language models behind one small Protocol, picked by a spec string: openai:MODEL, ollama:MODEL, llamacpp:PATH.

Every call runs under a hard deadline (QA_LLM_TIMEOUT) whatever the client library does, and every failure
becomes an LLMError whose message says which model failed and why, with API keys redacted.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Callable, Iterator

from tenacity import Retrying, retry_if_exception, stop_after_attempt, stop_after_delay, wait_fixed

from qa.config import Settings
from qa.display import one_line
from qa.errors import LLMError
from qa.llm.base import LLM, Options, Prompt, TransientLLMError

KINDS = ("openai", "ollama", "llamacpp")
SPEC_HELP = (
    "use extractive, openai:MODEL, ollama:MODEL, llamacpp:qwen2.5-coder-0.5b (or -1.5b), llamacpp:PATH.gguf or "
    "llamacpp:hf:REPO/FILE.gguf (QA_LLM or --llm)"
)
_RETRY_WAIT = 0.3  # seconds between the two attempts at a transient failure (connection refused, HTTP 5xx)

__all__ = [
    "LLM", "Options", "Prompt", "TransientLLMError", "as_llm_error", "bounded_complete", "bounded_stream", "describe",
    "get_llm", "options_from", "parse_spec",
]


def parse_spec(spec: str) -> tuple[str, str]:
    """("openai", "gpt-4o-mini") from "openai:gpt-4o-mini"; LLMError for anything that names no backend."""
    kind, sep, target = spec.strip().partition(":")
    kind = kind.strip().lower()
    if not sep or kind not in KINDS or not target.strip():
        raise LLMError(f"unknown answerer {spec!r}: {SPEC_HELP}")
    return kind, target.strip()


def get_llm(spec: str, options: Options) -> LLM:
    """The backend for spec. Raises LLMError at once when it cannot work at all (unknown kind, no API key, no
    model file, llama-cpp-python not installed); failures at call time come later, from complete() or stream()."""
    kind, target = parse_spec(spec)
    if kind == "openai":
        from qa.llm.openai import OpenAIChat

        return OpenAIChat(target, options)
    if kind == "ollama":
        from qa.llm.ollama import OllamaChat

        return OllamaChat(target, options)
    from qa.llm.llamacpp import LlamaCppChat

    return LlamaCppChat(target, options)


def bounded_stream(llm: LLM, prompt: Prompt, timeout: float) -> Iterator[str]:
    """llm.stream(prompt), but the whole call ends within timeout seconds, however the server behaves.

    The backend runs in a worker thread and the caller waits on a queue with the time left, so a server that
    stalls or trickles tokens cannot hold the caller past the deadline. A connection refused or an HTTP 5xx
    before the first token is retried once while time remains. Raises LLMError; closing the iterator early
    stops the worker at its next token.
    """
    return _bounded(lambda: llm.stream(prompt), describe(llm), timeout)


def bounded_complete(llm: LLM, prompt: Prompt, timeout: float) -> str:
    """llm.complete(prompt) under the same deadline and retry rules as bounded_stream."""
    return "".join(_bounded(lambda: iter([llm.complete(prompt)]), describe(llm), timeout))


def describe(llm: LLM) -> str:
    """The model as messages name it: "openai:m at http://127.0.0.1:8000/v1"."""
    return f"{llm.spec} at {llm.where}" if llm.where else llm.spec


def _bounded(start: Callable[[], Iterator[str]], spec: str, timeout: float) -> Iterator[str]:
    deadline = time.monotonic() + timeout
    inbox: queue.Queue[tuple[str, object]] = queue.Queue()
    stop = threading.Event()

    def work() -> None:
        try:
            for delta in _opened(start, stop, timeout):
                if stop.is_set():
                    break
                inbox.put(("delta", delta))
            inbox.put(("end", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller, whatever it is
            inbox.put(("error", exc))

    threading.Thread(target=work, name=f"qa-llm {spec}", daemon=True).start()
    try:
        while True:
            remaining = deadline - time.monotonic()
            try:
                if remaining <= 0:
                    raise queue.Empty
                kind, value = inbox.get(timeout=remaining)
            except queue.Empty:
                raise LLMError(f"{spec} did not finish within {timeout:g} s (QA_LLM_TIMEOUT)") from None
            if kind == "delta":
                yield str(value)
            elif kind == "end":
                return
            else:
                raise as_llm_error(value, spec)
    finally:
        stop.set()


def _opened(start: Callable[[], Iterator[str]], stop: threading.Event, timeout: float) -> Iterator[str]:
    """start()'s deltas, with its opening (up to the first delta) retried once after a transient failure."""
    first: list[str] = []
    stream: Iterator[str] = iter(())
    for attempt in Retrying(
        retry=retry_if_exception(lambda exc: isinstance(exc, TransientLLMError) and not stop.is_set()),
        stop=stop_after_attempt(2) | stop_after_delay(timeout / 2),
        wait=wait_fixed(_RETRY_WAIT),
        reraise=True,
    ):
        with attempt:
            stream = start()
            first = [delta for delta in [next(stream, None)] if delta is not None]
    try:
        yield from first
        for delta in stream:
            if stop.is_set():
                break
            yield delta
    finally:
        close = getattr(stream, "close", None)
        if callable(close):
            close()


def as_llm_error(exc: object, spec: str) -> LLMError:
    """exc as an LLMError naming the model; anything unexpected from a client means a reply it could not read."""
    if isinstance(exc, LLMError):
        return exc
    detail = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return LLMError(f"{spec} sent a reply qa could not read ({one_line(detail)})")


def options_from(settings: Settings) -> Options:
    """The call options a Settings asks for (QA_LLM_TIMEOUT, QA_LLM_TEMPERATURE, QA_LLM_MAX_TOKENS, ...)."""
    return Options(
        timeout=settings.llm_timeout,
        temperature=settings.llm_temperature,
        max_tokens=settings.llm_max_tokens,
        context_tokens=settings.llm_context_tokens,
        model_dir=settings.model_dir,
    )
