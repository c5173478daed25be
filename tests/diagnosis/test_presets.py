"""Presets: saved column mappings found again by header layout, written atomically, with safe names."""

import json
import os
from pathlib import Path

import pytest

from diagnosis.ingest import ColumnMapping, ingest
from diagnosis.presets import (
    PresetNameError,
    delete_preset,
    find_preset,
    headers_signature,
    list_presets,
    presets_dir,
    read_headers,
    save_preset,
    suggest_mapping,
)

QUIRKS = Path(__file__).resolve().parents[1] / "data" / "quirks"
FIRST = "销售日期(北京时间),卖了多少钱,买家人数\n2022-08-01,100.5,3\n2022-08-02,200,4\n".encode()
# The same layout exported again: columns reordered, full-width parentheses, a stray space.
AGAIN = "卖了多少钱, 买家人数 ,销售日期（北京时间）\n300,5,2022-09-01\n400.25,6,2022-09-02\n".encode()
MAPPING = ColumnMapping(kind="store_daily", columns={"销售日期(北京时间)": "date", "卖了多少钱": "gmv"})


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path))
    return tmp_path


def test_a_preset_is_found_for_the_same_layout_and_reads_the_file_as_its_kind(home):
    path = save_preset("销售日报", MAPPING, read_headers(FIRST, "first.csv"))
    assert path == home / "presets" / "销售日报.json"
    assert set(json.loads(path.read_text(encoding="utf-8"))) == {"name", "kind", "columns", "headers_signature"}

    headers = read_headers(AGAIN, "again.csv")
    assert headers == ["卖了多少钱", "买家人数", "销售日期（北京时间）"]
    preset = find_preset(headers)
    assert preset is not None and preset.name == "销售日报"

    frame, report = ingest(AGAIN, "again.csv", preset.mapping())
    assert report.kind == "store_daily"
    assert frame["gmv"].tolist() == [300.0, 400.25]
    assert [str(d.date()) for d in frame["date"]] == ["2022-09-01", "2022-09-02"]


def test_another_layout_finds_no_preset():
    save_preset("销售日报", MAPPING, read_headers(FIRST, "first.csv"))
    assert find_preset(["销售日期(北京时间)", "卖了多少钱"]) is None
    assert headers_signature(["A b", "c"]) == headers_signature(["C", "ab", ""])


def test_the_preset_saved_last_wins_for_a_layout():
    headers = read_headers(FIRST, "first.csv")
    older = save_preset("a-old", MAPPING, headers)
    os.utime(older, ns=(1, 1))
    save_preset("b-new", ColumnMapping(kind="store_daily", columns={"卖了多少钱": "user_pay_amount"}), headers)
    assert find_preset(headers).name == "b-new"


@pytest.mark.parametrize("name", ["", "   ", "a/b", "a\\b", "..", ".hidden", "x" * 61, "tab\there", "c:d", "what?"])
def test_unsafe_names_are_refused(name):
    with pytest.raises(PresetNameError) as caught:
        save_preset(name, MAPPING, ["a"])
    assert "60" in caught.value.message("zh") and "60" in caught.value.message("en")
    assert not presets_dir().exists() or not any(presets_dir().iterdir())


def test_names_are_trimmed_and_may_be_chinese_up_to_60_characters():
    assert save_preset("  日报  ", MAPPING, ["a"]).name == "日报.json"
    assert save_preset("店" * 60, MAPPING, ["a"]).name == "店" * 60 + ".json"


def test_a_save_failing_half_way_leaves_the_previous_preset_intact(monkeypatch):
    path = save_preset("日报", MAPPING, ["a"])
    before = path.read_bytes()

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        save_preset("日报", ColumnMapping(kind="ads", columns={"x": "cost"}), ["x"])
    assert path.read_bytes() == before
    assert [p.name for p in presets_dir().iterdir()] == ["日报.json"]  # no temp file left behind


def test_list_and_delete():
    save_preset("b", MAPPING, ["a"])
    save_preset("a", ColumnMapping(kind="ads", columns={}), ["b"])
    assert [p.name for p in list_presets()] == ["a", "b"]
    assert delete_preset("a") is True
    assert delete_preset("a") is False
    assert [p.name for p in list_presets()] == ["b"]
    with pytest.raises(PresetNameError):
        delete_preset("../b")


def test_a_damaged_preset_file_is_skipped_not_fatal():
    save_preset("good", MAPPING, ["a"])
    (presets_dir() / "bad.json").write_text("{not json", encoding="utf-8")
    assert [p.name for p in list_presets()] == ["good"]


def test_read_headers_skips_a_title_row_in_csv():
    data = "成交概览 2022-08\n日期,成交金额,成交人数\n2022-08-01,1,2\n".encode()
    assert read_headers(data, "t.csv") == ["日期", "成交金额", "成交人数"]


def test_read_headers_finds_the_header_below_a_merged_title_in_xlsx():
    data = (QUIRKS / "store_overview_merged_title.xlsx").read_bytes()
    assert read_headers(data, "x.xlsx") == ["日期", "用户支付金额", "成交金额", "成交订单数", "成交人数", "客单价"]


def test_read_headers_of_unknown_headers_and_of_junk():
    assert read_headers((QUIRKS / "store_daily_unknown_headers.csv").read_bytes(), "u.csv") == ["销售日期", "卖了多少钱", "买家人数"]
    assert read_headers((QUIRKS / "binary_junk.csv").read_bytes(), "junk.csv") == []
    assert read_headers(b"\x89PNG\r\n\x1a\n" + bytes(200), "img.csv") == []


def test_suggest_mapping_prefills_what_detection_finds():
    headers = ["日期", "成交金额", "随便一列"]
    assert suggest_mapping(headers, "store_daily").columns == {"日期": "date", "成交金额": "gmv"}
    assert suggest_mapping(headers).kind == "store_daily"
    assert suggest_mapping(["销售日期", "卖了多少钱"]) == ColumnMapping()
