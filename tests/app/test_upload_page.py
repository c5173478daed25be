"""The Upload page in AppTest: real fixtures are read and kept for other pages, bad files cost one
message, unknown layouts get a mapping editor whose result can be saved as a preset, text from files is
never rendered as markdown, and the page follows the language.

Error texts go through `ui.text.plain` (markdown-escaped) before st.error, so the tests compare against
the escaped engine message.
"""

import hashlib
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from diagnosis.errors import IngestError
from diagnosis.i18n import t
from diagnosis.merchants import DEMO_ROOT, export_files
from diagnosis.readers import read_text_table
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
QUIRKS = ROOT / "tests" / "data" / "quirks"
GBK = ("store_daily_gbk.csv", (QUIRKS / "store_daily_gbk.csv").read_bytes(), "text/csv")
ADS = DEMO_ROOT / "apparel_score44" / "千川_标准推广_日报_20220501_20220805.xlsx"
XLSX = (ADS.name, ADS.read_bytes(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
JUNK = ("binary_junk.csv", (QUIRKS / "binary_junk.csv").read_bytes(), "text/csv")
UNKNOWN = ("store_daily_unknown_headers.csv", (QUIRKS / "store_daily_unknown_headers.csv").read_bytes(), "text/csv")


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path))


def _page(lang: str = "zh") -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = lang
    at.run()
    at.switch_page("pages/upload.py").run()
    assert not at.exception
    return at


def _upload(at: AppTest, *files) -> AppTest:
    at.file_uploader(key="_w_upload").set_value(list(files)).run()
    assert not at.exception, at.exception
    return at


def _metric(at: AppTest, label: str) -> list[str]:
    return [m.value for m in at.metric if m.label == label]


def _texts(at: AppTest) -> list[str]:
    return [x.value for x in at.main.text]


def _keyed(elements, prefix: str):
    return [e for e in elements if (e.key or "").startswith(prefix)]


def test_uploads_show_kind_rows_and_are_kept_for_other_pages():
    at = _upload(_page(), GBK, XLSX)
    assert {"store_daily_gbk.csv", ADS.name} <= set(_texts(at))
    titles = [m.value for m in at.main.markdown]
    assert "**店铺成交日报（电商罗盘·成交概览）**" in titles
    assert "**千川投放报表（标准推广/全域推广）**" in titles
    assert "5 / 5" in _metric(at, "保留行 / 读取行")
    assert "自动识别，匹配度 0.59 · 日期 2022-08-01 至 2022-08-05" in [c.value for c in at.caption]

    uploads = at.session_state["uploads"]
    assert {name: entry["kind"] for name, entry in uploads.items()} == {"store_daily_gbk.csv": "store_daily", ADS.name: "ads"}
    assert uploads["store_daily_gbk.csv"]["sha"] == hashlib.sha256(GBK[1]).hexdigest()
    assert len(at.session_state["upload_frames"]["store_daily_gbk.csv"]) == 5
    # The stored-files table lists what a dashboard will use.
    assert sorted(at.main.dataframe[0].value["文件"]) == sorted(uploads)


def test_the_same_bytes_are_not_stored_twice():
    at = _upload(_page(), GBK, ("copy.csv", GBK[1], "text/csv"))
    assert list(at.session_state["uploads"]) == ["store_daily_gbk.csv"]
    assert plain(t("upload.duplicate", "zh", name="store_daily_gbk.csv")) in [c.value for c in at.caption]


def test_a_file_taken_out_of_the_uploader_leaves_the_stored_uploads():
    at = _upload(_page(), GBK, XLSX)
    _upload(at, XLSX)
    assert list(at.session_state["uploads"]) == [ADS.name]
    assert list(at.session_state["upload_frames"]) == [ADS.name]


def test_a_bad_file_shows_its_reason_and_the_page_keeps_working():
    at = _upload(_page(), JUNK)
    expected = IngestError("binary_file", file="binary_junk.csv").message("zh")
    assert [e.value for e in at.error] == [plain(expected)]
    assert at.session_state["uploads"] == {}

    png = ("chart.png.csv", b"\x89PNG\r\n\x1a\n" + bytes(64), "text/csv")
    _upload(at, JUNK, png, GBK)
    assert len(at.error) == 2
    assert plain(IngestError("not_a_table_format", file="x", what="PNG").message("zh")) in [e.value for e in at.error]
    assert "5 / 5" in _metric(at, "保留行 / 读取行")
    assert list(at.session_state["uploads"]) == ["store_daily_gbk.csv"]


def test_unknown_headers_open_the_mapping_editor_and_a_mapping_reads_the_file():
    at = _upload(_page(), UNKNOWN)
    assert at.error[0].value.startswith(plain("没有可识别的列"))
    editor = [e for e in at.main.expander if e.label == t("upload.mapping_title", "zh")]
    assert len(editor) == 1 and editor[0].proto.expanded
    kind = _keyed(at.selectbox, "_w_kind_")[0]
    assert kind.value is None and not _keyed(at.selectbox, "_w_field_")  # no header known: ask, do not guess

    kind.set_value("store_daily").run()
    assert {"销售日期", "卖了多少钱", "买家人数"} <= set(_texts(at))
    fields = _keyed(at.selectbox, "_w_field_")
    assert [f.value for f in fields] == ["", "", ""]  # nothing detected: every column starts on "ignore"
    assert fields[0].format_func("") == "— 忽略 —" and fields[0].format_func("gmv") == "成交金额"
    fields[0].set_value("date")
    fields[1].set_value("gmv")
    _keyed(at.button, "_w_apply_")[0].click().run()
    assert not at.exception and not at.error
    assert at.session_state["uploads"]["store_daily_unknown_headers.csv"]["kind"] == "store_daily"
    assert "3 / 3" in _metric(at, "保留行 / 读取行")
    assert at.session_state["upload_frames"]["store_daily_unknown_headers.csv"]["gmv"].tolist() == [15230.5, 16102.0, 14876.3]


