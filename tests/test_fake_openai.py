"""The scripted OpenAI server, driven through the real `openai` client; pins the exceptions each fault raises."""

from __future__ import annotations

import json
import threading
import time

import openai
import pytest
from openai import OpenAI

from tests.fake_openai import FakeOpenAI, Reply

MESSAGES = [{"role": "system", "content": "You are BeltDoctor."}, {"role": "user", "content": "诊断一下"}]
ANSWER = "直播间停留时长偏低：先优化开场三十秒的话术，再看投流人群包。" * 3


def _client(fake: FakeOpenAI, read: float = 5.0) -> OpenAI:
    return OpenAI(base_url=fake.url, api_key="test", max_retries=0, timeout=openai.Timeout(5.0, read=read))


def _create(client: OpenAI, **kwargs):
    return client.chat.completions.create(model="fake-model", messages=MESSAGES, **kwargs)


def test_non_streamed_reply_carries_content_usage_and_records_the_request():
    with FakeOpenAI([Reply(ANSWER, usage=(10, 5))]) as fake:
        completion = _create(_client(fake), temperature=0.2)
        assert [m.id for m in _client(fake).models.list()] == ["fake-model"]
    assert completion.choices[0].message.content == ANSWER
    assert completion.choices[0].finish_reason == "stop"
    assert (completion.usage.prompt_tokens, completion.usage.completion_tokens, completion.usage.total_tokens) == (10, 5, 15)
    assert fake.requests == [{"model": "fake-model", "messages": MESSAGES, "temperature": 0.2}]


def test_streamed_reply_reassembles_and_reports_usage_only_when_asked():
    with FakeOpenAI([Reply(ANSWER, chunk_size=7), Reply(ANSWER)]) as fake:
        client = _client(fake)
        with_usage = list(_create(client, stream=True, stream_options={"include_usage": True}))
        without_usage = list(_create(client, stream=True))
    assert with_usage[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in with_usage if c.choices) == ANSWER
    assert len(with_usage) == 1 + -(-len(ANSWER) // 7) + 2  # role, content deltas, finish, usage
    assert with_usage[-2].choices[0].finish_reason == "stop"
    assert with_usage[-1].choices == [] and with_usage[-1].usage.total_tokens == 200
    assert without_usage[-1].choices[0].finish_reason == "stop" and all(c.usage is None for c in without_usage)
    assert [r.get("stream_options") for r in fake.requests] == [{"include_usage": True}, None]


def test_rate_limit_with_retry_after_then_success():
    with FakeOpenAI([Reply(status=429, error_message="slow down", headers={"retry-after": "1"}), Reply("ok")]) as fake:
        client = _client(fake)
        with pytest.raises(openai.RateLimitError) as raised:
            _create(client)
        assert _create(client).choices[0].message.content == "ok"
    assert raised.value.status_code == 429 and raised.value.response.headers["retry-after"] == "1"
    assert raised.value.body == {"message": "slow down", "type": "scripted", "code": 429}


@pytest.mark.parametrize("body", ["{not json", '{"id": "chatcmpl-1", "choices": [{'])
def test_garbage_json_body_raises_a_plain_json_decode_error(body):
    with FakeOpenAI([Reply(raw_body=body)]) as fake, pytest.raises(json.JSONDecodeError):
        _create(_client(fake))


def test_bodies_the_client_does_not_reject():
    """Pinned for the drafter: a 200 HTML page comes back as a str, a non-SSE body to a stream as no chunks at all."""
    html = Reply(raw_body="<html>captive portal</html>", headers={"Content-Type": "text/html"})
    with FakeOpenAI([html, Reply(raw_body="{not json")]) as fake:
        client = _client(fake)
        assert _create(client) == "<html>captive portal</html>"
        assert list(_create(client, stream=True)) == []


def test_rejected_response_format_is_a_500_and_consumes_its_reply():
    schema = {"type": "json_schema", "json_schema": {"name": "plan", "schema": {"type": "object"}}}
    replies = [Reply('{"a": 1}', reject_formats=("json_schema",)), Reply('{"a": 2}', reject_formats=("json_schema",))]
    with FakeOpenAI(replies) as fake:
        client = _client(fake)
        with pytest.raises(openai.InternalServerError):
            _create(client, response_format=schema)
        assert _create(client, response_format={"type": "json_object"}).choices[0].message.content == '{"a": 2}'
    assert [r["response_format"]["type"] for r in fake.requests] == ["json_schema", "json_object"]


def test_default_answers_an_empty_queue_and_without_one_it_is_a_500():
    with FakeOpenAI(default=Reply("again")) as fake:
        assert [_create(_client(fake)).choices[0].message.content for _ in range(2)] == ["again", "again"]
    with FakeOpenAI() as fake, pytest.raises(openai.InternalServerError, match="no scripted reply"):
        _create(_client(fake))


def test_stalled_stream_times_out_during_iteration():
    with FakeOpenAI([Reply(ANSWER, chunk_size=5, stall_after=2)]) as fake:
        stream = _create(_client(fake, read=1.0), stream=True)
        received, start = [], time.monotonic()
        with pytest.raises(Exception) as raised:
            received.extend(stream)  # keeps the chunks that arrived before the timeout
        assert "Timeout" in type(raised.value).__name__
        assert time.monotonic() - start < 2.5
    assert [c.choices[0].delta.content for c in received] == ["", ANSWER[:5], ANSWER[5:10]]


def test_hanging_request_times_out():
    with FakeOpenAI([Reply(hang=True)]) as fake:
        start = time.monotonic()
        with pytest.raises(openai.APITimeoutError):
            _create(_client(fake, read=1.0))
        assert time.monotonic() - start < 2


def test_stopping_releases_a_hanging_handler_quickly():
    errors = []

    def call():
        try:
            _create(_client(fake, read=30.0))
        except openai.APIError as error:
            errors.append(error)

    with FakeOpenAI([Reply(hang=True)]) as fake:
        caller = threading.Thread(target=call)
        caller.start()
        fake.wait_for_requests(1, timeout=5)
        start = time.monotonic()
    assert time.monotonic() - start < 2
    caller.join(timeout=2)
    assert [type(e) for e in errors] == [openai.APIConnectionError]
