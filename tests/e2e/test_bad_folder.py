"""`qa ingest` over a folder holding whatever a user's folder holds: one clear line per file, the right exit
status, no traceback, and everything indexed before still there.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from support import ARTICLE_COMET, ARTICLE_PARKS, ARTICLE_TRAINS, write_article

pytestmark = pytest.mark.slow

LATIN_1 = (
    "Le président français visite Genève\n\n"
    "GENÈVE, 3 mars. Le président français a visité la ville où il a rencontré ses homologues européens à "
    "l'hôtel de ville. Les échanges ont porté sur l'énergie, la sécurité et le commerce entre les deux pays."
)
CP1251 = (
    "Лавров провел переговоры с Керри в Москве\n\n"
    "Министр иностранных дел России Сергей Лавров провел переговоры с государственным секретарем США Джоном "
    "Керри в Москве. Стороны обсудили ситуацию в Сирии и на Украине, а также двусторонние отношения."
)
HTML_WITH_SCRIPTS = (
    "<!doctype html><html><head><title>Night trains return</title><script>track('visit');</script></head><body>"
    "<nav>Home | World | Sport</nav><article><h1>Night trains return between Vienna and Paris</h1>"
    + "".join(f"<p>{p}</p>" for p in ARTICLE_TRAINS.split("\n\n")[1:])
    + "<script>document.write('ad')</script></article><footer>© News Corp</footer></body></html>"
)


def _qa(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args],
        env={**os.environ, "QA_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )


def _lines_by_file(stderr: str, names: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    for line in stderr.splitlines():
        for name in names:
            if name in line:
                assert name not in found, f"two lines for {name}: {found[name]!r} and {line!r}"
                found[name] = line
    return found


def test_a_messy_folder_is_reported_file_by_file(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = tmp_path / "first"
    write_article(first, "parks.txt", ARTICLE_PARKS)
    assert _qa("ingest", str(first), home=home).returncode == 0

    messy = tmp_path / "messy"
    write_article(messy, "empty.txt", "")
    write_article(messy, "binary.txt", bytes(range(256)) * 64)
    write_article(messy, "latin1.txt", LATIN_1, encoding="latin-1")
    write_article(messy, "cp1251.txt", CP1251, encoding="cp1251")
    write_article(messy, "huge.txt", (ARTICLE_COMET + "\n\n") * (20 * 1024 * 1024 // len(ARTICLE_COMET)))
    write_article(messy, "page.html", HTML_WITH_SCRIPTS)
    write_article(messy, "no_text.txt", "Accept cookies\n\nAll news\n\n10265 views\n")
    (messy / "loop").mkdir()
    (messy / "loop" / "again").symlink_to(messy, target_is_directory=True)
    (messy / "dangling.txt").symlink_to(tmp_path / "gone.txt")
    unreadable = write_article(messy, "locked.txt", ARTICLE_COMET)
    unreadable.chmod(0)
    names = ["empty.txt", "binary.txt", "latin1.txt", "cp1251.txt", "huge.txt", "page.html", "no_text.txt"]

    result = _qa("ingest", str(messy), home=home)
    assert result.returncode == 0, result.stderr  # something was indexed
    assert "Traceback" not in result.stderr + result.stdout
    lines = _lines_by_file(result.stderr, [*names, "dangling.txt", "locked.txt"])
    assert set(names) <= set(lines), result.stderr
    assert "skipped" in lines["empty.txt"] and "empty" in lines["empty.txt"]
    assert "skipped" in lines["binary.txt"] and "binary" in lines["binary.txt"]
    assert "added" in lines["latin1.txt"] and "decoded as" in lines["latin1.txt"]
    assert "added" in lines["cp1251.txt"] and "decoded as" in lines["cp1251.txt"]
    assert "skipped" in lines["huge.txt"] and "too large" in lines["huge.txt"]
    assert "added" in lines["page.html"]
    assert "skipped" in lines["no_text.txt"] and "no article text" in lines["no_text.txt"]
    assert "skipped" in lines.get("dangling.txt", "skipped")
    if os.geteuid() != 0:  # root reads a chmod 000 file anyway
        assert "skipped" in lines["locked.txt"]

    status = json.loads(_qa("status", "--json", home=home).stdout)
    expected = 4 + (os.geteuid() == 0)  # parks, latin1, cp1251, page (+ locked.txt when readable)
    assert status["documents"] == expected
    answer = json.loads(_qa("ask", "How much did Springfield approve for parks?", "--json", home=home).stdout)
    assert "4.2 million" in answer["text"]  # the article indexed before is still there


def test_a_folder_with_nothing_to_index_exits_1_and_loses_nothing(tmp_path: Path) -> None:
    home = tmp_path / "home"
    first = tmp_path / "first"
    write_article(first, "parks.txt", ARTICLE_PARKS)
    assert _qa("ingest", str(first), home=home).returncode == 0
    junk = tmp_path / "junk"
    write_article(junk, "empty.txt", "")
    write_article(junk, "binary.txt", b"\x00\xff" * 500)
    result = _qa("ingest", str(junk), home=home)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert json.loads(_qa("status", "--json", home=home).stdout)["documents"] == 1
