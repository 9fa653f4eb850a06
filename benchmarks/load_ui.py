"""Load test of the chat page: many browser sessions at once, each keeping its own conversation.

Usage: python benchmarks/load_ui.py [--sessions 20] [--seconds 180] [--url http://127.0.0.1:7860/] [--json PATH]

Without --url it starts `qa chat` on a free loopback port (QA_HOME as set; seeds indexed on first use) and stops
it afterwards. Each session is its own Gradio client (its own session state), asks the eval questions in its own
order through the page's own queue protocol (the page's events are private to it, so no API client can list them:
this speaks what the browser speaks), and checks after every answer that its conversation holds exactly its own
questions, in order. Prints errors, mix-ups, throughput and latency p50/p95/max.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _start_chat() -> tuple[subprocess.Popen[bytes], str]:
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "qa.cli", "chat", "--host", "127.0.0.1", "--port", str(port)],
        env={**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return process, url
        except OSError:
            time.sleep(0.5)
    process.kill()
    raise SystemExit("qa chat did not start within 180 s")


class PageSession:
    """One browser tab's worth of state: a session hash, under which the server keeps this tab's conversation."""

    def __init__(self, url: str, timeout: float = 300.0) -> None:
        self.api = url.rstrip("/") + "/gradio_api"
        self.session = uuid.uuid4().hex[:11]
        self.http = httpx.Client(timeout=timeout)
        config = self.http.get(url.rstrip("/") + "/config").json()
        ask = next(d for d in config["dependencies"] if d.get("api_name") == "ask")
        self.fn_index = int(ask["id"])
        self.trigger = ask["targets"][0][0]

    def ask(self, question: str) -> list[dict[str, Any]]:
        """The conversation shown once question is answered (inputs: question, the history state, answerer,
        top-k, show uncited)."""
        payload = {
            "data": [question, None, "extractive", 5, False],
            "fn_index": self.fn_index,
            "trigger_id": self.trigger,
            "session_hash": self.session,
            "event_data": None,
        }
        self.http.post(f"{self.api}/queue/join", json=payload).raise_for_status()
        with self.http.stream("GET", f"{self.api}/queue/data", params={"session_hash": self.session}) as stream:
            for line in stream.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    if not message.get("success"):
                        raise RuntimeError(f"the page failed: {message.get('output')}")
                    return list(message["output"]["data"][0])
        raise RuntimeError("the page closed the stream before the answer was complete")


def _user_turns(conversation: list[dict[str, Any]]) -> list[str]:
    turns = []
    for message in conversation:
        if message.get("role") != "user":
            continue
        content = message.get("content")
        if isinstance(content, list):
            content = " ".join(str(part.get("text", "")) for part in content if isinstance(part, dict))
        turns.append(" ".join(str(content).split()))
    return turns


def _percentile(values: list[float], q: float) -> float | None:
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))], 1) if ordered else None


def run(url: str, sessions: int, seconds: float) -> dict[str, Any]:
    questions = [json.loads(line)["question"] for line in (ROOT / "evals/questions.jsonl").open()]
    questions = [q for q in questions if len(q) < 200]
    latencies: list[float] = []
    errors: list[str] = []
    mixups: list[str] = []
    lock = threading.Lock()
    deadline = time.perf_counter() + seconds

    def session(n: int) -> None:
        """A user who asks a conversation of up to 12 questions, then opens a new tab, until the deadline."""
        rounds = 0
        while time.perf_counter() < deadline:
            page = PageSession(url)
            mine = random.Random(n * 1000 + rounds).sample(questions, k=min(12, len(questions)))
            rounds += 1
            asked: list[str] = []
            while time.perf_counter() < deadline and len(asked) < len(mine):
                question = mine[len(asked)]
                started = time.perf_counter()
                try:
                    conversation = page.ask(question)
                except Exception as exc:  # noqa: BLE001 - a load test reports every failure, whatever it is
                    with lock:
                        errors.append(f"session {n}: {type(exc).__name__}: {exc}")
                    return
                asked.append(" ".join(question.split()))
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
                    if _user_turns(conversation) != asked:
                        mixups.append(f"session {n}: asked {len(asked)} questions, its page shows another conversation")

    started = time.perf_counter()
    threads = [threading.Thread(target=session, args=(n,)) for n in range(sessions)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    return {
        "sessions": sessions,
        "seconds": round(wall, 1),
        "answers": len(latencies),
        "answers_per_s": round(len(latencies) / wall, 2),
        "errors": len(errors),
        "mixups": len(mixups),
        "latency_p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "latency_p95_ms": _percentile(latencies, 0.95),
        "latency_max_ms": round(max(latencies), 1) if latencies else None,
        "error_samples": errors[:5],
        "mixup_samples": mixups[:5],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=180.0)
    parser.add_argument("--url", default=None, help="A running qa chat; by default one is started on loopback.")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures here.")
    args = parser.parse_args()
    process = None
    url = args.url
    if url is None:
        process, url = _start_chat()
    try:
        PageSession(url).ask("Warm-up: when did Kerry visit Moscow?")
        result = run(url, args.sessions, args.seconds)
    finally:
        if process is not None:
            process.terminate()
            process.wait(timeout=30)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 1 if result["errors"] or result["mixups"] else 0


if __name__ == "__main__":
    sys.exit(main())
