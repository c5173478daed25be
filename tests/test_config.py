"""One typed configuration: every variable declared once, a bad value named at start-up, secrets masked, and the
docs' settings table generated from the declaration."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from diagnosis import settings
from diagnosis.cli import main
from diagnosis.config import Config, ConfigError, config, markdown_table

ROOT = Path(__file__).resolve().parents[1]
THIRD_PARTY = {"MPLCONFIGDIR"}  # matplotlib's own variable, set for it when the home folder is read-only


def test_no_module_reads_the_environment_but_the_configuration():
    readers = {}
    for path in [*ROOT.glob("diagnosis/**/*.py"), *ROOT.glob("knowledge/**/*.py"), *ROOT.glob("ui/*.py"), *ROOT.glob("pages/*.py"), ROOT / "app.py"]:
        text = path.read_text(encoding="utf-8")
        names = set(re.findall(r"""(?:environ(?:\.get)?[(\[]|getenv\()\s*["'](\w+)["']""", text)) - THIRD_PARTY
        if names and path.name != "config.py":
            readers[str(path.relative_to(ROOT))] = names
    assert not readers, readers


def test_every_variable_the_docs_mention_is_declared_and_the_table_is_generated():
    declared = {field.alias for field in Config.model_fields.values()}
    assert (ROOT / "docs" / "settings.md").read_text(encoding="utf-8") == markdown_table()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    mentioned = set(re.findall(r"\b((?:BELTDOCTOR|CHROMA|OPENAI)_[A-Z_]+|DATABASE_URL)\b", readme))
    assert mentioned - {"BELTDOCTOR_TEST_LLM_URL"} <= declared, mentioned - declared
    assert {s.env for s in settings.SETTINGS} <= declared


@pytest.mark.parametrize(("variable", "value", "words"), [
    ("BELTDOCTOR_MAX_ROWS", "lots", "valid number"), ("BELTDOCTOR_LLM_DEADLINE", "-5", "greater than or equal to 0"),
    ("CHROMA_PORT", "99999", "less than or equal to 65535"), ("BELTDOCTOR_LLM_PROFILE", "llama", "unknown server kind"),
    ("BELTDOCTOR_MAX_FILE_MB", "nan", "finite"),
])
def test_a_bad_value_is_an_error_naming_the_variable(monkeypatch, capsys, variable, value, words):
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        config()
    assert [p[0] for p in raised.value.problems] == [variable] and words in raised.value.problems[0][1]
    with pytest.raises(ConfigError):
        settings.get("max_rows")  # never silently the default
    assert main(["config"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {variable}: ") and repr(value) in err and "Traceback" not in err


def test_effective_values_with_secrets_masked(monkeypatch, capsys):
    monkeypatch.setenv("OPENAI_API_KEY", "sk-very-secret")
    monkeypatch.setenv("BELTDOCTOR_MAX_ROWS", "1000")
    assert main(["config", "--json"]) == 0
    rows = {r["variable"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["OPENAI_API_KEY"]["value"] == "********" and rows["OPENAI_API_KEY"]["set"]
    assert rows["BELTDOCTOR_MAX_ROWS"] == {**rows["BELTDOCTOR_MAX_ROWS"], "value": "1000", "set": True, "default": "5000000"}
    assert rows["DATABASE_URL"]["value"] is None and not rows["DATABASE_URL"]["set"]
    assert settings.get("max_rows") == 1000.0
