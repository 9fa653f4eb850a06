"""A small HTTP server on 127.0.0.1 speaking the OpenAI chat-completions and Ollama /api/chat protocols, for tests.

It behaves like a model that reads its prompt: a test gives it a function from the request's messages to the
reply text, and a `fault` to misbehave in one of the ways real servers do (HTTP 500, a stall, broken JSON).
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

Fault = Literal["none", "500", "stall", "stall_mid_stream", "malformed", "empty", "401", "404"]
Reply = Callable[[list[dict[str, str]]], str]


@dataclass
class Behaviour:
    reply: Reply = lambda messages: "Hello [1]."
    fault: Fault = "none"
    stall_seconds: float = 30.0
    delay_per_token: float = 0.0
    error_body: str = '{"error": {"message": "the model crashed", "type": "server_error"}}'
    replies: list[str] = field(default_factory=list)  # each request's reply, in order, before `reply` is used
    requests: list[dict[str, Any]] = field(default_factory=list)


class FakeLLMServer:
    def __init__(self) -> None:
        self.behaviour = Behaviour()
        self._release = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeLLMServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._release.set()  # let stalled handlers finish
        self._server.shutdown()
        self._server.server_close()

    def _reply_for(self, messages: list[dict[str, str]]) -> str:
        if self.behaviour.replies:
            return self.behaviour.replies.pop(0)
        return self.behaviour.reply(messages)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                behaviour = server.behaviour
                behaviour.requests.append(
                    {"path": self.path, "body": body, "headers": {k.lower(): v for k, v in self.headers.items()}}
                )
                ollama = self.path.startswith("/api/")
                if self.path not in ("/v1/chat/completions", "/chat/completions", "/api/chat"):
                    return self._send(404, "application/json", b'{"error": "not found"}')
                if behaviour.fault == "500":
                    return self._send(500, "application/json", behaviour.error_body.encode())
                if behaviour.fault in ("401", "404"):
                    return self._send(int(behaviour.fault), "application/json", behaviour.error_body.encode())
                if behaviour.fault == "stall":
                    server._release.wait(behaviour.stall_seconds)
                    return self._send(503, "application/json", b"{}")
                text = server._reply_for(body.get("messages", []))
                if behaviour.fault == "empty":
                    text = ""
                if body.get("stream"):
                    return self._stream(text, ollama, body.get("model", "m"))
                if behaviour.fault == "malformed":
                    return self._send(200, "application/json", b'{"choices": [{"message": {"content": "Hi')
                payload = _ollama_message(text, body.get("model", "m"), True) if ollama else _openai_message(text)
                return self._send(200, "application/json", json.dumps(payload).encode())

            def _send(self, status: int, kind: str, data: bytes) -> None:
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", kind)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should past its deadline

            def _stream(self, text: str, ollama: bool, model: str) -> None:
                behaviour = server.behaviour
                self.send_response(200)
                self.send_header("Content-Type", "application/x-ndjson" if ollama else "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                try:
                    for i, token in enumerate(_tokens(text)):
                        if behaviour.fault == "stall_mid_stream" and i == 3:
                            server._release.wait(behaviour.stall_seconds)
                            return
                        if behaviour.fault == "malformed" and i == 2:
                            self._chunk(b"data: {not json\n\n" if not ollama else b"{not json\n")
                            break
                        if ollama:
                            self._chunk(json.dumps(_ollama_message(token, model, False)).encode() + b"\n")
                        else:
                            self._chunk(b"data: " + json.dumps(_openai_chunk(token)).encode() + b"\n\n")
                        if behaviour.delay_per_token:
                            time.sleep(behaviour.delay_per_token)
                    if ollama:
                        self._chunk(json.dumps(_ollama_message("", model, True)).encode() + b"\n")
                    else:
                        self._chunk(b"data: [DONE]\n\n")
                    self.wfile.write(b"0\r\n\r\n")
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up, as it should past its deadline

            def _chunk(self, data: bytes) -> None:
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        return Handler


def _tokens(text: str) -> Iterator[str]:
    """Word-sized pieces, splitting markers like "[1]" across pieces as real tokenizers do."""
    for piece in re.findall(r"\s*\S+", text):
        if piece.endswith("]") and "[" in piece and len(piece) > 3:
            cut = piece.index("[") + 1
            yield piece[:cut]
            yield piece[cut:]
        else:
            yield piece


def _openai_message(text: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion", "created": 0, "model": "m",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
    }


def _openai_chunk(token: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "m",
        "choices": [{"index": 0, "delta": {"content": token}, "finish_reason": None}],
    }


def _ollama_message(text: str, model: str, done: bool) -> dict[str, Any]:
    return {
        "model": model, "created_at": "2024-01-01T00:00:00Z",
        "message": {"role": "assistant", "content": text}, "done": done,
    }


@contextmanager
def fake_llm_server() -> Iterator[FakeLLMServer]:
    server = FakeLLMServer().start()
    try:
        yield server
    finally:
        server.stop()


def passage_number(messages: list[dict[str, str]], needle: str) -> int | None:
    """The number of the first passage in the prompt whose text holds needle, as a model reading it would find."""
    prompt = messages[-1]["content"]
    for match in re.finditer(r'<passage number="(\d+)">(.*?)</passage>', prompt, re.DOTALL):
        if needle in match.group(2):
            return int(match.group(1))
    return None
