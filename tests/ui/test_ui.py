"""The chat page's formatting and handlers, without a browser: citations become links, the cited span is
highlighted at its offsets with article text escaped, history and Markdown export, safe uploads, errors as messages.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import re
import socket
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from support import ARTICLE_COMET, ARTICLE_PARKS, SEED_002, free_port

from qa.config import Settings
from qa.display import redact_secrets
from qa.types import Answer, Citation, Passage
from qa.ui.render import (
    SEED_QUESTIONS,
    Turn,
    answer_bubble,
    chat_messages,
    citation_context,
    conversation_markdown,
    example_questions,
    highlight,
    history_for,
    link_citations,
    message_text,
    source_anchor,
    sources_html,
)
from qa.ui.uploads import safe_upload_name, upload_problem

TEXT = (
    "Strike report <script>alert(1)</script> & more\n\n"
    'Officials said on Friday that "the US struck the Shayrat airbase" with 59 missiles. '
    "The strike followed a chemical attack. Later paragraphs talk about other things entirely."
)
QUOTE = 'Officials said on Friday that "the US struck the Shayrat airbase" with 59 missiles.'
START = TEXT.index(QUOTE)
END = START + len(QUOTE)


def passage(start: int = 0, end: int = len(TEXT), article_id: str = "a1") -> Passage:
    return Passage(
        chunk_id=f"{article_id}-{start}", article_id=article_id, source="strike.txt", title="Strike <report>",
        text=TEXT[start:end], start=start, end=end, score=0.5, outlet="TASS", date="2017-04-11",
    )


def citation(n: int = 1, start: int = START, end: int = END, article_id: str = "a1") -> Citation:
    return Citation(
        n=n, source="strike.txt", title="Strike <report>", quote=TEXT[start:end], start=start, end=end, score=0.9,
        article_id=article_id, outlet="TASS", date="2017-04-11",
    )


def make_answer(text: str = f"{QUOTE} [1]", *, abstained: bool = False, passages: list[Passage] | None = None,
                citations: list[Citation] | None = None) -> Answer:
    return Answer(
        question="Which airbase?", text=text, abstained=abstained, timings={},
        citations=[citation()] if citations is None and not abstained else citations or [],
        passages=[passage()] if passages is None else passages,
    )


def test_citation_markers_become_links_to_their_source_and_text_is_escaped() -> None:
    out = link_citations("The <b>base</b> [x](http://evil) was hit [1] and [2].", turn=3)
    assert '<a href="#qa-src-3-1" class="qa-cite"' in out and ">[1]</a>" in out
    assert f'href="#{source_anchor(3, 2)}"' in out
    assert "<b>" not in out and "&lt;b&gt;" in out
    assert "[x](http://evil)" not in out and r"\[x\](http://evil)" in out  # no live links from article text


def test_abstention_is_set_apart_from_answers() -> None:
    abstained = answer_bubble(make_answer("The articles don't say <anything>.", abstained=True), 1)
    assert abstained.startswith('<div class="qa-abstain">') and "&lt;anything&gt;" in abstained
    assert "qa-abstain" not in answer_bubble(make_answer(), 1)


def test_unsupported_citations_and_answerer_notes_are_flagged() -> None:
    doubtful = citation().model_copy(update={"supported": False})
    note = "ollama:llama3.2 failed (connection refused); answered extractively"
    result = make_answer(citations=[doubtful]).model_copy(update={"warnings": [note]})
    bubble = answer_bubble(result, 1)
    assert 'class="qa-cite qa-unsupported"' in bubble and f'<div class="qa-warning">⚠ {note}</div>' in bubble
    assert "does not back the sentence" in sources_html([Turn("Which airbase?", answer=result)])
    assert "qa-unsupported" not in answer_bubble(make_answer(), 1)


def test_highlight_marks_exactly_the_span_and_escapes_everything() -> None:
    out = highlight("a <i>b</i> c & d", 2, 10)
    assert out == 'a <mark class="qa-span">&lt;i&gt;b&lt;/i&gt;</mark> c &amp; d'
    assert highlight("abc", -5, 99) == '<mark class="qa-span">abc</mark>'  # offsets are clamped
    assert highlight("abc", 2, 1) == 'ab<mark class="qa-span"></mark>c'


def _marked(panel: str) -> list[str]:
    return [html.unescape(m) for m in re.findall(r'<mark class="qa-span">(.*?)</mark>', panel, re.DOTALL)]


def test_sources_panel_highlights_the_cited_span_by_offsets_inside_its_passage() -> None:
    turns = [Turn("Which airbase?", answer=make_answer(passages=[passage(START - 20, len(TEXT))]))]
    panel = sources_html(turns)
    assert _marked(panel) == [QUOTE]
    assert 'id="qa-src-1-1"' in panel and "Strike &lt;report&gt;" in panel and "TASS · 2017-04-11" in panel
    assert "<script>" not in panel


def test_context_comes_from_the_article_when_no_passage_holds_the_span() -> None:
    text, start, end, cut_before, cut_after = citation_context(citation(), [], article_text={"a1": TEXT}.get)
    assert text[start:end] == QUOTE and not cut_before and not cut_after
    long_text = "word " * 200 + TEXT + " tail" * 200
    shifted = citation(start=START + 1000, end=END + 1000)
    text, start, end, cut_before, cut_after = citation_context(shifted, [], article_text={"a1": long_text}.get)
    assert text[start:end] == QUOTE and cut_before and cut_after and len(text) < 1000
    assert not text.startswith(("ord", "rd")), "the window starts at a word"
    assert citation_context(citation(), [], None)[0] == QUOTE  # nothing to show around it: the quote alone


def test_passage_of_another_article_is_not_used_as_context() -> None:
    other = passage(article_id="other")
    text, start, end, *_ = citation_context(citation(), [other], article_text=None)
    assert (text, start, end) == (QUOTE, 0, len(QUOTE))


def test_older_answers_fold_newest_first_and_uncited_passages_show_on_request() -> None:
    uncited = passage(0, 40, article_id="a2")
    turns = [Turn("first?", answer=make_answer()), Turn("broken?", error="model down"),
             Turn("second?", answer=make_answer(passages=[passage(), uncited]))]
    panel = sources_html(turns)
    assert panel.index('id="qa-turn-3" open') < panel.index('id="qa-turn-1">')
    assert "qa-turn-2" not in panel and "Retrieved but not cited" not in panel
    assert "Retrieved but not cited (1)" in sources_html(turns, show_uncited=True)
    assert "qa-empty" in sources_html([])


def test_chat_messages_and_history_keep_questions_answers_and_errors_apart() -> None:
    turns = [Turn("Who <met>?", answer=make_answer("Lavrov met Kerry. [1]")), Turn("And then?", error="bad <key>"),
             Turn("When?")]
    messages = chat_messages(turns, pending="On May 12 [1]")
    assert [m["role"] for m in messages] == ["user", "assistant", "user", "assistant", "user", "assistant"]
    assert messages[0]["content"] == "Who &lt;met&gt;?"
    assert "qa-error" in messages[3]["content"] and "&lt;key&gt;" in messages[3]["content"]
    assert 'href="#qa-src-3-1"' in messages[5]["content"]
    assert chat_messages(turns)[-1] == {"role": "user", "content": "When?"}
    assert history_for(turns) == [
        {"role": "user", "content": "Who <met>?"}, {"role": "assistant", "content": "Lavrov met Kerry. [1]"},
    ]


def test_message_text_reads_every_shape_gradio_hands_back() -> None:
    assert message_text("plain") == "plain"
    assert message_text([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "a b"
    assert message_text({"text": "c"}) == "c" and message_text(None) == ""


def test_history_from_the_ui_drives_a_real_follow_up(seed_settings: Settings) -> None:
    from qa.answer import answer

    first = answer("Which Syrian airbase did the US strike with missiles before Tillerson's visit?",
                   settings=seed_settings)
    follow_up = answer("When did he arrive in Moscow?", history=history_for([Turn(first.question, answer=first)]),
                       settings=seed_settings)
    assert follow_up.standalone_question and "Shayrat" in follow_up.standalone_question
    assert follow_up.citations and follow_up.citations[0].source == SEED_002


def test_markdown_export_holds_answers_and_numbered_sources() -> None:
    turns = [Turn("Which airbase?", answer=make_answer()), Turn("Down?", error="model down")]
    md = conversation_markdown(turns, exported=dt.datetime(2024, 5, 1, 12, 0))
    assert md.startswith("# qa conversation\n\n_Exported 2024-05-01 12:00_")
    assert f"## Which airbase?\n\n{QUOTE} [1]\n\nSources:" in md
    assert "[1] **Strike <report>** (TASS · 2017-04-11) — strike.txt" in md
    assert f"> {QUOTE}" in md and "_Error: model down_" in md


def test_real_answer_cites_the_span_its_offsets_point_at(seed_settings: Settings) -> None:
    from qa.answer import answer
    from qa.index.store import store_for

    result = answer("Which Syrian airbase did the US strike with missiles before Tillerson's visit?",
                    settings=seed_settings)
    store = store_for(seed_settings)

    def article_text(article_id: str) -> str | None:
        record = store.article_by_id(article_id, with_text=True)
        return None if record is None else record.get("text")

    panel = sources_html([Turn(result.question, answer=result)], article_text=article_text)
    first = result.citations[0]
    assert _marked(panel)[0] == article_text(first.article_id)[first.start : first.end]  # type: ignore[index]
    assert "Shayrat" in _marked(panel)[0]
    assert "Moscow hopes for constructive talks with US Secretary of State" in panel


def test_example_questions_use_the_seeds_then_other_titles() -> None:
    pairs = [("mine.txt", "Night trains return"), (SEED_002, "Moscow hopes…"), ("001_c0f27d665046d203.txt", "x")]
    questions = example_questions(pairs, limit=3)
    assert questions[:2] == [SEED_QUESTIONS[SEED_002], SEED_QUESTIONS["001_c0f27d665046d203.txt"]]
    assert questions[2] == "What does the article “Night trains return” report?"
    assert example_questions([]) == []


def test_the_page_s_example_questions_wait_for_the_warm_up_to_finish_seeding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The page is built while the warm-up indexes the seeds: it must list questions for all of them, not for the
    few indexed when Gradio finished importing (a fast start once offered none of the expected ones)."""
    import sys
    import threading
    import time

    from qa.ui import warmup as ui_format
    from qa.ui.app import ChatUI

    sources = list(SEED_QUESTIONS)[::-1]
    indexed = [(sources[0], {"source": sources[0], "title": "landed first"})]

    def slow_seeding(settings: Settings) -> None:
        for source in sources[1:]:  # the rest one at a time, as a batched ingest may land them
            time.sleep(0.1)
            indexed.append((source, {"source": source, "title": source}))

    monkeypatch.setattr(ui_format, "_warm_up_started", threading.Event())
    monkeypatch.setattr(ui_format, "_warm_up_seeded", threading.Event())
    monkeypatch.setattr(ui_format, "ensure_index", slow_seeding)
    monkeypatch.setattr(sys.modules["qa.answer"], "answer", lambda *a, **k: None)
    ui = ChatUI(Settings(home=tmp_path / "home", auto_seed=True))
    monkeypatch.setattr(ui, "_articles", lambda: list(indexed))
    ui_format.start_warm_up(ui.settings)
    assert ui.example_questions() == list(SEED_QUESTIONS.values())


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.TXT", "report.txt"),
        ("../../etc/passwd.md", "passwd.md"),
        ("..\\..\\windows\\evil.html", "evil.html"),
        ("/abs/path/news.htm", "news.htm"),
        (".hidden.txt", "hidden.txt"),
        ("we<ird>|na:me?.txt", "we_ird_na_me.txt"),
        ("new\x00s\n.txt", "news.txt"),
        ("x" * 300 + ".txt", "x" * 92 + ".txt"),
    ],
)
def test_upload_names_are_sanitised(name: str, safe: str) -> None:
    assert safe_upload_name(name) == safe


