"""The LLM drafter against a scripted OpenAI-compatible server on 127.0.0.1: every fault has an asserted outcome."""

from __future__ import annotations

import json
import time

import pytest

from diagnosis.plan.drafters import make_plan
from diagnosis.plan.llm import LlmDrafter, LlmSettings, profile_for, profiles
from diagnosis.plan.offline import draft_offline
from tests.fake_openai import FakeOpenAI, Reply

SLUG = "kidsgoods_lowaov"


def _settings(url: str, profile: str = "generic", stream: bool | None = None) -> LlmSettings:
    chosen = profiles()[profile]
    if stream is not None:
        chosen = chosen.model_copy(update={"stream": stream, "stream_usage": stream})
    return LlmSettings(url, "test-key", "fake-model", chosen)


def _run(context, case_index, settings, **timeouts):
    drafter = LlmDrafter(settings, **{"read_timeout": 5.0, "deadline": 20.0, "stall_timeout": 2.0, **timeouts})
    progress: list[int] = []
    result = make_plan(context, set(case_index.cases), "llm", settings, progress.append,
                       drafter_fn=lambda c, s, p: drafter.draft(c, p))
    return result, progress


def _valid_answer(context) -> str:
    """A plan as a model would write it: the offline plan re-worded, citing retrieved cases only."""
    plan = draft_offline(context).model_copy(update={"summary": "LLM summary. " + draft_offline(context).summary})
    return plan.model_dump_json()


@pytest.fixture
def context(context_for):
    return context_for(SLUG, "en")


def test_valid_plan_not_streamed(context, case_index):
    with FakeOpenAI([Reply(_valid_answer(context))]) as fake:
        result, _ = _run(context, case_index, _settings(fake.url, stream=False))
    assert result.drafter == "llm" and result.fallback_reason is None
    assert result.plan.summary.startswith("LLM summary.")
    assert not [p for p in result.problems if p.code.startswith("citation")]
    request = fake.requests[0]
    assert request["response_format"]["type"] == "json_schema" and "stream" not in request
    assert result.outcome.usage.prompt_tokens == 120 and result.outcome.usage.completion_tokens == 80


def test_valid_plan_streamed_reports_progress_and_usage(context, case_index):
    with FakeOpenAI([Reply(_valid_answer(context), chunk_size=200)]) as fake:
        result, progress = _run(context, case_index, _settings(fake.url, "openai"))
    assert result.drafter == "llm"
    assert progress and progress == sorted(progress) and progress[-1] == len(_valid_answer(context))
    assert fake.requests[0]["stream"] is True and fake.requests[0]["stream_options"] == {"include_usage": True}
    outcome = result.outcome
    assert outcome.first_token_s is not None and outcome.first_token_s <= outcome.total_s
    assert outcome.usage.cost_yuan is not None and outcome.usage.cost_yuan > 0


def test_invalid_json_is_repaired_with_the_error_shown(context, case_index):
    with FakeOpenAI([Reply("{not json at all"), Reply(_valid_answer(context))]) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "llm"
    repair = fake.requests[1]["messages"][-1]["content"]
    assert repair.startswith("Your answer failed validation") and "{not json at all" in fake.requests[1]["messages"][-2]["content"]


def test_schema_violation_twice_falls_back_with_the_reason(context, case_index):
    bad = json.loads(_valid_answer(context))
    bad["actions"][0]["owner"] = "the intern"
    bad["extra"] = "not allowed"
    with FakeOpenAI([Reply(json.dumps(bad)), Reply(json.dumps(bad))]) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "offline" and "not a valid plan twice" in result.fallback_reason
    assert len(fake.requests) == 2
    assert [a.title for a in result.plan.actions] == [a.title for a in draft_offline(context).actions]


def test_citation_to_a_missing_case_is_removed_and_reported(context, case_index):
    answer = json.loads(_valid_answer(context))
    answer["actions"][0]["cases"].append("no-such-case")
    answer["actions"][1]["cases"].append("pub-c01-guangyou-paper-factory")
    with FakeOpenAI([Reply(json.dumps(answer))]) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "llm"
    assert "no-such-case" not in result.plan.cited_cases()
    codes = {(p.code, p.where) for p in result.problems}
    assert ("citation_unknown", "action 1") in codes
    if "pub-c01-guangyou-paper-factory" not in context.retrieved_ids:
        assert ("citation_not_retrieved", "action 2") in codes
        assert "pub-c01-guangyou-paper-factory" not in result.plan.actions[1].cases


def test_rate_limited_then_success_retries_once(context, case_index):
    with FakeOpenAI([Reply(status=429, headers={"retry-after": "0.2"}), Reply(_valid_answer(context))]) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "llm" and len(fake.requests) == 2
    assert any("HTTP 429" in a for a in result.outcome.attempts)


def test_refused_format_steps_down_the_ladder(context, case_index):
    with FakeOpenAI([Reply(_valid_answer(context), reject_formats=("json_schema",)), Reply(_valid_answer(context))]) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "llm" and result.outcome.format == "json_object"
    assert [r.get("response_format", {}).get("type") for r in fake.requests] == ["json_schema", "json_object"]
    assert "JSON schema" in fake.requests[1]["messages"][0]["content"]


def test_stalled_stream_falls_back_within_the_watchdog(context, case_index):
    with FakeOpenAI(default=Reply(_valid_answer(context), chunk_size=50, stall_after=3)) as fake:
        started = time.monotonic()
        result, progress = _run(context, case_index, _settings(fake.url, "openai"), stall_timeout=1.0)
        elapsed = time.monotonic() - started
    assert result.drafter == "offline" and "stalled" in result.fallback_reason
    assert progress and elapsed < 6
    assert len(fake.requests) == 1, "no retry after the first token"


def test_server_that_never_answers_falls_back_before_the_deadline(context, case_index):
    with FakeOpenAI(default=Reply(hang=True)) as fake:
        started = time.monotonic()
        result, _ = _run(context, case_index, _settings(fake.url, stream=False), read_timeout=1.0, deadline=4.0)
        elapsed = time.monotonic() - started
    assert result.drafter == "offline" and result.fallback_reason
    assert elapsed < 6 and len(fake.requests) <= 2


def test_garbage_answers_fall_back_after_the_ladder(context, case_index):
    with FakeOpenAI(default=Reply(raw_body="<html>bad gateway</html>", headers={"content-type": "text/html"})) as fake:
        result, _ = _run(context, case_index, _settings(fake.url, stream=False))
    assert result.drafter == "offline" and result.fallback_reason
    assert [r.get("response_format", {}).get("type", "text") for r in fake.requests][:3] == ["json_schema", "json_object", "text"]


def test_wrong_key_fails_fast(context, case_index):
    with FakeOpenAI(default=Reply(status=401)) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "offline" and "API key" in result.fallback_reason and len(fake.requests) == 1


def test_settings_from_environment_and_profiles():
    assert LlmSettings.from_env({}) is None
    local = LlmSettings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"})
    assert local.profile.name == "llamacpp" and "json_schema" not in local.profile.formats
    deepseek = LlmSettings.from_env({"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "https://api.deepseek.com/v1", "BELTDOCTOR_LLM_MODEL": "m"})
    assert deepseek.profile.name == "deepseek" and deepseek.model == "m" and "sk-x" not in deepseek.describe()
    assert profile_for(None).name == "openai"
    with pytest.raises(ValueError, match="unknown LLM profile"):
        profile_for(None, "nope")
