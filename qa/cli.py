"""The `qa` command: a thin layer over ingest() and answer() with help text, --json and meaningful exit codes.

Exit codes: 0 ok, 1 nothing done (nothing indexed, an error qa explains), 2 usage error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, cast, get_args

import typer

from qa.config import configure_offline, get_settings
from qa.display import shorten
from qa.errors import BadQuestionError, QAError
from qa.types import FileResult

app = typer.Typer(
    help="Ask questions about a folder of news articles; every answer cites the passages it came from.\n\n"
    "Data lives in QA_HOME (default ./.qa). The first `qa ask` on an empty QA_HOME indexes the bundled seed articles.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_STATUS_STYLE = {
    "added": "green",
    "updated": "green",
    "unchanged": "dim",
    "duplicate": "yellow",
    "skipped": "red",
    "removed": "magenta",
}


_LLM_HELP = (
    "Answerer: extractive, openai:MODEL (OPENAI_BASE_URL/OPENAI_API_KEY), ollama:MODEL (OLLAMA_HOST) or "
    "llamacpp:PATH.gguf. Default: QA_LLM, else extractive."
)


def _fail(exc: QAError) -> None:
    typer.echo(f"qa: {exc}", err=True)
    raise typer.Exit(2 if isinstance(exc, BadQuestionError) else 1)


@app.command()
def ingest(
    sources: Annotated[list[str], typer.Argument(
        help="Article files (.txt, .md, .html) or folders of them, and http(s) URLs of article pages or of RSS/Atom "
        "feeds (a feed's new items are fetched; items taken before are not fetched again).",
        metavar="PATH|URL...",
    )],
    prune: Annotated[bool, typer.Option("--prune", help="Also remove indexed articles whose files are gone.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the ingest report as JSON.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only print the summary line.")] = False,
) -> None:
    """Index articles: clean page junk, chunk, embed, store. Unchanged files are skipped; re-running is safe.

    URLs are fetched from public addresses only (QA_FETCH_ALLOW_PRIVATE=true allows local ones), within
    QA_FETCH_TIMEOUT seconds and QA_MAX_FILE_MB, and saved under QA_HOME/web/.
    """
    from rich.console import Console
    from rich.markup import escape

    from qa.index.web import ingest_sources

    console = Console(stderr=True, highlight=False)

    def show(result: FileResult) -> None:
        if as_json or quiet:
            return
        # One line per file even in a pipe (soft_wrap), and a "[" in a file name is text, not markup (escape).
        line = f"[{_STATUS_STYLE[result.status]}]{result.status:>9}[/] {escape(result.path)}"
        console.print(line + (f" — {escape(result.detail)}" if result.detail else ""), soft_wrap=True)

    try:
        report = ingest_sources(sources, prune=prune, progress=not as_json and sys.stderr.isatty(), on_result=show)
    except QAError as exc:
        _fail(exc)
        return
    except KeyboardInterrupt:
        # Finished articles are kept; a half-written one is cleared and redone by the next run.
        typer.echo("qa: interrupted; the articles indexed so far are kept — run the same command to continue", err=True)
        raise typer.Exit(130) from None
    if as_json:
        typer.echo(report.model_dump_json(indent=2))
    else:
        counts = ", ".join(
            f"{report.count(s)} {s}" for s in ("added", "updated", "unchanged", "duplicate", "skipped", "removed")
            if report.count(s)
        )
        typer.echo(f"{counts or 'no files found'} · index: {report.documents} articles, {report.chunks} chunks "
                   f"· {report.seconds:.1f}s")
    if not report.indexed_anything and not report.count("removed"):
        raise typer.Exit(1)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="Your question, in quotes.")],
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", help="Passages to answer from (default 5).")] = None,
    llm: Annotated[str | None, typer.Option("--llm", help=_LLM_HELP)] = None,
    as_of: Annotated[str | None, typer.Option("--as-of", help="Answer as on this day (YYYY-MM-DD): later articles "
                                              "are left out; 'last week' and 'in March' are read against it.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="Only articles published on or after this day.")] = None,
    until: Annotated[str | None, typer.Option("--until", help="Only articles published on or before this day.")] = None,
    outlet: Annotated[list[str] | None, typer.Option("--outlet", help="Only articles from this outlet (repeatable; "
                                                     "case-insensitive, a part of the name is enough).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole Answer as JSON.")] = False,
) -> None:
    """Answer a question from the indexed articles, with numbered sources. A model's answer prints as it is written."""
    from qa.answer import answer, answer_stream, ensure_indexed
    from qa.types import Answer

    settings = get_settings()
    result: Answer | None = None
    streamed = False
    try:
        ensure_indexed(settings, progress=sys.stderr.isatty(), announce=lambda line: typer.echo(f"qa: {line}", err=True))
        filters: dict[str, Any] = {"as_of": as_of, "since": since, "until": until, "outlet": outlet}
        if as_json:
            result = answer(question, top_k=top_k, llm=llm, settings=settings, **filters)
        else:
            for item in answer_stream(question, top_k=top_k, llm=llm, settings=settings, **filters):
                if isinstance(item, Answer):
                    result = item
                else:
                    typer.echo(item, nl=False)
                    streamed = True
    except QAError as exc:
        if streamed:
            typer.echo("")
        _fail(exc)
        return
    assert result is not None
    if as_json:
        typer.echo(result.model_dump_json(indent=2))
        return
    typer.echo("" if streamed else result.text)
    if result.answerer != "extractive" or llm not in (None, "extractive"):
        typer.echo(f"Answered by {result.answerer}.")  # a model's name, or extractive after it declined or failed
    for warning in result.warnings:
        typer.echo(f"Note: {warning}")
    if result.citations:
        typer.echo("\nSources:")
        for c in result.citations:
            meta = " · ".join(x for x in (c.outlet, c.date) if x)
            unsupported = "" if c.supported else "  [does not back what cites it]"
            typer.echo(f"[{c.n}] {c.title}" + (f" ({meta})" if meta else "") + f" — {c.source}{unsupported}")
            typer.echo(f"    \u201c{shorten(c.quote, 240)}\u201d")


