"""Score answers on the news sets (evals/conflicts.jsonl): are disagreeing values all shown, cited and dated,
newest first; is an as-of answer the one its date allowed; does a timeline keep its dates in order; and does a
question whose sources agree stay a plain answer.

Scored on the text a reader sees: a value counts as cited when it is in the sentence that ends with a marker
pointing at its own article, and as dated when that sentence names the article's date.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qa.config import Settings
from qa.types import Answer

NEWS_TYPES = frozenset({"conflict", "as_of", "timeline", "control"})
_MARKERS = re.compile(r"((?:\s*\[\d+\])+)")


def is_news_set(path: Path) -> bool:
    """The set's first question is one of the news types (conflict, as_of, timeline, control)."""
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            return json.loads(line).get("type") in NEWS_TYPES
    return False


def articles_dir(path: Path) -> Path:
    """Where a news set's articles live: evals/conflicts.jsonl → evals/conflicts/articles."""
    return path.with_suffix("") / "articles"


def load_news_questions(path: Path) -> list[dict[str, Any]]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    unknown = sorted({str(r.get("type")) for r in rows} - NEWS_TYPES)
    if unknown:
        raise ValueError(f"{path}: question types {unknown} are not news types ({sorted(NEWS_TYPES)})")
    return rows


def segments(got: Answer) -> list[tuple[str, set[str]]]:
    """The answer cut after each run of citation markers: (text, sources its markers cite). A sentence without
    a marker joins the next one that has one."""
    sources = {c.n: c.source for c in got.citations}
    parts = _MARKERS.split(got.text)
    out: list[tuple[str, set[str]]] = []
    for text, markers in zip(parts[0::2], [*parts[1::2], ""], strict=False):
        cited = {sources[int(n)] for n in re.findall(r"\d+", markers) if int(n) in sources}
        out.append((text, cited))
    return out


def date_forms(iso: str) -> list[str]:
    """How an answer may write the day: 2024-03-13, March 13, 2024, 13 March 2024, Mar 13, March 13 (the year
    only from the article's own sentence would be redundant)."""
    day = dt.date.fromisoformat(iso)
    month, short = day.strftime("%B"), day.strftime("%b")
    return [iso, f"{month} {day.day}", f"{day.day} {month}", f"{short} {day.day}", f"{short}. {day.day}",
            f"{day.day} {short}"]


def _names_day(text: str, iso: str) -> bool:
    return any(re.search(rf"(?<!\w){re.escape(form)}(?!\d)", text, re.IGNORECASE) for form in date_forms(iso))


def _find(pattern: str, doc: str, iso: str | None, parts: list[tuple[str, set[str]]]) -> dict[str, Any]:
    """Where one value or event appears: shown anywhere, cited (in a segment citing its doc), dated there."""
    shown = [i for i, (text, _) in enumerate(parts) if re.search(pattern, text, re.IGNORECASE)]
    cited = [i for i in shown if doc in parts[i][1]]
    dated = [i for i in cited if iso is None or _names_day(parts[i][0], iso)]
    first = dated or cited or shown
    return {"shown": bool(shown), "cited": bool(cited), "dated": bool(dated), "position": first[0] if first else None}


def score_news_answer(question: dict[str, Any], got: Answer) -> dict[str, Any]:
    """One row: per value (or event) shown/cited/dated, the order, and whether a conflict was flagged."""
    parts = segments(got)
    kind = question["type"]
    row: dict[str, Any] = {
        "id": question["id"], "type": kind, "question": question["question"], "got": got.text,
        "abstained": got.abstained, "answerer": got.answerer, "flagged": got.conflict is not None,
        "timeline_lines": len(got.timeline), "cited_sources": [c.source for c in got.citations],
        "latency_ms": got.timings.get("total_ms", 0.0),
    }
    if kind == "control":
        row["facts_ok"] = not got.abstained and all(re.search(f, got.text, re.IGNORECASE) for f in question["facts"])
        row["ok"] = row["facts_ok"] and not row["flagged"]
        return row
    items = question["values"] if kind in ("conflict", "as_of") else question["events"]
    found = [_find(item["pattern"], item["doc"], item.get("date"), parts) for item in items]
    positions = [f["position"] for f in found]
    row["values"] = [{"value": item.get("value", item.get("event")), "doc": item["doc"], **f}
                     for item, f in zip(items, found, strict=True)]
    row["all_shown_cited"] = all(f["shown"] and f["cited"] for f in found)
    row["all_dated"] = all(f["dated"] for f in found)
    # values come newest first and events oldest first: either way the answer should keep the file's order
    row["in_order"] = all(p is not None for p in positions) and positions == sorted(positions) and (
        len(set(positions)) == len(positions) or len(positions) == 1)
    row["ok"] = row["all_shown_cited"] and row["all_dated"] and row["in_order"]
    return row


def summarize_news(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Share of questions meeting each check, overall and per type; the issue's targets are the conflict rows'
    all_shown_cited and in_order (newest first)."""

    def share(key: str, subset: list[dict[str, Any]]) -> float | None:
        have = [r for r in subset if key in r]
        return round(sum(bool(r[key]) for r in have) / len(have), 4) if have else None

    by_type = {}
    for kind in sorted({r["type"] for r in rows}):
        subset = [r for r in rows if r["type"] == kind]
        by_type[kind] = {"n": len(subset), **{k: share(k, subset) for k in
                         ("ok", "all_shown_cited", "all_dated", "in_order", "flagged", "facts_ok", "abstained")}}
    return {"n": len(rows), "ok": share("ok", rows), "by_type": by_type}


def run_news_eval(
    questions: list[dict[str, Any]], ask: Callable[[dict[str, Any]], Answer], progress: bool = False
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    from tqdm import tqdm

    rows = [score_news_answer(q, ask(q)) for q in tqdm(questions, desc="Evaluating", unit="q", disable=not progress)]
    return summarize_news(rows), rows


def render_news_table(summary: dict[str, Any]) -> str:
    """Checks down, question types across, as a plain-text table."""
    keys = ["n", "ok", "all_shown_cited", "all_dated", "in_order", "flagged", "facts_ok", "abstained"]
    kinds = list(summary["by_type"])
    lines = ["check".ljust(16) + "".join(k.rjust(10) for k in kinds)]
    for key in keys:
        cells = []
        for kind in kinds:
            value = summary["by_type"][kind].get(key)
            cells.append(("–" if value is None else str(value) if key == "n" else f"{value:.3f}").rjust(10))
        lines.append(key.ljust(16) + "".join(cells))
    return "\n".join(lines)


def news_settings(settings: Settings, question_set: Path) -> Settings:
    """Settings whose store is the news set's own (QA_HOME/evalsets/<set name>, Chroma collection named after the
    set when QA_CHROMA_URL is set), so its invented articles never mix with the user's."""
    home = settings.resolved_home() / "evalsets" / question_set.stem
    return settings.model_copy(update={"home": home, "auto_seed": False,
                                       "collection": f"{settings.collection}-{question_set.stem}"})


def index_news_set(settings: Settings, question_set: Path) -> Settings:
    """Index the set's articles (unchanged ones are skipped) and return the settings that answer from them."""
    from qa.index.ingest import ingest

    folder = articles_dir(question_set)
    if not folder.is_dir():
        raise ValueError(f"{question_set}: its articles folder {folder} is missing")
    scoped = news_settings(settings, question_set)
    ingest([folder], prune=True, settings=scoped)
    return scoped
