"""The project never points outside itself, and every `docs/sources.md#<anchor>` it cites exists.

Facts that code, data and case cards rely on are summarised in docs/sources.md with their public sources
(issue #14, point 7). These tests fail on a reference to the external research file or to a path outside
the repository, on a cited anchor that docs/sources.md does not define, and on internal section codes
(§1.10, S12…) in the texts merchants see (issue #17).
"""

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
SOURCES = ROOT / "docs" / "sources.md"
SKIP_DIRS = {".git", ".venv", "venv", "node_modules", "__pycache__", ".pytest_cache", ".mypy_cache", ".ruff_cache"}
TEXT_SUFFIXES = {".py", ".md", ".yaml", ".yml", ".toml", ".txt", ".cfg", ".ini", ".json", ".lock", ".sh", ".html", ".css"}
# Built from pieces so that this file does not match its own patterns.
FORBIDDEN = [
    re.compile("DOMAIN" + r"\.md", re.IGNORECASE),
    re.compile(r"\.\./" + "shared"),
    re.compile("/work" + "/shared"),
    re.compile(r"(?<![\w.])/" + "work/"),  # an absolute path into the machine this was written on
]
CITED = re.compile(r"docs/sources\.md#([a-z0-9][a-z0-9-]*)")
INTERNAL_CODE = re.compile(r"§\s?\d|\[S\d+\]|\bS(?:1[0-9]|2[0-9]|3[0-9]|4[0-1])\b")


def repo_text_files():
    """The project's own files: what git tracks (a clone), else the tree without tool folders (an export)."""
    import subprocess

    listed = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=False)
    paths = ([ROOT / p for p in listed.stdout.decode().split("\0") if p] if listed.returncode == 0
             else [p for p in ROOT.rglob("*") if not any(part in SKIP_DIRS or part.startswith(".venv") or part.endswith(".egg-info")
                                                          for part in p.relative_to(ROOT).parts)])
    for path in paths:
        if path.is_file() and path.suffix.lower() in TEXT_SUFFIXES:
            yield path


def defined_anchors() -> set[str]:
    text = SOURCES.read_text(encoding="utf-8")
    explicit = set(re.findall(r'<a id="([a-z0-9][a-z0-9-]*)"></a>', text))
    slugs = {re.sub(r"[^\w\- ]", "", h.strip().lower()).replace(" ", "-") for h in re.findall(r"^#{1,6} (.+)$", text, re.M)}
    return explicit | slugs


def test_sources_doc_exists_with_stable_anchors():
    anchors = defined_anchors()
    for anchor in ("export-format", "compass-trade-overview", "compass-product-list", "compass-live-sessions",
                   "compass-videos", "qianchuan-reports", "experience-score", "experience-score-5-point",
                   "kpi-formulas", "break-even-roi", "promotion-calendar", "public-cases", "beltdoctor-heuristics"):
        assert anchor in anchors, anchor


def test_no_file_points_outside_the_repository():
    offenders = []
    for path in repo_text_files():
        text = path.read_text(encoding="utf-8", errors="ignore")
        for pattern in FORBIDDEN:
            for match in pattern.finditer(text):
                line = text.count("\n", 0, match.start()) + 1
                offenders.append(f"{path.relative_to(ROOT)}:{line}: {match.group(0)}")
    assert not offenders, "references outside the repository:\n" + "\n".join(offenders)


def test_every_cited_sources_anchor_exists():
    anchors = defined_anchors()
    missing = []
    cited = 0
    for path in repo_text_files():
        for match in CITED.finditer(path.read_text(encoding="utf-8", errors="ignore")):
            cited += 1
            if match.group(1) not in anchors:
                missing.append(f"{path.relative_to(ROOT)}: #{match.group(1)}")
    assert cited >= 100, cited  # code, data and cards do cite the page
    assert not missing, "anchors cited but not defined in docs/sources.md:\n" + "\n".join(missing)


def test_internal_links_inside_sources_doc_resolve():
    anchors = defined_anchors()
    links = re.findall(r"\]\(#([a-z0-9-]+)\)", SOURCES.read_text(encoding="utf-8"))
    assert links and not [a for a in links if a not in anchors]


def _shown_texts():
    """Texts a merchant or provider sees: case cards, benchmark and promotion sources, plan templates."""
    for path in sorted((ROOT / "knowledge" / "cases").glob("*.md")):
        yield path.name, path.read_text(encoding="utf-8")
    benchmarks = yaml.safe_load((ROOT / "diagnosis" / "data" / "benchmarks.yaml").read_text(encoding="utf-8"))
    for category, table in benchmarks.items():
        for key, entry in table.items():
            yield f"benchmarks.yaml {category}.{key}", entry["source"]
    for promo in yaml.safe_load((ROOT / "diagnosis" / "data" / "promotions.yaml").read_text(encoding="utf-8")):
        yield f"promotions.yaml {promo['id']} {promo['year']}", promo["source"]
    plans = yaml.safe_load((ROOT / "diagnosis" / "data" / "plan_templates.yaml").read_text(encoding="utf-8"))
    yield "plan_templates.yaml", yaml.safe_dump(plans, allow_unicode=True)


@pytest.mark.parametrize("name,text", list(_shown_texts()), ids=lambda v: v if len(v) < 60 else None)
def test_no_internal_section_codes_in_shown_texts(name, text):
    assert not INTERNAL_CODE.search(text), f"{name}: {INTERNAL_CODE.search(text).group(0)!r}"


def test_benchmark_sources_are_readable_citations_with_an_anchor_comment():
    lines = (ROOT / "diagnosis" / "data" / "benchmarks.yaml").read_text(encoding="utf-8").splitlines()
    entries = [line for line in lines if re.match(r"^  \w+: \{value:", line)]
    assert entries
    for line in entries:
        assert "docs/sources.md#" in line.split("}", 1)[1], line  # the anchor sits in the trailing comment
        source = re.search(r'source: "([^"]*)"', line).group(1)
        assert "docs/sources.md" not in source and len(source) <= 140, source
