"""Logins and access: with users in the workspace every page needs a login; a merchant login sees only its own
store on every page, whatever it tries; provider staff see every merchant."""

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from diagnosis.merchants import DEMO_ROOT, export_files, read_profile
from diagnosis.profile import MerchantProfile
from ui.text import plain

ROOT = Path(__file__).resolve().parents[2]
OWN, OTHER = "kidsgoods_lowaov", "menswear_paid"
PAGES = ("dashboard.py", "diagnosis.py", "data.py", "cases.py")


@pytest.fixture
def users(tmp_path, monkeypatch):
    import streamlit_authenticator as stauth

    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    from ui.workspace import workspace

    workspace.clear()
    ws = workspace()
    for slug in (OWN, OTHER):
        ws.upsert_merchant(slug, MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / slug), "en"))
        for path in export_files(DEMO_ROOT / slug):
            ws.import_file(slug, path.read_bytes(), path.name)
    ws.add_user("lin", "Lin (provider)", "provider", stauth.Hasher.hash("provider-pass"))
    ws.add_user("shop", "Kids goods shop", "merchant", stauth.Hasher.hash("shop-pass"), merchant_slug=OWN)
    yield ws
    workspace.clear()


def _app(username: str | None, lang: str = "en") -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = lang
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
    at.run()
    return at


def test_login_required_once_users_exist(users):
    at = _app(None)
    assert not at.exception
    assert any("Please sign in" in i.value for i in at.info)
    assert not at.get("plotly_chart") and not at.metric


def _mentions(shown: str, name: str) -> bool:
    """A name as typed or as escaped for Markdown (names in captions are escaped so they stay text)."""
    return name in shown or plain(name) in shown


def test_merchant_sees_only_its_own_store_on_every_page(users):
    other_name = users.profile(OTHER).name
    own_name = users.profile(OWN).name
    for page in PAGES:
        at = _app("shop")
        at.switch_page(str(ROOT / "pages" / page)).run()
        assert not at.exception, (page, at.exception)
        shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.title, *at.info] if hasattr(e, "value"))
        assert not _mentions(shown, other_name), page
        assert at.session_state["role"] == "merchant" and at.session_state["role_merchant"] == OWN
        if page in ("dashboard.py", "diagnosis.py"):
            assert _mentions(shown, own_name), page
        assert not at.sidebar.selectbox or all("Demo" not in s.label for s in at.sidebar.selectbox)


def test_merchant_cannot_pick_another_store_through_state_or_query(users):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "en"
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "shop"
    at.session_state["merchant"] = OTHER
    at.query_params["merchant"] = OTHER
    at.run()
    at.switch_page(str(ROOT / "pages" / "diagnosis.py")).run()
    shown = " ".join(m.value for m in [*at.markdown, *at.caption])
    assert not _mentions(shown, users.profile(OTHER).name) and _mentions(shown, users.profile(OWN).name)


def test_provider_sees_demo_and_workspace(users):
    at = _app("lin")
    assert not at.exception and at.session_state["role"] == "provider"
    assert at.sidebar.selectbox, "the provider keeps the merchant picker"


def test_login_form_checks_the_hashed_password(users):
    at = _app(None)
    at.text_input[0].input("shop")
    at.text_input[1].input("wrong")
    at.button[0].click().run()
    assert any("Wrong username or password" in e.value for e in at.error)
    at.text_input[1].input("shop-pass")
    at.button[0].click().run()
    assert at.session_state["authentication_status"] is True and at.session_state["role_merchant"] == OWN


def test_a_bookmarked_link_to_another_store_stays_closed_after_login(users):
    """The page a visitor first asked for opens after the login (ui.workspace.resume_deep_link), and still checks
    what this login may see."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "en"
    at.session_state["deep_link"] = ("pages/brief.py", {"merchant": OTHER})
    at.run()
    assert any("Please sign in" in i.value for i in at.info) and at.session_state["deep_link"], "kept until signed in"
    at.session_state["authentication_status"] = True
    at.session_state["username"] = "shop"
    at.run()
    assert not at.exception, at.exception
    assert [e.value for e in at.error] == ["You do not have access to this store"]
    shown = " ".join(str(e.value) for e in [*at.markdown, *at.caption, *at.title, *at.metric])
    assert not _mentions(shown, users.profile(OTHER).name) and "deep_link" not in at.session_state
