"""Settings for qa, read once from QA_* environment variables and an optional qa.toml.

Defaults work offline with no API key; only the edges (CLI, UI, answer()) read them.
"""

from __future__ import annotations

import importlib.util
import os
from functools import cache
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PACKAGE_DIR = Path(__file__).resolve().parent
_REPO_DIR = PACKAGE_DIR.parent


def bundled_dir(name: str) -> Path:
    """A top-level project folder (seeds, prompts): the checkout's in an editable install, else the wheel's copy."""
    in_checkout = _REPO_DIR / name
    if in_checkout.is_dir():
        return in_checkout
    return PACKAGE_DIR / "_bundled" / name


class Settings(BaseSettings):
    """Everything a user can configure. Environment variables win over qa.toml, which wins over defaults."""

    model_config = SettingsConfigDict(env_prefix="QA_", toml_file="qa.toml", extra="ignore")

    home: Path = Field(default=Path(".qa"), description="Folder holding the Chroma store and the lexical index.")
    chroma_url: str | None = Field(default=None, description="http://host:port of a Chroma server to use instead.")
    collection: str = Field(default="articles", description="Prefix of the Chroma collections.")
    embed_model: str = Field(default="minilm-int8", description="minilm-int8 (ONNX, default) or minilm (torch).")
    embed_batch: int = Field(default=32, ge=1)
    chunk_tokens: int = Field(default=128, ge=32, description="Chunk size in tiktoken (cl100k) tokens.")
    chunk_overlap: int = Field(default=24, ge=0)
    top_k: int = Field(default=5, ge=1, description="Passages handed to the answerer.")
    candidates: int = Field(default=40, ge=1, description="Candidates each retriever returns before fusion.")
    llm: str = Field(default="extractive", description="Answerer spec; 'extractive' needs no model.")
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds any one model call may take, in all.")
    llm_temperature: float = Field(default=0.0, ge=0, le=2)
    llm_max_tokens: int = Field(default=400, ge=16, description="Longest answer the model may write, in tokens.")
    llm_context_tokens: int = Field(default=4096, ge=512, description="The model's context window, in tokens.")
    model_dir: Path | None = Field(
        default=None, description="Where named local models are assembled; unset: ~/.cache/qa/models."
    )
    llm_evidence: Literal["sentences", "passages"] = Field(
        default="sentences", description="What a model reads: the best sentences (compact) or the whole passages."
    )
    llm_reader: Literal["rules", "either", "model"] = Field(
        default="rules",
        description="Who decides that the articles don't say, when a model answers: the extractive rules (a "
        "model's refusal falls back to the extractive answer), either of them, or the model (after the rules that "
        "need no reading: names the corpus never uses).",
    )
    llm_fallback: bool = Field(default=True, description="Answer extractively (with a note) when the model fails.")
    auto_seed: bool = Field(default=True, description="Index the bundled seed articles when the store is empty.")
    max_file_mb: float = Field(default=10.0, gt=0, description="Files larger than this are skipped at ingest.")
    fetch_timeout: float = Field(default=20.0, gt=0, description="Seconds a web page or feed may take to fetch.")
    fetch_max_redirects: int = Field(default=5, ge=0, description="Redirects followed per fetch, each one checked.")
    fetch_allow_private: bool = Field(
        default=False, description="Fetch from loopback, private and link-local addresses too (tests, intranets)."
    )
    near_duplicate: float = Field(default=0.8, gt=0, le=1, description="Shingle overlap that marks a near duplicate.")
    ui_auth: SecretStr | None = Field(default=None, description="user:password that `qa chat` asks for; unset: no login.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    def resolved_home(self) -> Path:
        return self.home.expanduser().resolve()


def get_settings(**overrides: Any) -> Settings:
    """Fresh settings, so a changed environment (tests, a UI switch) is seen; cheap enough to call per request."""
    return Settings(**overrides)


@cache
def configure_offline() -> None:
    """Point every library that would reach a hub or phone home at local files; called before heavy imports."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    # Found without importing llama_index.core, which takes seconds; answering never needs it.
    spec = importlib.util.find_spec("llama_index.core")
    locations = list(spec.submodule_search_locations or []) if spec else []
    if not locations:
        return
    static = Path(locations[0]) / "_static"
    os.environ.setdefault("TIKTOKEN_CACHE_DIR", str(static / "tiktoken_cache"))
    os.environ.setdefault("NLTK_DATA", str(static / "nltk_cache"))
