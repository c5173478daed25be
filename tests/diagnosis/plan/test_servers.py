"""Server kinds learned from the server (never the port), remembered per endpoint, and a prompt sized to the
server's context: replayed against loopback fakes that behave as llama-cpp-python's server was observed to and as
llama.cpp's llama-server, Ollama and vLLM are documented to."""

from __future__ import annotations

from dataclasses import replace

import pytest

from diagnosis.plan.drafters import make_plan
from diagnosis.plan.llm import LlmDrafter, LlmSettings
from diagnosis.plan.offline import draft_offline
from diagnosis.plan.prompt import DoesNotFit, fit, prompt_tokens
from diagnosis.plan.servers import (
    Capabilities,
    MemoryCache,
    capabilities_for,
    endpoint_key,
    kinds,
)
from diagnosis.store.workspace import Workspace
from tests.fake_openai import FakeOpenAI, Reply, fake_tokens

SLUG = "kidsgoods_lowaov"


@pytest.fixture
def context(context_for):
    return context_for(SLUG, "zh")


def _answer(context) -> str:
    return draft_offline(context).model_dump_json()


def _draft(context, case_index, settings, **timeouts):
    drafter = LlmDrafter(settings, **{"read_timeout": 5.0, "deadline": 20.0, "stall_timeout": 2.0, **timeouts})
    return make_plan(context, set(case_index.cases), "llm", settings, drafter_fn=lambda c, s, p: drafter.draft(c, p))


@pytest.mark.parametrize(("kind", "n_ctx", "via"), [("llama_cpp_python", None, "models"), ("llamacpp", 16384, "props"),
                                                     ("ollama", 4096, "api/version"), ("vllm", 32768, "models"),
                                                     ("generic", None, "default")])
def test_each_kind_is_recognised_from_what_the_server_says(kind, n_ctx, via):
    with FakeOpenAI(kind=kind, n_ctx=n_ctx) as fake:
        caps = capabilities_for(fake.url, None, None, None, None, MemoryCache(), ttl_s=60)
    assert (caps.kind, caps.via, caps.model) == (kind, via, "fake-model")
    assert caps.n_ctx == n_ctx, "context from /props (llama.cpp), max_model_len (vLLM) or the kind's known default (Ollama)"
    assert ("json_schema" in caps.formats) == (kind not in ("llama_cpp_python", "llamacpp"))


def test_the_same_server_behind_a_proxy_path_or_any_port_is_the_same_kind():
    """A llama.cpp server on :8080 used to be the only one recognised; now the port plays no part."""
    with FakeOpenAI(kind="llamacpp", n_ctx=8192) as fake:
        assert not fake.url.endswith(":8080/v1")
        caps = capabilities_for(fake.url, None, None, None, None, MemoryCache(), ttl_s=60)
    assert caps.kind == "llamacpp" and caps.n_ctx == 8192


def test_capabilities_are_kept_in_the_workspace_until_their_time_to_live(tmp_path):
    workspace = Workspace(f"sqlite:///{tmp_path / 'ws.db'}")
    with FakeOpenAI(kind="vllm", n_ctx=32768) as fake:
        first = capabilities_for(fake.url, None, "m", None, None, workspace, ttl_s=60)
        again = capabilities_for(fake.url, None, "m", None, None, Workspace(workspace.url), ttl_s=60, now=first.learned_at + 59)
        probes = len(fake.gets)
        later = capabilities_for(fake.url, None, "m", None, None, workspace, ttl_s=60, now=first.learned_at + 61)
    assert first == again and probes == 1, "a second process on the same workspace asks nothing"
    assert len(fake.gets) == 2 and later.kind == "vllm"
    assert workspace.load_capabilities(endpoint_key(fake.url, "m"))["n_ctx"] == 32768


def test_a_configured_kind_is_used_and_its_context_still_read():
    with FakeOpenAI(kind="llamacpp", n_ctx=12288) as fake:
        caps = capabilities_for(fake.url, None, None, "llamacpp", None, MemoryCache(), ttl_s=60)
        stated = capabilities_for(fake.url, None, None, "llamacpp", 20480, MemoryCache(), ttl_s=60)
    assert (caps.via, caps.n_ctx, stated.n_ctx) == ("configured", 12288, 20480)


def test_llama_cpp_python_gets_no_refused_request_and_a_token_budget(context, case_index):
    """The acceptance case: its real behaviours (json_schema -> 500, `: ping` comments, no usage in the stream)."""
    with FakeOpenAI(default=Reply(_answer(context), chunk_size=300), kind="llama_cpp_python") as fake:
        result = _draft(context, case_index, LlmSettings(fake.url, None, None, cache=MemoryCache()))
    assert result.drafter == "llm" and result.outcome.server == "llama_cpp_python"
    request = fake.requests[0]
    assert len(fake.requests) == 1 and request["response_format"]["type"] == "json_object"
    assert request["response_format"]["schema"]["required"][:2] == ["language", "merchant"], "the schema becomes a grammar"
    assert request["model"] == "fake-model", "the model the server serves"
    assert 512 <= request["max_tokens"] <= 8192 - prompt_tokens(request["messages"])
    assert result.outcome.usage.prompt_tokens == 0 and result.outcome.prompt_tokens_estimated > 1000


