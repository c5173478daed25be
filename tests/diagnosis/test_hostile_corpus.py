"""Acceptance for issue #15 (ingest side): every hostile file through `beltdoctor ingest --json` and
`beltdoctor diagnose --json`, each in its own process under OS limits (3 GiB address space, 60 s CPU).

Every file must be answered: exit 0 or 2, no traceback, the error code or the exact set of warning codes
the manifest (tests/data/hostile/make_hostile.py) gives for it, and JSON a strict parser accepts (no
Infinity or NaN). The CLI prints a refusal as text, so its code is recognised from the English templates.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from functools import cache
from pathlib import Path

import pytest

from diagnosis.i18n import table

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "data" / "hostile"))
from make_hostile import CASES, Case, write_corpus  # noqa: E402

ADDRESS_SPACE = 3 * 2**30
CPU_SECONDS = 60
WALL_SECONDS = 120  # a child stuck off-CPU (never seen) is still bounded


def limit_child() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (ADDRESS_SPACE, ADDRESS_SPACE))
    resource.setrlimit(resource.RLIMIT_CPU, (CPU_SECONDS, CPU_SECONDS))


def child_environment(cache: Path) -> dict[str, str]:
    """The children share one bytecode cache: without it (PYTHONDONTWRITEBYTECODE, a venv installed without
    .pyc files) each of them compiles pandas afresh, a second of every call."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    return env | {"PYTHONPYCACHEPREFIX": str(cache)}


def run_cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "diagnosis", *args, "--lang", "en"],
        capture_output=True, text=True, env=env, preexec_fn=limit_child, timeout=WALL_SECONDS,
    )


@cache
def _error_patterns() -> dict[str, re.Pattern]:
    """error code → regex of its English text, placeholders matching anything."""
    patterns = {}
    for key, entry in table().items():
        if key.startswith("error."):
            parts = re.split(r"\{\w+\}", entry["en"])
            patterns[key.removeprefix("error.")] = re.compile("(?:.+: )?" + "(.*?)".join(map(re.escape, parts)), re.S)
    return patterns


def error_codes(stderr: str, path: Path) -> set[str]:
    """Codes whose text is the reason printed for `path` (`error: <path>: [row N: ]<reason>`)."""
    prefix = f"error: {path}: "
    lines = [line[len(prefix):] for line in stderr.splitlines() if line.startswith(prefix)]
    return {code for line in lines for code, pattern in _error_patterns().items() if pattern.fullmatch(line)}


def strict_json(text: str) -> object:
    def refuse(constant: str) -> object:
        raise ValueError(f"non-standard JSON constant {constant}")

    return json.loads(text, parse_constant=refuse)


@pytest.fixture(scope="session")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("hostile")
    write_corpus(folder)
    return folder


@pytest.fixture(scope="session")
def child_env(tmp_path_factory) -> dict[str, str]:
    return child_environment(tmp_path_factory.mktemp("pycache"))


def test_corpus_covers_the_classes():
    assert len(CASES) >= 60
    assert len({c.name for c in CASES}) == len(CASES)
    assert {c.klass for c in CASES} == {"bounded work", "nothing lost", "nothing nonsensical", "wrong format", "names and layout"}
    assert all((c.outcome == "refused") == (c.code is not None) for c in CASES)


def answer(case: Case, folder: Path, env: dict[str, str]) -> list[str]:
    """Every way the CLI's answers for one file differ from the manifest (empty when they agree)."""
    path = folder / case.name
    problems = []
    ingest = run_cli(["ingest", str(path), "--json"], env | case.env)
    diagnose = run_cli(["diagnose", str(path), "--json"], env | case.env)
    for name, proc in (("ingest", ingest), ("diagnose", diagnose)):
        if proc.returncode not in (0, 2):
            problems.append(f"{name} exit {proc.returncode}: {proc.stderr[-400:]}")
        if "Traceback" in proc.stderr:
            problems.append(f"{name} traceback: {proc.stderr[-400:]}")
    if case.outcome == "refused":
        for name, proc in (("ingest", ingest), ("diagnose", diagnose)):
            codes = error_codes(proc.stderr, path)
            if proc.returncode != 2 or case.code not in codes:
                problems.append(f"{name}: expected refusal {case.code}, got exit {proc.returncode}, codes {codes}: {proc.stderr[-300:]}")
        return problems
    if ingest.returncode != 0:
        return [*problems, f"ingest refused: {ingest.stderr[-300:]}"]
    report = strict_json(ingest.stdout.strip().splitlines()[-1])
    if set(report["warning_counts"]) != case.warnings:
        problems.append(f"warnings {sorted(report['warning_counts'])} != expected {sorted(case.warnings)}")
    if case.diagnose_code is not None:
        if diagnose.returncode != 2 or case.diagnose_code not in error_codes(diagnose.stderr, path):
            problems.append(f"diagnose: expected refusal {case.diagnose_code}, got exit {diagnose.returncode}: {diagnose.stderr[-300:]}")
    elif diagnose.returncode != 0:
        problems.append(f"diagnose exit {diagnose.returncode}: {diagnose.stderr[-300:]}")
    else:
        strict_json(diagnose.stdout.strip().splitlines()[-1])
    return problems


def test_every_hostile_file_gets_its_expected_answer(corpus, child_env):
    # two children at a time: each is one CPU-bound interpreter, and CI machines have two cores
    with ThreadPoolExecutor(max_workers=2) as pool:
        results = dict(zip((c.name for c in CASES), pool.map(lambda c: answer(c, corpus, child_env), CASES)))
    failures = {name: problems for name, problems in results.items() if problems}
    assert not failures, json.dumps(failures, ensure_ascii=False, indent=1)
