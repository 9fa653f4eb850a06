"""Uploads from the Library tab: which files are taken, and the safe name each is saved under in QA_HOME/uploads.

Checked before anything is written, so a refused file leaves no trace; the ingest itself is qa.index.ingest's.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

UPLOAD_SUFFIXES = (".txt", ".md", ".html", ".htm")
MAX_NAME_CHARS = 100


def safe_upload_name(name: str) -> str:
    """A file name that is safe to create inside the uploads folder: no folders, no dot-files, no odd characters.

    Keeps the suffix in lower case so the type check sees it; raises ValueError when nothing usable is left.
    """
    base = re.split(r"[\\/]", unicodedata.normalize("NFKC", name))[-1]
    base = "".join(ch for ch in base if ch.isprintable())
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = re.sub(r"[^\w\- .()]+", "_", stem).strip(" ._")
    stem = re.sub(r"\s+", " ", stem)[: MAX_NAME_CHARS - 8]
    suffix = re.sub(r"[^a-z0-9]", "", suffix.lower())[:8]
    if not stem:
        raise ValueError(f"no usable file name in {name!r}")
    return f"{stem}.{suffix}" if suffix else stem


def upload_problem(name: str, size: int, max_bytes: int) -> str | None:
    """Why an uploaded file is refused before ingest (type or size), or None when it may be ingested."""
    suffix = Path(name).suffix.lower()
    if suffix not in UPLOAD_SUFFIXES:
        shown = suffix or "no extension"
        return f"{shown} files are not accepted; upload {', '.join(UPLOAD_SUFFIXES)}"
    if size > max_bytes:
        return f"too large ({size / 1e6:.1f} MB; the limit is {max_bytes / 1e6:g} MB, QA_MAX_FILE_MB)"
    if size == 0:
        return "empty file"
    return None