@pytest.mark.parametrize("name", ["..", "/", "...txt", "", "../.."])
def test_upload_names_with_nothing_left_are_refused(name: str) -> None:
    with pytest.raises(ValueError):
        safe_upload_name(name)


def test_upload_type_and_size_limits() -> None:
    assert upload_problem("a.txt", 10, 100) is None and upload_problem("b.HTML", 10, 100) is None
    assert "not accepted" in str(upload_problem("c.pdf", 10, 100))
    assert "no extension" in str(upload_problem("README", 10, 100))
    assert "too large" in str(upload_problem("d.md", 101, 100))
    assert upload_problem("e.md", 0, 100) == "empty file"


def test_secrets_are_masked_in_messages() -> None:
    env = {"OPENAI_API_KEY": "sk-live-abcdefghijklmnop", "QA_UI_AUTH": "ann:hunter22", "HOME": "/root"}
    message = "openai failed: key sk-live-abcdefghijklmnop rejected; auth ann:hunter22; Bearer abc.def.ghi123; home /root"
    masked = redact_secrets(message, env)
    assert "abcdefghijklmnop" not in masked and "hunter22" not in masked and "abc.def.ghi123" not in masked
    assert "/root" in masked
    assert redact_secrets("hf_" + "a" * 30 + " and sk-" + "b" * 40, {}) == "*** and ***"
    assert redact_secrets("url?api_key=12345678&x=1", {}) == "url?api_key=***&x=1"


