"""The meeting brief on SQLite and PostgreSQL: findings new and resolved since the meeting, action status with its
KPI before and after, talking points, cited cases, and the DOCX/PDF handout."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from diagnosis import kpis
from diagnosis.documents import to_docx
from diagnosis.merchants import DEMO_ROOT, export_files, read_profile
from diagnosis.pdf import to_pdf
from diagnosis.plan.context import build_context
from diagnosis.plan.drafters import make_plan
from diagnosis.profile import MerchantProfile
from diagnosis.store.brief import (
    BEFORE_DAYS,
    brief_document,
    comparison_caption,
    meeting_brief,
)
from knowledge.cards import load_library
from knowledge.index import CaseIndex

SLUG = "used3c_coldstart"  # July: short videos weak; September: 818 warm-up missing
EARLY = kpis.Period(date(2022, 7, 3), date(2022, 8, 1))
STARTED, DONE = date(2022, 8, 5), date(2022, 9, 10)


@pytest.fixture(scope="module")
def library():
    return load_library()


@pytest.fixture(scope="module")
def index(library):
    return CaseIndex.in_memory(library)


def _diagnose_and_plan(ws, index, period=None):
    context = build_context(ws.frames(SLUG), ws.profile(SLUG), "en", index, period=period)
    record = ws.save_diagnosis(SLUG, context, ws.data_hash(SLUG))
    return ws.save_plan(SLUG, make_plan(context, set(index.cases)), record.id)


@pytest.fixture
def tracked(workspace, index):
    """Diagnosed on July, a meeting, the conversion action worked on, then diagnosed on the full data."""
    ws = workspace
    ws.upsert_merchant(SLUG, MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / SLUG), "en"), owner="Lin")
    for path in export_files(DEMO_ROOT / SLUG):
        ws.import_file(SLUG, path.read_bytes(), path.name)
    _diagnose_and_plan(ws, index, EARLY)
    ws.add_meeting(SLUG, date.today(), "Agreed to fix the product pages first.")
    action = next(a for a in ws.actions(SLUG) if a.metric == "click_to_pay")
    ws.set_action_status(SLUG, action.id, "doing", on=STARTED)
    ws.set_action_status(SLUG, action.id, "done", note="new detail pages live", on=DONE)
    _diagnose_and_plan(ws, index)
    return ws


def test_findings_since_the_meeting(tracked, library):
    brief = meeting_brief(tracked, SLUG, "en", library=library)
    assert brief.since_meeting and brief.last_meeting == date.today()
    assert (brief.before.version, brief.current.version) == (1, 2)
    assert [f.code for f in brief.new_findings] == ["promo_unprepared"]
    assert [f.code for f in brief.resolved_findings] == ["short_video_weak"]
    assert {f.code for f in brief.persisting_findings} == {"conversion_low", "paid_roi_below_breakeven", "live_conversion_low"}
    assert brief.resolved_findings[0].title == "Too few short videos"
    diagnoses = tracked.diagnoses(SLUG)
    gmv = next(k for k in brief.kpis if k.metric == "gmv")
    assert (gmv.before, gmv.now, gmv.label) == (diagnoses[0].kpis["gmv"], diagnoses[1].kpis["gmv"], "GMV")


def test_action_status_and_kpi_before_and_after(tracked, library):
    brief = meeting_brief(tracked, SLUG, "en", library=library)
    done = next(a for a in brief.actions if a.metric == "click_to_pay")
    assert (done.status, done.started_on, done.done_on, done.note) == ("done", STARTED, DONE, "new detail pages live")
    frames = tracked.frames(SLUG)
    before = kpis.compute(frames, STARTED - timedelta(days=BEFORE_DAYS), STARTED - timedelta(days=1), ["click_to_pay"])["click_to_pay"]
    after = kpis.compute(frames, STARTED, DONE, ["click_to_pay"])["click_to_pay"]
    assert (done.before, done.after) == pytest.approx((before, after))
    assert done.improved == (after > before) and not done.per_day
    assert all(a.status == "todo" and a.before is None for a in brief.actions if a is not done)


def test_talking_points(tracked, library):
    brief = meeting_brief(tracked, SLUG, "en", library=library)
    points = "\n".join(brief.talking_points)
    done = next(a for a in brief.actions if a.status == "done")
    assert done.title in points and ("an improvement" if done.improved else "no improvement") in points
    assert "Promotion warm-up not started" not in points, "only new high-risk findings are raised; this one is medium"
    assert "Too few short videos" in points and "fresh exports" in points, "data from 2022 is stale"
    later = meeting_brief(tracked, SLUG, "zh", today=date.today() + timedelta(days=10), library=library)
    overdue = [a for a in later.actions if a.overdue]
    assert overdue and all(a.status == "todo" and a.when == "this_week" for a in overdue)
    assert all(f"「{a.title}」应在" in "\n".join(later.talking_points) for a in overdue)


def test_cited_cases_come_from_the_library(tracked, library):
    brief = meeting_brief(tracked, SLUG, "zh")
    cited = dict.fromkeys(c for a in tracked.latest_plan(SLUG).plan["actions"] for c in a["cases"])
    assert cited and [c.id for c in brief.cases] == list(cited)
    assert all(c.title == library.get(c.id).title_zh for c in brief.cases)


def test_a_meeting_after_the_last_diagnosis_leaves_nothing_new(tracked, library):
    tracked.add_meeting(SLUG, date.today(), "Follow-up call.")
    brief = meeting_brief(tracked, SLUG, "en", library=library)
    assert brief.before == brief.current and not brief.new_findings and not brief.resolved_findings
    assert {f.code for f in brief.persisting_findings} == {f["code"] for f in tracked.diagnoses(SLUG)[-1].findings}
    assert brief.kpis and all(k.before is None for k in brief.kpis)
    assert comparison_caption(brief, "en").startswith("No new diagnosis since the last meeting")
    assert brief.meetings[-1][1] == "Follow-up call."


def test_without_a_meeting_the_previous_version_is_the_reference(workspace, index, library):
    ws = workspace
    ws.upsert_merchant(SLUG, MerchantProfile(name="3C"))
    for path in export_files(DEMO_ROOT / SLUG):
        ws.import_file(SLUG, path.read_bytes(), path.name)
    _diagnose_and_plan(ws, index, EARLY)
    first = meeting_brief(ws, SLUG, "en", library=library)
    assert first.before is None and not first.since_meeting and len(first.new_findings) == len(ws.diagnoses(SLUG)[0].findings)
    _diagnose_and_plan(ws, index)
    second = meeting_brief(ws, SLUG, "en", library=library)
    assert (second.before.version, second.current.version) == (1, 2) and not second.since_meeting


def test_handout_exports(tracked, library, tmp_path):
    for lang in ("zh", "en"):
        doc = brief_document(meeting_brief(tracked, SLUG, lang, library=library), lang)
        docx, pdf = tmp_path / f"brief_{lang}.docx", tmp_path / f"brief_{lang}.pdf"
        docx.write_bytes(to_docx(doc))
        pdf.write_bytes(to_pdf(doc))
        assert docx.read_bytes()[:2] == b"PK" and pdf.read_bytes().startswith(b"%PDF")
