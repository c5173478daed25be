"""Uploaded files are their own merchant (issue #16): named on the Upload page, shown by that name on the
dashboard, the diagnosis and the plan, judged with their own profile, and saved to the workspace under it,
never as the demo store that was on screen before."""

from __future__ import annotations

import io
from pathlib import Path

import pandas as pd
from streamlit.testing.v1 import AppTest

from diagnosis import kpis
from diagnosis.formatting import metric
from diagnosis.merchants import DEMO_ROOT, read_profile
from diagnosis.store.workspace import Workspace

ROOT = Path(__file__).resolve().parents[2]
SOURCE = DEMO_ROOT / "kidswear_818"
STORE = "义乌小象童鞋"


def _overview_as_downloaded() -> bytes:
    """The demo's store overview in today's 成交概览 layout: 载体类型 and 投放时段 columns saying 全部."""
    frame = pd.read_excel(next(SOURCE.glob("成交概览*.xlsx")))
    frame.insert(1, "载体类型", "全部")
    frame.insert(2, "投放时段", "全部")
    out = io.BytesIO()
    frame.to_excel(out, index=False, sheet_name="成交概览")
    return out.getvalue()


def _files() -> list[tuple[str, bytes, str]]:
    ads = next(SOURCE.glob("千川*.csv"))
    products = pd.read_excel(next(SOURCE.glob("商品列表*.xlsx"))).drop(columns=["统计周期"]).drop_duplicates("商品编码")
    return [("成交概览_20220420_20220731.xlsx", _overview_as_downloaded(), "application/octet-stream"),
            (ads.name, ads.read_bytes(), "text/csv"),
            ("商品列表_无周期.csv", products.to_csv(index=False).encode("utf-8"), "text/csv")]


def test_uploads_are_their_own_merchant_on_every_page_and_when_saved(tmp_path, monkeypatch):
    from ui.workspace import workspace

    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    workspace.clear()  # the app keeps one workspace per process: open this test's own
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "zh"
    at.run()
    demo_name = read_profile(DEMO_ROOT / at.session_state["merchant"])["name_zh"]
    at.switch_page(str(ROOT / "pages" / "upload.py")).run()
    at.file_uploader(key="_w_upload").set_value(_files()).run()
    assert not at.exception, at.exception
    at.text_input(key="_w_store_name").input(STORE).run()

    assert [e["kind"] for e in at.session_state["uploads"].values()] == ["store_daily", "ads", "products"]

    at.switch_page(str(ROOT / "pages" / "dashboard.py")).run()
    assert not at.exception, at.exception
    shown = " ".join(c.value for c in at.caption)
    assert STORE in shown and demo_name not in shown
    frames = kpis.combine([(f, e["kind"]) for f, e in zip(at.session_state["upload_frames"].values(), at.session_state["uploads"].values(), strict=True)])
    period = kpis.default_period(kpis.data_range(frames))
    gmv = kpis.compute(frames, period.start, period.end)["gmv"]
    assert next(m.value for m in at.metric if m.label == "成交金额") == metric(gmv, "yuan", "zh"), "the card is the engine's value"

    at.switch_page(str(ROOT / "pages" / "diagnosis.py")).run()
    assert not at.exception, at.exception
    assert STORE in " ".join(c.value for c in at.caption)
    assert not any("paid_dependency_high" in c.value for c in at.caption), "checked: both its exports are there"
    next(b for b in at.button if (b.key or "").startswith("draft_")).click().run()
    assert not at.exception, at.exception
    plan = next(iter(at.session_state["plans"].values()))
    assert plan.plan.merchant == STORE
    next(b for b in at.button if (b.key or "").startswith("save_")).click().run()
    assert not at.exception, at.exception
    merchants = {m.slug: m.name for m in Workspace().merchants()}
    workspace.clear()
    assert list(merchants.values()) == [STORE] and demo_name not in merchants.values()


def test_a_store_name_is_shown_as_text_never_as_markdown(tmp_path, monkeypatch):
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page(str(ROOT / "pages" / "upload.py")).run()
    at.file_uploader(key="_w_upload").set_value(_files()[:1]).run()
    hostile = "![x](http://127.0.0.1:9/p.png) [shop](http://127.0.0.1:9) **bold**"
    at.text_input(key="_w_store_name").input(hostile).run()
    at.switch_page(str(ROOT / "pages" / "dashboard.py")).run()
    caption = next(c.value for c in at.caption if "uploaded files" in c.value)
    assert "\\!\\[x\\]\\(http" in caption and "\\*\\*bold\\*\\*" in caption, "every markup character escaped"
