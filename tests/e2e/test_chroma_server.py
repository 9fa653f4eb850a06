"""End to end against a real `chroma run` server: the same answers as the embedded store.

Slow (starts a server and indexes the five seeds again); deselect with -m "not slow".
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from support import SEED_001, SEED_NAMES, SEEDS_DIR, free_port
from typer.testing import CliRunner

from qa.answer import answer
from qa.cli import app
from qa.config import Settings
from qa.index.ingest import ingest

pytestmark = pytest.mark.slow

KERRY_JULY = "On which dates was John Kerry's working visit to Moscow in July?"
STARTUP_TIMEOUT_S = 60


def _chroma_executable() -> str | None:
    beside_python = Path(sys.executable).parent / "chroma"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("chroma")


def _heartbeat(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2) as response:
            return response.status == 200 and "heartbeat" in response.read().decode()
    except OSError:
        return False


@pytest.fixture(scope="module")
def chroma_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    executable = _chroma_executable()
    if executable is None:
        pytest.fail("the chroma CLI is missing: it is installed with chromadb (pip install -e '.[test]')")
    data = tmp_path_factory.mktemp("chroma-server")
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = (data / "server.log").open("wb")
    server = subprocess.Popen(
        [executable, "run", "--path", str(data / "db"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # its own process group, so the finalizer stops exactly what was started
        env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while not _heartbeat(url):
            if server.poll() is not None:
                pytest.fail(f"chroma run exited with {server.returncode}: {(data / 'server.log').read_text()[-2000:]}")
            if time.monotonic() > deadline:
                pytest.fail(f"chroma run did not answer a heartbeat within {STARTUP_TIMEOUT_S}s")
            time.sleep(0.2)
        yield url
    finally:
        if server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        log.close()


@pytest.fixture(scope="module")
def server_settings(chroma_url: str, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    settings = Settings(home=tmp_path_factory.mktemp("server-home"), chroma_url=chroma_url, auto_seed=False)
    report = ingest([SEEDS_DIR], settings=settings)
    assert {Path(r.path).name: r.status for r in report.results} == {name: "added" for name in SEED_NAMES}
    return settings


def test_server_store_indexes_the_same_chunks(server_settings: Settings, seed_settings: Settings) -> None:
    from qa.index.store import store_for

    server, embedded = store_for(server_settings), store_for(seed_settings)
    assert server.location == server_settings.chroma_url
    assert (server.count_articles(), server.count_chunks()) == (embedded.count_articles(), embedded.count_chunks())
    assert sorted(cid for cid, _, _ in server.iter_chunks()) == sorted(cid for cid, _, _ in embedded.iter_chunks())
    # Nothing was written to an embedded store under the server run's QA_HOME; only the lexical index lives there.
    assert not (server_settings.resolved_home() / "chroma").exists()
    assert (server_settings.resolved_home() / "lexical" / "articles" / "meta.json").is_file()


def test_reingest_against_the_server_is_idempotent(server_settings: Settings) -> None:
    report = ingest([SEEDS_DIR], settings=server_settings)
    assert {r.status for r in report.results} == {"unchanged"}


def test_same_answer_as_embedded_mode(server_settings: Settings, seed_settings: Settings) -> None:
    remote = answer(KERRY_JULY, settings=server_settings)
    local = answer(KERRY_JULY, settings=seed_settings)
    assert not remote.abstained
    assert "July 14-15" in remote.text
    assert remote.citations[0].source == SEED_001
    assert remote.text == local.text
    assert len(remote.citations) == len(local.citations)
    for got, want in zip(remote.citations, local.citations, strict=True):
        assert got.model_dump(exclude={"score"}) == want.model_dump(exclude={"score"})
        assert got.score == pytest.approx(want.score, abs=1e-3)
    assert [p.chunk_id for p in remote.passages] == [p.chunk_id for p in local.passages]


def test_status_shows_the_server_url(server_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_HOME", str(server_settings.home))
    monkeypatch.setenv("QA_CHROMA_URL", str(server_settings.chroma_url))
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["store"] == server_settings.chroma_url
    assert info["documents"] == 5 and info["chunks"] > 5


def test_unreachable_server_is_a_store_error(tmp_path: Path) -> None:
    from qa.errors import StoreError

    settings = Settings(home=tmp_path / "home", chroma_url=f"http://127.0.0.1:{free_port()}", auto_seed=False)
    with pytest.raises(StoreError, match="cannot open the Chroma store"):
        answer(KERRY_JULY, settings=settings)
