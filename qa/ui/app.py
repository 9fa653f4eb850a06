"""`qa chat`: the Gradio page — streamed, cited answers with clickable sources, and a library of the indexed articles.

Handlers live on ChatUI (testable without a browser); build_app() lays out the page; serve() launches it locally.
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import gradio as gr

from qa.answer import answer_stream
from qa.config import Settings, get_settings
from qa.display import redact_secrets
from qa.errors import QAError
from qa.index.ingest import ingest, remove_article
from qa.index.store import store_for
from qa.index.web import WEB_DIR, ingest_sources
from qa.types import Answer, FileResult
from qa.ui.login import login_pair
from qa.ui.render import (
    SEED_QUESTIONS,
    Turn,
    chat_messages,
    conversation_markdown,
    example_questions,
    history_for,
    sources_html,
)
from qa.ui.uploads import UPLOAD_SUFFIXES, safe_upload_name, upload_problem
from qa.ui.warmup import INDEX_LOCK, ensure_index, start_warm_up, wait_for_warm_up_seeding

log = logging.getLogger("qa.ui")
ASSETS = Path(__file__).resolve().parent / "assets"
SEEDING_WAIT_S = 120.0  # the seeds index in ~5 s on 2 cores; a page built without them offers no seed questions
CONCURRENCY = 4  # answers at once; more queue up. Retrieval is CPU-bound and a machine has few cores.
_STATUS_WORDS = {
    "added": "added",
    "updated": "updated",
    "unchanged": "already in the library",
    "duplicate": "skipped as a duplicate",
    "skipped": "rejected",
    "removed": "removed",
}


class ChatUI:
    """The page's behaviour, one instance per server; per-session data travels in gr.State, never on self."""

    def __init__(self, settings: Settings, llm: str | None = None) -> None:
        self.settings = settings
        self.llm = llm or settings.llm
        self.home = settings.resolved_home()
        self.uploads = self.home / "uploads"
        self.exports = Path(os.environ.get("GRADIO_TEMP_DIR") or self.home / "ui-tmp") / "exports"

    # --- chat ---------------------------------------------------------------------------------------------

    def ask(
        self, question: str, turns: list[Turn], llm: str, top_k: float, show_uncited: bool, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """Stream an answer into the chat; outputs: chatbot, sources, turns, question box, download, markdown."""
        text = (question or "").strip()
        if not text:
            gr.Warning("Type a question about the articles first.")
            yield (gr.skip(),) * 6
            return
        turns = [*turns, Turn(text)]
        skip = (gr.skip(),) * 5
        yield chat_messages(turns, pending=""), gr.skip(), turns, "", gr.skip(), gr.skip()
        try:
            if self._store_is_empty():
                yield chat_messages(turns, pending="Indexing the bundled seed articles first (about 10 s)…"), *skip
            ensure_index(self.settings)
            partial = ""
            result: Answer | None = None
            for item in answer_stream(
                text, history=history_for(turns[:-1]), llm=(llm or "").strip() or None, top_k=int(top_k),
                settings=self.settings,
            ):
                if isinstance(item, Answer):
                    result = item
                else:
                    partial += item
                    yield chat_messages(turns, pending=partial), *skip
            done = Turn(text, answer=result) if result else Turn(text, error="the answerer returned nothing; try again")
        except QAError as exc:
            done = Turn(text, error=redact_secrets(str(exc)))
        except Exception:  # the page must stay usable; the traceback goes to the server log only
            log.exception("answering %r failed", text)
            done = Turn(text, error="something went wrong while answering (the server log has details); try again")
        yield self._finished([*turns[:-1], done], show_uncited, request)

    def _store_is_empty(self) -> bool:
        try:
            return store_for(self.settings).count_chunks() == 0
        except QAError:
            return False

    def _finished(self, turns: list[Turn], show_uncited: bool, request: gr.Request | None) -> tuple[Any, ...]:
        markdown = conversation_markdown(turns)
        return (
            chat_messages(turns),
            self.render_sources(turns, show_uncited),
            turns,
            gr.skip(),
            self._export(markdown, request),
            markdown,
        )

    def render_sources(self, turns: list[Turn], show_uncited: bool) -> str:
        return sources_html(turns, show_uncited=show_uncited, article_text=self._article_text)

    def clear(self) -> tuple[Any, ...]:
        return [], sources_html([]), [], "", gr.DownloadButton(value=None, interactive=False), ""

    def example_questions(self) -> list[str]:
        wait_for_warm_up_seeding(SEEDING_WAIT_S)
        try:
            rows = self._articles()
        except QAError:
            return []
        if not rows and self.settings.auto_seed:
            return list(SEED_QUESTIONS.values())
        return example_questions((meta.get("source", ""), meta.get("title", "")) for _, meta in rows)

    def _article_text(self, article_id: str) -> str | None:
        record = store_for(self.settings).article_by_id(article_id, with_text=True)
        return None if record is None else record.get("text")

    def _export(self, markdown: str, request: gr.Request | None) -> Any:
        """The conversation as a .md file for the download button; one file per session, rewritten each answer."""
        session = (request.session_hash if request is not None else None) or "local"
        folder = self.exports / hashlib.sha256(session.encode()).hexdigest()[:16]
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / "qa-conversation.md"
        path.write_text(markdown, encoding="utf-8")
        return gr.DownloadButton(value=str(path), interactive=True)

    # --- library ------------------------------------------------------------------------------------------

    def _articles(self) -> list[tuple[str, dict[str, Any]]]:
        """(id, metadata) of every indexed article: newest first, undated ones after them, each group by title."""
        rows = sorted(store_for(self.settings).iter_articles(), key=lambda r: str(r[1].get("title") or "").casefold())
        return sorted(rows, key=lambda r: str(r[1].get("date") or "0"), reverse=True)

    def library(self) -> tuple[Any, ...]:
        """Outputs: summary line, articles table, delete choices."""
        try:
            rows = self._articles()
        except QAError as exc:
            return f"⚠ {redact_secrets(str(exc))}", [], gr.Dropdown(choices=[])
        table = [
            [m.get("title", ""), m.get("outlet", ""), m.get("date") or m.get("date_text", ""), int(m.get("chunks", 0)),
             m.get("source", "")]
            for _, m in rows
        ]
        chunks = sum(r[3] for r in table)
        summary = f"**{len(rows)} articles**, {chunks} chunks indexed in `{html.escape(str(self.home))}`"
        if not rows:
            summary = "No articles are indexed yet." + (
                " The bundled seed articles are indexed on the first question." if self.settings.auto_seed else ""
            )
        choices = [(f"{m.get('title', '')} — {m.get('source', '')}", article_id) for article_id, m in rows]
        return summary, table, gr.Dropdown(choices=choices, value=None)

    def upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        """Copy uploads into QA_HOME/uploads under safe names, ingest them, and report on each file."""
        paths = [Path(f) for f in files or []]
        if not paths:
            return ""
        max_bytes = int(self.settings.max_file_mb * 1_000_000)
        outcomes: list[tuple[str, str, str]] = []  # (shown name, status, detail)
        saved: dict[Path, str] = {}
        for path in paths:
            name = path.name
            problem = upload_problem(name, path.stat().st_size if path.exists() else 0, max_bytes)
            if problem is None:
                try:
                    saved[self._save_upload(path)] = name
                    continue
                except (ValueError, OSError) as exc:
                    problem = f"cannot be saved: {exc}"
            outcomes.append((name, "rejected", problem))
        done: list[FileResult] = []

        def on_result(result: FileResult) -> None:
            done.append(result)
            progress(len(done) / max(len(saved), 1), desc=f"Indexed {len(done)} of {len(saved)}")

        if saved:
            progress(0, desc=f"Indexing {len(saved)} file(s)…")
            try:
                with INDEX_LOCK:
                    ingest(list(saved), settings=self.settings, on_result=on_result)
            except QAError as exc:
                outcomes += [(name, "rejected", redact_secrets(str(exc))) for name in saved.values()]
        for result in done:
            path = Path(result.path)
            word = _STATUS_WORDS[result.status]
            if result.status in ("skipped", "duplicate"):
                path.unlink(missing_ok=True)  # keep uploads/ to what the index holds
            detail = result.detail or (f"{result.chunks} chunk{'s' * (result.chunks != 1)}" if result.chunks else "")
            outcomes.append((saved.get(path, path.name), word, detail))
        return _results_table(outcomes)

    def add_from_web(self, text: str | None, progress: gr.Progress = gr.Progress()) -> str:  # noqa: B008
        """Fetch the article pages and feeds named in text (URLs, one per line or space-separated) and ingest
        them; one row per page, feed item or refused URL, as for uploads."""
        urls = (text or "").split()
        if not urls:
            return ""
        outcomes: list[tuple[str, str, str]] = []

        def on_result(result: FileResult) -> None:
            detail = result.detail or (f"{result.chunks} chunk{'s' * (result.chunks != 1)}" if result.chunks else "")
            outcomes.append((result.path, _STATUS_WORDS[result.status], detail))
            progress(None, desc=f"{len(outcomes)} done")

        progress(None, desc=f"Fetching {len(urls)} URL(s)…")
        try:
            with INDEX_LOCK:
                # Only URLs: a local path typed here is not this page's to read.
                ingest_sources([u if "://" in u else f"https://{u}" for u in urls], settings=self.settings,
                               on_result=on_result)
        except QAError as exc:
            outcomes.append((" ".join(urls), "rejected", redact_secrets(str(exc))))
        return _results_table(outcomes)

    def _save_upload(self, source: Path) -> Path:
        """A copy of an uploaded file inside QA_HOME/uploads; same name and bytes reuse the copy already there."""
        name = safe_upload_name(source.name)
        self.uploads.mkdir(parents=True, exist_ok=True)
        target = self.uploads / name
        stem, suffix = target.stem, target.suffix
        n = 1
        while target.exists() and target.read_bytes() != source.read_bytes():
            n += 1
            target = self.uploads / f"{stem} ({n}){suffix}"
        if target.resolve().parent != self.uploads.resolve():
            raise ValueError("unsafe file name")
        if not target.exists():
            shutil.copyfile(source, target)
        return target

    def delete(self, article_id: str | None) -> str:
        if not article_id:
            return "Choose an article to delete first."
        try:
            result = remove_article(article_id, settings=self.settings)
        except QAError as exc:
            return f"⚠ {redact_secrets(str(exc))}"
        path = Path(result.path)
        if path.resolve().parent == self.uploads.resolve() or (self.home / WEB_DIR) in path.resolve().parents:
            path.unlink(missing_ok=True)  # an uploaded or fetched copy goes with its article; the user's files stay
        return f"Deleted **{html.escape(path.name)}** from the library."


def _results_table(outcomes: list[tuple[str, str, str]]) -> str:
    rows = "".join(
        f'<tr class="qa-result-{status.split()[0]}"><td>{html.escape(name)}</td><td>{html.escape(status)}</td>'
        f"<td>{html.escape(detail)}</td></tr>"
        for name, status, detail in outcomes
    )
    return f'<table class="qa-results"><tr><th>File</th><th>Result</th><th>Detail</th></tr>{rows}</table>'


def build_app(ui: ChatUI) -> gr.Blocks:
    """The page: a Chat tab (conversation, settings, sources panel) and a Library tab (articles, upload, delete)."""
    demo = gr.Blocks(title="qa — cited answers from your articles", delete_cache=(3600, 86400))
    with demo:
        turns = gr.State([])
        gr.Markdown("**qa** · answers from your news articles, every sentence cited", elem_id="qa-header")
        with gr.Tabs():
            with gr.Tab("Chat", id="chat"), gr.Row(equal_height=False):
                with gr.Column(scale=3):
                    chatbot = gr.Chatbot(
                        label="Conversation", height=520, latex_delimiters=[], buttons=[], elem_id="qa-chat",
                        placeholder="Ask a question about the indexed news articles. Every answer cites its sources.",
                        feedback_options=None, examples=[{"text": q} for q in ui.example_questions()],
                    )
                    with gr.Row():
                        question = gr.Textbox(
                            placeholder="Ask about the articles and press Enter", show_label=False, scale=6,
                            elem_id="qa-question", max_lines=4, autofocus=True,
                        )
                        send = gr.Button("Ask", variant="primary", scale=1, min_width=80)
                    with gr.Row():
                        clear = gr.Button("Clear conversation", size="sm", elem_id="qa-clear")
                        copy = gr.Button("Copy as Markdown", size="sm", elem_id="qa-copy")
                        download = gr.DownloadButton("Download .md", size="sm", interactive=False,
                                                     elem_id="qa-download")
                    markdown = gr.Textbox(visible=False, elem_id="qa-markdown")
                    with gr.Accordion("Settings", open=False):
                        llm = gr.Dropdown(
                            choices=answerer_choices(ui.llm), value=ui.llm, allow_custom_value=True,
                            label="Answerer", info="extractive (no model), or an LLM spec such as "
                            "openai:gpt-4o-mini, ollama:llama3.2, llamacpp:/path/model.gguf",
                        )
                        top_k = gr.Slider(1, 20, value=ui.settings.top_k, step=1, label="Passages to answer from")
                        show_uncited = gr.Checkbox(False, label="Show retrieved passages that were not cited")
                with gr.Column(scale=2, elem_id="qa-sources-column"):
                    sources = gr.HTML(sources_html([]), elem_id="qa-sources-panel")
            with gr.Tab("Library", id="library") as library_tab:
                summary = gr.Markdown(elem_id="qa-library-summary")
                upload = gr.File(
                    label=f"Add articles: {', '.join(UPLOAD_SUFFIXES)} files up to {ui.settings.max_file_mb:g} MB each",
                    file_count="multiple", elem_id="qa-upload", height=140,
                )
                with gr.Row():
                    web_urls = gr.Textbox(label="Add from URL or feed", placeholder="https://… (an article page or an "
                                          "RSS/Atom feed; several separated by spaces)", scale=5, elem_id="qa-web-url")
                    web_add = gr.Button("Fetch and add", scale=1, elem_id="qa-web-add")
                results = gr.HTML(elem_id="qa-upload-results")
                table = gr.Dataframe(
                    headers=["Title", "Outlet", "Date", "Chunks", "File"], datatype=["str", "str", "str", "number", "str"],
                    interactive=False, wrap=True, elem_id="qa-articles", column_widths=["44%", "14%", "12%", "8%", "22%"],
                )
                with gr.Row():
                    doomed = gr.Dropdown(label="Article to delete", choices=[], scale=5, elem_id="qa-delete-choice")
                    delete = gr.Button("Delete article", variant="stop", scale=1, elem_id="qa-delete")
                deleted = gr.Markdown(elem_id="qa-delete-status")

        # Every event is the page's own, not an API: scripts use `from qa import answer, ingest`.
        page: dict[str, Any] = {"api_visibility": "private"}
        quietly: dict[str, Any] = {**page, "show_progress": "hidden"}
        ask_inputs = [question, turns, llm, top_k, show_uncited]
        ask_outputs = [chatbot, sources, turns, question, download, markdown]
        question.submit(ui.ask, ask_inputs, ask_outputs, **page)
        send.click(ui.ask, ask_inputs, ask_outputs, **page)
        chatbot.example_select(_example_text, None, question, queue=False, **page).then(
            ui.ask, ask_inputs, ask_outputs, **page)
        show_uncited.change(ui.render_sources, [turns, show_uncited], sources, queue=False, **page)
        clear.click(ui.clear, None, ask_outputs, queue=False, **page)
        chatbot.clear(ui.clear, None, ask_outputs, queue=False, **page)  # the chatbot's own bin forgets the history too
        copy.click(None, markdown, None, js="(md) => { navigator.clipboard.writeText(md || ''); }").then(
            lambda: gr.Info("Copied the conversation as Markdown."), None, None, queue=False, **page)

        library_outputs = [summary, table, doomed]
        demo.load(ui.library, None, library_outputs, **quietly)
        library_tab.select(ui.library, None, library_outputs, **quietly)
        upload.upload(ui.upload, upload, results, concurrency_limit=1, **page).then(
            lambda: None, None, upload, queue=False, **page).then(ui.library, None, library_outputs, **quietly)
        for event in (web_add.click, web_urls.submit):
            event(ui.add_from_web, web_urls, results, concurrency_limit=1, **page).then(
                lambda: "", None, web_urls, queue=False, **page).then(ui.library, None, library_outputs, **quietly)
        delete.click(ui.delete, doomed, deleted, concurrency_limit=1, **page).then(
            ui.library, None, library_outputs, **quietly)
    return demo


def _example_text(event: gr.SelectData) -> str:
    value = event.value
    return str(value.get("text", "")) if isinstance(value, dict) else str(value or "")


def launch_options(settings: Settings, *, host: str, port: int, share: bool) -> dict[str, Any]:
    """Blocks.launch() arguments: login when QA_UI_AUTH is set, no file served from outside Gradio's own cache
    (kept in QA_HOME/ui-tmp), uploads capped, nothing fetched from or offered to the internet unless --share."""
    home = settings.resolved_home()
    return {
        "server_name": host, "server_port": port, "share": share,
        "auth": login_pair(settings),
        "auth_message": "qa: sign in with the user and password in QA_UI_AUTH",
        "show_error": False, "allowed_paths": [],
        "blocked_paths": [str(home / d) for d in ("chroma", "lexical", "uploads")],
        "max_file_size": f"{max(settings.max_file_mb * 2, 1):g}mb",  # a hard cap; the limit users see is checked per file
        "ssr_mode": False, "mcp_server": False, "pwa": False, "footer_links": [], "quiet": True,
        "css": (ASSETS / "ui.css").read_text(), "js": (ASSETS / "ui.js").read_text(),
        "theme": gr.themes.Default(primary_hue="blue"),
    }


def answerer_choices(current: str) -> list[str]:
    """The answerers the settings offer: extractive, the named local models whose parts are installed, and the
    one configured (any spec may also be typed in)."""
    from qa.llm.models import installed_models

    return list(dict.fromkeys(["extractive", *(f"llamacpp:{name}" for name in installed_models()), current]))


def serve(
    *, host: str = "127.0.0.1", port: int = 7860, llm: str | None = None, share: bool = False,
    settings: Settings | None = None,
) -> None:
    """Serve the page until interrupted (Ctrl-C). Raises QAError for a malformed QA_UI_AUTH, OSError for a busy port."""
    settings = settings or get_settings()
    os.environ.setdefault("GRADIO_TEMP_DIR", str(settings.resolved_home() / "ui-tmp"))
    options = launch_options(settings, host=host, port=port, share=share)
    start_warm_up(settings)
    demo = build_app(ChatUI(settings, llm))
    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=64)
    demo.launch(prevent_thread_lock=True, **options)
    # Our own line instead of Gradio's, which suggests share=True
    print(f"qa chat: open {demo.share_url or demo.local_url} (Ctrl-C to stop)", flush=True)
    demo.block_thread()
