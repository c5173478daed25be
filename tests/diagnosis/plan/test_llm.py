"""The LLM drafter against scripted OpenAI-compatible servers on 127.0.0.1: every fault has an asserted outcome,
and each fallback names its true cause (a reason code)."""

from __future__ import annotations

import json
import socket
import time
from dataclasses import replace

import pytest

from diagnosis.config import ConfigError
from diagnosis.plan.drafters import make_plan
from diagnosis.plan.llm import LlmDrafter, LlmSettings
from diagnosis.plan.offline import draft_offline
from diagnosis.plan.servers import Capabilities, MemoryCache, endpoint_key, kinds
from tests.fake_openai import FakeOpenAI, Reply

SLUG = "kidsgoods_lowaov"


def _settings(url: str, kind: str | None = None, cache: MemoryCache | None = None, context: int | None = None) -> LlmSettings:
    return LlmSettings(url, "test-key", "fake-model", kind, context, cache or MemoryCache())


def _non_streaming(url: str) -> LlmSettings:
    """A server known (from the cache) not to stream."""
    settings = _settings(url)
    caps = replace(Capabilities.of(kinds()["generic"], "configured"), stream=False, stream_usage=False)
    settings.cache.save_capabilities(endpoint_key(url, "fake-model"), caps.as_json())
    return settings


def _run(context, case_index, settings, **timeouts):
    drafter = LlmDrafter(settings, **{"read_timeout": 5.0, "deadline": 20.0, "stall_timeout": 2.0, **timeouts})
    events: list = []
    result = make_plan(context, set(case_index.cases), "llm", settings, events.append,
                       drafter_fn=lambda c, s, p: drafter.draft(c, p))
    return result, events


def _valid_answer(context) -> str:
    """A plan as a model would write it: the offline plan re-worded, citing retrieved cases only."""
    plan = draft_offline(context).model_copy(update={"summary": "LLM summary. " + draft_offline(context).summary})
    return plan.model_dump_json()


@pytest.fixture
def context(context_for):
    return context_for(SLUG, "en")


def test_valid_plan_not_streamed(context, case_index):
    with FakeOpenAI([Reply(_valid_answer(context))]) as fake:
        result, _ = _run(context, case_index, _non_streaming(fake.url))
    assert result.drafter == "llm" and result.fallback is None
    assert result.plan.summary.startswith("LLM summary.")
    assert not [p for p in result.problems if p.code.startswith("citation")]
    request = fake.requests[0]
    assert request["response_format"]["type"] == "json_schema" and "stream" not in request
    assert request["max_tokens"] == result.outcome.max_tokens > 0
    assert result.outcome.usage.prompt_tokens == 120 and result.outcome.usage.completion_tokens == 80


def test_valid_plan_streamed_reports_stages_and_usage(context, case_index):
    with FakeOpenAI([Reply(_valid_answer(context), chunk_size=200, delay=1.3)]) as fake:
        result, events = _run(context, case_index, _settings(fake.url, "openai"))
    assert result.drafter == "llm"
    stages = [e.stage for e in events]
    assert stages[0] == "probing" and "reading_prompt" in stages and stages[-1] == "writing"
    waiting = [e for e in events if e.stage == "reading_prompt"]
    assert max(e.elapsed for e in waiting) >= 1.0, "the wait for the first token is reported while it lasts"
    chars = [e.chars for e in events if e.stage == "writing"]
    assert chars == sorted(chars) and chars[-1] == len(_valid_answer(context))
    assert fake.requests[0]["stream"] is True and fake.requests[0]["stream_options"] == {"include_usage": True}
    outcome = result.outcome
    assert outcome.first_token_s is not None and 1.3 <= outcome.first_token_s <= outcome.total_s
    assert outcome.usage.cost_yuan is not None and outcome.usage.cost_yuan > 0


def test_invalid_json_is_repaired_with_the_error_shown(context, case_index):
    with FakeOpenAI([Reply("{not json at all"), Reply(_valid_answer(context))]) as fake:
        result, events = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "llm"
    repair = fake.requests[1]["messages"][-1]["content"]
    assert repair.startswith("Your answer failed validation") and "{not json at all" in fake.requests[1]["messages"][-2]["content"]
    assert "repairing" in [e.stage for e in events]


