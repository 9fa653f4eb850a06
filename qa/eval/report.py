"""`qa eval --report DIR`: a folder a person reads after an eval run — report.md (metrics, what changed since the
previous run in that folder, every failed question with what was expected and what came back) and a chart.

The run's full results are kept beside it (results.json), so the next run in the same folder compares with it.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

from qa.eval.metrics import passed

REPORT = "report.md"
CHART = "metrics_by_type.png"
RESULTS = "results.json"
PREVIOUS = "results.previous.json"

# Metrics shown in the report and the chart, with the direction that is better.
METRICS = {
    "hit_at_1": "higher", "hit_at_3": "higher", "hit_at_5": "higher", "mrr": "higher",
    "multi_doc_source_recall": "higher", "cites_right_article": "higher", "fact_recall": "higher",
    "citation_precision": "higher", "citation_recall": "higher", "abstain_precision": "higher",
    "abstain_recall": "higher", "false_abstain_rate": "lower", "latency_p50_ms": "lower", "latency_p95_ms": "lower",
}
CHART_METRICS = ["hit_at_1", "hit_at_5", "mrr", "fact_recall", "citation_precision", "citation_recall",
                 "abstain_recall", "false_abstain_rate"]
_NOTICEABLE = 0.005  # smaller moves in a share are rounding, not change
_NOTICEABLE_MS = 0.10  # latency moves under 10% are noise on a shared machine


def write_report(summary: dict[str, Any], rows: list[dict[str, Any]], folder: Path, context: dict[str, Any]) -> Path:
    """Write report.md, the chart and results.json into folder; returns the report's path.

    context says what was run (question set, answerer, top_k) and is printed at the top. The previous
    results.json in folder, if any, becomes results.previous.json and the report says what changed since it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    previous = _load(folder / RESULTS)
    run = {"when": dt.datetime.now().isoformat(timespec="seconds"), **context}
    draw_chart(summary, folder / CHART)
    text = render(summary, rows, run, previous)
    if (folder / RESULTS).exists():
        (folder / RESULTS).replace(folder / PREVIOUS)
    (folder / RESULTS).write_text(json.dumps({"run": run, **summary, "questions": rows}, indent=2, ensure_ascii=False))
    report = folder / REPORT
    report.write_text(text, encoding="utf-8")
    return report


def render(
    summary: dict[str, Any], rows: list[dict[str, Any]], run: dict[str, Any], previous: dict[str, Any] | None
) -> str:
    lines = [f"# qa eval — {run.get('set', 'question set')}", ""]
    lines += [" · ".join(f"{k}: {v}" for k, v in run.items() if v is not None), ""]
    failed = [r for r in rows if not passed(r)]
    lines += [(f"{len(rows) - len(failed)} of {len(rows)} questions passed (answerable: every fact and a listed "
              "source cited first; unanswerable: declined)."), ""]
    by = summary.get("answered_by") or {}
    if by:
        lines += ["Answered by: " + ", ".join(f"{name} ({n})" for name, n in by.items()) + ".", ""]
    lines += ["## Metrics", "", *_metric_table(summary), "", f"![metrics by question type]({CHART})", ""]
    lines += ["### Latency per stage (ms)", "", "| stage | p50 | p95 |", "|---|---|---|"]
    for stage, values in summary.get("latency_by_stage", {}).items():
        lines.append(f"| {stage} | {values['p50_ms']:.1f} | {values['p95_ms']:.1f} |")
    lines += ["", "### Refusals per rule", "", *_refusal_table(summary.get("refusals_by_rule", {}))]
    lines += ["", "## Since the previous run", "", *_comparison(summary, rows, previous), ""]
    lines += ["## Failures", ""]
    if not failed:
        lines.append("None.")
    for row in failed:
        lines += _failure(row)
    return "\n".join(lines) + "\n"


def _metric_table(summary: dict[str, Any]) -> list[str]:
    columns = {"all": summary, **summary.get("by_type", {})}
    lines = ["| metric | " + " | ".join(columns) + " |", "|---" * (len(columns) + 1) + "|"]
    lines.append("| n | " + " | ".join(str(m.get("n", "")) for m in columns.values()) + " |")
    for key in METRICS:
        lines.append(f"| {key} | " + " | ".join(_fmt(m.get(key)) for m in columns.values()) + " |")
    return lines


def _refusal_table(refusals: dict[str, dict[str, int]]) -> list[str]:
    """Which abstention rule declined how many questions, rightly (unanswerable) or wrongly (answerable)."""
    if not refusals:
        return ["No question was declined."]
    lines = ["| rule | declined | rightly | wrongly |", "|---|---|---|---|"]
    lines += [f"| {rule} | {c['refused']} | {c['right']} | {c['wrong']} |" for rule, c in refusals.items()]
    return lines


