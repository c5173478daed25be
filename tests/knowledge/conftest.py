"""Case-index fixtures: a fresh index per test on the embedded store and on a real Chroma server on loopback."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from knowledge.cards import load_library
from knowledge.index import CaseIndex
from tests.processes import free_port, stop, wait_until_answers


def _wait(host: str, port: int, timeout: float, proc: subprocess.Popen | None = None) -> bool:
    return wait_until_answers(f"http://{host}:{port}/api/v2/heartbeat", timeout, proc)


@pytest.fixture(scope="session")
def chroma_server(tmp_path_factory):
    """(host, port) of a Chroma server: the one CI started (BELTDOCTOR_TEST_CHROMA=host:port) or our own."""
    given = os.environ.get("BELTDOCTOR_TEST_CHROMA")
    if given:
        host, port = given.rsplit(":", 1)
        if not _wait(host, int(port), 30):
            pytest.fail(f"BELTDOCTOR_TEST_CHROMA={given} does not answer")
        yield host, int(port)
        return
    chroma = shutil.which("chroma") or str(Path(sys.executable).with_name("chroma"))
    port = free_port()
    log = tmp_path_factory.mktemp("chroma") / "server.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [chroma, "run", "--path", str(log.parent / "data"), "--host", "127.0.0.1", "--port", str(port)],
            stdout=out, stderr=subprocess.STDOUT, env={**os.environ, "ANONYMIZED_TELEMETRY": "False"},
        )
    try:
        if not _wait("127.0.0.1", port, 60, proc):
            pytest.fail(f"chroma run did not start: {log.read_text()[-2000:]}")
        yield "127.0.0.1", port
    finally:
        stop(proc)


@pytest.fixture(scope="session")
def library():
    return load_library()


@pytest.fixture(params=["embedded", "server"])
def open_index(request, tmp_path, monkeypatch):
    """A factory for indexes in a fresh collection, on the embedded store or on the Chroma server."""
    monkeypatch.delenv("CHROMA_HOST", raising=False)
    if request.param == "server":
        host, port = request.getfixturevalue("chroma_server")
        monkeypatch.setenv("CHROMA_HOST", host)
        monkeypatch.setenv("CHROMA_PORT", str(port))
    name = f"t-{uuid.uuid4().hex[:12]}"

    def make(**kwargs) -> CaseIndex:
        return CaseIndex.open(home=tmp_path, name=name, **kwargs)

    make.backend = request.param
    return make


@pytest.fixture(scope="session")
def built_index(library, tmp_path_factory):
    """One embedded index over the whole bundled library, shared by read-only tests."""
    return CaseIndex.open(home=tmp_path_factory.mktemp("index"), library=library)