def test_schema_violation_twice_falls_back_naming_the_field(context, case_index):
    bad = json.loads(_valid_answer(context))
    bad["actions"][0]["owner"] = "the intern"
    with FakeOpenAI([Reply(json.dumps(bad)), Reply(json.dumps(bad))]) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "offline" and result.fallback.code == "invalid_answer"
    assert result.fallback.params == {"where": "actions.0.owner"}
    assert "actions.0.owner" in result.fallback_reason("zh") and "不是有效方案" in result.fallback_reason("zh")
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
        result, events = _run(context, case_index, _settings(fake.url))
    assert result.drafter == "llm" and len(fake.requests) == 2
    assert any("rate_limited" in a for a in result.outcome.attempts) and "retrying" in [e.stage for e in events]


def test_rate_limited_twice_says_so(context, case_index):
    with FakeOpenAI(default=Reply(status=429, headers={"retry-after": "0.1"})) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.fallback.code == "rate_limited" and result.fallback.params == {"status": 429} and len(fake.requests) == 2


def test_refused_format_steps_down_and_is_remembered(context, case_index):
    """The second plan on the same endpoint starts with the format that worked: no request is refused twice."""
    cache = MemoryCache()
    replies = [Reply(_valid_answer(context), reject_formats=("json_schema",)) for _ in range(3)]
    with FakeOpenAI(replies) as fake:
        first, _ = _run(context, case_index, _settings(fake.url, cache=cache))
        second, _ = _run(context, case_index, _settings(fake.url, cache=cache))
    assert first.drafter == second.drafter == "llm" and first.outcome.format == second.outcome.format == "json_object"
    assert [r.get("response_format", {}).get("type") for r in fake.requests] == ["json_schema", "json_object", "json_object"]
    assert "JSON schema" in fake.requests[1]["messages"][0]["content"]
    assert fake.gets.count("/v1/models") == 1, "capabilities are learned once per endpoint"


def test_every_format_refused_names_the_formats(context, case_index):
    with FakeOpenAI(default=Reply(status=500)) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.fallback.code == "http_error" and result.fallback.params == {"status": 500}
    assert [r.get("response_format", {}).get("type", "text") for r in fake.requests] == ["json_schema", "json_object", "text"]


def test_stalled_stream_falls_back_within_the_watchdog(context, case_index):
    with FakeOpenAI(default=Reply(_valid_answer(context), chunk_size=50, stall_after=3)) as fake:
        started = time.monotonic()
        result, events = _run(context, case_index, _settings(fake.url, "openai"), stall_timeout=1.0)
        elapsed = time.monotonic() - started
    assert result.drafter == "offline" and result.fallback.code == "stall" and result.fallback.params == {"seconds": 1}
    assert any(e.stage == "writing" for e in events) and elapsed < 6
    assert len(fake.requests) == 1, "no retry after the first token"


def test_a_slow_steady_stream_ended_by_the_deadline_says_deadline_not_stall(context, case_index):
    slow = Reply(_valid_answer(context), chunk_size=40, chunk_delay=0.3)
    with FakeOpenAI(default=slow) as fake:
        result, _ = _run(context, case_index, _settings(fake.url), stall_timeout=2.0, deadline=3.0)
    assert result.fallback.code == "deadline" and result.fallback.params == {"seconds": 3}
    assert "总时限 3 秒" in result.fallback_reason("zh")


def test_a_repair_cut_off_by_the_deadline_says_deadline(context, case_index):
    replies = [Reply("{not json"), Reply(_valid_answer(context), chunk_size=40, chunk_delay=0.3)]
    with FakeOpenAI(replies) as fake:
        result, _ = _run(context, case_index, _settings(fake.url), stall_timeout=2.0, deadline=3.0)
    assert result.fallback.code == "deadline" and len(fake.requests) == 2


def test_server_that_never_answers_says_no_first_token(context, case_index):
    with FakeOpenAI(default=Reply(hang=True)) as fake:
        started = time.monotonic()
        result, _ = _run(context, case_index, _non_streaming(fake.url), read_timeout=1.0, deadline=6.0)
        elapsed = time.monotonic() - started
    assert result.drafter == "offline" and result.fallback.code == "no_first_token"
    assert elapsed < 6 and len(fake.requests) <= 2


def test_garbage_answers_step_down_then_say_unreadable(context, case_index):
    with FakeOpenAI(default=Reply(raw_body="<html>bad gateway</html>", headers={"content-type": "text/html"})) as fake:
        result, _ = _run(context, case_index, _non_streaming(fake.url))
    assert result.drafter == "offline" and result.fallback.code == "unreadable_answer"
    assert [r.get("response_format", {}).get("type", "text") for r in fake.requests][:3] == ["json_schema", "json_object", "text"]


def test_wrong_key_fails_fast(context, case_index):
    with FakeOpenAI(default=Reply(status=401)) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.fallback.code == "authentication" and result.fallback.params == {"status": 401} and len(fake.requests) == 1
    assert "API 密钥" in result.fallback_reason("zh")


