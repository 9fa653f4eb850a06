"""Read article files from disk into text: find them, decode them, pull the main text out of HTML.

Anything that cannot become text raises IngestError with a one-line reason; nothing here touches the index.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import IngestError

ARTICLE_SUFFIXES = frozenset({".txt", ".md", ".markdown", ".html", ".htm"})


@dataclass(frozen=True)
class RawDocument:
    """A file's decoded text plus whatever metadata its format carried (HTML head, front matter)."""

    path: Path
    text: str
    file_hash: str
    encoding: str
    title: str | None = None
    date: str | None = None
    outlet: str | None = None
    url: str | None = None
    retrieved_at: str | None = None


def find_article_files(paths: list[Path]) -> Iterator[Path]:
    """Files given directly, and article files under folders, in a stable order; symlink loops are not followed."""
    for path in paths:
        if path.is_dir():
            seen: set[tuple[int, int]] = set()
            for root, dirs, files in os.walk(path, followlinks=True):
                stat = os.stat(root)
                if (stat.st_dev, stat.st_ino) in seen:
                    dirs.clear()
                    continue
                seen.add((stat.st_dev, stat.st_ino))
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(files):
                    if Path(name).suffix.lower() in ARTICLE_SUFFIXES and not name.startswith("."):
                        yield Path(root) / name
        else:
            yield path


def read_article_file(path: Path, max_bytes: int) -> RawDocument:
    """Decode one file; HTML goes through trafilatura so scripts, menus and footers never reach the index."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise IngestError(f"cannot read: {exc.strerror or exc}") from None
    if size > max_bytes:
        raise IngestError(f"too large ({size:,} bytes > limit {max_bytes:,} bytes; raise QA_MAX_FILE_MB to index it)")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise IngestError("empty file")
    if b"\x00" in data[:8192]:
        raise IngestError("binary file, not text")
    text, encoding = decode_bytes(data)
    file_hash = hashlib.sha256(data).hexdigest()
    if path.suffix.lower() in (".html", ".htm") or _looks_like_html(text):
        return _from_html(path, text, file_hash, encoding)
    fields, body = split_front_matter(text)
    if not body.strip():
        raise IngestError("front matter but no article text")
    title = _field(fields, "title", "headline")
    if title and not body.lstrip().startswith(title):
        body = f"{title}\n\n{body.lstrip()}"  # as for HTML: the headline opens the article text
    return RawDocument(
        path=path,
        text=body,
        file_hash=file_hash,
        encoding=encoding,
        title=title,
        date=_field(fields, "date", "published", "publishdate", "pubdate", "published_at", "datepublished"),
        outlet=_field(fields, "outlet", "source", "publisher", "site", "site_name"),
        url=_field(fields, "url", "link", "canonical_url", "permalink", "source_url"),
        retrieved_at=_field(fields, "retrieved_at", "retrieved", "fetched_at", "accessed"),
    )


_FRONT_MATTER = re.compile(r"\A(?P<fence>---|\+\+\+)[ \t]*\r?\n(?P<head>.*?)\r?\n(?P=fence)[ \t]*(?:\r?\n|\Z)", re.DOTALL)


def split_front_matter(text: str) -> tuple[dict[str, object], str]:
    """A Hugo/Jekyll-style header (YAML between ---, TOML between +++) as a dict, and the text after it.

    Text without a header, or whose header does not parse as a mapping, comes back whole with no fields:
    a Markdown horizontal rule at the top of an article is not metadata.
    """
    match = _FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    head = match.group("head")
    try:
        if match.group("fence") == "+++":
            import tomllib

            fields: object = tomllib.loads(head)
        else:
            import yaml

            fields = yaml.safe_load(head)
    except Exception:  # noqa: BLE001 - yaml and toml raise their own families; either way it is not a header
        return {}, text
    if not isinstance(fields, dict) or not fields:
        return {}, text
    return {str(k).lower(): v for k, v in fields.items()}, text[match.end() :]


def _field(fields: dict[str, object], *names: str) -> str | None:
    """The first of names present with a scalar value, as text (YAML turns 2023-01-05 into a date)."""
    for name in names:
        value = fields.get(name)
        if value is None or isinstance(value, (list, dict)):
            continue
        text = str(value).strip()
        if text:
            return text
    return None


def decode_bytes(data: bytes) -> tuple[str, str]:
    """UTF-8 when it is, else the encoding charset-normalizer detects (Latin-1, Windows-1251, ...)."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError("not text in any encoding that could be detected")
    return str(best), best.encoding


def _looks_like_html(text: str) -> bool:
    head = text[:1024].lstrip().lower()
    return head.startswith(("<!doctype html", "<html"))


_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)


def drop_hidden_elements(html: str) -> str:
    """The page without elements a reader never sees (hidden, aria-hidden, display:none): a classic place to
    hide text meant for a model. Returns html unchanged when it can't be parsed."""
    import lxml.html

    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return html
    hidden = root.xpath("//*[@hidden or @aria-hidden='true' or @style]")
    for element in hidden:
        if element.get("hidden") is not None or element.get("aria-hidden") == "true" or _HIDDEN_STYLE.search(
            element.get("style") or ""
        ):
            element.drop_tree()
    return str(lxml.html.tostring(root, encoding="unicode"))


def _from_html(path: Path, html: str, file_hash: str, encoding: str) -> RawDocument:
    import trafilatura

    saved, html = _saved_fields(html)
    doc = trafilatura.bare_extraction(
        drop_hidden_elements(html), with_metadata=True, include_comments=False, include_tables=False
    )
    body = getattr(doc, "text", None) if doc is not None else None
    if not body or not body.strip():
        raise IngestError("HTML page holds no article text")
    title = getattr(doc, "title", None) or saved.get("title")
    if title and not body.lstrip().startswith(title):
        body = f"{title}\n\n{body}"
    return RawDocument(
        path=path,
        text=body,
        file_hash=file_hash,
        encoding=encoding,
        title=title,
        date=getattr(doc, "date", None) or saved.get("date"),
        outlet=getattr(doc, "sitename", None) or saved.get("outlet"),
        url=getattr(doc, "url", None) or saved.get("url"),
        retrieved_at=saved.get("retrieved_at"),
    )


_SAVED_FIELD = re.compile(r'<meta name="qa:(\w+)" content="([^"]*)">')


def _saved_fields(html: str) -> tuple[dict[str, str], str]:
    """What qa recorded when it saved a fetched page (qa/index/web.py): its URL, when it was retrieved, and the
    feed's title, date and outlet; and the page without those tags, so trafilatura never takes the retrieval
    time for a publication date. The page's own metadata wins; these fill in what it lacks."""
    import html as html_lib

    fields: dict[str, str] = {}
    for match in _SAVED_FIELD.finditer(html, 0, 65536):
        fields.setdefault(match.group(1), html_lib.unescape(match.group(2)))
    return fields, (_SAVED_FIELD.sub("", html) if fields else html)