def test_a_saved_preset_is_applied_to_the_next_file_with_that_layout():
    at = _upload(_page(), UNKNOWN)
    _keyed(at.selectbox, "_w_kind_")[0].set_value("store_daily").run()
    fields = _keyed(at.selectbox, "_w_field_")
    fields[0].set_value("date")
    fields[1].set_value("gmv")
    _keyed(at.text_input, "_w_preset_")[0].set_value("a/b")
    _keyed(at.button, "_w_save_")[0].click().run()
    assert plain(t("upload.preset_name_invalid", "zh", limit=60)) in [e.value for e in at.error]

    _keyed(at.text_input, "_w_preset_")[0].set_value("我的日报")
    _keyed(at.button, "_w_save_")[0].click().run()
    assert [s.value for s in at.success] == [plain("已保存预设「我的日报」")]

    # A new session, the same layout in another order and width: the preset reads it without asking.
    again = "买家人数,卖了多少钱,销售日期\n5,300,2022-09-01\n".encode()
    fresh = _upload(_page(), ("september.csv", again, "text/csv"))
    assert [i.value for i in fresh.info] == [plain("正在使用列映射预设「我的日报」")]
    assert fresh.session_state["uploads"]["september.csv"]["kind"] == "store_daily"
    assert not fresh.error

    _keyed(fresh.button, "_w_reset_")[0].click().run()  # back to detection: the layout is unknown again
    assert fresh.error and "september.csv" not in fresh.session_state["uploads"]


def test_text_from_a_file_is_never_rendered_as_markdown():
    header = "**粗体**![x](http://evil.example/p.png)"
    data = f"日期,成交金额,{header}\n2022-08-01,1,<b>x</b>\n".encode()
    at = _upload(_page(), ("[点我](http://evil.example).csv", data, "text/csv"))
    assert "[点我](http://evil.example).csv" in _texts(at)
    assert header in _texts(at)
    rendered = [m.value for m in at.markdown] + [c.value for c in at.caption] + [e.value for e in at.error]
    assert not any("evil.example" in v and "\\" not in v for v in rendered)
    assert read_text_table(data, "x.csv", lambda row: 0).headers[2] == header


def test_the_demo_button_shows_the_demo_merchants_files_without_storing_them():
    at = _page()
    at.button(key="_w_demo").click().run()
    assert not at.exception
    slug = at.session_state["merchant"]
    names = [p.name for p in export_files(DEMO_ROOT / slug)]
    assert set(names) <= set(_texts(at))
    assert not at.error
    assert at.session_state["uploads_source"] == "demo" and at.session_state["uploads"] == {}

    at.button(key="_w_back").click().run()
    assert at.session_state["uploads_source"] == "uploads"
    assert not set(names) & set(_texts(at))


def test_an_engine_bug_on_one_file_is_shown_as_that_files_error(monkeypatch):
    def broken(data, filename, mapping=None):
        raise RuntimeError("boom")

    monkeypatch.setattr("diagnosis.ingest.ingest", broken)
    at = _upload(_page(), ("odd.csv", "日期,成交金额\n2022-01-01,7\n".encode(), "text/csv"))
    assert [e.value for e in at.error] == [plain("无法读取文件：RuntimeError: boom")]
    assert at.session_state["uploads"] == {}


def test_plain_escapes_markdown_but_reads_the_same():
    assert plain("**粗** [x](http://a.b) $1$ :red[c]") == r"\*\*粗\*\* \[x\]\(http\:\/\/a\.b\) \$1\$ \:red\[c\]"


def test_english():
    at = _upload(_page("en"), GBK, JUNK)
    assert at.title[0].value == "Upload your store exports"
    assert at.file_uploader(key="_w_upload").help == "Up to 200 MB per file; CSV, TSV, TXT, XLSX or XLSM"
    assert "5 / 5" in _metric(at, "Rows kept / read")
    assert "**Store daily overview (Compass trade overview)**" in [m.value for m in at.main.markdown]
    assert [e.value for e in at.error] == [plain(IngestError("binary_file", file="x").message("en"))]
    assert "Header in the file" in at.main.dataframe[1].value.columns


def test_switching_language_mid_session_relabels_results_and_editor():
    at = _upload(_page(), UNKNOWN, GBK)
    at.session_state["lang"] = "en"
    at.run()
    assert not at.exception
    assert at.error[0].value.startswith(plain("no recognisable columns"))
    assert "5 / 5" in _metric(at, "Rows kept / read")
    kind = _keyed(at.selectbox, "_w_kind_")[0]
    assert kind.label == "Export kind" and kind.format_func("store_daily") == "Store daily overview (Compass trade overview)"
