"""Shared constants and small helpers for the test suite (imported by conftest.py and test modules)."""

from __future__ import annotations

import random
import re
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from qa.index.store import Store
from qa.types import Answer

ROOT = Path(__file__).resolve().parents[1]
SEEDS_DIR = ROOT / "seeds"
EVALS_DIR = ROOT / "evals"

SEED_000 = "000_01f1bfafd69e353d.txt"  # Sochi talks, Rossiyskaya Gazeta, duplicated second paragraph
SEED_001 = "001_c0f27d665046d203.txt"  # Kerry July 14-15, TASS dateline, photo caption + credit
SEED_002 = "002_6624380a7a1481d5.txt"  # Tillerson April, Shayrat airbase, AP photo credit
SEED_003 = "003_6a155f875c863dc1.txt"  # Kerry/Lavrov negotiations, repeated title, view counter
SEED_004 = "004_6a792777fe64eb82.txt"  # Lavrov/Kerry December 15, "See also" links
SEED_NAMES = [SEED_000, SEED_001, SEED_002, SEED_003, SEED_004]

# Small, unrelated articles (one chunk each) for tests that need their own index: embedding them is cheap.
ARTICLE_PARKS = (
    "Springfield council approves new parks budget\n\n"
    "SPRINGFIELD, March 3. The city council of Springfield voted on Tuesday to approve a budget of 4.2 million "
    "dollars for parks and public libraries in the coming year, the mayor's office said.\n\n"
    "The plan adds two new playgrounds near the river and extends library opening hours on weekends. "
    "Council member Laura Jenkins said the vote followed three months of public hearings with residents.\n\n"
    "Construction of the playgrounds is expected to start in May and finish before the end of the summer."
)
ARTICLE_COMET = (
    "Astronomers in Chile discover a bright comet\n\n"
    "A team of astronomers at an observatory in northern Chile announced the discovery of a comet that will "
    "pass close to Earth next spring and may be visible to the naked eye.\n\n"
    "The comet, named after the lead researcher Elena Vargas, was first spotted in telescope images taken "
    "in January. Its orbit brings it near the Sun only once every six thousand years.\n\n"
    "Amateur observers in the southern hemisphere should have the best view in the weeks after it rounds the Sun."
)
ARTICLE_TRAINS = (
    "Night trains return between Vienna and Paris\n\n"
    "The Austrian railway company restarted its overnight service between Vienna and Paris on Sunday after a "
    "break of several years, offering sleeping cars and couchettes three times a week.\n\n"
    "Tickets sold out within days of going on sale, the company said, and a daily service is planned for next "
    "year if demand stays high. The journey takes about fourteen hours with stops in Munich and Strasbourg."
)


def write_article(folder: Path, name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
    """Write an article file (text in the given encoding, or raw bytes) and return its path."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_bytes(text.encode(encoding))
    return path


def seed_text(name: str) -> str:
    return (SEEDS_DIR / name).read_text(encoding="utf-8")


def normalise_space(text: str) -> str:
    """Collapse every run of whitespace (including no-break spaces) to one space."""
    return " ".join(text.split())


def word_shingles(text: str, n: int = 3) -> set[str]:
    words = re.findall(r"\w+", text.casefold())
    return {" ".join(words[i : i + n]) for i in range(max(len(words) - n + 1, 1))}


def overlap(a: set[str], b: set[str]) -> float:
    return len(a & b) / max(min(len(a), len(b)), 1)


class EmbedCounter:
    """How often, and on how many texts, the embedding model was called (see the embed_counter fixture)."""

    def __init__(self) -> None:
        self.calls = 0
        self.texts = 0


_WORDS = (
    "minister embassy talks treaty sanctions visit council summit ceasefire delegation border trade envoy "
    "parliament election reform budget harbour pipeline railway festival museum harvest drought flood bridge "
    "satellite vaccine hospital university factory stadium orchestra archive courthouse"
).split()


def write_distinct_articles(folder: Path, count: int) -> None:
    """Distinct made-up articles, two chunks or so each, so no two are duplicates of one another."""
    rng = random.Random(7)
    folder.mkdir()
    for i in range(count):
        sentences = [
            f"Report {i}: the {' '.join(rng.sample(_WORDS, 6))} was discussed on day {rng.randint(1, 28)}."
            for _ in range(12)
        ]
        (folder / f"article_{i:02d}.txt").write_text(f"Headline number {i}\n\n" + "\n\n".join(sentences))


def article_text(store: Store, article_id: str) -> str:
    record = store.article_by_id(article_id, with_text=True)
    assert record is not None
    return str(record["text"])


def assert_citations_valid(result: Answer, store: Store) -> None:
    """Whatever the answerer wrote: every marker left names a shown citation, every citation a retrieved passage,
    and every quote is the exact span of its article inside that passage; a sentence is never shown citing a
    source that was not found, and an answer citing nothing says so."""
    markers = {int(n) for n in re.findall(r"\[(\d+)\]", result.text)}
    assert markers == {c.n for c in result.citations}, (result.text, result.citations)
    for citation in result.citations:
        assert 1 <= citation.n <= len(result.passages)
        passage = result.passages[citation.n - 1]
        assert (citation.article_id, citation.source) == (passage.article_id, passage.source)
        assert passage.start <= citation.start < citation.end <= passage.end
        assert article_text(store, citation.article_id)[citation.start : citation.end] == citation.quote
    if result.abstained:
        assert result.citations == []
    elif not result.citations:
        assert any("cites none" in w for w in result.warnings), result.warnings


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now, for a server a test starts."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def stop_process(process: subprocess.Popen[bytes], timeout: float = 15) -> None:
    """Stop a server a test started: politely, then by force if it does not exit within timeout seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


LLAMA_SERVER_START_SECONDS = 180


@contextmanager
def llama_cpp_server(model: Path, alias: str, log_dir: Path) -> Iterator[str]:
    """python -m llama_cpp.server with model (named alias) on a free loopback port; yields its OpenAI base URL and
    stops it on exit."""
    port = free_port()
    log_path = log_dir / "server.log"
    command = [
        sys.executable, "-m", "llama_cpp.server", "--model", str(model), "--model_alias", alias,
        "--host", "127.0.0.1", "--port", str(port), "--n_ctx", "4096",
    ]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + LLAMA_SERVER_START_SECONDS
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
                pytest.fail(f"llama_cpp.server did not start in {LLAMA_SERVER_START_SECONDS} s:\n{log_path.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url
    finally:
        stop_process(process, timeout=10)
