"""ingest(): idempotent, updates and prunes, skips bad files with a reason, never indexes a story twice."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from support import ARTICLE_COMET, ARTICLE_PARKS, ARTICLE_TRAINS, SEED_001, SEEDS_DIR, EmbedCounter, seed_text
from typer.testing import CliRunner

from qa.cli import app
from qa.config import Settings
from qa.index.embed import get_embedder
from qa.index.ingest import ingest, remove_unfinished_articles
from qa.index.store import store_for
from qa.types import IngestReport

MakeArticle = Callable[..., Path]


def statuses(report: IngestReport) -> dict[str, str]:
    return {Path(r.path).name: r.status for r in report.results}


def details(report: IngestReport) -> dict[str, str]:
    return {Path(r.path).name: r.detail for r in report.results}


def article_ids(report: IngestReport) -> dict[str, str | None]:
    return {Path(r.path).name: r.article_id for r in report.results}


def chunk_ids_of(settings: Settings, article_id: str) -> list[str]:
    return store_for(settings).chunks.get(where={"article_id": article_id}, include=[])["ids"]


def test_first_ingest_adds_and_second_changes_nothing(
    fresh_settings: Settings, docs: Path, make_article: MakeArticle, embed_counter: EmbedCounter
) -> None:
    shutil.copy(SEEDS_DIR / SEED_001, docs / SEED_001)
    make_article("parks.txt", ARTICLE_PARKS)
    first = ingest([docs], settings=fresh_settings)
    assert statuses(first) == {SEED_001: "added", "parks.txt": "added"}
    assert first.documents == 2
    assert first.chunks == sum(r.chunks for r in first.results) > 2
    assert embed_counter.calls > 0

    embed_counter.calls = 0
    second = ingest([docs], settings=fresh_settings)
    assert statuses(second) == {SEED_001: "unchanged", "parks.txt": "unchanged"}
    assert (second.documents, second.chunks) == (first.documents, first.chunks)
    assert [r.chunks for r in second.results] == [r.chunks for r in first.results]
    assert [r.article_id for r in second.results] == [r.article_id for r in first.results]
    assert embed_counter.calls == 0  # unchanged files are never embedded again


def test_changed_file_is_updated_and_old_chunks_go(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    path = make_article("story.txt", ARTICLE_PARKS)
    first = ingest([docs], settings=fresh_settings)
    old_id = first.results[0].article_id
    assert old_id and chunk_ids_of(fresh_settings, old_id)

    path.write_text(ARTICLE_COMET)
    second = ingest([docs], settings=fresh_settings)
    assert statuses(second) == {"story.txt": "updated"}
    new_id = second.results[0].article_id
    assert new_id and new_id != old_id
    store = store_for(fresh_settings)
    assert store.article_by_id(old_id) is None
    assert chunk_ids_of(fresh_settings, old_id) == []
    assert len(chunk_ids_of(fresh_settings, new_id)) == second.results[0].chunks == store.count_chunks()
    assert second.documents == 1
    record = store.article_by_path(str(path.resolve()))
    assert record is not None and record["id"] == new_id


def test_small_edit_to_a_file_is_an_update_not_a_duplicate_of_itself(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    path = make_article("story.txt", ARTICLE_PARKS)
    ingest([docs], settings=fresh_settings)
    path.write_text(ARTICLE_PARKS.replace("4.2 million", "4.5 million"))
    report = ingest([docs], settings=fresh_settings)
    assert statuses(report) == {"story.txt": "updated"}
    record = store_for(fresh_settings).article_by_id(report.results[0].article_id, with_text=True)
    assert record is not None and "4.5 million" in record["text"]
    assert report.documents == 1


def test_prune_removes_articles_whose_files_are_gone(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    gone = make_article("parks.txt", ARTICLE_PARKS)
    make_article("comet.txt", ARTICLE_COMET)
    first = ingest([docs], settings=fresh_settings)
    gone_id = article_ids(first)["parks.txt"]
    gone.unlink()

    kept = ingest([docs], settings=fresh_settings)  # without --prune the article stays
    assert statuses(kept) == {"comet.txt": "unchanged"}
    assert kept.documents == 2

    pruned = ingest([docs], prune=True, settings=fresh_settings)
    assert statuses(pruned) == {"comet.txt": "unchanged", "parks.txt": "removed"}
    removed = [r for r in pruned.results if r.status == "removed"]
    assert removed[0].path == str(gone.resolve()) and removed[0].article_id == gone_id
    assert pruned.documents == 1
    assert chunk_ids_of(fresh_settings, gone_id) == []
    assert pruned.chunks == store_for(fresh_settings).count_chunks() == first.results[1].chunks


def test_exact_duplicate_under_another_name(fresh_settings: Settings, make_article: MakeArticle, docs: Path) -> None:
    make_article("a_original.txt", ARTICLE_PARKS)
    make_article("b_copy.txt", ARTICLE_PARKS)
    report = ingest([docs], settings=fresh_settings)
    assert statuses(report) == {"a_original.txt": "added", "b_copy.txt": "duplicate"}
    assert "a_original.txt" in details(report)["b_copy.txt"]
    assert report.documents == 1
    assert report.chunks == report.results[0].chunks


KERRY_SENTENCE = (
    "\"He will have talks with Russian Foreign Minister Sergei Lavrov to continue to discuss current issues of "
    "bilateral relations and the international agenda,\" the ministry said."
)


@pytest.mark.parametrize(
    ("base", "variant"),
    [
        pytest.param(ARTICLE_PARKS, lambda t: t + "\n\nShare this article\n\nAccept cookies\n", id="junk-lines-added"),
        pytest.param(ARTICLE_PARKS, lambda t: t.replace("voted on Tuesday", "voted on Wednesday"), id="word-changed"),
        pytest.param(
            ARTICLE_PARKS,
            lambda t: t + "\n\nThe council will meet again next week to discuss the city's transport plan.",
            id="paragraph-added",
        ),
        pytest.param(
            seed_text(SEED_001),
            lambda t: t.replace(
                KERRY_SENTENCE,
                "Kerry and Lavrov are expected to review bilateral ties and the international agenda, the ministry "
                "added in its statement.",
            ),
            id="seed-sentence-rewritten",
        ),
        pytest.param(
            seed_text(SEED_001),
            lambda t: "Share:\n\n" + t.replace("on Monday", "on Tuesday") + "\n\n5120 views\nPrint:\n",
            id="seed-junk-and-word-changed",
        ),
    ],
)
def test_near_duplicate_under_another_name(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path, base: str, variant: Callable[[str], str]
) -> None:
    changed = variant(base)
    assert changed != base
    make_article("a_original.txt", base)
    make_article("b_variant.txt", changed)
    report = ingest([docs], settings=fresh_settings)
    assert statuses(report) == {"a_original.txt": "added", "b_variant.txt": "duplicate"}
    assert "a_original.txt" in details(report)["b_variant.txt"]
    assert report.documents == 1


def test_file_rewritten_as_a_copy_of_another_drops_its_old_article(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    path = make_article("a.txt", ARTICLE_PARKS)
    make_article("b.txt", ARTICLE_COMET)
    first = ingest([docs], settings=fresh_settings)
    old_id = article_ids(first)["a.txt"]
    path.write_text(ARTICLE_COMET)  # a.txt now holds b.txt's story
    report = ingest([docs], prune=True, settings=fresh_settings)
    assert statuses(report)["a.txt"] == "duplicate"
    assert store_for(fresh_settings).article_by_id(old_id) is None
    assert chunk_ids_of(fresh_settings, old_id) == []


def test_different_articles_are_not_duplicates(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    make_article("parks.txt", ARTICLE_PARKS)
    make_article("comet.txt", ARTICLE_COMET)
    make_article("trains.txt", ARTICLE_TRAINS)
    report = ingest([docs], settings=fresh_settings)
    assert set(statuses(report).values()) == {"added"}
    assert report.documents == 3


def test_bad_files_are_skipped_with_a_reason_and_nothing_is_lost(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path, tmp_path: Path
) -> None:
    make_article("good.txt", ARTICLE_PARKS)
    before = ingest([docs], settings=fresh_settings)
    assert statuses(before) == {"good.txt": "added"}

    bad = tmp_path / "bad"
    make_article("empty.txt", "", folder=bad)
    make_article("blank.txt", "  \n\n \t\n", folder=bad)
    make_article("binary.txt", b"GIF89a\x00\x01\x02\x03" * 200, folder=bad)
    make_article("short.txt", "Just a few words here.", folder=bad)
    make_article("junk_only.txt", "All news\n\nAccept cookies\n\n10265 views\n\nPrint:\n", folder=bad)
    make_article("no_text.html", "<!doctype html><html><head><title>x</title></head><body></body></html>", folder=bad)
    report = ingest([bad], settings=fresh_settings)
    assert statuses(report) == {
        "blank.txt": "skipped",
        "binary.txt": "skipped",
        "empty.txt": "skipped",
        "junk_only.txt": "skipped",
        "no_text.html": "skipped",
        "short.txt": "skipped",
    }
    reasons = details(report)
    assert "empty" in reasons["empty.txt"] and "empty" in reasons["blank.txt"]
    assert "binary" in reasons["binary.txt"]
    assert "no article text" in reasons["short.txt"] and "no article text" in reasons["junk_only.txt"]
    assert "no article text" in reasons["no_text.html"]
    assert all(r.article_id is None and r.chunks == 0 for r in report.results)
    assert not report.indexed_anything
    assert (report.documents, report.chunks) == (before.documents, before.chunks)
    assert statuses(ingest([docs], settings=fresh_settings)) == {"good.txt": "unchanged"}


def test_too_large_file_is_skipped(tmp_path: Path, make_article: MakeArticle, docs: Path) -> None:
    settings = Settings(home=tmp_path / "home", auto_seed=False, max_file_mb=0.0005)  # 500 bytes
    make_article("big.txt", ARTICLE_PARKS)  # about 600 bytes
    report = ingest([docs], settings=settings)
    assert statuses(report) == {"big.txt": "skipped"}
    assert "too large" in details(report)["big.txt"]
    assert "QA_MAX_FILE_MB" in details(report)["big.txt"]
    assert report.documents == 0


LATIN = (
    "Le président français visite Genève\n\n"
    "GENÈVE, 3 mars. Le président français a visité la capitale où il a rencontré ses homologues européens à "
    "l'hôtel de ville. Les échanges ont porté sur l'énergie, la sécurité et le commerce entre les deux pays.\n\n"
    "« Nous avons été très heureux de cette rencontre », a déclaré le maire après la réunion de trois heures."
)
CYRILLIC = (
    "Лавров провел переговоры с Керри в Москве\n\n"
    "Министр иностранных дел России Сергей Лавров провел переговоры с государственным секретарем США Джоном "
    "Керри в Москве. Стороны обсудили ситуацию в Сирии и на Украине, а также двусторонние отношения.\n\n"
    "По словам министра, встреча прошла в конструктивной атмосфере, и стороны договорились продолжить контакты."
)


@pytest.mark.parametrize(
    ("encoding", "text", "word"),
    [("latin-1", LATIN, "Genève"), ("cp1251", CYRILLIC, "Лавров")],
    ids=["latin-1", "cp1251"],
)
def test_legacy_encodings_are_decoded(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path, encoding: str, text: str, word: str
) -> None:
    path = make_article("legacy.txt", text, encoding=encoding)
    with pytest.raises(UnicodeDecodeError):
        path.read_bytes().decode("utf-8")
    report = ingest([docs], settings=fresh_settings)
    assert statuses(report) == {"legacy.txt": "added"}
    assert details(report)["legacy.txt"].startswith("decoded as ")
    record = store_for(fresh_settings).article_by_id(report.results[0].article_id, with_text=True)
    assert record is not None
    assert record["text"] == text  # decoded exactly, accents and Cyrillic intact
    assert word in record["title"]


def test_html_is_indexed_without_scripts_and_menus(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    body = "".join(f"<p>{p}</p>" for p in ARTICLE_TRAINS.split("\n\n")[1:])
    html = (
        "<!doctype html><html><head><title>Night trains return between Vienna and Paris</title>"
        "<script>var tracker = 'SECRET_SCRIPT_TEXT';</script><style>p { color: red }</style></head>"
        "<body><nav><a href='/'>Home</a> | <a href='/world'>World news menu</a></nav>"
        f"<article><h1>Night trains return between Vienna and Paris</h1>{body}"
        "<script>document.write('MORE_SCRIPT_TEXT')</script></article>"
        "<footer>Copyright footer text</footer></body></html>"
    )
    make_article("page.html", html)
    report = ingest([docs], settings=fresh_settings)
    assert statuses(report) == {"page.html": "added"}
    store = store_for(fresh_settings)
    record = store.article_by_id(report.results[0].article_id, with_text=True)
    assert record is not None
    assert record["title"] == "Night trains return between Vienna and Paris"
    assert "Munich and Strasbourg" in record["text"]
    for script in ("SECRET_SCRIPT_TEXT", "MORE_SCRIPT_TEXT", "tracker", "document.write", "color: red"):
        assert script not in record["text"]
        assert all(script not in text for _, text, _ in store.iter_chunks())


def test_orphan_chunks_from_a_killed_ingest_are_removed(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    make_article("parks.txt", ARTICLE_PARKS)
    first = ingest([docs], settings=fresh_settings)
    store = store_for(fresh_settings)
    texts = ["Half-written chunk one of an article that never finished.", "Half-written chunk two."]
    vectors = get_embedder(fresh_settings.embed_model, fresh_settings.embed_batch).embed(texts)
    store.chunks.add(
        ids=["orphan-1", "orphan-2"],
        documents=texts,
        embeddings=vectors,
        metadatas=[
            {"article_id": "0000deadbeef0000", "source": "ghost.txt", "title": "Ghost", "index": i, "start": 0,
             "end": len(t)}
            for i, t in enumerate(texts)
        ],
    )
    assert store.count_chunks() == first.chunks + 2

    second = ingest([docs], settings=fresh_settings)
    assert statuses(second) == {"parks.txt": "unchanged"}
    assert second.chunks == first.chunks == store.count_chunks()
    assert store.chunks.get(ids=["orphan-1", "orphan-2"])["ids"] == []
    assert remove_unfinished_articles(store) == 0


def test_article_interrupted_before_its_record_is_indexed_again(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    make_article("parks.txt", ARTICLE_PARKS)
    make_article("comet.txt", ARTICLE_COMET)
    first = ingest([docs], settings=fresh_settings)
    store = store_for(fresh_settings)
    comet = {Path(r.path).name: r for r in first.results}["comet.txt"]
    store.articles.delete(ids=[comet.article_id])  # the chunks were written, the article record never was
    assert remove_unfinished_articles(store) == 1
    assert store.count_chunks() == first.chunks - comet.chunks

    store.articles.delete(ids=[comet.article_id])
    second = ingest([docs], settings=fresh_settings)
    assert statuses(second) == {"comet.txt": "added", "parks.txt": "unchanged"}
    assert (second.documents, second.chunks) == (first.documents, first.chunks)


def test_ingest_reports_each_file_to_a_callback(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    make_article("parks.txt", ARTICLE_PARKS)
    make_article("empty.txt", "")
    seen = []
    report = ingest([docs], settings=fresh_settings, on_result=seen.append)
    assert seen == report.results
    assert report.count("added") == 1 and report.count("skipped") == 1
    assert report.seconds > 0


def test_files_and_folders_are_found_in_a_stable_order(tmp_path: Path, make_article: MakeArticle) -> None:
    from qa.index.load import find_article_files

    root = tmp_path / "tree"
    make_article("b.txt", "x", folder=root)
    make_article("a.md", "x", folder=root)
    make_article("c.html", "x", folder=root / "sub")
    make_article("notes.pdf", "x", folder=root)
    make_article("hidden.txt", "x", folder=root / ".git")
    make_article(".hidden.txt", "x", folder=root)
    single = make_article("single.TXT", "x", folder=tmp_path)
    found = list(find_article_files([root, single]))
    assert found == [root / "a.md", root / "b.txt", root / "sub" / "c.html", single]


def test_missing_path_is_skipped(fresh_settings: Settings, tmp_path: Path) -> None:
    report = ingest([tmp_path / "does-not-exist.txt"], settings=fresh_settings)
    assert [r.status for r in report.results] == ["skipped"]
    assert "cannot read" in report.results[0].detail


def test_status_json_via_cli(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_article("parks.txt", ARTICLE_PARKS)
    report = ingest([docs], settings=fresh_settings)
    monkeypatch.setenv("QA_HOME", str(fresh_settings.home))
    result = CliRunner().invoke(app, ["status", "--json"])
    assert result.exit_code == 0, result.output
    info = json.loads(result.stdout)
    assert info["documents"] == report.documents == 1
    assert info["chunks"] == report.chunks
    assert info["embedding_model"] == "minilm-int8"
    assert info["store"] == str(fresh_settings.resolved_home() / "chroma")
    assert info["home"] == str(fresh_settings.resolved_home())
    assert info["answerer"] == "extractive"


def test_status_text_via_cli(fresh_settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_HOME", str(fresh_settings.home))
    result = CliRunner().invoke(app, ["status"])
    assert result.exit_code == 0, result.output
    assert "documents: 0" in result.stdout
    assert "embedding_model: minilm-int8" in result.stdout


def test_seed_001_text_matches_its_file(fresh_settings: Settings, docs: Path) -> None:
    shutil.copy(SEEDS_DIR / SEED_001, docs / SEED_001)
    report = ingest([docs / SEED_001], settings=fresh_settings)
    record = store_for(fresh_settings).article_by_id(report.results[0].article_id, with_text=True)
    assert record is not None
    assert record["text"].startswith("Russia\u2019s Foreign Ministry confirms")
    assert record["path"] == str((docs / SEED_001).resolve())
    assert record["source"] == SEED_001
    assert record["chunks"] == report.results[0].chunks
    assert record["text"].split("\n\n")[-1] in seed_text(SEED_001)


def test_a_store_refuses_another_embedding_model(tmp_path: Path) -> None:
    """Vectors of two models must never share an index: switching QA_EMBED_MODEL on a built store is refused."""
    from qa.errors import StoreError
    from qa.index.store import Store

    home = tmp_path / "home"
    Store(home, None, "articles", "minilm-int8")
    with pytest.raises(StoreError, match="QA_EMBED_MODEL=minilm-int8"):
        Store(home, None, "articles", "minilm")


def test_remove_article_drops_it_from_store_and_lexical_index(
    fresh_settings: Settings, make_article: MakeArticle, docs: Path
) -> None:
    from qa.errors import QAError
    from qa.index import lexical
    from qa.index.ingest import remove_article

    parks = make_article("parks.txt", ARTICLE_PARKS)
    make_article("comet.txt", ARTICLE_COMET)
    first = ingest([docs], settings=fresh_settings)
    parks_id = article_ids(first)["parks.txt"]
    store = store_for(fresh_settings)
    home = fresh_settings.resolved_home()
    assert lexical.load(store, home, fresh_settings.collection).search("Springfield playgrounds", 5)

    result = remove_article(str(parks_id), settings=fresh_settings)
    assert (result.status, result.article_id, result.path) == ("removed", parks_id, str(parks.resolve()))
    assert store.count_articles() == 1 and chunk_ids_of(fresh_settings, str(parks_id)) == []
    index = lexical.load(store, home, fresh_settings.collection)
    assert index.size == store.count_chunks() and index.search("Springfield playgrounds", 5) == []
    assert parks.exists()  # the file is the user's; only the index forgets it

    with pytest.raises(QAError, match="no indexed article"):
        remove_article(str(parks_id), settings=fresh_settings)
    again = ingest([docs], settings=fresh_settings)
    assert statuses(again) == {"comet.txt": "unchanged", "parks.txt": "added"}
