"""Indexing: files become articles (load, clean, metadata), articles become chunks (chunk), and chunks go into
the Chroma store (embed, store) and the BM25 index (lexical); ingest runs the stages in order.
"""
