"""The application layer: one merchant folder read the same way by `plan FOLDER` and the batch, and a bad
merchant.json answered with the file, line or field and what was expected, never a traceback."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from diagnosis.cli import main
from diagnosis.errors import IngestError
from diagnosis.merchants import DEMO_ROOT
from diagnosis.service import Upload, read_exports, read_profile

BAD_PROFILES = {  # merchant.json bytes -> (error code, where, words of the English message)
    "invalid_json": (b'{"name": "A", "category": apparel}', "profile_json", 1, "not valid JSON"),
    "a_list": (b'[{"name": "A"}]', "profile_not_object", None, "not a list"),
    "not_utf8": ('{"name": "童装店"}'.encode("gbk"), "profile_encoding", None, "not UTF-8"),
    "unknown_category": (b'{"name": "A", "category": "spaceships"}', "profile_value", "category", "spaceships"),
    "margin_abc": (b'{"name": "A", "gross_margin": "abc"}', "profile_value", "gross_margin", "0 < m"),
    "margin_negative": (b'{"name": "A",\n "gross_margin": -5}', "profile_value", "gross_margin", "-5"),
}


def _folder(tmp_path: Path, name: str, profile: bytes) -> Path:
    folder = tmp_path / name
    shutil.copytree(DEMO_ROOT / "menswear_paid", folder)
    (folder / "merchant.json").write_bytes(profile)
    return folder


@pytest.mark.parametrize("case", sorted(BAD_PROFILES))
def test_a_bad_merchant_json_is_named_everywhere(tmp_path, capsys, case):
    data, code, where, words = BAD_PROFILES[case]
    folder = _folder(tmp_path, case, data)
    with pytest.raises(IngestError) as raised:
        read_profile(folder, "en")
    assert raised.value.code == code and raised.value.file.endswith("merchant.json")
    assert where in (raised.value.row, raised.value.column) or where is None
    assert words in raised.value.message("en")
    assert main(["plan", str(folder), "--offline", "--json", "--lang", "en"]) == 2
    err = capsys.readouterr().err
    assert "merchant.json" in err and words in err and "Traceback" not in err


def test_a_batch_lists_a_bad_profile_and_processes_the_others(tmp_path, capsys):
    root = tmp_path / "root"
    _folder(root, "broken", BAD_PROFILES["a_list"][0])
    shutil.copytree(DEMO_ROOT / "kidsgoods_lowaov", root / "fine")
    out = tmp_path / "out"
    assert main(["batch", str(root), "--out", str(out), "--workers", "1", "--lang", "en"]) == 2
    failed = (out / "failed.csv").read_text(encoding="utf-8")
    assert "broken" in failed and "merchant.json" in failed and "not a list" in failed
    assert "Traceback" not in capsys.readouterr().err


def test_read_exports_keeps_every_good_file_and_names_the_bad_one():
    good = [Upload(p.name, p.read_bytes()) for p in sorted((DEMO_ROOT / "menswear_paid").iterdir()) if p.suffix in (".csv", ".xlsx")]
    exports = read_exports([*good, Upload("notes.pdf", b"%PDF-1.4 nothing")])
    assert [e.file for e in exports.failed] == ["notes.pdf"] and exports.failed[0].code == "not_a_table_format"
    assert len(exports.read) == len(good) and {report.kind for _, _, report in exports.read} <= set(exports.frames)


def test_a_file_whose_numbers_are_all_words_is_not_enough_data(tmp_path, capsys):
    days = [f"2026-11-{d:02d}" for d in range(1, 29)]
    words = "日期,成交金额,成交订单数,成交人数\n" + "\n".join(f"{d},很多,不少,一些" for d in days) + "\n"
    path = tmp_path / "成交概览.csv"
    path.write_text(words, encoding="utf-8")
    assert main(["diagnose", "--json", "--lang", "en", str(path)]) == 2
    err = capsys.readouterr().err
    assert "not enough data" in err and "health" not in err and "Traceback" not in err
