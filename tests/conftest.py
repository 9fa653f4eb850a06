"""Fixtures shared by the whole suite.

Every test runs with the QA_* environment scrubbed, QA_HOME pointing into a temporary folder, QA_AUTO_SEED off
and the working directory set to a temporary folder (so no qa.toml or ./.qa of the user's is ever read or written).
One real index of the five seed articles is built per session and shared by every test that only reads it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import pytest
from support import SEED_NAMES, SEEDS_DIR, EmbedCounter, write_article

from qa.config import Settings
from qa.index.ingest import ingest
from qa.index.store import Store, store_for


@pytest.fixture(scope="session", autouse=True)
def _isolated_environment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    cwd = tmp_path_factory.mktemp("cwd")
    with pytest.MonkeyPatch.context() as mp:
        for name in list(os.environ):
            if name.startswith("QA_"):
                mp.delenv(name)
        mp.setenv("QA_HOME", str(tmp_path_factory.mktemp("default-home") / "home"))
        mp.setenv("QA_AUTO_SEED", "false")
        mp.chdir(cwd)
        yield


@pytest.fixture(scope="session")
def seed_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of the one shared index holding the five seed articles; tests must not change that index."""
    home = tmp_path_factory.mktemp("seed-index") / "home"
    settings = Settings(home=home, auto_seed=False)
    report = ingest([SEEDS_DIR], settings=settings)
    statuses = {Path(r.path).name: r.status for r in report.results}
    assert statuses == {name: "added" for name in SEED_NAMES}, report
    return settings


@pytest.fixture(scope="session")
def seed_store(seed_settings: Settings) -> Store:
    return store_for(seed_settings)


@pytest.fixture
def fresh_settings(tmp_path: Path) -> Settings:
    """Settings for an empty index of this test's own."""
    return Settings(home=tmp_path / "home", auto_seed=False)


@pytest.fixture
def docs(tmp_path: Path) -> Path:
    folder = tmp_path / "docs"
    folder.mkdir()
    return folder


@pytest.fixture
def make_article(docs: Path) -> Callable[..., Path]:
    """make_article(name, text, encoding="utf-8", folder=docs) writes an article file and returns its path."""

    def make(name: str, text: str | bytes, encoding: str = "utf-8", folder: Path | None = None) -> Path:
        return write_article(folder or docs, name, text, encoding)

    return make


@pytest.fixture
def embed_counter(monkeypatch: pytest.MonkeyPatch) -> EmbedCounter:
    """Wrap the shared embedding model so a test can see whether (and how much) it was used."""
    from qa.index.embed import get_embedder

    settings = Settings()
    embedder = get_embedder(settings.embed_model, settings.embed_batch)
    real = embedder.embed
    counter = EmbedCounter()

    def counting(texts: list[str]) -> np.ndarray:
        counter.calls += 1
        counter.texts += len(texts)
        return real(texts)

    monkeypatch.setattr(embedder, "embed", counting)
    return counter