# --- handlers, through a real index of their own (ChatUI imports Gradio) ---------------------------------------


@pytest.fixture
def chat_ui(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):  # type: ignore[no-untyped-def]
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "home" / "ui-tmp"))
    from qa.ui.app import ChatUI

    return ChatUI(Settings(home=tmp_path / "home", auto_seed=False, max_file_mb=0.01))


def _upload_dir(tmp_path: Path, files: dict[str, str | bytes]) -> list[str]:
    """Files as Gradio hands them over: each in its own cache folder under its original name."""
    paths = []
    for i, (name, text) in enumerate(files.items()):
        path = tmp_path / "gradio-cache" / str(i) / name
        path.parent.mkdir(parents=True)
        path.write_bytes(text if isinstance(text, bytes) else text.encode())
        paths.append(str(path))
    return paths


def test_upload_reports_each_file_and_writes_only_inside_qa_home(chat_ui, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    files = _upload_dir(tmp_path, {
        "parks.txt": ARTICLE_PARKS, "slides.pdf": b"%PDF-1.4", "big.md": "word " * 5000,
        "parks copy.txt": ARTICLE_PARKS, "empty.txt": b"", "short.txt": "Too short to be an article.",
        "Кириллица & news!.txt": ARTICLE_COMET,
    })
    report = chat_ui.upload(files)
    rows = dict(re.findall(r"<tr class=\"qa-result-\w+\"><td>(.*?)</td><td>(.*?)</td>", report))
    assert rows == {
        "parks.txt": "added", "slides.pdf": "rejected", "big.md": "rejected", "empty.txt": "rejected",
        "parks copy.txt": "skipped as a duplicate", "short.txt": "rejected", "Кириллица &amp; news!.txt": "added",
    }
    assert "not accepted" in report and "too large" in report and "no article text" in report
    uploads = chat_ui.uploads
    assert sorted(p.name for p in uploads.iterdir()) == ["parks.txt", "Кириллица _ news.txt"]
    written = {p for p in tmp_path.rglob("*") if p.is_file()} - {Path(f) for f in files}
    assert all(p.is_relative_to(tmp_path / "home") for p in written)

    again = chat_ui.upload(_upload_dir(tmp_path / "again", {"parks.txt": ARTICLE_PARKS}))
    assert "already in the library" in again and len(list(uploads.iterdir())) == 2


def test_library_lists_articles_and_delete_removes_an_upload(chat_ui, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    chat_ui.upload(_upload_dir(tmp_path, {"parks.txt": ARTICLE_PARKS, "comet.txt": ARTICLE_COMET}))
    summary, table, dropdown = chat_ui.library()
    assert summary.startswith("**2 articles**")
    assert sorted(row[4] for row in table) == ["comet.txt", "parks.txt"]
    parks_id = next(value for label, value in dropdown.choices if "parks.txt" in label)
    assert "Deleted **parks.txt**" in chat_ui.delete(parks_id)
    assert not (chat_ui.uploads / "parks.txt").exists()
    assert [row[4] for row in chat_ui.library()[1]] == ["comet.txt"]
    assert chat_ui.delete(parks_id).startswith("⚠ no indexed article")
    assert chat_ui.delete(None) == "Choose an article to delete first."


def test_ask_streams_a_cited_answer_and_keeps_errors_in_the_page(seed_settings: Settings, tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "ui-tmp"))
    from qa.ui.app import ChatUI

    ui = ChatUI(seed_settings)
    steps = list(ui.ask("Which Syrian airbase did the US strike with missiles before Tillerson's visit?", [],
                        "extractive", 5, False, None))  # type: ignore[arg-type]
    chat, sources, turns, _, download, markdown = steps[-1]
    assert steps[0][3] == "" and len(steps) >= 3  # the box clears at once, the answer arrives in pieces
    assert "Shayrat" in chat[-1]["content"] and 'href="#qa-src-1-1"' in chat[-1]["content"]
    assert "Moscow hopes for constructive talks with US Secretary of State" in sources
    assert Path(download.value["path"]).read_text() == markdown and "Sources:" in markdown

    failed = list(ui.ask("And then?", turns, "nonsense:model", 5, False, None))[-1]  # type: ignore[arg-type]
    assert "qa-error" in failed[0][-1]["content"] and "Traceback" not in failed[0][-1]["content"]
    assert len(failed[2]) == 2 and failed[2][0] == turns[0]  # the conversation goes on
    with pytest.warns(UserWarning, match="Type a question"):  # a toast in the page
        empty = list(ui.ask("   ", turns, "extractive", 5, False, None))  # type: ignore[arg-type]
    assert len(empty) == 1  # nothing asked, nothing changed


def test_login_is_required_when_qa_ui_auth_is_set(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "home" / "ui-tmp"))
    from qa.ui.app import ChatUI, build_app, launch_options

    password = "s3cret-pass-42"
    settings = Settings(home=tmp_path / "home", auto_seed=False, ui_auth=f"ann:{password}")
    options = launch_options(settings, host="127.0.0.1", port=free_port(), share=False)
    assert options["server_name"] == "127.0.0.1" and options["share"] is False and options["allowed_paths"] == []
    demo = build_app(ChatUI(settings))
    demo.launch(prevent_thread_lock=True, **options)
    url = f"http://127.0.0.1:{options['server_port']}"
    browser = urllib.request.build_opener(urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor())

    def fetch(path: str, form: dict[str, str] | None = None) -> tuple[int, str]:
        data = urllib.parse.urlencode(form).encode() if form is not None else None
        try:
            with browser.open(url + path, data=data, timeout=10) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()

    try:
        assert fetch("/config")[0] == 401
        assert fetch("/login", {"username": "ann", "password": "wrong"})[0] in (400, 401)
        assert fetch("/config")[0] == 401
        assert fetch("/login", {"username": "ann", "password": password})[0] == 200
        status, config = fetch("/config")
        assert status == 200 and password not in config
        status, info = fetch("/gradio_api/info")  # the page's events are not an API
        assert status == 200 and json.loads(info)["named_endpoints"] == {}
    finally:
        demo.close()


