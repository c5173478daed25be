"""`beltdoctor cases ...`: JSON contract, exit codes and one-line errors."""

from __future__ import annotations

import json
import shutil

import pytest

from diagnosis.cli import main


@pytest.fixture(autouse=True)
def _home(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path_factory.getbasetemp() / "cli-home"))
    monkeypatch.delenv("CHROMA_HOST", raising=False)


def test_search_json_contract(capsys):
    assert main(["cases", "search", "直播间留不住人", "--k", "3", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert len(rows) == 3
    assert set(rows[0]) >= {"id", "title", "merchant", "provider", "pain_points", "score"}
    assert "live_stay_low" in rows[0]["pain_points"] and rows[0]["title"] and rows[0]["score"] >= rows[-1]["score"]


def test_search_filters_and_language(capsys):
    assert main(["cases", "search", "bundles to raise order value", "--category", "kids", "--pain-point", "aov_low", "--json", "--lang", "zh"]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert rows and all("aov_low" in r["pain_points"] and r["category"] == "kids" for r in rows)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in rows[0]["title"])


def test_unknown_pain_point_is_a_usage_error(capsys):
    assert main(["cases", "search", "x", "--pain-point", "nope"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: nope: unknown pain-point code") and "Traceback" not in err


def test_show_known_and_unknown(capsys):
    assert main(["cases", "show", "seed-xiakehui-thinkpad-fudai-miaosha", "--json"]) == 0
    case = json.loads(capsys.readouterr().out)
    assert case["id"] == "seed-xiakehui-thinkpad-fudai-miaosha" and set(case["body"]) == {"zh", "en"}
    assert main(["cases", "show", "seed-xiakehui-thinkpad-fudai-miaosh"]) == 2
    err = capsys.readouterr().err
    assert "no such case" in err and "seed-xiakehui-thinkpad-fudai-miaosha" in err


def test_index_reports_incremental_work(capsys):
    assert main(["cases", "index"]) == 0
    capsys.readouterr()
    assert main(["cases", "index"]) == 0
    out = capsys.readouterr().out
    assert "0 added, 0 updated, 0 removed" in out and "unchanged" in out


def test_validate_passes_on_the_library_and_fails_on_a_broken_folder(tmp_path, capsys):
    from knowledge.cards import case_files

    assert main(["cases", "validate"]) == 0
    assert "case files valid" in capsys.readouterr().out
    good = case_files()[0]
    shutil.copy(good, tmp_path / good.name)
    (tmp_path / "bad-card.md").write_text(good.read_text(encoding="utf-8").replace("## English", "## Français"), encoding="utf-8")
    assert main(["cases", "validate", "--dir", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert "bad-card.md" in captured.err and "Français" in captured.err and "1/2 case files valid" in captured.out