def _comparison(summary: dict[str, Any], rows: list[dict[str, Any]], previous: dict[str, Any] | None) -> list[str]:
    if previous is None:
        return ["No earlier run in this folder: this one is the baseline for the next."]
    when = previous.get("run", {}).get("when", "an earlier run")
    lines = [f"Compared with the run of {when}."]
    better, worse = _metric_moves(summary, previous)
    lines += ["", "**Better:** " + ("; ".join(better) if better else "no metric moved up.")]
    lines += ["", "**Worse:** " + ("; ".join(worse) if worse else "no metric moved down.")]
    before = {r["id"]: r for r in previous.get("questions", [])}
    fixed = [r for r in rows if r["id"] in before and passed(r) and not passed(before[r["id"]])]
    broken = [r for r in rows if r["id"] in before and not passed(r) and passed(before[r["id"]])]
    for label, items in (("Now passing", fixed), ("Now failing", broken)):
        lines += ["", f"**{label}** ({len(items)}):" + ("" if items else " none.")]
        lines += [f"- `{r['id']}` ({r['type']}) {r['question']}" for r in items]
    new = [r["id"] for r in rows if r["id"] not in before]
    if new:
        lines += ["", f"New questions since then: {len(new)}."]
    return lines


def _metric_moves(summary: dict[str, Any], previous: dict[str, Any]) -> tuple[list[str], list[str]]:
    better: list[str] = []
    worse: list[str] = []
    scopes = {"all": (summary, previous)}
    for qtype, metrics in summary.get("by_type", {}).items():
        scopes[qtype] = (metrics, previous.get("by_type", {}).get(qtype, {}))
    for scope, (now, then) in scopes.items():
        for key, direction in METRICS.items():
            a, b = then.get(key), now.get(key)
            if not isinstance(a, (int, float)) or not isinstance(b, (int, float)):
                continue
            delta = b - a
            if key.endswith("_ms"):
                if scope != "all" or abs(delta) < _NOTICEABLE_MS * max(a, 1.0):
                    continue
            elif abs(delta) < _NOTICEABLE:
                continue
            text = f"{key} ({scope}) {_fmt(a)} → {_fmt(b)}"
            (better if (delta > 0) == (direction == "higher") else worse).append(text)
    return better, worse


def _failure(row: dict[str, Any]) -> list[str]:
    if not row["answerable"]:
        why = "answered instead of declining"
    elif row["abstained"]:
        why = "declined an answerable question" + (f" (rule: {row['abstain_rule']})" if row.get("abstain_rule") else "")
    elif not row["facts_ok"]:
        why = "missing facts" + ("" if row["cites_right_article"] else "; first citation not a listed source")
    else:
        why = "first citation not a listed source"
    rank = row.get("first_source_rank")
    retrieved = f"first listed source at rank {rank}" if rank else "no listed source retrieved"
    cited = ", ".join(dict.fromkeys(row["cited_sources"])) or "none"
    lines = [f"### `{row['id']}` ({row['type']}) — {why}", "", f"**Question:** {row['question']}", ""]
    if row["answerable"]:
        lines += [f"**Expected:** {row['expected']}", ""]
    lines += ["**Got:** " + _quote(row["got"]), "", f"**Cited:** {cited}" + (f" · {retrieved}" if row["answerable"] else "")]
    return [*lines, ""]


def _quote(text: str) -> str:
    return " ".join(text.split()) or "(empty)"


def _fmt(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 10 else f"{value:.3f}"
    return str(value)


def _load(path: Path) -> dict[str, Any] | None:
    try:
        loaded: dict[str, Any] = json.loads(path.read_text())
        return loaded
    except (OSError, ValueError):
        return None


def draw_chart(summary: dict[str, Any], path: Path) -> None:
    """Grouped bars: one group per question type (and all), one bar per metric; missing metrics are left out."""
    import matplotlib

    matplotlib.use("Agg")  # no display: the chart is a file
    import matplotlib.pyplot as plt

    columns = {"all": summary, **summary.get("by_type", {})}
    width = 0.8 / len(CHART_METRICS)
    fig, ax = plt.subplots(figsize=(max(8.0, 1.3 * len(columns)), 4.5), dpi=110)
    colors = plt.get_cmap("tab10")
    for i, key in enumerate(CHART_METRICS):
        xs = [x + (i - len(CHART_METRICS) / 2 + 0.5) * width for x, m in enumerate(columns.values())
              if m.get(key) is not None]
        ys = [m[key] for m in columns.values() if m.get(key) is not None]
        ax.bar(xs, ys, width, label=key, color=colors(i))
    ax.set_xticks(range(len(columns)), [f"{name}\n(n={m.get('n', 0)})" for name, m in columns.items()], fontsize=8)
    ax.set_ylim(0, 1.05)
    ax.set_ylabel("share")
    ax.set_title("qa eval: metrics per question type")
    ax.legend(fontsize=7, ncols=4, loc="upper center", bbox_to_anchor=(0.5, -0.16), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
