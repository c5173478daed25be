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


def _draft(at: AppTest) -> AppTest:
    button = next(b for b in at.button if b.key and b.key.startswith("draft_"))
    button.click().run()
    assert not at.exception, at.exception
    return at


def test_offline_plan_drafts_edits_and_cites(monkeypatch):
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    at = _draft(_page("kidsgoods_lowaov", "en"))
    text = " ".join(m.value for m in at.markdown)
    assert "Drafted by the offline drafter" in " ".join(c.value for c in at.caption)
    assert "Lift AOV" in text.replace("\\", "")
    title_key = next(t.key for t in at.text_input if t.key and t.key.startswith("edit_title_"))
    at.text_input(key=title_key).input("Bundles first, our way").run()
    at.button(key=title_key.replace("edit_title_", "apply_")).click().run()
    assert "Bundles first, our way" in " ".join(m.value for m in at.markdown).replace("\\", "")
    downloads = [d.label for d in at.get("download_button")]
    assert downloads == ["Markdown", "Word", "PDF", "Actions (Excel)"]
    cite = next(b for b in at.button if b.key and b.key.startswith("cite_"))
    cite.click().run()
    assert at.session_state["case_view"] == "detail"


def test_llm_plan_streams_and_preview_shows_the_data(monkeypatch):
    from diagnosis.plan.offline import draft_offline
    from tests.fake_openai import FakeOpenAI, Reply

    at = _page("menswear_paid", "zh")
    with FakeOpenAI() as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        at.run()
        assert any("将要发送的内容" in e.label for e in at.expander)
        code = " ".join(c.value for c in at.code)
        assert '<data name="findings">' in code and "paid_roi_below_breakeven" in code
        from diagnosis.merchants import DEMO_ROOT, read_profile
        from diagnosis.plan.context import build_context
        from ui.cases import case_index

        profile = MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / "menswear_paid"), "zh")
        context = build_context(demo_frames("menswear_paid"), profile, "zh", case_index())
        plan = draft_offline(context).model_copy(update={"summary": "模型写的结论。"})
        fake.script(Reply(plan.model_dump_json(), chunk_size=300))
        _draft(at)
        assert fake.requests and fake.requests[0]["stream"] is True
    assert "模型写的结论。" in " ".join(m.value for m in at.markdown)
    assert "起草：大模型起草" in " ".join(c.value for c in at.caption)


def test_edited_plan_is_saved_to_the_workspace(tmp_path, monkeypatch):
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from ui.workspace import workspace

    workspace.clear()
    at = _draft(_page("kidsgoods_lowaov", "en"))
    title_key = next(t.key for t in at.text_input if t.key and t.key.startswith("edit_title_"))
    at.text_input(key=title_key).input("Bundles first, our way").run()
    at.button(key=title_key.replace("edit_title_", "apply_")).click().run()
    next(b for b in at.button if b.key and b.key.startswith("save_")).click().run()
    assert not at.exception and any("plan version 1 of kidsgoods_lowaov" in s.value for s in at.success)
    ws = workspace()
    plan = ws.latest_plan("kidsgoods_lowaov")
    assert plan.edited and plan.plan["actions"][0]["title"] == "Bundles first, our way"
    assert len(ws.uploads("kidsgoods_lowaov")) == 7 and ws.diagnoses("kidsgoods_lowaov")[0].version == 1
    assert ws.actions("kidsgoods_lowaov")[0].title == "Bundles first, our way"
    workspace.clear()


def test_a_save_that_fails_half_way_keeps_the_workspace_as_it_was(tmp_path, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from diagnosis.store.workspace import Workspace

    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from ui.workspace import workspace

    workspace.clear()

    def disk_full(*args, **kwargs):
        raise OperationalError("INSERT INTO plans", {}, Exception("database or disk is full"))

    monkeypatch.setattr(Workspace, "save_plan", disk_full)  # after the files and the diagnosis went in
    at = _draft(_page("kidsgoods_lowaov", "en"))
    next(b for b in at.button if b.key and b.key.startswith("save_")).click().run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["Not saved; the workspace is as it was: database or disk is full"]
    assert workspace().merchants() == [] and not any("Saved:" in s.value for s in at.success)
    assert any("Drafted by the offline drafter" in c.value for c in at.caption), "the plan stays on screen"
    workspace.clear()
