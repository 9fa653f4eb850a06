"""Plot `qa bench` results against corpus size: latency (retrieve p50/p95, answer p50, llama-index retrieve p50)
and ingest rate (ours and llama-index's), from the JSON files in benchmarks/results/.

Run: python benchmarks/plot.py [RESULTS_DIR]  (needs the bench extra: pip install -e ".[bench]").
Writes benchmarks/latency_vs_size.png and benchmarks/ingest_vs_size.png.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # after choosing the backend

HERE = Path(__file__).resolve().parent


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "results"
    runs = sorted((json.loads(p.read_text()) for p in folder.glob("*.json")), key=lambda r: r["n_chunks"])
    if not runs:
        raise SystemExit(f"no results in {folder}")
    sizes = [r["n_chunks"] for r in runs]
    labels = [f"{r['corpus']}\n{'model vectors' if r['vectors'] == 'model' else 'cached vectors'}" for r in runs]

    fig, ax = plt.subplots(figsize=(8, 5))
    for key, label, style in [
        ("retrieve_p50_ms", "qa retrieve p50 (hybrid)", "o-"),
        ("retrieve_p95_ms", "qa retrieve p95", "o--"),
        ("answer_p50_ms", "qa answer() p50 (warm)", "s-"),
        ("peer_retrieve_p50_ms", "llama-index retrieve p50 (dense only)", "^-"),
    ]:
        points = [(r["n_chunks"], r[key]) for r in runs if r.get(key) is not None]
        if points:
            ax.plot(*zip(*points, strict=True), style, label=label)
    ax.axhline(20, color="grey", lw=0.8, ls=":")
    ax.axhline(100, color="grey", lw=0.8, ls=":")
    _axes(ax, sizes, labels, "milliseconds", "Query latency against corpus size (2 cores)")
    fig.savefig(HERE / "latency_vs_size.png", dpi=120, bbox_inches="tight")

    fig, ax = plt.subplots(figsize=(8, 5))
    ours = [(r["n_chunks"], r["ingest_chunks_per_s"]) for r in runs]
    ax.plot(*zip(*ours, strict=True), "o-", label="qa ingest")
    peer = [(r["n_chunks"], r["peer_n_chunks"] / r["peer_ingest_s"]) for r in runs if r.get("peer_ingest_s")]
    if peer:
        ax.plot(*zip(*peer, strict=True), "^-", label="llama-index VectorStoreIndex")
    _axes(ax, sizes, labels, "chunks per second", "Ingest rate against corpus size (2 cores)")
    fig.savefig(HERE / "ingest_vs_size.png", dpi=120, bbox_inches="tight")
    print(f"wrote {HERE / 'latency_vs_size.png'} and {HERE / 'ingest_vs_size.png'} from {len(runs)} runs")


def _axes(ax: plt.Axes, sizes: list[int], labels: list[str], ylabel: str, title: str) -> None:
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xticks(sizes, labels, fontsize=7)
    ax.set_xlabel("chunks indexed")
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8)


if __name__ == "__main__":
    main()
