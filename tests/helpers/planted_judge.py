"""A planted judge on localhost: an OpenAI-compatible chat-completions endpoint whose reply the test chooses.

Modes: ``yes`` (always "yes"), ``thinking`` ("<think>...</think>No."), ``garbage`` (never a verdict), ``fail``
(HTTP 503), ``slow`` (sleeps past the client's timeout), ``yes-then-fail`` (``yes`` for the first
``budget`` requests, then HTTP 503). Every request's user message is kept in ``prompts``.
"""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLIES = {"yes": "yes", "thinking": "<think>It argues for the chosen one.</think>No.", "garbage": "maybe?!"}


class PlantedJudge:
    def __init__(self, mode: str, budget: int = 0) -> None:
        self.mode, self.budget = mode, budget
        self.prompts: list[str] = []
        self.requests = 0
        self._lock = threading.Lock()
        judge = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # quiet
                pass

            def do_POST(self) -> None:  # noqa: N802 (http.server's name)
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                status, payload = judge.answer(body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def answer(self, body: dict) -> tuple[int, dict]:
        with self._lock:
            self.requests += 1
            n = self.requests
            self.prompts.append(body["messages"][0]["content"])
        mode = self.mode
        if mode == "yes-then-fail":
            mode = "yes" if n <= self.budget else "fail"
        if mode == "fail":
            return 503, {"error": {"message": "planted: overloaded", "type": "server_error"}}
        if mode == "slow":
            time.sleep(5)
        text = REPLIES.get(mode, "yes")
        return 200, {
            "id": f"planted-{n}",
            "object": "chat.completion",
            "created": 0,
            "model": body["model"],
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}
            ],
        }

    def __enter__(self) -> PlantedJudge:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
