"""Dashboard page: KPI cards equal the engine's numbers, every tab renders, missing exports are named."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from diagnosis import dashboard, kpis
from diagnosis.formatting import metric
from ui.data import demo_frames

ROOT = Path(__file__).resolve().parents[2]
APP = str(ROOT / "app.py")


def _run(**state) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=90)
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def test_cards_show_the_engine_values_for_the_default_period():
    at = _run(merchant="kidsgoods_lowaov")
    frames = demo_frames("kidsgoods_lowaov")
    period = dashboard.default_period(kpis.data_range(frames))
    values = kpis.compute(frames, period.start, period.end)
    defs = kpis.metric_defs()
    shown = {m.label: m.value for m in at.metric}
    for metric_id in ("gmv", "orders", "aov", "refund_rate"):
        assert shown[defs[metric_id].label("zh")] == metric(values[metric_id], defs[metric_id].unit, "zh")
    assert shown["商家体验分 · 100分制"] == metric(values["experience_score"], "score", "zh")


def test_the_old_five_point_score_is_labelled_as_such():
    at = _run(merchant="apparel_score44", lang="en")
    assert "Experience score · 5-point" in {m.label for m in at.metric}


def test_every_tab_has_content_and_charts_render():
    at = _run(merchant="menswear_paid")
    assert [tab.label for tab in at.tabs] == ["总览", "流量与转化", "直播", "短视频", "千川投放", "服务与体验分", "商品"]
    assert len(at.get("plotly_chart")) >= 7
    assert all(len(tab.children) for tab in at.tabs)


def test_a_single_upload_names_the_exports_that_would_unlock_the_other_views():
    frames = demo_frames("menswear_paid")
    at = _run(upload_frames={"成交概览.xlsx": frames["store_daily"]}, uploads={"成交概览.xlsx": {"kind": "store_daily"}})
    notes = " ".join(i.value for i in at.info)
    for title in ("直播场次明细", "商家体验分", "商品明细", "千川投放报表"):
        assert title in notes


def test_english_labels():
    at = _run(merchant="menswear_paid", lang="en")
    assert at.title[0].value == "Store dashboard"
    assert "GMV" in {m.label for m in at.metric}
