"""`beltdoctor ingest`: one JSON line per good file, `error: <file>: <reason>` per bad one, exit 2, no traceback."""

import json
import subprocess
import sys

import pytest

from diagnosis.cli import main
from diagnosis.merchants import DEMO_ROOT

STORE = next((DEMO_ROOT / "used3c_coldstart").glob("成交概览*"))
ADS = next((DEMO_ROOT / "menswear_paid").glob("千川*"))


def test_json_lines_for_good_files(capsys):
    assert main(["ingest", "--json", str(STORE), str(ADS)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert {"file", "kind", "rows", "start", "end", "totals", "warnings"} <= first.keys()
    assert (first["kind"], second["kind"]) == ("store_daily", "ads")
    assert first["start"] == "2022-05-01" and first["end"] == "2022-09-30"
    assert first["rows"] == 153
    assert first["totals"]["gmv"] > 0 and "order_count" in first["totals"]
    assert second["totals"]["ad_spend_total"] > 0
    assert [w["code"] for w in first["warnings"]] == ["totals_row"]


def test_bad_files_are_reported_and_the_rest_still_read(tmp_path, capsys):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(bytes(range(256)) * 8)
    missing = tmp_path / "nope.csv"
    assert main(["ingest", "--json", str(junk), str(STORE), str(missing)]) == 2
    captured = capsys.readouterr()
    assert [json.loads(line)["kind"] for line in captured.out.strip().splitlines()] == ["store_daily"]
    errors = captured.err.strip().splitlines()
    assert errors[0].startswith(f"error: {junk}: ") and "binary" in errors[0]
    assert errors[1].startswith(f"error: {missing}: ") and "no such file" in errors[1]


def test_mapping_file_overrides_detection(tmp_path, capsys):
    data = tmp_path / "mine.csv"
    data.write_text("销售日期,卖了多少钱\n2022-08-01,100\n2022-08-02,250.5\n", encoding="utf-8")
    mapping = tmp_path / "map.json"
    mapping.write_text(json.dumps({"kind": "store_daily", "columns": {"销售日期": "date", "卖了多少钱": "gmv"}}), encoding="utf-8")
    assert main(["ingest", "--json", "--mapping", str(mapping), str(data)]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "store_daily" and out["totals"]["gmv"] == pytest.approx(350.5)


def test_broken_mapping_file_is_a_clear_error(tmp_path, capsys):
    mapping = tmp_path / "map.json"
    mapping.write_text("{not json", encoding="utf-8")
    assert main(["ingest", "--mapping", str(mapping), str(STORE)]) == 2
    assert capsys.readouterr().err.startswith(f"error: {mapping}: invalid column mapping")


def test_chinese_messages(tmp_path, capsys):
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    assert main(["ingest", "--lang", "zh", str(empty)]) == 2
    assert "文件是空的" in capsys.readouterr().err


def test_module_entry_point_never_prints_a_traceback(tmp_path):
    pdf = tmp_path / "report.pdf"
    pdf.write_bytes(b"%PDF-1.7\n" + b"\x00" * 100)
    proc = subprocess.run([sys.executable, "-m", "diagnosis", "ingest", str(pdf)], capture_output=True, text=True)
    assert proc.returncode == 2
    assert proc.stderr.strip() == f"error: {pdf}: this is a PDF file, not a table; upload a CSV or XLSX export"
    assert "Traceback" not in proc.stderr


def test_demo_data_command_writes_every_merchant(tmp_path, capsys):
    assert main(["demo-data", "--out", str(tmp_path)]) == 0
    merchants = sorted(p.name for p in tmp_path.iterdir() if (p / "merchant.json").exists())
    assert merchants == sorted(p.name for p in DEMO_ROOT.iterdir() if (p / "merchant.json").exists())
    committed = sorted(p.relative_to(DEMO_ROOT) for p in DEMO_ROOT.rglob("*") if p.is_file())
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert written == committed
    for rel in committed:
        assert (tmp_path / rel).read_bytes() == (DEMO_ROOT / rel).read_bytes(), f"{rel} drifted from the generator"
