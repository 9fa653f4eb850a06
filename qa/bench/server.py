"""A real `chroma run` server for benchmarks and tests, on a free 127.0.0.1 port, stopped with its process group."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


class chroma_server:
    """`chroma run` on a free 127.0.0.1 port with its data under work/; stopped (its process group) on exit."""

    def __init__(self, work: Path) -> None:
        self.work = work

    def __enter__(self) -> str:
        shutil.rmtree(self.work, ignore_errors=True)
        self.work.mkdir(parents=True)
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
        self.log = (self.work / "server.log").open("wb")
        self.process = subprocess.Popen(
            [chroma, "run", "--path", str(self.work / "db"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=self.log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True,
            env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"{url}/api/v2/heartbeat", timeout=2):
                    return url
            except OSError:
                if self.process.poll() is not None:
                    break
                time.sleep(0.3)
        self.__exit__()
        raise RuntimeError(f"chroma run did not start: see {self.work / 'server.log'}")

    def __exit__(self, *exc: object) -> None:
        import signal

        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.log.close()
