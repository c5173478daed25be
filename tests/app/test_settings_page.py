"""Settings page: a session endpoint makes the Diagnosis page offer the LLM; the key is never displayed, and only
goes to the endpoint the deployment configured it for."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

from tests.fake_openai import FakeOpenAI

ROOT = Path(__file__).resolve().parents[2]
KEY = "sk-secret-value-123"


def _settings(monkeypatch, base_url: str | None, endpoint: str | None = None) -> AppTest:
    """The Settings page with the deployment's key (and `base_url`), after typing `endpoint` for this session."""
    monkeypatch.setenv("OPENAI_API_KEY", KEY)
    if base_url:
        monkeypatch.setenv("OPENAI_BASE_URL", base_url)
    else:
        monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page(str(ROOT / "pages" / "settings.py")).run()
    assert not at.exception, at.exception
    if endpoint:
        at.text_input[0].input(endpoint)
        at.button[0].click().run()
    return at


def _draft_on_diagnosis_page(at: AppTest) -> None:
    at.session_state["merchant"] = "menswear_paid"
    at.switch_page(str(ROOT / "pages" / "diagnosis.py")).run()
    next(b for b in at.button if b.key and b.key.startswith("draft_")).click().run()
    assert not at.exception, at.exception


def test_session_endpoint_capabilities_from_the_server_and_hidden_key(monkeypatch, tmp_path):
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path))
    with FakeOpenAI(kind="llamacpp", n_ctx=16384) as server:
        at = _settings(monkeypatch, None, server.url)
        next(b for b in at.button if "Check what the server supports" in b.label).click().run()
    shown = " ".join(e.value for e in at.success) + " ".join(c.value for c in at.caption)
    assert "Server kind llamacpp (from: props); context 16384 tokens" in shown
    assert "json_object → text; streaming: yes; usage in stream: no" in shown
    assert KEY not in shown + " ".join(t.value for t in at.text_input)
    assert at.session_state["llm_overrides"]["OPENAI_BASE_URL"] == server.url
    assert set(server.gets) <= {"/v1/models", "/props"}


def test_the_deployment_key_never_goes_to_a_session_endpoint(monkeypatch):
    """Any signed-in user can type an endpoint here; the deployment's key stays with the endpoint it was set for."""
    with FakeOpenAI() as elsewhere:
        at = _settings(monkeypatch, "http://127.0.0.1:9/v1", elsewhere.url)
        assert any("is not sent to it" in w.value for w in at.warning)
        _draft_on_diagnosis_page(at)
    assert elsewhere.authorizations, "the plan was drafted at the session's endpoint"
    assert all(KEY not in (a or "") for a in elsewhere.authorizations)


def test_the_deployment_key_goes_to_its_own_endpoint(monkeypatch):
    with FakeOpenAI() as own:
        at = _settings(monkeypatch, own.url)
        assert not at.warning
        _draft_on_diagnosis_page(at)
    assert own.authorizations and set(own.authorizations) == {f"Bearer {KEY}"}


def test_naming_the_default_endpoint_keeps_the_key(monkeypatch):
    at = _settings(monkeypatch, None, "https://api.openai.com/v1/")
    assert not at.warning, "the deployment's own endpoint, written out, is not another endpoint"
