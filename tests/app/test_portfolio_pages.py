"""Portfolio and meeting brief pages on a workspace under tmp_path: the empty state imports the demo merchants,
rows equal `portfolio()`, filters and the campaign comparison work, action progress and meetings are recorded,
1,300 merchants are all listed, and a merchant login sees only its own store, whatever page or URL it tries."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from diagnosis.i18n import t
from diagnosis.store.brief import meeting_brief
from diagnosis.store.models import (
    ActionRecord,
    DiagnosisRecord,
    Merchant,
    PlanRecord,
    Upload,
)
from diagnosis.store.portfolio import portfolio
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]
PORTFOLIO, BRIEF = str(ROOT / "pages" / "portfolio.py"), str(ROOT / "pages" / "brief.py")
OWN, OTHER = "kidsgoods_lowaov", "menswear_paid"


def _use_home(home: Path, monkeypatch):
    from ui.workspace import workspace

    monkeypatch.setenv("BELTDOCTOR_HOME", str(home))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    workspace.clear()
    return workspace()


@pytest.fixture(scope="module")
def demo_db(tmp_path_factory):
    """The five demo merchants through the batch once (as the page's import button does); each test gets a copy."""
    from diagnosis.batch import run_batch
    from diagnosis.merchants import DEMO_ROOT
    from diagnosis.store.workspace import Workspace

    home = tmp_path_factory.mktemp("demo_home")
    ws = Workspace(f"sqlite:///{home / 'workspace.db'}")
    assert not run_batch(DEMO_ROOT, ws, None, lang="en").failed
    ws.engine.dispose()
    return home / "workspace.db"


@pytest.fixture
def empty_ws(tmp_path, monkeypatch):
    from ui.workspace import workspace

    yield _use_home(tmp_path, monkeypatch)
    workspace.clear()


@pytest.fixture
def ws(demo_db, tmp_path, monkeypatch):
    from ui.workspace import workspace

    shutil.copy(demo_db, tmp_path / "workspace.db")
    yield _use_home(tmp_path, monkeypatch)
    workspace.clear()


def _page(path: str, lang: str = "en", **state) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = lang
    for key, value in state.items():
        at.session_state[key] = value
    at.run()
    at.switch_page(path).run()
    assert not at.exception, at.exception
    return at


def _table(at: AppTest):
    return at.dataframe[0].value


def _points(at: AppTest) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("- "))


