"""Where a local model's time goes on this machine: prompt reading (tokens/s), generation (tokens/s), and what
the prompt cache saves on a second question.

    python benchmarks/model_profile.py [qwen2.5-coder-0.5b qwen2.5-coder-1.5b]

Builds the real answer prompt (compact evidence over the seeds) for a few seed questions and times llama.cpp on it.
"""

from __future__ import annotations

import sys
import time

from qa.answering.asked import analyse
from qa.answering.evidence import compact_evidence
from qa.answering.generate import build_prompt
from qa.answering.rules import Evidence
from qa.config import Settings, configure_offline
from qa.index import lexical
from qa.index.embed import VectorCache, get_embedder
from qa.index.store import store_for
from qa.index.tokens import count_tokens
from qa.llm import Options
from qa.llm.models import resolve_model
from qa.retrieve import retrieve

QUESTIONS = [
    "On which dates was John Kerry's working visit to Moscow in July?",
    "Which Syrian airbase did the US strike before Tillerson's visit?",
    "How many times did Lavrov and Kerry talk on the phone in 2015?",
]


def main() -> None:
    configure_offline()
    import llama_cpp
    from llama_cpp.llama_cache import LlamaRAMCache

    settings = Settings()
    store = store_for(settings)
    index = lexical.load(store, settings.resolved_home(), settings.collection)
    embedder = get_embedder(settings.embed_model)
    vectors = VectorCache(embedder)
    prompts = []
    for q in QUESTIONS:
        found = retrieve(q, store=store, lexical_index=index, embedder=embedder, top_k=5, candidates=40)
        gathered = Evidence(q, analyse(q), found.passages, found.query_vector, vectors, index)
        evidence = compact_evidence(gathered)
        prompts.append((build_prompt(q, evidence, Options())[0], build_prompt(q, found.passages, Options())[0]))
    for name in sys.argv[1:] or ["qwen2.5-coder-0.5b", "qwen2.5-coder-1.5b"]:
        model = llama_cpp.Llama(model_path=str(resolve_model(name)), n_ctx=4096, verbose=False)
        model.set_cache(LlamaRAMCache(capacity_bytes=512 << 20))
        for label, index_ in (("evidence", 0), ("passages", 1)):
            for i, pair in enumerate(prompts):
                prompt = pair[index_]
                tokens = count_tokens(prompt.system + prompt.user)
                started = time.perf_counter()
                first = None
                n = 0
                for chunk in model.create_chat_completion(messages=prompt.messages(), max_tokens=48,
                                                          temperature=0.0, stream=True):
                    if chunk["choices"][0]["delta"].get("content"):
                        first = first or time.perf_counter()
                        n += 1
                done = time.perf_counter()
                first = first or done
                print(f"{name} {label} q{i + 1}: ~{tokens} prompt tokens, first token {first - started:.2f} s "
                      f"({tokens / (first - started):.0f} tok/s read), {n} tokens in {done - first:.2f} s", flush=True)


if __name__ == "__main__":
    main()
