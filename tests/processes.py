"""Servers that tests start as child processes: a free loopback port, a bounded wait until one answers, and a stop
that never hangs."""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.request


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until_answers(url: str, timeout: float, proc: subprocess.Popen | None = None, expect: bytes | None = None) -> bool:
    """True once `url` answers (with `expect`, when given) within `timeout` seconds; False on time-out or when `proc`
    exits first."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            return False
        try:
            body = urllib.request.urlopen(url, timeout=2).read()  # noqa: S310 - loopback only
            if expect is None or body == expect:
                return True
        except OSError:
            pass
        time.sleep(0.2)
    return False


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)
