"""A scripted OpenAI-compatible chat-completions server on loopback, for tests that must not touch the network.

    with FakeOpenAI([Reply("hello"), Reply(status=429, headers={"retry-after": "1"})]) as fake:
        client = OpenAI(base_url=fake.url, api_key="test", max_retries=0)
        ...
        assert fake.requests[0]["messages"][0]["role"] == "system"

Each chat-completions request consumes the next scripted `Reply`; when the queue is empty `default` answers, or,
without one, an HTTP 500 "no scripted reply".

`kind` replays what a real server of that kind was observed (llama-cpp-python's server, measured) or is documented
(llama.cpp's llama-server, Ollama, vLLM) to do: how it answers the recognition GETs, which response format it
refuses, whether its stream carries `: ping` comments and usage, and what it does with a prompt longer than its
context `n_ctx` (llama-cpp-python: HTTP 200 and an empty event stream when streamed, else HTTP 400 naming the
limit, as vLLM does; llama-server: HTTP 400 "exceeds the available context size").
Prompt length is counted here as one token per three characters of message content, independent of the drafter.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

MODEL = "fake-model"
HOLD_LIMIT = 30.0  # a hanging or stalled reply gives up after this long even if the test never stops the server


@dataclass
class Reply:
    """One scripted answer. Only `content` matters for the happy path; the rest injects faults."""

    content: str | None = None  # assistant message content (the whole answer)
    status: int = 200  # non-200 sends an OpenAI-style {"error": {...}} body
    error_message: str = "scripted error"
    headers: dict[str, str] = field(default_factory=dict)  # e.g. {"retry-after": "1"} for a 429
    raw_body: str | None = None  # sent verbatim (with `status`) instead of any JSON or stream
    delay: float = 0.0  # seconds to wait before sending headers
    chunk_size: int = 24  # streamed: characters per content delta
    chunk_delay: float = 0.0  # streamed: seconds between deltas
    stall_after: int | None = None  # streamed: send this many content deltas, then hang with the socket open
    hang: bool = False  # accept the request and never answer until the server stops
    usage: tuple[int, int] | None = (120, 80)  # (prompt_tokens, completion_tokens)
    reject_formats: tuple[str, ...] = ()  # response_format types answered with HTTP 500, as llama.cpp does
    finish_reason: str = "stop"  # "length" for an answer cut by max_tokens


KINDS = ("generic", "llama_cpp_python", "llamacpp", "ollama", "vllm")


def fake_tokens(messages: list[dict]) -> int:
    return sum(len(str(m.get("content") or "")) for m in messages) // 3


class FakeOpenAI:
    """Context manager running the server on 127.0.0.1:<free port>; `url` is the client's base_url."""

    def __init__(self, replies: list[Reply] | None = None, default: Reply | None = None, kind: str = "generic",
                 n_ctx: int | None = None, report_ctx: bool = True):
        assert kind in KINDS, kind
        self.default = default
        self.kind, self.n_ctx, self.report_ctx = kind, n_ctx, report_ctx
        self.gets: list[str] = []  # the paths of every GET (the drafter's recognition probes)
        self.requests: list[dict] = []
        self.authorizations: list[str | None] = []  # the Authorization header of each chat request
        self.url = ""
        self._queue: deque[Reply] = deque(replies or ())
        self._lock = threading.Lock()
        self._stopped = threading.Event()
        self._connections: set[socket.socket] = set()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    def script(self, *replies: Reply) -> None:
        """Append replies to the queue."""
        with self._lock:
            self._queue.extend(replies)

    def wait_for_requests(self, count: int = 1, timeout: float = 5.0) -> None:
        """Block until `count` chat requests arrived; fail the test after `timeout` seconds (a client that fails
        before sending must not hang the suite)."""
        deadline = time.monotonic() + timeout
        while len(self.requests) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"the fake server got {len(self.requests)} of {count} requests within {timeout:.0f} s")
            time.sleep(0.01)

    def __enter__(self) -> Self:
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.block_on_close = False
        self._server.fake = self
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        """Release hanging handlers, stop accepting and cut every open connection; never blocks for long."""
        self._stopped.set()
        self._server.shutdown()
        self._server.server_close()
        with self._lock:
            connections = list(self._connections)
        for conn in connections:
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        self._thread.join(timeout=1)

    def _take(self, body: dict) -> Reply | None:
        with self._lock:
            self.requests.append(body)
            return self._queue.popleft() if self._queue else self.default

    def _track(self, conn: socket.socket, open_: bool) -> None:
        with self._lock:
            (self._connections.add if open_ else self._connections.discard)(conn)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: ThreadingHTTPServer

    def setup(self):
        super().setup()
        self.fake: FakeOpenAI = self.server.fake
        self.fake._track(self.connection, True)

    def finish(self):
        self.fake._track(self.connection, False)
        super().finish()

    def log_message(self, *args):
        pass

    def do_GET(self):
        fake, path = self.fake, self.path.rstrip("/")
        fake.gets.append(path)
        ctx = fake.n_ctx if fake.report_ctx else None
        if path == "/v1/models":
            model = {"id": MODEL, "object": "model", "created": 0, "owned_by": {
                "generic": "fake", "llama_cpp_python": "me", "llamacpp": "llamacpp", "ollama": "library", "vllm": "vllm"}[fake.kind]}
            if fake.kind == "vllm":
                model.update(root=MODEL, max_model_len=ctx)
            if fake.kind == "llamacpp":
                model["meta"] = {"n_ctx_train": 32768, "n_vocab": 262144}
            self._send_json(200, {"object": "list", "data": [model]})
        elif path == "/props" and fake.kind == "llamacpp":
            self._send_json(200, {"default_generation_settings": {"n_ctx": ctx, "model": MODEL}, "total_slots": 1,
                                  "chat_template": "{{ messages }}", "build_info": "b6000"})
        elif path == "/api/version" and fake.kind == "ollama":
            self._send_json(200, {"version": "0.12.3"})
        elif fake.kind == "llama_cpp_python":
            self._send_json(404, {"detail": "Not Found"})  # FastAPI's 404
        else:
            self._send_error(404, f"no route {self.path}")

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        if self.path.rstrip("/") != "/v1/chat/completions":
            self._send_error(404, f"no route {self.path}")
            return
        try:
            request = json.loads(body)
        except ValueError:
            self._send_error(400, "request body is not JSON")
            return
        self.fake.authorizations.append(self.headers.get("Authorization"))
        reply = self.fake._take(request)
        try:
            self._answer(request, reply)
        except ConnectionError:  # the client gave up (timeout) or the server is stopping
            self.close_connection = True

    def _answer(self, request: dict, reply: Reply | None) -> None:
        if reply is None:
            self._send_error(500, "no scripted reply")
            return
        if reply.hang:
            self.fake._stopped.wait(HOLD_LIMIT)
        if reply.hang or self.fake._stopped.wait(reply.delay):
            self.close_connection = True  # stopped (or held) before answering: drop the connection without a response
            return
        fmt = (request.get("response_format") or {}).get("type")
        kind = self.fake.kind
        if fmt in reply.reject_formats or (kind == "llama_cpp_python" and fmt == "json_schema"):
            self._send_error(500, f"response_format type {fmt!r} is not supported", reply.headers)
        elif self.fake.n_ctx and fake_tokens(request.get("messages") or []) > self.fake.n_ctx and kind != "ollama":
            self._overflow(request)
        elif reply.raw_body is not None:
            self._send(reply.status, reply.raw_body.encode(), "application/json", reply.headers)
        elif reply.status != 200:
            self._send_error(reply.status, reply.error_message, reply.headers)
        elif request.get("stream"):
            self._stream(request, reply)
        else:
            message = {"role": "assistant", "content": reply.content}
            payload = _completion(request, "chat.completion", [{"index": 0, "message": message, "finish_reason": reply.finish_reason, "logprobs": None}])
            if reply.usage:
                payload["usage"] = _usage(reply.usage)
            self._send_json(200, payload, reply.headers)

    def _overflow(self, request: dict) -> None:
        n_prompt, n_ctx = fake_tokens(request.get("messages") or []), self.fake.n_ctx
        if self.fake.kind == "llama_cpp_python" and request.get("stream"):  # observed: a 200 event stream, empty
            self.send_response(200)
            self.send_header("content-type", "text/event-stream; charset=utf-8")
            self.send_header("connection", "close")
            self.end_headers()
            self.close_connection = True
        elif self.fake.kind in ("llama_cpp_python", "vllm"):  # observed (llama-cpp-python), documented (vLLM)
            self._send_json(400, {"error": {
                "message": f"This model's maximum context length is {n_ctx} tokens. However, you requested "
                           f"{n_prompt + int(request.get('max_tokens') or 0)} tokens ({n_prompt} in the messages, "
                           f"{request.get('max_tokens')} in the completion). Please reduce the length of the messages or completion.",
                "type": "invalid_request_error", "param": "messages", "code": "context_length_exceeded"}})
        else:
            self._send_json(400, {"error": {"code": 400, "message": "the request exceeds the available context size, try increasing it",
                                            "type": "exceed_context_size_error", "n_prompt_tokens": n_prompt, "n_ctx": n_ctx}})

    def _stream(self, request: dict, reply: Reply) -> None:
        self.send_response(200)
        for name, value in {"content-type": "text/event-stream", "cache-control": "no-cache", "connection": "close", **_lower(reply.headers)}.items():
            self.send_header(name, value)
        self.end_headers()
        self.close_connection = True

        def event(delta: dict, finish_reason: str | None = None) -> None:
            choice = {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            self._event(json.dumps(_completion(request, "chat.completion.chunk", [choice]), ensure_ascii=False))

        pings = self.fake.kind in ("llama_cpp_python", "llamacpp")
        if pings:
            self.wfile.write(b": ping - 2026-12-07 20:00:00.000000\r\n\r\n")  # sse-starlette's keep-alive comment
        event({"role": "assistant", "content": ""})
        content = reply.content or ""
        pieces = [content[i : i + reply.chunk_size] for i in range(0, len(content), reply.chunk_size)]
        for n, piece in enumerate(pieces):
            if n == reply.stall_after:
                break
            if n and self.fake._stopped.wait(reply.chunk_delay):
                return
            if pings and n % 5 == 4:
                self.wfile.write(b": ping\r\n\r\n")
            event({"content": piece})
        if reply.stall_after is not None:
            self.fake._stopped.wait(HOLD_LIMIT)
            return
        event({}, reply.finish_reason)
        usage_in_stream = self.fake.kind not in ("llama_cpp_python", "llamacpp")
        if usage_in_stream and (request.get("stream_options") or {}).get("include_usage") and reply.usage:
            self._event(json.dumps({**_completion(request, "chat.completion.chunk", []), "usage": _usage(reply.usage)}))
        self._event("[DONE]")

    def _event(self, data: str) -> None:
        self.wfile.write(f"data: {data}\n\n".encode())
        self.wfile.flush()

    def _send_error(self, status: int, message: str, headers: dict[str, str] | None = None) -> None:
        self._send_json(status, {"error": {"message": message, "type": "scripted", "code": status}}, headers)

    def _send_json(self, status: int, payload: dict, headers: dict[str, str] | None = None) -> None:
        self._send(status, json.dumps(payload, ensure_ascii=False).encode(), "application/json", headers)

    def _send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None) -> None:
        self.send_response(status)
        for name, value in {"content-type": content_type, **_lower(headers or {})}.items():
            self.send_header(name, value)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()


def _completion(request: dict, kind: str, choices: list[dict]) -> dict:
    return {"id": "chatcmpl-fake", "object": kind, "created": int(time.time()), "model": request.get("model") or MODEL, "choices": choices}


def _usage(usage: tuple[int, int]) -> dict:
    return {"prompt_tokens": usage[0], "completion_tokens": usage[1], "total_tokens": sum(usage)}


def _lower(headers: dict[str, str]) -> dict[str, str]:
    return {name.lower(): value for name, value in headers.items()}
