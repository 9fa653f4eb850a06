"""Twenty chat sessions at once through a real `qa chat`: no errors, and each keeps its own conversation."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from support import ROOT, stop_process

sys.path.insert(0, str(ROOT / "benchmarks"))
import load_ui  # the load script is the test's driver, as anyone would run it

pytestmark = pytest.mark.slow


def test_twenty_sessions_keep_their_own_conversations(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QA_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("QA_AUTO_SEED", "true")
    process, url = load_ui._start_chat()
    try:
        load_ui.PageSession(url).ask("When did Kerry visit Moscow?")
        result = load_ui.run(url, sessions=20, seconds=20)
    finally:
        stop_process(process, timeout=30)
    assert result["errors"] == 0, result["error_samples"]
    assert result["mixups"] == 0, result["mixup_samples"]
    assert result["answers"] >= 20