@pytest.mark.parametrize("value", ["ann", ":pw", "ann:", "ann-pw"])
def test_a_malformed_qa_ui_auth_is_one_clear_error(value: str, tmp_path: Path) -> None:
    from qa.errors import QAError
    from qa.ui.app import launch_options

    with pytest.raises(QAError, match="user:password"):
        launch_options(Settings(home=tmp_path, ui_auth=value), host="127.0.0.1", port=7860, share=False)


def test_a_model_streams_into_the_chat_and_its_failure_is_a_message(
    seed_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from fake_llm_server import fake_llm_server, passage_number

    from qa.ui.app import ChatUI

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "ui-tmp"))
    secret = "sk-test-SECRET0123456789abcdef"
    monkeypatch.setenv("OPENAI_API_KEY", secret)
    with fake_llm_server() as server:
        monkeypatch.setenv("OPENAI_BASE_URL", f"{server.url}/v1")
        server.behaviour.reply = lambda messages: (
            f"Kerry will visit Moscow on July 14-15 [{passage_number(messages, 'July 14-15')}]."
        )
        ui = ChatUI(seed_settings.model_copy(update={"llm_timeout": 5.0}))
        question = "On which dates was John Kerry's working visit to Moscow in July?"
        steps = list(ui.ask(question, [], "openai:m", 5, False, None))  # type: ignore[arg-type]
        bubbles = [step[0][-1]["content"] for step in steps if step[0] is not None and not isinstance(step[0], dict)]
        assert len(bubbles) >= 6 and bubbles[1] == "Kerry" and bubbles[2] == "Kerry will"  # token by token
        assert "July 14-15" in bubbles[-1] and 'class="qa-cite"' in bubbles[-1]
        assert "Russia’s Foreign Ministry confirms John Kerry’s visit" in steps[-1][1]

        server.behaviour.fault = "401"
        server.behaviour.error_body = json.dumps({"error": {"message": f"Incorrect API key provided: {secret}"}})
        strict = ChatUI(seed_settings.model_copy(update={"llm_timeout": 5.0, "llm_fallback": False}))
        failed = list(strict.ask(question, [], "openai:m", 5, False, None))[-1]  # type: ignore[arg-type]
        assert "qa-error" in failed[0][-1]["content"] and "401" in failed[0][-1]["content"]
        fell_back = list(ui.ask(question, [], "openai:m", 5, False, None))[-1]  # type: ignore[arg-type]
        assert "qa-warning" in fell_back[0][-1]["content"] and "July 14-15" in fell_back[0][-1]["content"]
        for output in (*failed, *fell_back):
            assert secret not in str(output) and "SECRET" not in str(output)