@app.command()
def chat(
    host: Annotated[str, typer.Option(help="Address to listen on; 127.0.0.1 keeps the page to this machine.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 7860,
    llm: Annotated[str | None, typer.Option("--llm", help="Answerer spec (default: QA_LLM or 'extractive').")] = None,
    share: Annotated[
        bool, typer.Option("--share", help="Also publish a temporary public gradio.live link (never the default).")
    ] = False,
) -> None:
    """Serve the chat page: streamed answers, clickable citations, and a library to add or delete articles.

    Set QA_UI_AUTH=user:password to require a login; always do so before --host 0.0.0.0 or --share.
    """
    from qa.ui.login import login_pair
    from qa.ui.warmup import start_warm_up

    settings = get_settings()
    try:
        login_pair(settings)  # a malformed QA_UI_AUTH stops here, before anything starts
    except QAError as exc:
        _fail(exc)
    start_warm_up(settings)  # the seeds index while Gradio imports
    from qa.ui.app import serve

    if (share or host not in ("127.0.0.1", "localhost", "::1")) and settings.ui_auth is None:
        typer.echo("qa: warning: the page is reachable beyond this machine without a login; set QA_UI_AUTH", err=True)
    try:
        serve(host=host, port=port, llm=llm, share=share, settings=settings)
    except QAError as exc:
        _fail(exc)
    except OSError as exc:  # port taken, address not available
        typer.echo(f"qa: cannot serve on {host}:{port}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None


@app.command()
def status(
    as_json: Annotated[bool, typer.Option("--json", help="Print as JSON.")] = False,
) -> None:
    """How many articles and chunks are indexed, with which embedding model, and where."""
    from qa.index.store import store_for

    settings = get_settings()
    try:
        store = store_for(settings)
        info = {
            "documents": store.count_articles(),
            "chunks": store.count_chunks(),
            "embedding_model": settings.embed_model,
            "store": store.location,
            "home": str(settings.resolved_home()),
            "answerer": settings.llm,
        }
    except QAError as exc:
        _fail(exc)
        return
    if as_json:
        typer.echo(json.dumps(info, indent=2))
    else:
        for key, value in info.items():
            typer.echo(f"{key:>16}: {value}")


@app.command("eval")
def run_eval(
    question_set: Annotated[Path, typer.Option("--set", help="Question set (JSON lines).")] = Path(
        "evals/questions.jsonl"
    ),
    top_k: Annotated[int | None, typer.Option("--top-k", "-k", help="Passages per answer.")] = None,
    llm: Annotated[str | None, typer.Option("--llm", help="Answerer spec.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Write metrics and per-question rows here.")] = None,
    report_dir: Annotated[
        Path | None,
        typer.Option("--report", help="Write report.md (failures, changes since the last run there) and a chart here."),
    ] = None,
    dataset: Annotated[
        str | None, typer.Option("--dataset", help="Run a public benchmark instead of --set: realtimeqa.")
    ] = None,
    split: Annotated[str, typer.Option("--split", help="Benchmark split: dev (tune on it) or test.")] = "dev",
    limit: Annotated[
        int | None, typer.Option("--limit", min=1, help="Only the first N benchmark questions and their articles.")
    ] = None,
    data_dir: Annotated[
        Path | None, typer.Option("--data", help="Benchmark files (default: QA_REALTIMEQA_DIR or ../shared/benchmarks/realtimeqa).")
    ] = None,
) -> None:
    """Run a question set through answer() and print retrieval, fact, citation, abstention and latency metrics.

    With --dataset realtimeqa: index the split's news archive into its own folder under QA_HOME (once; later runs
    reuse it), ask each question as of its quiz date, and print answer recall@1/5/10 and multiple-choice accuracy.
    """
    if dataset is not None:
        _run_benchmark(dataset, split, limit, data_dir, llm, json_path, report_dir)
        return
    from qa.answer import answer
    from qa.eval.metrics import load_questions, write_json
    from qa.eval.metrics import run_eval as evaluate
    from qa.eval.news import is_news_set

    if question_set.is_file() and is_news_set(question_set):
        _run_news_set(question_set, top_k, llm, json_path)
        return
    try:
        questions = load_questions(question_set)
        summary, rows = evaluate(
            questions, lambda q: answer(q.question, top_k=top_k, llm=llm, history=q.history),
            progress=sys.stderr.isatty(),
        )
    except (QAError, OSError, ValueError) as exc:
        typer.echo(f"qa: {exc}".splitlines()[0], err=True)
        raise typer.Exit(1) from None
    _print_table(summary)
    if json_path:
        write_json(summary, rows, json_path)
        typer.echo(f"wrote {json_path}")
    if report_dir:
        from qa.eval.report import write_report

        context = {"set": str(question_set), "answerer": llm or get_settings().llm, "top_k": top_k}
        typer.echo(f"wrote {write_report(summary, rows, report_dir, context)}")


def _run_news_set(question_set: Path, top_k: int | None, llm: str | None, json_path: Path | None) -> None:
    """A news set (conflicts, as-of, timelines, controls): its own articles, indexed into their own store."""
    from qa.answer import answer
    from qa.eval.metrics import write_json
    from qa.eval.news import index_news_set, load_news_questions, render_news_table, run_news_eval

    try:
        questions = load_news_questions(question_set)
        scoped = index_news_set(get_settings(), question_set)
        summary, rows = run_news_eval(
            questions, lambda q: answer(q["question"], top_k=top_k, llm=llm, as_of=q.get("as_of"), settings=scoped),
            progress=sys.stderr.isatty(),
        )
    except (QAError, OSError, ValueError) as exc:
        typer.echo(f"qa: {exc}".splitlines()[0], err=True)
        raise typer.Exit(1) from None
    typer.echo(render_news_table(summary))
    if json_path:
        write_json(summary, rows, json_path)
        typer.echo(f"wrote {json_path}")


def _run_benchmark(
    dataset: str, split: str, limit: int | None, data_dir: Path | None, llm: str | None, json_path: Path | None,
    report_dir: Path | None,
) -> None:
    from qa.eval import realtimeqa

    if dataset != "realtimeqa" or split not in realtimeqa.SPLITS:
        typer.echo(f"qa: unknown benchmark {dataset!r} split {split!r}: use --dataset realtimeqa --split dev|test",
                   err=True)
        raise typer.Exit(2)
    try:
        summary, rows = realtimeqa.run(
            split, limit=limit, data_dir=data_dir, settings=get_settings(), llm=llm, progress=sys.stderr.isatty(),
            announce=lambda line: typer.echo(f"qa: {line}", err=True),
        )
    except (QAError, OSError, ValueError) as exc:
        typer.echo(f"qa: {exc}".splitlines()[0], err=True)
        raise typer.Exit(1) from None
    typer.echo(realtimeqa.render_table(summary))
    if json_path:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(json.dumps({**summary, "questions": rows}, indent=2, ensure_ascii=False))
        typer.echo(f"wrote {json_path}")
    if report_dir:
        report_dir.mkdir(parents=True, exist_ok=True)
        (report_dir / f"realtimeqa-{split}.md").write_text(realtimeqa.render_table(summary) + "\n")
        typer.echo(f"wrote {report_dir / f'realtimeqa-{split}.md'}")


def _print_table(summary: dict[str, Any]) -> None:
    """Metrics down, question types across: fits a terminal and reads like a report; then latency per stage."""
    from rich.console import Console
    from rich.table import Table

    keys = ["n", "hit_at_1", "hit_at_3", "hit_at_5", "mrr", "multi_doc_source_recall", "cites_right_article",
            "fact_recall", "citation_precision", "citation_recall", "abstain_precision", "abstain_recall",
            "false_abstain_rate", "latency_p50_ms", "latency_p95_ms"]
    columns = {"all": summary, **summary.get("by_type", {})}
    table = Table("metric", *columns, box=None, pad_edge=False)
    for key in keys:
        table.add_row(key, *(_cell(metrics.get(key)) for metrics in columns.values()))
    console = Console(highlight=False, width=max(120, 22 + 11 * len(columns)))
    console.print(table)
    stages = Table("stage (ms)", "p50", "p95", box=None, pad_edge=False)
    for stage, values in summary.get("latency_by_stage", {}).items():
        stages.add_row(stage, _cell(values["p50_ms"]), _cell(values["p95_ms"]))
    console.print(stages)


def _cell(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value >= 10 else f"{value:.3f}"
    return str(value)


@app.command()
def bench(
    corpus: Annotated[Path | None, typer.Option("--corpus", help="Folder of articles, or a .jsonl(.gz) news corpus.")]
    = None,
    synthetic: Annotated[int | None, typer.Option("--synthetic", help="Chunks of a synthetic corpus (real "
                                                  "sentences recombined).")] = None,
    news: Annotated[Path | None, typer.Option("--news", help="A .jsonl(.gz) corpus whose sentences the synthetic "
                                              "corpus also draws on.")] = None,
    limit: Annotated[int | None, typer.Option("--limit", help="Articles to take from a .jsonl corpus.")] = None,
    json_path: Annotated[Path | None, typer.Option("--json", help="Also write the results here.")] = None,
    peer: Annotated[bool, typer.Option("--peer/--no-peer", help="Run the llama-index pipeline beside (bench "
                                       "extra).")] = True,
    peer_embedding: Annotated[str, typer.Option(
        "--peer-embedding", help="The peer's MiniLM: stock (llama-index's HuggingFaceEmbedding, float32, what its "
        "docs show) or qa (our int8 ONNX model wrapped, which isolates the pipeline). Cached-vector corpora give "
        "both sides the same vectors.")] = "stock",
    server: Annotated[bool, typer.Option("--server", help="Also index into a `chroma run` server on 127.0.0.1 "
                                         "and compare answers.")] = False,
    work: Annotated[Path | None, typer.Option("--work", help="Scratch folder (default: the temp dir's "
                                              "qa-bench).")] = None,
) -> None:
    """Time ingest, retrieval and answers on a corpus, beside the stock llama-index pipeline; prints JSON."""
    from qa.bench import corpus as bench_corpus
    from qa.bench import run as benchmark
    from qa.bench.peer import PeerEmbedding

    if (corpus is None) == (synthetic is None):
        typer.echo("qa: give one of --corpus PATH or --synthetic N", err=True)
        raise typer.Exit(2)
    if peer_embedding not in get_args(PeerEmbedding):
        typer.echo(f"qa: --peer-embedding is stock or qa, not {peer_embedding!r}", err=True)
        raise typer.Exit(2)
    workdir = (work or benchmark.default_work_dir()).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        chosen = (bench_corpus.folder_corpus(corpus, workdir, limit) if corpus is not None
                  else bench_corpus.synthetic_corpus(int(synthetic or 0), workdir, news))
        result = benchmark.run(chosen, workdir, peer=peer, server=server,
                               peer_embedding=cast(PeerEmbedding, peer_embedding),
                               progress=lambda line: typer.echo(line, err=True))
    except QAError as exc:
        _fail(exc)
        return
    text = json.dumps(result, indent=2)
    typer.echo(text)
    if json_path is not None:
        json_path.parent.mkdir(parents=True, exist_ok=True)
        json_path.write_text(text + "\n")


def main() -> None:
    configure_offline()
    app()


if __name__ == "__main__":
    main()
