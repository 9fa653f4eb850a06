"""`qa bench`: speed, memory and index size of qa beside the stock llama-index pipeline (run, peer), on real or
synthetic corpora (synthetic)."""