def test_qa_chat_refuses_a_malformed_login_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from qa.cli import app

    monkeypatch.setenv("QA_UI_AUTH", "no-colon-here")
    result = CliRunner().invoke(app, ["chat", "--port", "9"])
    assert result.exit_code == 1
    assert result.stderr.strip() == "qa: QA_UI_AUTH must look like user:password"


def test_qa_chat_on_a_busy_port_says_so_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from qa.cli import app

    monkeypatch.setenv("QA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "home" / "ui-tmp"))
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["chat", "--port", str(port)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"qa: cannot serve on 127.0.0.1:{port}") and "Traceback" not in result.stderr


def test_an_upload_in_progress_does_not_hold_up_questions(seed_settings: Settings, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    import threading

    from qa.ui.app import ChatUI
    from qa.ui.warmup import INDEX_LOCK, ensure_index

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "ui-tmp"))
    ensure_index(seed_settings)
    ui = ChatUI(seed_settings)
    answers: list[str] = []

    def ask() -> None:
        steps = ui.ask("Who did Lavrov meet in Sochi?", [], "extractive", 5, False, None)  # type: ignore[arg-type]
        answers.extend(str(step[0][-1]["content"]) for step in steps)

    asking = threading.Thread(target=ask)
    with INDEX_LOCK:  # what an upload holds while it ingests
        asking.start()
        asking.join(timeout=60)
        assert not asking.is_alive()
    assert "Kerry" in answers[-1]


