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
    assert "llamacpp" in shown and "json_object → text" in shown
    assert "sk-secret-value-123" not in shown + " ".join(t.value for t in at.text_input)
    assert at.session_state["llm_overrides"]["OPENAI_BASE_URL"] == "http://127.0.0.1:8080/v1"
