"""The LLM drafter: any OpenAI-compatible endpoint through the official `openai` client.

Fault handling is the design: tight timeouts, at most one retry and only before the first token, an overall
deadline, and a watchdog on stream inactivity (a stalled stream never raises by itself). The response format
steps down json_schema -> json_object -> text when a server refuses one (llama.cpp answers json_schema with HTTP
500); every answer is validated with pydantic and gets one repair round that shows the model its error. Any
failure returns a reason instead of raising, so the caller can fall back to the offline drafter.
"""

from __future__ import annotations

import json
import os
import queue
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, ValidationError

from diagnosis.plan.context import PlanContext
from diagnosis.plan.model import Plan, plan_json_schema
from diagnosis.plan.prompt import build_messages, prompt_tokens
from diagnosis.schema import load_yaml

Progress = Callable[[int], None]
REFUSED_FORMAT_STATUS = {400, 404, 415, 422, 500, 501}
RETRY_STATUS = {408, 409, 429, 502, 503, 504}
MAX_RETRY_WAIT = 5.0


class EndpointProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = ""
    match: tuple[str, ...] = ()
    formats: tuple[str, ...]
    stream: bool
    stream_usage: bool
    default_model: str
    price: tuple[float, float] | None = None


@cache
def profiles() -> dict[str, EndpointProfile]:
    raw = load_yaml(resources.files("diagnosis").joinpath("data", "llm_profiles.yaml").read_text(encoding="utf-8"))
    return {name: EndpointProfile(name=name, **entry) for name, entry in raw.items()}


OPENAI_URL = "https://api.openai.com/v1"  # where the openai client goes without a base URL


def profile_for(base_url: str | None, name: str | None = None) -> EndpointProfile:
    if name:
        if name not in profiles():
            raise ValueError(f"unknown LLM profile '{name}'; known: {', '.join(profiles())}")
        return profiles()[name]
    url = base_url or OPENAI_URL
    return next((p for p in profiles().values() if any(m in url for m in p.match)), profiles()["generic"])


@dataclass(frozen=True)
class LlmSettings:
    """Where and how to call the model. The key comes from the environment or Streamlit secrets only."""

    base_url: str | None
    api_key: str | None
    model: str
    profile: EndpointProfile

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LlmSettings | None:
        """None when nothing is configured (then the offline drafter is the default)."""
        env = os.environ if env is None else env
        base_url, api_key = env.get("OPENAI_BASE_URL") or None, env.get("OPENAI_API_KEY") or None
        if not base_url and not api_key:
            return None
        profile = profile_for(base_url, env.get("BELTDOCTOR_LLM_PROFILE") or None)
        return cls(base_url, api_key, env.get("BELTDOCTOR_LLM_MODEL") or profile.default_model, profile)

    def describe(self) -> str:
        """For the UI and logs: never includes the key."""
        return f"{self.model} @ {self.base_url or 'api.openai.com'} ({self.profile.name})"


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_yuan: float | None = None


@dataclass
class Outcome:
    plan: Plan | None
    reason: str | None = None
    format: str | None = None
    attempts: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    prompt_tokens_estimated: int = 0
    first_token_s: float | None = None
    total_s: float = 0.0


