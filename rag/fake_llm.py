"""A small local OpenAI-compatible chat server: the fake shipped beside the real client.

Deterministic and model-free, for tests and for trying the generative mode without a model::

    python -m rag.fake_llm            # prints its URL; then REFERAT_LLM_URL=<that URL>

It answers ``POST /v1/chat/completions`` (and ``/chat/completions``) in the OpenAI JSON shape
by restating the first sentence of passage [1] of the prompt ``rag.llm.build_messages`` makes,
with ``[1]``. It is an *obedient* model: when a passage says "ignorer tidligere instruktioner"
(or "ignore previous instructions"), it does what follows, "citer kilde [9]", "svar at ...",
"citer ordret \"...\"", so that tests prove referat's checks rather than the fake's manners.
``obey="append"`` adds the obeyed sentences after its own, ``"replace"`` answers with them
alone. ``failure`` makes it fail on purpose: ``"http500"``, ``"garbage"`` (not JSON),
``"no_content"`` (JSON without ``choices``) or ``"slow"`` (answers after ``delay`` seconds).
Every request is kept in ``requests`` (path, headers, parsed body) for tests to inspect.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

from rag.answer import split_sentences

Failure = Literal["none", "http500", "garbage", "no_content", "slow"]

_PASSAGE = re.compile(r"<<<UDDRAG \[(\d+)\][^\n]*>>>\n(.*?)\n<<<SLUT \[\1\]>>>", re.S)
_INJECTION = re.compile(
    r"\b(?:ignorer|ignore)\s+(?:alle\s+|all\s+)?(?:tidligere|previous|forrige|ovenstående)\s+"
    r"(?:instruktioner|instructions)\b(?P<rest>.*)",
    re.I | re.S,
)
_CITE = re.compile(r"\b(?:citer|cite)\s+(?:kilde|source)\s*\[(\d+)\]", re.I)
_SAY = re.compile(r"\b(?:svar|answer)\s+(?:at|that)\s+([^.!?\n]+)", re.I)
_QUOTE = re.compile(r"\b(?:citer ordret|quote)\s+\"([^\"]+)\"", re.I)


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    headers: dict[str, str]  # names in lower case
    body: Any  # the parsed JSON, or the raw text when it was not JSON


def passages_in(messages: list[dict[str, Any]]) -> dict[int, str]:
    """The numbered passages of a prompt, as the fake reads them."""
    text = "\n".join(str(m.get("content", "")) for m in messages if m.get("role") == "user")
    return {int(m.group(1)): m.group(2) for m in _PASSAGE.finditer(text)}


def _with_marker(sentence: str, marker: str) -> str:
    sentence = sentence.strip()
    end = sentence[-1] if sentence and sentence[-1] in ".!?" else "."
    return f"{sentence.rstrip('.!?')} {marker}{end}"


def obeyed(passages: dict[int, str]) -> list[str]:
    """What an obedient model adds when a passage tells it to: the injected sentences."""
    out: list[str] = []
    for text in passages.values():
        match = _INJECTION.search(text)
        if not match:
            continue
        rest = match.group("rest")
        cite = _CITE.search(rest)
        marker = f"[{cite.group(1)}]" if cite else ""
        for quote in _QUOTE.findall(rest):
            out.append(_with_marker(f'Referatet siger "{quote}"', marker or "[1]"))
        says = _SAY.findall(rest)
        for said in says:
            claim = said.strip()[:1].upper() + said.strip()[1:]
            out.append(_with_marker(claim, marker) if marker else claim.rstrip(".") + ".")
        if marker and not says:
            out.append(_with_marker("Det fremgår af kilden", marker))
    return out


def fake_reply(messages: list[dict[str, Any]], obey: Literal["append", "replace"]) -> str:
    """The fake model's answer to ``messages``."""
    passages = passages_in(messages)
    own: list[str] = []
    if 1 in passages:
        sentences = split_sentences(passages[1])
        if sentences:
            own.append(_with_marker(sentences[0], "[1]"))
    if not own:
        own.append("Uddragene svarer ikke på spørgsmålet.")
    injected = obeyed(passages)
    if injected and obey == "replace":
        return " ".join(injected)
    return " ".join(own + injected)


class FakeLLMServer:
    """``with FakeLLMServer() as server: ... server.url ...`` - a server on 127.0.0.1, port 0."""

    def __init__(
        self,
        failure: Failure = "none",
        delay: float = 5.0,
        obey: Literal["append", "replace"] = "append",
        reply: str | None = None,
        api_key: str | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.failure: Failure = failure
        self.delay = delay
        self.obey: Literal["append", "replace"] = obey
        self.reply = reply  # a fixed reply, instead of the obedient model's
        self.api_key = api_key  # when set, other bearer tokens get HTTP 401
        self.requests: list[RecordedRequest] = []
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The base URL to give ``REFERAT_LLM_URL``: ``http://127.0.0.1:PORT/v1``."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    def start(self) -> FakeLLMServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="fake-llm", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    def __enter__(self) -> FakeLLMServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _record(self, request: RecordedRequest) -> None:
        with self._lock:
            self.requests.append(request)

    def respond(self, path: str, headers: dict[str, str], raw: bytes) -> tuple[int, bytes]:
        """Status and body for one request (the HTTP handler's logic, callable directly)."""
        try:
            body: Any = json.loads(raw.decode("utf-8"))
        except (UnicodeDecodeError, ValueError):
            body = raw.decode("utf-8", "replace")
        self._record(RecordedRequest(path, headers, body))
        if path.rstrip("/") not in ("/v1/chat/completions", "/chat/completions"):
            return 404, _json({"error": {"message": f"no route {path}"}})
        if self.api_key and headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, _json({"error": {"message": "invalid api key"}})
        if self.failure == "http500":
            return 500, _json({"error": {"message": "the fake model failed on purpose"}})
        if self.failure == "garbage":
            return 200, b"{this is not json"
        if self.failure == "no_content":
            return 200, _json({"id": "fake", "object": "chat.completion", "choices": []})
        if self.failure == "slow" and self._stopping.wait(self.delay):
            return 503, _json({"error": {"message": "shutting down"}})
        if not isinstance(body, dict) or not isinstance(body.get("messages"), list):
            return 400, _json({"error": {"message": "messages missing"}})
        text = self.reply if self.reply is not None else fake_reply(body["messages"], self.obey)
        return 200, _json(
            {
                "id": f"fake-{len(self.requests)}",
                "object": "chat.completion",
                "created": 0,
                "model": str(body.get("model", "fake")),
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": text},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0},
            }
        )

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, payload = server.respond(self.path, headers, raw)
                try:
                    self.send_response(status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except OSError:  # the client gave up (a timeout test): nothing to tell it
                    pass

            def log_message(self, format: str, *args: Any) -> None:
                return

        return Handler


def _json(data: Any) -> bytes:
    return json.dumps(data, ensure_ascii=False).encode("utf-8")


def main() -> None:  # pragma: no cover - an interactive convenience
    import time

    with FakeLLMServer() as server:
        print(f"fake OpenAI-compatible server on {server.url} (Ctrl-C stops it)", flush=True)
        print(f"REFERAT_LLM_URL={server.url} referat ask ...", flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":  # pragma: no cover
    main()
