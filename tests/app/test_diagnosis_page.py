"""Diagnosis page: the health score and findings equal the engine's, with a chart per finding."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from diagnosis.merchants import DEMO_ROOT, read_profile
from diagnosis.profile import MerchantProfile
from diagnosis.rules import diagnose
from ui.data import demo_frames

ROOT = Path(__file__).resolve().parents[2]


def _page(merchant: str, lang: str = "zh") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["merchant"] = merchant
    at.session_state["lang"] = lang
    at.run()
    at.switch_page(str(ROOT / "pages" / "diagnosis.py")).run()
    assert not at.exception, at.exception
    return at


def test_findings_and_health_match_the_engine():
    at = _page("menswear_paid")
    expected = diagnose(demo_frames("menswear_paid"), MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / "menswear_paid")))
    assert at.metric[0].value == f"{expected.health_score}/100"
    shown = " ".join(m.value for m in at.markdown)
    for finding in expected.findings:
        assert finding.code in shown
    assert len(at.get("plotly_chart")) == len(expected.findings)


def test_english_text():
    at = _page("kidsgoods_lowaov", "en")
    assert at.title[0].value == "Store diagnosis"
    assert any("AOV" in m.value for m in at.markdown)


def test_each_finding_offers_cases_that_open_in_the_library():
    at = _page("kidsgoods_lowaov", "en")
    buttons = [b for b in at.button if b.key and b.key.startswith("case_aov_low_")]
    assert buttons, "the low-AOV finding lists cases"
    case_id = buttons[0].key.removeprefix("case_aov_low_")
    buttons[0].click().run()
    assert at.session_state["case_open"] == case_id and at.session_state["case_view"] == "detail"
    assert any("Lessons" in m.value for m in at.markdown)