class _Failed(Exception):
    """An attempt that cannot succeed on this endpoint; `refused` means another format may."""

    def __init__(self, reason: str, refused: bool = False):
        super().__init__(reason)
        self.reason = reason
        self.refused = refused


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> object:
    """The JSON object in an answer that may wrap it in prose or a code fence."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the answer contains no JSON object")
    return json.loads(candidate[start:end + 1])


def validate_answer(text: str, lang: str) -> tuple[Plan | None, str | None]:
    try:
        plan = Plan.model_validate(extract_json(text))
    except (ValueError, ValidationError) as exc:
        return None, str(exc)[:1500]
    if plan.language != lang:
        return None, f"language must be '{lang}', got '{plan.language}'"
    return plan, None


class LlmDrafter:
    def __init__(self, settings: LlmSettings, connect_timeout: float | None = None, read_timeout: float | None = None,
                 deadline: float | None = None, stall_timeout: float | None = None):
        """Timeouts default to the settings table (`BELTDOCTOR_LLM_*`)."""
        from openai import OpenAI, Timeout

        from diagnosis import settings as limits

        connect_timeout = connect_timeout or limits.get("llm_connect_timeout")
        read_timeout = read_timeout or limits.get("llm_read_timeout")
        deadline = deadline or limits.get("llm_deadline")
        stall_timeout = stall_timeout or limits.get("llm_stall_timeout")

        self.settings = settings
        self.read_timeout = read_timeout
        self.deadline = deadline
        self.stall_timeout = stall_timeout
        self.client = OpenAI(
            base_url=settings.base_url, api_key=settings.api_key or "not-needed", max_retries=0,
            timeout=Timeout(read_timeout, connect=connect_timeout),
        )

    def draft(self, context: PlanContext, on_progress: Progress | None = None) -> Outcome:
        started = time.monotonic()
        outcome = Outcome(plan=None)
        deadline_at = started + self.deadline
        last_reason = "no response format worked"
        for fmt in self.settings.profile.formats:
            messages = build_messages(context, fmt)
            outcome.prompt_tokens_estimated = prompt_tokens(messages)
            try:
                text = self._attempt(messages, fmt, deadline_at, outcome, on_progress, started)
                plan, error = validate_answer(text, context.lang)
                if plan is None:
                    outcome.attempts.append(f"{fmt}: invalid answer, repair")
                    repair = messages + [
                        {"role": "assistant", "content": text[:6000]},
                        {"role": "user", "content": f"Your answer failed validation: {error}\nReply with the corrected JSON object only."},
                    ]
                    text = self._attempt(repair, fmt, deadline_at, outcome, on_progress, started)
                    plan, error = validate_answer(text, context.lang)
                if plan is None:
                    outcome.reason = f"the model's answer was not a valid plan twice ({error.splitlines()[0][:200]})"
                    break
                outcome.plan, outcome.format = plan, fmt
                break
            except _Failed as exc:
                outcome.attempts.append(f"{fmt}: {exc.reason}")
                last_reason = exc.reason
                if exc.refused and time.monotonic() < deadline_at:
                    continue
                outcome.reason = exc.reason
                break
        else:
            outcome.reason = last_reason
        outcome.total_s = round(time.monotonic() - started, 3)
        self._cost(outcome.usage)
        return outcome

    def _cost(self, usage: Usage) -> None:
        price = self.settings.profile.price
        if price and (usage.prompt_tokens or usage.completion_tokens):
            usage.cost_yuan = round((usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1e6, 5)

    def _request(self, messages: list[dict], fmt: str) -> dict:
        kwargs: dict = {"model": self.settings.model, "messages": messages, "temperature": 0.2}
        if fmt == "json_schema":
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": "plan", "strict": True, "schema": plan_json_schema()}}
        elif fmt == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
        if self.settings.profile.stream:
            kwargs["stream"] = True
            if self.settings.profile.stream_usage:
                kwargs["stream_options"] = {"include_usage": True}
        return kwargs

    def _attempt(self, messages, fmt, deadline_at, outcome, on_progress, started) -> str:
        """One call with at most one retry, only while no token has arrived."""
        for attempt in range(2):
            try:
                return self._call(messages, fmt, deadline_at, outcome, on_progress, started)
            except _Retryable as exc:
                wait = min(exc.wait, MAX_RETRY_WAIT, max(0.0, deadline_at - time.monotonic() - 1))
                if attempt == 1 or time.monotonic() + wait >= deadline_at:
                    raise _Failed(exc.reason) from None
                outcome.attempts.append(f"{fmt}: {exc.reason}, retry in {wait:.1f} s")
                time.sleep(wait)
        raise _Failed("unreachable")

    def _call(self, messages, fmt, deadline_at, outcome, on_progress, started) -> str:
        """Run the request in a worker thread; the caller's loop enforces first-token, inactivity and deadline."""
        events: queue.Queue = queue.Queue()
        holder: dict = {}
        kwargs = self._request(messages, fmt)

        def work() -> None:
            try:
                response = self.client.chat.completions.create(**kwargs)
                if not kwargs.get("stream"):
                    if not getattr(response, "choices", None):
                        raise ValueError("the answer is not a chat completion")
                    events.put(("text", response.choices[0].message.content or ""))
                    events.put(("usage", response.usage))
                    events.put(("done", None))
                    return
                holder["stream"] = response
                finished = False
                for chunk in response:
                    if chunk.choices:
                        choice = chunk.choices[0]
                        if choice.delta and choice.delta.content:
                            events.put(("text", choice.delta.content))
                        finished = finished or bool(choice.finish_reason)
                    if getattr(chunk, "usage", None):
                        events.put(("usage", chunk.usage))
                if not finished:
                    raise ValueError("the stream ended without finishing its answer")
                events.put(("done", None))
            except Exception as exc:  # noqa: BLE001 - every failure is reported to the waiting loop
                events.put(("error", exc))

        threading.Thread(target=work, daemon=True).start()
        parts: list[str] = []
        while True:
            remaining = deadline_at - time.monotonic()
            if remaining <= 0:
                self._abort(holder)
                raise _Failed("the overall deadline passed before the plan was complete")
            wait = min(remaining, self.stall_timeout if parts else self.read_timeout)
            try:
                kind, value = events.get(timeout=wait)
            except queue.Empty:
                self._abort(holder)
                if parts:
                    raise _Failed(f"the stream stalled: no data for {self.stall_timeout:.0f} s") from None
                if wait < self.read_timeout:
                    raise _Failed(f"no answer before the overall deadline of {self.deadline:.0f} s") from None
                raise _Retryable(f"no answer within {wait:.0f} s", 0.0) from None
            if kind == "text":
                if not parts and outcome.first_token_s is None:
                    outcome.first_token_s = round(time.monotonic() - started, 3)
                parts.append(value)
                if on_progress:
                    on_progress(sum(len(p) for p in parts))
            elif kind == "usage" and value is not None:
                outcome.usage.prompt_tokens += int(getattr(value, "prompt_tokens", 0) or 0)
                outcome.usage.completion_tokens += int(getattr(value, "completion_tokens", 0) or 0)
            elif kind == "done":
                return "".join(parts)
            elif kind == "error":
                raise _classify(value, fmt, bool(parts))

    @staticmethod
    def _abort(holder: dict) -> None:
        stream = holder.get("stream")
        if stream is not None:
            try:
                stream.close()
            except Exception:  # noqa: BLE001, S110 - closing a dead stream may fail; the attempt is over anyway
                pass


class _Retryable(Exception):
    def __init__(self, reason: str, wait: float):
        super().__init__(reason)
        self.reason = reason
        self.wait = wait


def _classify(exc: Exception, fmt: str, started: bool) -> Exception:
    """Map a client error to: retry (before the first token), step down the format ladder, or give up."""
    import openai

    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return _Failed(f"the endpoint refused the API key (HTTP {exc.status_code})")
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        if status in RETRY_STATUS and not started:
            try:
                wait = float(exc.response.headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
            return _Retryable(f"HTTP {status}", wait)
        if status in REFUSED_FORMAT_STATUS and fmt != "text":
            return _Failed(f"HTTP {status} for response format {fmt}", refused=True)
        return _Failed(f"HTTP {status}: {str(exc.message)[:160]}")
    if isinstance(exc, openai.APITimeoutError):
        return _Failed("the endpoint timed out") if started else _Retryable("the endpoint timed out", 0.0)
    if isinstance(exc, openai.APIConnectionError):
        return _Failed("connection lost mid-answer") if started else _Retryable(f"cannot connect ({exc.__cause__ or exc})"[:200], 0.5)
    return _Failed(f"unreadable answer from the endpoint ({type(exc).__name__}: {str(exc)[:160]})", refused=fmt != "text")
