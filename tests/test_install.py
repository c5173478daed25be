"""The install promise: the README's commands install from lock files that satisfy pyproject.toml's ranges, and CI
runs exactly the README's test command. A lock edited by hand or left stale after a range change fails here."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKS = ("requirements.lock", "requirements-test.lock", "requirements-openai2.lock")
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def _pins(name: str) -> dict[str, list[tuple[Version, str | None]]]:
    """Package -> [(version, marker)]: a universal lock may pin a package twice under different markers."""
    pins: dict[str, list[tuple[Version, str | None]]] = {}
    lines = (ROOT / name).read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        match = _PIN.match(line)
        if match:
            assert n + 1 < len(lines) and lines[n + 1].strip().startswith("--hash=sha256:"), f"{name}: {line} has no hash"
            pins.setdefault(_norm(match[1]), []).append((Version(match[2]), match[3]))
    return pins


def _norm(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _project() -> dict:
    return tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]


def _direct(extra: str | None) -> list[Requirement]:
    project = _project()
    reqs = [Requirement(r) for r in project["dependencies"]]
    if extra:
        reqs += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return reqs


@pytest.mark.parametrize(("lock", "extra"), [("requirements.lock", None), ("requirements-test.lock", "test"),
                                             ("requirements-openai2.lock", "test")])
def test_every_direct_dependency_is_pinned_inside_its_range(lock, extra):
    pins = _pins(lock)
    for req in _direct(extra):
        assert _norm(req.name) in pins, f"{lock} does not pin {req.name}"
        for version, _marker in pins[_norm(req.name)]:
            assert req.specifier.contains(version, prereleases=True), f"{lock}: {req.name}=={version} is outside {req.specifier}"


def test_every_range_has_an_upper_bound_on_a_tested_major():
    for extra in ("test", "dev"):
        for req in _direct(None) + [Requirement(r) for r in _project()["optional-dependencies"][extra] if not r.startswith("beltdoctor")]:
            assert any(spec.operator in ("<", "<=", "~=", "==") for spec in req.specifier), f"{req} has no upper bound"


def test_app_and_test_locks_agree_and_the_clients_cover_both_openai_majors():
    app, test, openai2 = (_pins(name) for name in LOCKS)
    assert {k: v for k, v in test.items() if k in app} == app, "the app lock and the test lock pin different versions"
    assert [v.major for v, _ in test["openai"]] == [3] and [v.major for v, _ in openai2["openai"]] == [2]
    assert "httpx" not in {_norm(r.name) for r in _direct("test")}, "the openai client's own types serve; no direct httpx"


def _readme_command(marker: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```bash\n(.*?)```", readme, re.DOTALL)
    return next(line for block in blocks for line in block.splitlines() if marker in line)


def test_ci_runs_the_readme_test_command_and_installs_from_the_locks():
    readme_test = _readme_command("python -m pytest")
    assert "-r requirements-test.lock" in readme_test and "--require-hashes" in readme_test
    assert "-r requirements.lock" in _readme_command("streamlit run app.py")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert readme_test in ci, ".ci/run does not run the README's test command"
    assert any(line.startswith("export PIP_NO_CACHE_DIR=1") for line in ci) and any(line.startswith("rm -rf .venv") for line in ci)
