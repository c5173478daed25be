"""`run_batch` and `beltdoctor batch`: good merchants end up diagnosed and planned in the workspace, bad ones are
reported without stopping the rest, re-runs skip what did not change, and the output files cannot carry formulas."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from openpyxl import load_workbook

from diagnosis.batch import run_batch
from diagnosis.cli import main
from diagnosis.merchants import DEMO_ROOT, export_files
from diagnosis.store.portfolio import portfolio
from diagnosis.store.workspace import Workspace
from tests.fake_openai import FakeOpenAI, Reply

DEMO = ("menswear_paid", "used3c_coldstart")
HOSTILE = "hostile"  # three files of another demo store, under a merchant.json name that is a formula
HOSTILE_NAME = '=HYPERLINK("x")'
GOOD = {*DEMO, HOSTILE}


@pytest.fixture(autouse=True)
def _no_llm(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BELTDOCTOR_LLM_MODEL", "BELTDOCTOR_LLM_PROFILE", "DATABASE_URL"):
        monkeypatch.delenv(name, raising=False)


def _hostile(folder: Path) -> None:
    folder.mkdir(parents=True)
    for path in export_files(DEMO_ROOT / "kidswear_818"):
        if path.name.startswith(("成交概览", "千川", "商家体验分")):
            shutil.copy(path, folder)
    (folder / "merchant.json").write_text(json.dumps({"name": HOSTILE_NAME, "category": "kids"}), encoding="utf-8")


def _root(base: Path, broken: bool = True) -> Path:
    root = base / "root"
    for slug in DEMO:
        shutil.copytree(DEMO_ROOT / slug, root / slug)
    _hostile(root / HOSTILE)
    if broken:
        (root / "broken").mkdir()
        (root / "broken" / "成交概览.xlsx").write_bytes(b"PK\x03\x04 not really a workbook" * 40)
        (root / "empty").mkdir()
    return root


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    """One batch over two demo stores, the hostile one, a broken and an empty folder; tests copy its results."""
    base = tmp_path_factory.mktemp("batch")
    root = _root(base)
    workspace = Workspace(f"sqlite:///{base / 'ws.db'}")
    report = run_batch(root, workspace, base / "out", workers=2, lang="en")
    workspace.engine.dispose()  # checkpoints the WAL, so ws.db alone is the whole database
    return SimpleNamespace(base=base, root=root, out=base / "out", db=base / "ws.db", report=report)


def _copy(first, tmp_path: Path, db_name: str = "ws.db") -> tuple[Path, Path]:
    root = tmp_path / "root"
    shutil.copytree(first.root, root)
    db = tmp_path / db_name
    shutil.copy(first.db, db)
    return root, db


def _statuses(report) -> dict[str, str]:
    return {m.slug: m.status for m in report.merchants}


def _versions(workspace: Workspace, slug: str) -> tuple[list[int], int]:
    return [d.version for d in workspace.diagnoses(slug)], workspace.latest_plan(slug).version


def test_every_good_merchant_is_diagnosed_and_planned_and_the_broken_ones_are_reported(first):
    assert _statuses(first.report) == {**dict.fromkeys(GOOD, "new"), "broken": "failed", "empty": "failed"}
    reasons = {m.slug: m.reason for m in first.report.failed}
    assert reasons["broken"].startswith("成交概览.xlsx: ") and "damaged" in reasons["broken"]
    assert "no export files" in reasons["empty"]
    assert first.report.summary("en") == "5 merchants: 3 new/changed, 0 unchanged, 2 failed"
    assert all(first.report.seconds[stage] > 0 for stage in ("ingest", "diagnose", "plan", "store", "output"))
    workspace = Workspace(f"sqlite:///{first.db}")
    table = portfolio(workspace)
    assert set(table["slug"]) == GOOD, "failed merchants are never half-stored"
    assert table["health"].notna().all() and (table["plan_version"] == 1).all() and (table["open_actions"] > 0).all()
    for slug in GOOD:
        diagnosis = workspace.diagnoses(slug)[-1]
        assert diagnosis.data_hash == workspace.data_hash(slug)
        assert workspace.latest_plan(slug).diagnosis_id == diagnosis.id
    assert table.set_index("slug").loc[HOSTILE, "name"] == HOSTILE_NAME
    workspace.engine.dispose()


def test_out_holds_the_portfolio_the_briefs_and_the_failures(first):
    with (first.out / "portfolio.csv").open(encoding="utf-8-sig") as handle:
        rows = list(csv.DictReader(handle))
    assert sorted(r["slug"] for r in rows) == sorted(GOOD) and "gmv_trend" not in rows[0]
    assert sorted(p.stem for p in (first.out / "briefs").glob("*.md")) == sorted(GOOD)
    brief = (first.out / "briefs" / "menswear_paid.md").read_text(encoding="utf-8")
    assert brief.startswith("# ") and "## Actions" in brief
    with (first.out / "failed.csv").open(encoding="utf-8-sig") as handle:
        failed = {r["merchant"]: r["reason"] for r in csv.DictReader(handle)}
    assert set(failed) == {"broken", "empty"} and failed["broken"].startswith("成交概览.xlsx: ")


def test_a_formula_as_merchant_name_stays_text(first):
    """Product names never reach the portfolio (its columns are per merchant); a merchant.json name does."""
    with (first.out / "portfolio.csv").open(encoding="utf-8-sig") as handle:
        names = {r["slug"]: r["name"] for r in csv.DictReader(handle)}
    assert names[HOSTILE] == "'" + HOSTILE_NAME
    sheet = load_workbook(first.out / "portfolio.xlsx").active
    cells = [cell for row in sheet.iter_rows() for cell in row if cell.value is not None]
    assert not [c.coordinate for c in cells if c.data_type == "f"]
    assert any(c.value == "'" + HOSTILE_NAME and c.data_type == "s" for c in cells)


def test_a_rerun_skips_unchanged_merchants_and_writes_no_new_versions(first, tmp_path):
    root, db = _copy(first, tmp_path)
    workspace = Workspace(f"sqlite:///{db}")
    before = {slug: (_versions(workspace, slug), len(workspace.uploads(slug))) for slug in GOOD}
    report = run_batch(root, workspace, None, lang="en")
    assert _statuses(report) == {**dict.fromkeys(GOOD, "unchanged"), "broken": "failed", "empty": "failed"}
    assert {slug: (_versions(workspace, slug), len(workspace.uploads(slug))) for slug in GOOD} == before
    workspace.engine.dispose()


def test_changing_one_file_reprocesses_only_that_merchant(first, tmp_path):
    root, db = _copy(first, tmp_path)
    changed = next((root / "used3c_coldstart").glob("成交概览*.csv"))
    changed.write_bytes(changed.read_bytes() + b"\r\n")  # same days, new bytes: replaces the stored file
    workspace = Workspace(f"sqlite:///{db}")
    report = run_batch(root, workspace, None, lang="en")
    statuses = _statuses(report)
    assert statuses.pop("used3c_coldstart") == "changed"
    assert set(statuses.values()) <= {"unchanged", "failed"} and statuses[HOSTILE] == "unchanged"
    assert _versions(workspace, "used3c_coldstart") == ([1, 2], 2)
    assert all(_versions(workspace, slug) == ([1], 1) for slug in GOOD - {"used3c_coldstart"})
    assert workspace.diagnoses("used3c_coldstart")[-1].data_hash == workspace.data_hash("used3c_coldstart")
    assert len(workspace.uploads("used3c_coldstart")) == 7, "the new file replaced the old one"
    workspace.engine.dispose()


def test_cli_exit_codes_summary_and_errors(first, tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    shutil.copy(first.db, home / "workspace.db")
    monkeypatch.setenv("BELTDOCTOR_HOME", str(home))
    good = _root(tmp_path / "good", broken=False)
    assert main(["batch", str(good), "--lang", "en"]) == 0
    assert capsys.readouterr().out.strip().splitlines()[-1] == "3 merchants: 0 new/changed, 3 unchanged, 0 failed"
    assert main(["batch", str(first.root), "--lang", "en", "--offline", "--workers", "1"]) == 2
    captured = capsys.readouterr()
    assert captured.out.strip().splitlines()[-1] == "5 merchants: 0 new/changed, 3 unchanged, 2 failed"
    errors = [line for line in captured.err.splitlines() if line.startswith("error: ")]
    assert errors[0].startswith("error: broken: 成交概览.xlsx: ") and errors[1].startswith("error: empty: ")
    assert "Traceback" not in captured.err


def test_cli_missing_or_empty_dir_is_a_clear_error(tmp_path, capsys):
    assert main(["batch", str(tmp_path / "nope")]) == 2
    assert capsys.readouterr().err.startswith(f"error: {tmp_path / 'nope'}: ")
    (tmp_path / "only_a_file.csv").write_text("x")
    assert main(["batch", str(tmp_path), "--lang", "en"]) == 2
    assert "no merchant folders" in capsys.readouterr().err


def test_llm_drafting_runs_in_the_parent_and_falls_back_offline(tmp_path, monkeypatch):
    root = tmp_path / "root"
    _hostile(root / HOSTILE)
    workspace = Workspace(f"sqlite:///{tmp_path / 'ws.db'}")
    with FakeOpenAI(default=Reply(raw_body="garbage{{{")) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        report = run_batch(root, workspace, tmp_path / "out", offline=False, workers=1, lang="en")
    assert _statuses(report) == {HOSTILE: "new"} and fake.requests
    plan = workspace.latest_plan(HOSTILE)
    assert plan.drafter == "offline" and json.loads(plan.fallback_reason)["code"] == "unreadable_answer", "stored as data"
    assert (tmp_path / "out" / "briefs" / f"{HOSTILE}.md").exists()
    workspace.engine.dispose()
