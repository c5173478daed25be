"""The app opens on the demo merchants in Chinese, switches to English, and shows every demo file."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from diagnosis.merchants import DEMO_ROOT, export_files

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")
DATA_PAGE = str(ROOT / "pages" / "data.py")


def _app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.switch_page(DATA_PAGE).run()
    assert not at.exception
    return at


def test_opens_in_chinese_on_the_first_demo_merchant():
    at = _app()
    assert at.title[0].value == "已读取的导出数据"
    first = sorted(p.name for p in DEMO_ROOT.iterdir() if (p / "merchant.json").exists())[0]
    files = export_files(DEMO_ROOT / first)
    summary = at.dataframe[0].value
    assert sorted(summary["文件"]) == sorted(p.name for p in files)
    assert len(at.main.expander) == len(files)


def test_language_switch_changes_the_visible_text():
    at = AppTest.from_file(APP, default_timeout=60)
    at.run()
    at.sidebar.radio[0].set_value("English").run()
    at.switch_page(DATA_PAGE).run()
    assert not at.exception
    assert at.title[0].value == "Exports read"
    assert "File" in at.dataframe[0].value.columns


def test_choosing_another_demo_merchant_shows_its_files():
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["merchant"] = "menswear_paid"
    at.run()
    at.switch_page(DATA_PAGE).run()
    assert not at.exception
    names = set(at.dataframe[0].value["文件"])
    assert names == {p.name for p in export_files(DEMO_ROOT / "menswear_paid")}