def test_an_empty_200_is_read_as_a_context_overflow(context, case_index):
    """llama-cpp-python answers a prompt longer than its context with HTTP 200 and nothing in it."""
    with FakeOpenAI(default=Reply(_answer(context)), kind="llama_cpp_python", n_ctx=500) as fake:
        result = _draft(context, case_index, LlmSettings(fake.url, None, None, cache=MemoryCache()))
    assert result.fallback.code == "context_overflow" and len(fake.requests) == 1, "not retried in another format"
    needed = result.fallback.params["needed"]
    assert needed >= fake_tokens(fake.requests[0]["messages"]) and result.fallback.params["suggest"] % 4096 == 0
    assert f"--n_ctx {result.fallback.params['suggest']}" in result.fallback_reason("en")


def test_vllm_overflow_message_teaches_the_real_limit(context, case_index):
    cache = MemoryCache()
    with FakeOpenAI(default=Reply(_answer(context)), kind="vllm", n_ctx=600, report_ctx=False) as fake:
        result = _draft(context, case_index, LlmSettings(fake.url, None, "m", cache=cache))
    assert result.fallback.code == "context_overflow"
    assert cache.load_capabilities(endpoint_key(fake.url, "m"))["n_ctx"] == 600, "the next plan knows the limit"


def test_a_context_too_small_for_even_the_compact_prompt_sends_nothing(context, case_index):
    with FakeOpenAI(default=Reply(_answer(context)), kind="llamacpp", n_ctx=2048) as fake:
        result = _draft(context, case_index, LlmSettings(fake.url, None, None, cache=MemoryCache()))
    assert result.fallback.code == "context_too_small" and not fake.requests
    params = result.fallback.params
    assert params["n_ctx"] == 2048 and params["needed"] > 2048 and params["suggest"] >= params["needed"]
    assert "2048" in result.fallback_reason("zh") and f"--n_ctx {params['suggest']}" in result.fallback_reason("zh")


def _smallest_context(context, fmt: str) -> int:
    low, high = 256, 200_000
    while low < high:
        middle = (low + high) // 2
        try:
            fit(context, fmt, middle, 8192)
            high = middle
        except DoesNotFit:
            low = middle + 1
    return low


def test_a_tight_context_gets_the_compact_prompt_with_every_high_finding(context_for, case_index):
    context = context_for("apparel_score44", "en")
    n_ctx = _smallest_context(context, "json_object")
    assert fit(context, "json_object", n_ctx, 8192).compact and not fit(context, "json_object", 100_000, 8192).compact
    with FakeOpenAI(default=Reply(_answer(context)), kind="llamacpp", n_ctx=n_ctx) as fake:
        result = _draft(context, case_index, LlmSettings(fake.url, None, None, cache=MemoryCache()))
    assert result.drafter == "llm" and result.outcome.compact
    sent = fake.requests[0]
    assert prompt_tokens(sent["messages"]) + sent["max_tokens"] <= n_ctx
    kept = [f.code for f in context.findings if f.severity == "high"] or [context.findings[0].code]
    assert all(f'"code": "{code}"' in sent["messages"][1]["content"] for code in kept)
    assert len(context.findings) > sent["messages"][1]["content"].count('"severity"'), "some findings were left out"


def test_ollama_default_context_is_respected_unless_configured(context, case_index):
    with FakeOpenAI(default=Reply(_answer(context)), kind="ollama") as fake:
        small = _draft(context, case_index, LlmSettings(fake.url, None, None, cache=MemoryCache()))
        sent_small = list(fake.requests)
        big = _draft(context, case_index, LlmSettings(fake.url, None, None, context=32768, cache=MemoryCache()))
    if small.fallback is not None:
        assert small.fallback.code == "context_too_small" and small.fallback.params["n_ctx"] == 4096 and not sent_small
    else:  # it fitted only because it was made compact, inside Ollama's default 4,096 tokens
        assert small.outcome.compact and prompt_tokens(sent_small[0]["messages"]) + sent_small[0]["max_tokens"] <= 4096
    assert big.drafter == "llm" and fake.requests[-1]["response_format"]["type"] == "json_schema"
    assert fake.requests[-1]["stream_options"] == {"include_usage": True} and big.outcome.usage.prompt_tokens == 120


def test_llama_cpp_python_non_streamed_overflow_teaches_the_limit(context, case_index):
    """Not streamed, it answers 400 'maximum context length is N tokens' (observed), as vLLM does."""
    cache = MemoryCache()
    with FakeOpenAI(default=Reply(_answer(context)), kind="llama_cpp_python", n_ctx=700) as fake:
        settings = LlmSettings(fake.url, None, "m", cache=cache)
        caps = Capabilities.of(kinds()["llama_cpp_python"], "models")
        cache.save_capabilities(endpoint_key(fake.url, "m"), replace(caps, stream=False).as_json())
        result = _draft(context, case_index, settings)
    assert result.fallback.code == "context_overflow" and len(fake.requests) == 1
    assert cache.load_capabilities(endpoint_key(fake.url, "m"))["n_ctx"] == 700


def test_recognition_asks_no_more_than_it_needs():
    with FakeOpenAI(kind="llama_cpp_python") as python_server, FakeOpenAI(kind="vllm", n_ctx=8192) as vllm, \
            FakeOpenAI(kind="llamacpp", n_ctx=8192) as native:
        for fake in (python_server, vllm, native):
            capabilities_for(fake.url, None, None, None, None, MemoryCache(), ttl_s=60)
    assert python_server.gets == vllm.gets == ["/v1/models"] and native.gets == ["/v1/models", "/props"]
