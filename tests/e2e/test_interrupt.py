"""Ctrl-C in the middle of a real `qa ingest`: one clear line, nothing indexed is lost, and running the same
command again ends with exactly the index an uninterrupted ingest builds.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from support import write_distinct_articles

pytestmark = pytest.mark.slow

def _qa(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "QA_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "qa.cli", *args], env=env, capture_output=True, text=True, timeout=300, check=False
    )


def test_interrupted_ingest_keeps_its_work_and_resumes(tmp_path: Path) -> None:
    folder = tmp_path / "articles"
    write_distinct_articles(folder, 24)
    home = tmp_path / "home"
    env = {**os.environ, "QA_HOME": str(home)}
    process = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "ingest", str(folder)],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    added = 0
    for line in process.stderr:  # wait until a few articles are in, then press Ctrl-C
        added += "added" in line
        if added == 3:
            process.send_signal(signal.SIGINT)
            break
    _, rest = process.communicate(timeout=120)
    assert process.returncode == 130, rest
    assert "interrupted" in rest and "run the same command" in rest
    assert "Traceback" not in rest

    partial = json.loads(_qa("status", "--json", home=home).stdout)
    assert 3 <= partial["documents"] < 24

    resumed = _qa("ingest", str(folder), "--json", home=home)
    assert resumed.returncode == 0, resumed.stderr
    statuses = [r["status"] for r in json.loads(resumed.stdout)["results"]]
    assert statuses.count("unchanged") >= 3 and set(statuses) <= {"added", "unchanged"}

    clean_home = tmp_path / "clean"
    assert _qa("ingest", str(folder), home=clean_home).returncode == 0
    assert json.loads(_qa("status", "--json", home=home).stdout)["chunks"] == json.loads(
        _qa("status", "--json", home=clean_home).stdout
    )["chunks"]
    assert json.loads(_qa("status", "--json", home=home).stdout)["documents"] == 24
