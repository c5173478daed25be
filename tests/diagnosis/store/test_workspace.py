"""The workspace on SQLite and PostgreSQL: idempotent uploads, overlapping dates replaced and reported,
transactional writes, versioned diagnoses and plans, action tracking, and the portfolio."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select

from diagnosis import kpis
from diagnosis.errors import IngestError
from diagnosis.merchants import DEMO_ROOT, export_files, read_profile
from diagnosis.plan.context import build_context
from diagnosis.plan.drafters import make_plan
from diagnosis.profile import MerchantProfile
from diagnosis.store import workspace as ws_module
from diagnosis.store.models import Upload
from diagnosis.store.portfolio import portfolio

SLUG = "kidsgoods_lowaov"
FOLDER = DEMO_ROOT / SLUG


def _profile(slug=SLUG) -> MerchantProfile:
    return MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / slug), "en")


def _import_all(ws, slug=SLUG):
    ws.upsert_merchant(slug, _profile(slug), owner="Lin")
    return [ws.import_file(slug, p.read_bytes(), p.name) for p in export_files(DEMO_ROOT / slug)]


def test_import_is_idempotent_and_frames_round_trip(workspace):
    first = _import_all(workspace)
    assert {r.status for r in first} == {"new"} and len(first) == 7
    again = _import_all(workspace)
    assert {r.status for r in again} == {"unchanged"}
    stored = workspace.frames(SLUG)
    from diagnosis.merchants import load_merchant

    direct = kpis.combine(load_merchant(FOLDER).frames)
    period = kpis.data_range(direct)
    assert kpis.compute(stored, *period) == pytest.approx(kpis.compute(direct, *period))


def test_overlapping_upload_replaces_those_days_and_says_so(workspace):
    _import_all(workspace)
    store_file = next(p for p in export_files(FOLDER) if p.name.startswith("成交概览"))
    frame, report = __import__("diagnosis.ingest", fromlist=["ingest"]).ingest(store_file.read_bytes(), store_file.name)
    last_week = frame[frame["date"] >= frame["date"].max() - __import__("pandas").Timedelta(days=6)].copy()
    last_week["gmv"] = last_week["gmv"] * 2
    from diagnosis.store.workspace import to_parquet

    report = report.model_copy(update={"start": last_week["date"].min().date(), "end": last_week["date"].max().date()})
    result = workspace.import_file(SLUG, to_parquet(last_week), "corrected_week.parquet", ingested=(last_week, report))
    assert result.status == "new" and result.replaced == [(store_file.name, 7)]
    days = workspace.frames(SLUG)["store_daily"]
    assert len(days) == len(frame), "seven days replaced, none duplicated"
    assert days["gmv"].sum() == pytest.approx(frame["gmv"].sum() + last_week["gmv"].sum() / 2)


def test_bad_file_writes_nothing(workspace):
    _import_all(workspace)
    before = len(workspace.uploads(SLUG))
    with pytest.raises(IngestError):
        workspace.import_file(SLUG, b"\x00\x01garbage", "broken.xlsx")
    assert len(workspace.uploads(SLUG)) == before


def test_a_crash_half_way_through_a_save_keeps_the_previous_state(workspace, monkeypatch):
    _import_all(workspace)
    store_file = next(p for p in export_files(FOLDER) if p.name.startswith("成交概览"))
    original = store_file.read_bytes()
    frames_before = workspace.frames(SLUG)["store_daily"].copy()

    def explode(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(ws_module, "to_parquet", explode)  # the replaced days are cut first, then this fails
    with pytest.raises(RuntimeError, match="disk full"):
        workspace.import_file(SLUG, original + b"\n", store_file.name)
    monkeypatch.undo()
    after = workspace.frames(SLUG)["store_daily"]
    assert len(after) == len(frames_before) and after["gmv"].sum() == pytest.approx(frames_before["gmv"].sum())
    with workspace.session() as s:
        assert len(list(s.scalars(select(Upload)))) == 7


def _diagnose_and_plan(workspace, slug=SLUG):
    context = build_context(workspace.frames(slug), workspace.profile(slug), "en")
    record = workspace.save_diagnosis(slug, context, workspace.data_hash(slug))
    result = make_plan(context, set())
    return context, record, workspace.save_plan(slug, result, record.id)


def test_versions_and_action_status_carry_over(workspace):
    _import_all(workspace)
    context, d1, p1 = _diagnose_and_plan(workspace)
    assert (d1.version, p1.version) == (1, 1)
    actions = workspace.actions(SLUG)
    assert [a.title for a in actions] == [a["title"] for a in p1.plan["actions"]]
    first = workspace.set_action_status(SLUG, actions[0].id, "done", note="bundles live", on=date(2022, 9, 5))
    assert first.started_on == first.done_on == date(2022, 9, 5)
    with pytest.raises(ValueError):
        workspace.set_action_status(SLUG, actions[1].id, "finished")
    _, d2, p2 = _diagnose_and_plan(workspace)
    assert (d2.version, p2.version) == (2, 2)
    carried = workspace.actions(SLUG)[0]
    assert carried.plan_id == p2.id and carried.status == "done" and carried.note == "bundles live"


def test_merchant_cannot_touch_another_merchants_action(workspace):
    _import_all(workspace)
    _diagnose_and_plan(workspace)
    workspace.upsert_merchant("other", _profile())
    action = workspace.actions(SLUG)[0]
    with pytest.raises(ws_module.NotFound):
        workspace.set_action_status("other", action.id, "done")


def test_portfolio_rows(workspace):
    _import_all(workspace)
    _diagnose_and_plan(workspace)
    workspace.upsert_merchant("empty_shop", MerchantProfile(name="Empty"))
    table = portfolio(workspace, today=date(2022, 9, 10))
    row = table.set_index("slug").loc[SLUG]
    assert row["health"] == workspace.diagnoses(SLUG)[-1].health_score
    assert row["top_finding"] == "aov_low" and row["owner"] == "Lin"
    assert row["gmv_30d"] == pytest.approx(sum(v for _, v in workspace.diagnoses(SLUG)[-1].gmv_daily))
    assert row["open_actions"] == len(workspace.actions(SLUG)) and row["completion"] == 0
    assert not row["stale"] and len(row["gmv_trend"]) == 30
    empty = table.set_index("slug").loc["empty_shop"]
    assert empty["health"] is None or empty["health"] != empty["health"]
    assert empty["stale"]