def test_add_from_url_reports_each_feed_item_and_delete_removes_the_fetched_copy(  # type: ignore[no-untyped-def]
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from web_server import Item, article_page, rss_feed, serve_web

    monkeypatch.setenv("GRADIO_TEMP_DIR", str(tmp_path / "home" / "ui-tmp"))
    from qa.ui.app import ChatUI

    ui = ChatUI(Settings(home=tmp_path / "home", auto_seed=False, fetch_allow_private=True))
    with serve_web() as web:
        good = web.add("/parks", article_page(ARTICLE_PARKS, site="Springfield Times"))
        feed = web.add("/rss", rss_feed("Springfield Times", web.url("/"), [Item("Parks", good),
                                                                             Item("Gone", web.url("/gone"))]))
        report = ui.add_from_web(f"{feed}\nftp://example.com/x")
        assert report.count("<tr class=") == 3
        assert f"<td>{good}</td><td>added</td>" in report
        assert f"<td>{web.url('/gone')}</td><td>rejected</td><td>HTTP 404 Not Found</td>" in report
        assert "only http and https" in report
        assert "already in the library" in ui.add_from_web(feed)
    assert ui.add_from_web("  ") == ""
    [(article_id, meta)] = store_for_ui(ui)
    saved = Path(meta["path"])
    assert saved.exists() and saved.is_relative_to(ui.home / "web")
    ui.delete(article_id)
    assert not saved.exists()


def store_for_ui(ui) -> list:  # type: ignore[no-untyped-def]
    from qa.index.store import store_for

    return list(store_for(ui.settings).iter_articles())
