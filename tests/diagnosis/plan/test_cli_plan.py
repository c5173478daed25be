"""`beltdoctor plan`: the JSON contract, output files, and a broken endpoint still yielding the offline plan."""

from __future__ import annotations

import io
import json
import time

import pytest
from docx import Document as Docx
from openpyxl import load_workbook

from diagnosis.cli import main
from diagnosis.merchants import DEMO_ROOT
from tests.fake_openai import FakeOpenAI, Reply

FOLDER = str(DEMO_ROOT / "kidsgoods_lowaov")


@pytest.fixture(autouse=True)
def _isolated(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("BELTDOCTOR_HOME", str(tmp_path_factory.getbasetemp() / "plan-cli-home"))
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BELTDOCTOR_LLM_MODEL", "BELTDOCTOR_LLM_PROFILE", "CHROMA_HOST"):
        monkeypatch.delenv(name, raising=False)


def _json(capsys, *args) -> dict:
    assert main(["plan", FOLDER, "--json", *args]) == 0
    return json.loads(capsys.readouterr().out)


def test_offline_json_contract(capsys):
    out = _json(capsys, "--lang", "en")
    assert set(out) >= {"drafter", "fallback_reason", "plan", "problems"}
    assert out["drafter"] == "offline" and out["fallback_reason"] is None and out["problems"] == []
    plan = out["plan"]
    assert plan["language"] == "en" and plan["merchant"]
    assert all(a["why"] and a["cases"] for a in plan["actions"])


def test_profile_from_the_folder_and_flags_override(capsys):
    zh = _json(capsys, "--lang", "zh")
    assert zh["plan"]["merchant"] == "织里童品多账号示范店"
    other = _json(capsys, "--lang", "zh", "--gross-margin", "60", "--merchant", "测试店")
    assert other["plan"]["merchant"] == "测试店"
    assert other["plan"]["diagnosis"] != zh["plan"]["diagnosis"], "a 60% margin changes the break-even finding"


@pytest.mark.parametrize("suffix", ["md", "docx", "xlsx"])
def test_out_files(tmp_path, capsys, suffix):
    target = tmp_path / f"plan.{suffix}"
    assert main(["plan", FOLDER, "--lang", "en", "--out", str(target)]) == 0
    assert "Wrote" in capsys.readouterr().out
    data = target.read_bytes()
    if suffix == "md":
        assert data.decode().startswith("# ") and "## Actions" in data.decode()
    elif suffix == "docx":
        text = "\n".join(p.text for p in Docx(io.BytesIO(data)).paragraphs)
        assert "Actions" in text and "Summary" in text
    else:
        sheet = load_workbook(io.BytesIO(data)).active
        assert sheet["B1"].value == "Action" and sheet.max_row >= 2


def test_unknown_output_format_is_a_usage_error(tmp_path, capsys):
    assert main(["plan", FOLDER, "--out", str(tmp_path / "plan.pptx")]) == 2
    assert "unknown output format" in capsys.readouterr().err


def test_broken_endpoint_yields_the_offline_plan_with_the_reason(monkeypatch, capsys):
    with FakeOpenAI(default=Reply(raw_body="garbage{{{")) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        out = _json(capsys, "--lang", "en")
    assert out["drafter"] == "offline" and out["fallback_code"] == "unreadable_answer" and "not a chat completion" in out["fallback_reason"]
    assert out["plan"]["actions"]


def test_endpoint_that_never_answers_falls_back_within_the_deadline(monkeypatch, capsys):
    monkeypatch.setenv("BELTDOCTOR_LLM_DEADLINE", "3")
    monkeypatch.setenv("BELTDOCTOR_LLM_READ_TIMEOUT", "2")
    with FakeOpenAI(default=Reply(hang=True)) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        started = time.monotonic()
        out = _json(capsys, "--lang", "zh")
        elapsed = time.monotonic() - started
    assert out["drafter"] == "offline" and out["fallback_reason"] and elapsed < 15


def test_llm_plan_when_configured_and_offline_flag_wins(monkeypatch, capsys):
    offline = _json(capsys, "--lang", "en")["plan"]
    answer = json.dumps({**offline, "summary": "From the model. " + offline["summary"]})
    with FakeOpenAI(default=Reply(answer)) as fake:
        monkeypatch.setenv("OPENAI_BASE_URL", fake.url)
        out = _json(capsys, "--lang", "en")
        forced = _json(capsys, "--lang", "en", "--offline")
        requests = len(fake.requests)
    assert out["drafter"] == "llm" and out["plan"]["summary"].startswith("From the model.")
    assert out["usage"]["prompt_tokens_estimated"] > 500 and out["usage"]["first_token_s"] is not None
    assert forced["drafter"] == "offline" and requests == 1