def _submit(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()


def _shown(at: AppTest) -> str:
    parts = [e.value for e in [*at.title, *at.markdown, *at.caption, *at.info, *at.warning, *at.success, *at.error]]
    parts += [str(m.value) for m in at.metric] + [" ".join(map(str, s.options)) for s in at.selectbox]
    parts += [d.value.to_string() for d in at.dataframe]
    return " ".join(parts)


def test_empty_workspace_offers_the_demo_import(empty_ws):
    at = _page(PORTFOLIO)
    assert "beltdoctor batch DIR" in at.info[0].value
    at.button(key="pf_import_demo").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == t("batch.summary", "en", n=5, changed=5, unchanged=0, failed=0)
    expected = portfolio(empty_ws)
    assert len(expected) == 5
    assert sorted(_table(at)["name"]) == sorted(expected["name"])


def test_rows_equal_the_portfolio(ws):
    at = _page(PORTFOLIO)
    table = _table(at).set_index("name")
    expected = portfolio(ws).set_index("name")
    assert len(table) == len(expected)
    for name, row in expected.iterrows():
        shown = table.loc[name]
        assert shown["health"] == row["health"] and shown["open_actions"] == row["open_actions"]
        assert shown["gmv_30d"] == round(row["gmv_30d"])  # whole yuan on screen
        assert shown["gmv_change"] == pytest.approx(row["gmv_change"] * 100)
        assert list(shown["gmv_trend"]) == pytest.approx(row["gmv_trend"])
        assert shown["completion"] == pytest.approx(row["completion"] * 100)
        assert shown["last_data"] == row["last_data"].isoformat() + (" stale" if row["stale"] else "")
    assert list(table["health"]) == sorted(table["health"]), "worst health first"


def test_filters(ws):
    at = _page(PORTFOLIO)
    at.text_input(key="pf_search").input("zhili").run()
    assert set(_table(at)["name"]) == {"Zhili Kids' Goods Multi-Account Demo Store", "Zhili Kidswear Demo Store"}
    at.text_input(key="pf_search").input("").run()
    at.multiselect(key="_w_pf_category_en").select("apparel").run()
    assert set(_table(at)["category"]) == {"Apparel"} and len(_table(at)) == 2
    at.multiselect(key="_w_pf_category_en").unselect("apparel").run()
    at.slider(key="pf_health").set_range(30, 100).run()
    expected = portfolio(ws)
    assert set(_table(at)["name"]) == set(expected.loc[expected["health"] >= 30, "name"])
    assert "Showing 3 of 5" in " ".join(c.value for c in at.caption)


def test_campaign_comparison(ws):
    at = _page(PORTFOLIO)
    at.multiselect(key="pf_campaign").select(OWN).select("kidswear_818").run()
    compared = at.dataframe[1].value
    names = {ws.profile(OWN).name, ws.profile("kidswear_818").name}
    assert set(compared.columns) == names
    assert "AOV (per buyer)" in compared.index and "Low order value" in compared.index
    assert compared.loc["Low order value", ws.profile(OWN).name] == "High"


def test_marking_an_action_done_updates_brief_and_completion(ws):
    at = _page(BRIEF, brief_merchant=OWN)
    actions = ws.actions(OWN)
    first = actions[0]
    at.selectbox(key=f"act_status_{first.id}_en").set_value("done")
    at.text_input(key=f"act_note_{first.id}").input("bundles live")
    at.date_input(key="act_on").set_value(date(2022, 8, 10))
    _submit(at, "Save action updates")
    assert not at.exception, at.exception
    done = ws.actions(OWN)[0]
    assert (done.status, done.note, done.started_on, done.done_on) == ("done", "bundles live", date(2022, 8, 10), date(2022, 8, 10))
    assert "1 action(s) updated" in " ".join(s.value for s in at.success)
    assert plain(first.title) in _points(at), "the talking points raise the finished action"
    at.switch_page(PORTFOLIO).run()
    row = _table(at).set_index("name").loc[ws.profile(OWN).name]
    assert row["completion"] == pytest.approx(100 / len(actions)) and row["open_actions"] == len(actions) - 1


def test_action_updates_are_saved_all_or_none(ws, monkeypatch):
    from sqlalchemy.exc import OperationalError

    from diagnosis.store.workspace import Workspace

    at = _page(BRIEF, brief_merchant=OWN)
    first, second = ws.actions(OWN)[:2]
    for action in (first, second):
        at.selectbox(key=f"act_status_{action.id}_en").set_value("doing")
    real, calls = Workspace.set_action_status, []

    def fails_on_the_second(self, *args, **kwargs):
        calls.append(args)
        if len(calls) == 2:
            raise OperationalError("UPDATE actions", {}, Exception("database is locked"))
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Workspace, "set_action_status", fails_on_the_second)
    _submit(at, "Save action updates")
    assert not at.exception, at.exception
    assert len(calls) == 2 and [e.value for e in at.error] == ["Not saved; the workspace is as it was: database is locked"]
    assert [a.status for a in ws.actions(OWN)[:2]] == ["todo", "todo"], "the first update was rolled back"


def test_brief_shows_the_engines_talking_points_and_records_a_meeting(ws):
    at = _page(BRIEF, "zh", brief_merchant=OTHER)
    expected = meeting_brief(ws, OTHER, "zh")
    assert _points(at) == "\n".join(f"- {plain(p)}" for p in expected.talking_points)
    assert at.session_state["_w_brief_merchant"] == OTHER
    at.text_area(key="mt_notes").input("谈了退款")
    _submit(at, "保存会议记录")
    assert not at.exception, at.exception
    assert [(m.held_on, m.text) for m in ws.meetings(OTHER)] == [(date.today(), "谈了退款")]
    assert "上次会议" in " ".join(c.value for c in at.caption), "the brief now compares with the meeting"
    assert [d.label for d in at.get("download_button")] == ["Word", "PDF"]