def test_closed_port_is_connection_refused_with_the_host(context, case_index):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    result, _ = _run(context, case_index, _settings(f"http://127.0.0.1:{port}/v1", "generic"))
    assert result.fallback.code == "connection_refused" and result.fallback.params == {"host": f"127.0.0.1:{port}"}


def test_answer_cut_by_max_tokens_says_truncated(context, case_index):
    with FakeOpenAI(default=Reply(_valid_answer(context)[:200], finish_reason="length")) as fake:
        result, _ = _run(context, case_index, _settings(fake.url, "openai"))
    assert result.fallback.code == "truncated" and result.fallback.params == {"max_tokens": fake.requests[0]["max_tokens"]}


@pytest.mark.parametrize("url", ["not a url", "ftp://example.com/v1", "http://", "127.0.0.1:8080/v1"])
def test_an_endpoint_that_is_not_a_url_falls_back_at_once(context, case_index, url):
    result, _ = _run(context, case_index, _settings(url, "generic"))
    assert result.drafter == "offline" and result.fallback.code == "bad_url" and result.fallback.params == {"url": url}


def test_a_drafter_whose_constructor_raises_gives_the_offline_plan(context, case_index):
    def broken(context, settings, progress):
        raise TypeError("Timeout() got an unexpected keyword argument")

    result = make_plan(context, set(case_index.cases), "llm", _settings("http://127.0.0.1:9/v1"), drafter_fn=broken)
    assert result.drafter == "offline" and result.fallback.code == "drafter_error" and result.fallback.params == {"error": "TypeError"}
    assert [a.title for a in result.plan.actions] == [a.title for a in draft_offline(context).actions]


def test_a_client_that_cannot_be_built_gives_the_offline_plan(context, case_index, monkeypatch):
    """What openai 3.x did with httpx's Timeout: the constructor raised TypeError."""
    def no_client(self):
        raise TypeError("Timeout must be an httpx2.Timeout")

    monkeypatch.setattr(LlmDrafter, "_client", no_client)
    with FakeOpenAI() as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.fallback.code == "client_error" and result.fallback.params == {"error": "TypeError"} and not fake.requests


def test_a_client_raising_type_error_mid_stream_gives_the_offline_plan(context, case_index, monkeypatch):
    class Chunk:
        choices = [type("C", (), {"delta": type("D", (), {"content": "{\"language\""})(), "finish_reason": None})()]
        usage = None

    def stream():
        yield Chunk()
        raise TypeError("'NoneType' object is not iterable")

    class Client:
        class chat:
            class completions:
                @staticmethod
                def create(**kwargs):
                    return stream()

    monkeypatch.setattr(LlmDrafter, "_client", lambda self: Client())
    with FakeOpenAI() as fake:
        result, events = _run(context, case_index, _settings(fake.url))
    assert result.fallback.code == "client_error" and result.fallback.params == {"error": "TypeError"}
    assert any(e.stage == "writing" for e in events)


def test_settings_from_environment():
    assert LlmSettings.from_env({}) is None
    local = LlmSettings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:8080/v1"})
    assert local.kind is None and local.model is None and local.context is None, "a port decides nothing"
    named = LlmSettings.from_env({"OPENAI_API_KEY": "sk-x", "OPENAI_BASE_URL": "https://llm.example/v1", "BELTDOCTOR_LLM_MODEL": "m",
                                  "BELTDOCTOR_LLM_PROFILE": "vllm", "BELTDOCTOR_LLM_CONTEXT": "32768"})
    assert (named.kind, named.model, named.context) == ("vllm", "m", 32768) and "sk-x" not in named.describe()
    with pytest.raises(ConfigError, match="unknown server kind"):
        LlmSettings.from_env({"OPENAI_BASE_URL": "http://127.0.0.1:9/v1", "BELTDOCTOR_LLM_PROFILE": "nope"})


def test_a_schema_valid_plan_without_actions_is_repaired_then_refused(context, case_index):
    """What the real 270M base model wrote under llama.cpp's grammar: valid JSON, every field, no actions."""
    empty = json.loads(_valid_answer(context)) | {"actions": []}
    with FakeOpenAI(default=Reply(json.dumps(empty))) as fake:
        result, _ = _run(context, case_index, _settings(fake.url))
    assert result.fallback.code == "invalid_answer" and result.fallback.params == {"where": "actions"}
    assert "actions is empty" in fake.requests[1]["messages"][-1]["content"] and len(fake.requests) == 2
