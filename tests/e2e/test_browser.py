"""A real browser against `streamlit run`: upload an export, read the dashboard, switch language.

Runs where Debian's chromium and the playwright package are installed (CI installs both; see .ci/run);
elsewhere it is skipped with the reason. Screenshots go to tests/artifacts/.
"""

import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from diagnosis import dashboard, kpis
from diagnosis.formatting import metric
from diagnosis.ingest import ingest
from tests.processes import free_port, stop, wait_until_answers

playwright = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian chromium is not installed")

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "artifacts"
FIXTURE = ROOT / "demo" / "menswear_paid" / "成交概览_20220601_20220930.xlsx"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync", "--disable-quic"]


@contextmanager
def _streamlit(home: Path):
    """`streamlit run app.py` on a free port with its own data home; yields (url, start time), prints a traceback
    from the server log if one occurred."""
    port = free_port()
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--browser.gatherUsageStats", "false"],
        cwd=ROOT, env={**os.environ, "BELTDOCTOR_HOME": str(home)}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        if not wait_until_answers(f"{url}/_stcore/health", 60, proc, expect=b"ok"):
            pytest.fail("streamlit did not become healthy within 60 s")
        yield url, started
    finally:
        stop(proc)
        if proc.stdout is not None:
            log = proc.stdout.read()
            if "Traceback" in log:
                print(log)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with _streamlit(tmp_path_factory.mktemp("home")) as running:
        yield running


def _expected_cards(lang: str) -> dict[str, str]:
    frame, report = ingest(FIXTURE.read_bytes(), FIXTURE.name)
    frames = kpis.combine([(frame, report)])
    period = dashboard.default_period(kpis.data_range(frames))
    values = kpis.compute(frames, period.start, period.end)
    defs = kpis.metric_defs()
    return {defs[m].label(lang): metric(values[m], defs[m].unit, lang) for m in ("gmv", "orders", "aov") if m in values}


def _cards(page) -> dict[str, str]:
    labels = page.locator('[data-testid="stMetricLabel"]').all_inner_texts()
    values = page.locator('[data-testid="stMetricValue"]').all_inner_texts()
    return {label.strip(): value.strip() for label, value in zip(labels, values)}


def test_upload_then_dashboard_in_both_languages(server):
    url, started = server
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1100})
        page.goto(url + "/")
        page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=60_000)
        cold_start = time.perf_counter() - started

        page.get_by_role("link", name="上传").click()
        page.locator('input[type="file"]').first.set_input_files(str(FIXTURE))
        page.get_by_text("店铺成交日报").first.wait_for(timeout=60_000)

        page.get_by_role("link", name="经营看板").click()
        page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=60_000)
        page.get_by_text("已上传的 1 个文件").first.wait_for(timeout=30_000)
        shown = _cards(page)
        for label, value in _expected_cards("zh").items():
            assert shown.get(label) == value, (label, shown)
        page.screenshot(path=str(ARTIFACTS / "dashboard_zh.png"), full_page=True)

        page.get_by_text("English").first.click()
        page.get_by_text("Store dashboard").first.wait_for(timeout=30_000)
        page.wait_for_selector('[data-testid="stPlotlyChart"]', timeout=60_000)
        shown = _cards(page)
        for label, value in _expected_cards("en").items():
            assert shown.get(label) == value, (label, shown)
        page.screenshot(path=str(ARTIFACTS / "dashboard_en.png"), full_page=True)
        browser.close()
    (ARTIFACTS / "browser_timings.json").write_text(json.dumps({"cold_start_to_first_chart_s": round(cold_start, 2)}))


def test_case_library_search_in_both_languages(server):
    url, _ = server
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1300})
        page.goto(url + "/")
        page.get_by_role("link", name="案例库").click()
        box = page.get_by_label("搜索案例")
        box.wait_for(timeout=90_000)
        box.fill("直播间留不住人")
        box.press("Enter")
        page.get_by_text("对应问题：直播间留不住人").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "cases_zh.png"), full_page=True)

        page.get_by_text("English").first.click()
        box = page.get_by_label("Search cases")
        box.wait_for(timeout=30_000)
        box.fill("ads lose money, ROI below break-even")
        box.press("Enter")
        page.get_by_text("pain point: Ads below break-even").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "cases_en.png"), full_page=True)
        browser.close()


def test_plan_drafted_in_the_browser_in_both_languages(server):
    url, _ = server
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1600})
        page.goto(url + "/")
        page.get_by_role("link", name="诊断").click()
        page.get_by_role("button", name="起草方案").click(timeout=90_000)
        page.get_by_text("起草：离线起草").first.wait_for(timeout=60_000)
        page.get_by_role("button", name="PDF").first.wait_for(timeout=30_000)
        page.screenshot(path=str(ARTIFACTS / "plan_zh.png"), full_page=True)
        page.get_by_text("English").first.click()
        page.get_by_role("button", name="Draft plan").click(timeout=60_000)
        page.get_by_text("Drafted by the offline drafter").first.wait_for(timeout=60_000)
        page.screenshot(path=str(ARTIFACTS / "plan_en.png"), full_page=True)
        browser.close()


@pytest.fixture(scope="module")
def locked_server(tmp_path_factory):
    """A fresh server whose workspace has a login, for deep links opened before any session started the app."""
    import streamlit_authenticator as stauth

    from diagnosis.store.workspace import Workspace

    home = tmp_path_factory.mktemp("locked")
    Workspace(f"sqlite:///{home / 'workspace.db'}").add_user("lin", "Lin", "provider", stauth.Hasher.hash("provider-pass"))
    with _streamlit(home) as (url, _):
        yield url


@pytest.mark.parametrize("path", ["/diagnosis", "/portfolio", "/brief?merchant=kidsgoods_lowaov"])
def test_deep_link_on_a_fresh_server_still_asks_for_a_login(locked_server, path):
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        page = browser.new_page(viewport={"width": 1200, "height": 900})
        page.goto(locked_server + path)
        page.get_by_text("请先登录").first.wait_for(timeout=60_000)
        assert page.locator('[data-testid="stPlotlyChart"]').count() == 0
        assert page.locator('[data-testid="stMetricValue"]').count() == 0
        browser.close()
