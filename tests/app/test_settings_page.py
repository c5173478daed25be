"""Settings page: a session endpoint makes the Diagnosis page offer the LLM; the key is never displayed."""

from pathlib import Path

from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[2]


def test_session_endpoint_and_hidden_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-123")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page(str(ROOT / "pages" / "settings.py")).run()
    assert not at.exception
    at.text_input[0].input("http://127.0.0.1:8080/v1")
    at.button[0].click().run()
    shown = " ".join(e.value for e in at.success) + " ".join(c.value for c in at.caption)
    assert "llamacpp" in shown and "json_object → text; streaming: yes; usage in stream: no" in shown
    assert "sk-secret-value-123" not in shown + " ".join(t.value for t in at.text_input)
    assert at.session_state["llm_overrides"]["OPENAI_BASE_URL"] == "http://127.0.0.1:8080/v1"


def _draft_on_diagnosis_page(at: AppTest) -> None:
    at.session_state["merchant"] = "menswear_paid"
    at.switch_page(str(ROOT / "pages" / "diagnosis.py")).run()
    next(b for b in at.button if b.key and b.key.startswith("draft_")).click().run()
    assert not at.exception, at.exception


def test_the_deployment_key_never_goes_to_a_session_endpoint(monkeypatch):
    """Any signed-in user can type an endpoint here; the deployment's key stays with the endpoint it was set for."""
    from tests.fake_openai import FakeOpenAI

    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-123")
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:9/v1")  # the deployment's own endpoint
    with FakeOpenAI() as elsewhere:
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.session_state["lang"] = "en"
        at.run()
        at.switch_page(str(ROOT / "pages" / "settings.py")).run()
        at.text_input[0].input(elsewhere.url)
        at.button[0].click().run()
        assert any("is not sent to it" in w.value for w in at.warning)
        _draft_on_diagnosis_page(at)
    assert elsewhere.authorizations, "the plan was drafted at the session's endpoint"
    assert all("sk-secret-value-123" not in (a or "") for a in elsewhere.authorizations)


def test_the_deployment_key_goes_to_its_own_endpoint(monkeypatch):
    from tests.fake_openai import FakeOpenAI

    with FakeOpenAI() as own:
        monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-123")
        monkeypatch.setenv("OPENAI_BASE_URL", own.url)
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=90)
        at.session_state["lang"] = "en"
        at.run()
        at.switch_page(str(ROOT / "pages" / "settings.py")).run()
        assert not at.warning
        _draft_on_diagnosis_page(at)
    assert own.authorizations and set(own.authorizations) == {"Bearer sk-secret-value-123"}


def test_naming_the_default_endpoint_keeps_the_key(monkeypatch):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-secret-value-123")
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.session_state["lang"] = "en"
    at.run()
    at.switch_page(str(ROOT / "pages" / "settings.py")).run()
    at.text_input[0].input("https://api.openai.com/v1/")
    at.button[0].click().run()
    assert not at.warning, "the deployment's own endpoint, written out, is not another endpoint"