def test_brief_follows_the_url_parameter(ws):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.query_params["merchant"] = OTHER
    at.run()
    at.switch_page(BRIEF).run()
    assert at.session_state["_w_brief_merchant"] == OTHER and not at.error


def test_merchant_login_sees_only_its_own_store(ws):
    import streamlit_authenticator as stauth

    ws.add_user("shop", "Kids goods shop", "merchant", stauth.Hasher.hash("shop-pass"), merchant_slug=OWN)
    login = {"authentication_status": True, "username": "shop", "role": "merchant", "role_merchant": OWN}
    at = _page(PORTFOLIO, **login)
    assert list(_table(at)["name"]) == [ws.profile(OWN).name]
    assert ws.profile(OTHER).name not in _shown(at) and not at.multiselect

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    for key, value in {"lang": "en", **login}.items():
        at.session_state[key] = value
    at.query_params["merchant"] = OTHER
    at.run()
    at.switch_page(BRIEF).run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["You do not have access to this store"]
    shown = _shown(at)
    other = meeting_brief(ws, OTHER, "en")
    assert other.name not in shown and not at.get("download_button") and not at.selectbox
    assert all(plain(p) not in shown for p in other.talking_points)


def test_thirteen_hundred_merchants_are_all_listed_worst_first(empty_ws):
    """How fast the page runs at this size is measured in benchmarks/bench_batch.py."""
    ws = empty_ws
    findings = [{"code": "aov_low", "severity": "high"}, {"code": "refund_rate_high", "severity": "medium"}]
    with ws.transaction() as s:
        for i in range(1300):
            m = Merchant(slug=f"shop{i:04d}", name=f"Shop {i}", category=("apparel", "kids", "food")[i % 3], owner=f"owner{i % 7}")
            s.add(m)
            s.flush()
            for v in (1, 2):
                s.add(DiagnosisRecord(merchant_id=m.id, version=v, data_hash="x", period_start=date(2022, 8, 1),
                                      period_end=date(2022, 8, 30),
                                      health_score=(i * v) % 101, findings=findings, kpis={"gmv": 1000.0 * i},
                                      gmv_daily=[[f"2022-08-{d:02d}", 100.0 + d * (i % 5)] for d in range(1, 31)], gmv_previous=900.0 * i))
            plan = PlanRecord(merchant_id=m.id, version=1, drafter="offline", plan={"actions": []}, problems=[])
            s.add(plan)
            s.flush()
            s.add_all([ActionRecord(plan_id=plan.id, merchant_id=m.id, n=n, title="a", why=[], metric="aov",
                                    status="done" if n <= i % 4 else "todo") for n in range(1, 4)])
            s.add(Upload(merchant_id=m.id, sha256=f"{i:064d}", filename="f.csv", kind="store_daily", start=date(2022, 8, 1),
                         end=date(2022, 8, 30), rows=30, data=b""))
    table = _table(_page(PORTFOLIO))
    assert len(table) == 1300
    assert table["health"].is_monotonic_increasing  # worst first, by default
    row = table.set_index("name").loc["Shop 6"]  # latest health 12, was 6; two of three actions done
    assert (row["health"], row["health_change"], row["open_actions"], row["completion"]) == (12, 6, 1, pytest.approx(200 / 3))


def test_a_bookmarked_brief_opens_after_the_gate(ws):
    """Before any session has run app.py, Streamlit runs a page file on its own: the page keeps where the visitor
    was going and sends them through app.py, which opens that page with its query once the gate lets them in."""
    alone = AppTest.from_file(BRIEF, default_timeout=120)
    alone.query_params["merchant"] = OTHER
    alone.run()
    assert alone.session_state["deep_link"] == ("pages/brief.py", {"merchant": OTHER})
    assert not alone.metric, "nothing of the workspace is shown before the gate"

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.session_state["lang"] = "en"
    at.session_state["deep_link"] = alone.session_state["deep_link"]
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.title] == [t("brief.title", "en")]
    assert at.selectbox[0].value == OTHER and at.query_params["merchant"] == OTHER
    assert "deep_link" not in at.session_state
