"""kill -9 in the middle of a real `qa ingest`, at several points: the same command again must end with exactly
the articles, chunks and BM25 postings of an uninterrupted ingest — no duplicates, no half-indexed article.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from support import write_distinct_articles

pytestmark = pytest.mark.slow

_SNAPSHOT = """
import json, sys
from pathlib import Path
from qa.config import Settings
from qa.index.store import store_for
from qa.index import lexical
settings = Settings(home=Path(sys.argv[1]), auto_seed=False)
store = store_for(settings)
index = lexical.load(store, settings.resolved_home(), settings.collection)
print(json.dumps({
    "articles": sorted(i for i, _ in store.iter_articles()),
    "chunks": sorted(i for i, _, _ in store.iter_chunks()),
    "lexical": sorted(index.chunk_ids),
}))
"""


def _snapshot(home: Path) -> dict[str, list[str]]:
    out = subprocess.run(
        [sys.executable, "-c", _SNAPSHOT, str(home)], capture_output=True, text=True, timeout=300, check=True
    )
    return json.loads(out.stdout)  # type: ignore[no-any-return]


def _ingest(folder: Path, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", "ingest", str(folder)],
        env={**os.environ, "QA_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, list[str]]]:
    """Twenty-four articles and the index an uninterrupted ingest builds from them."""
    root = tmp_path_factory.mktemp("crash")
    folder = root / "articles"
    write_distinct_articles(folder, 24)
    clean = root / "clean"
    assert _ingest(folder, clean).returncode == 0
    expected = _snapshot(clean)
    assert len(expected["articles"]) == 24 and expected["lexical"] == expected["chunks"]
    return folder, expected


@pytest.mark.parametrize("after_lines", [0, 1, 6, 20, 25])
def test_kill_9_then_the_same_ingest_gives_the_uninterrupted_index(
    corpus: tuple[Path, dict[str, list[str]]], tmp_path: Path, after_lines: int
) -> None:
    """after_lines: per-file result lines seen before the kill; 0 kills during start-up, 25 during the final
    index update after the last file (the 24 results plus the summary line's first write)."""
    folder, expected = corpus
    home = tmp_path / "home"
    process = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "ingest", str(folder)],
        env={**os.environ, "QA_HOME": str(home)},
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert process.stderr is not None
    seen = 0
    if after_lines == 0:
        time.sleep(3)
    else:
        for line in process.stderr:
            seen += any(word in line for word in ("added", "unchanged", "indexed", "Indexed"))
            if seen >= min(after_lines, 24):
                break
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=60)

    again = _ingest(folder, home)
    assert again.returncode == 0, again.stderr
    assert "Traceback" not in again.stderr
    assert _snapshot(home) == expected
