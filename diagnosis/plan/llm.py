"""The LLM drafter: any OpenAI-compatible endpoint through the official `openai` client (2.x on httpx, 3.x on httpx2).

Fault handling is the design. What the server is and accepts comes from the server (servers.py), so no request
is sent in a format it is known to refuse, the prompt is sized to its context and every request sets `max_tokens`.
Tight timeouts, at most one retry and only before the first token, an overall deadline, and a watchdog on stream
inactivity (a stalled stream never raises by itself). The response format steps down json_schema -> json_object ->
text when a server refuses one, and the step-down is remembered; every answer is validated with pydantic and gets
one repair round that shows the model its error. Any failure returns a Reason (a code and parameters) instead of
raising, so the caller falls back to the offline drafter and says the true cause in the viewer's language.
"""

from __future__ import annotations

import json
import math
import queue
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from pydantic import ValidationError

from diagnosis.plan.context import PlanContext
from diagnosis.plan.model import Plan, plan_json_schema
from diagnosis.plan.prompt import DoesNotFit, Fitted, answer_budgets, fit
from diagnosis.plan.reasons import Reason, error_name
from diagnosis.plan.servers import (
    PROCESS_CACHE,
    Capabilities,
    CapabilityCache,
    capabilities_for,
    kinds,
    remember,
)

REFUSED_FORMAT_STATUS = {400, 404, 415, 422, 500, 501}
RETRY_STATUS = {408, 409, 429, 502, 503, 504}
MAX_RETRY_WAIT = 5.0
TICK = 1.0  # seconds between progress reports while the server reads the prompt or writes
_CONTEXT_WORDS = ("context length", "context size", "context window", "maximum context", "available context",
                  "too many tokens", "prompt is too long", "n_ctx", "exceeds the", "too long")
_MAX_CONTEXT = re.compile(r"(?:maximum context length|context (?:size|length|window))\D{0,20}(\d{3,7})", re.IGNORECASE)


@dataclass(frozen=True)
class LlmSettings:
    """Where and how to call the model. The key comes from the environment or Streamlit secrets only."""

    base_url: str | None
    api_key: str | None
    model: str | None
    kind: str | None = None  # a server kind named by the deployment (BELTDOCTOR_LLM_PROFILE); else learned
    context: int | None = None  # the server's context in tokens, when the deployment states it
    cache: CapabilityCache | None = field(default=None, compare=False, repr=False)  # where learned capabilities live

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> LlmSettings | None:
        """None when nothing is configured (then the offline drafter is the default)."""
        from diagnosis.config import config, secret

        cfg = config(env)
        base_url, api_key = cfg.openai_base_url, secret(cfg.openai_api_key)
        if not base_url and not api_key:
            return None
        context = int(cfg.llm_context) if "llm_context" in cfg.model_fields_set else None  # stated, not the default
        return cls(base_url, api_key, cfg.llm_model, cfg.llm_profile, context)

    def describe(self) -> str:
        """For the UI and logs: never includes the key."""
        where = self.base_url or "api.openai.com"
        return (f"{self.model} @ {where}" if self.model else where) + (f" ({self.kind})" if self.kind else "")

    def capabilities(self) -> Capabilities:
        from diagnosis import settings as limits

        return capabilities_for(self.base_url, self.api_key, self.model, self.kind, self.context,
                                self.cache or PROCESS_CACHE, limits.get("llm_capability_ttl") * 3600)


@dataclass(frozen=True)
class ProgressEvent:
    """What the drafter is doing, for a status line: `stage` is probing, reading_prompt, writing, repairing or
    retrying; `chars` counts the answer so far."""

    stage: str
    elapsed: float
    chars: int = 0


Progress = Callable[[ProgressEvent], None]


@dataclass
class Usage:
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_yuan: float | None = None


@dataclass
class Outcome:
    plan: Plan | None
    reason: Reason | None = None
    format: str | None = None
    attempts: list[str] = field(default_factory=list)
    usage: Usage = field(default_factory=Usage)
    prompt_tokens_estimated: int = 0
    max_tokens: int | None = None
    compact: bool = False
    server: str | None = None  # the kind of server that answered
    first_token_s: float | None = None
    total_s: float = 0.0


class _Failed(Exception):
    """An attempt that cannot succeed on this endpoint; `refused` means another format may."""

    def __init__(self, reason: Reason, refused: bool = False, detail: str = "", context_limit: int | None = None):
        super().__init__(reason.code)
        self.reason, self.refused, self.detail, self.context_limit = reason, refused, detail, context_limit


class _Retryable(Exception):
    def __init__(self, reason: Reason, wait: float):
        super().__init__(reason.code)
        self.reason, self.wait = reason, wait


_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)


def extract_json(text: str) -> object:
    """The JSON object in an answer that may wrap it in prose or a code fence."""
    fenced = _FENCE.search(text)
    candidate = fenced.group(1) if fenced else text
    start, end = candidate.find("{"), candidate.rfind("}")
    if start < 0 or end <= start:
        raise ValueError("the answer contains no JSON object")
    return json.loads(candidate[start:end + 1])


def validate_answer(text: str, lang: str, findings: int = 0) -> tuple[Plan | None, str | None, str]:
    """(plan, error for the repair prompt, where the error is) — `where` is a field path, language-neutral. A plan
    without actions for a store with findings fits the schema but is no plan (a small model's grammar-bound answer)."""
    try:
        plan = Plan.model_validate(extract_json(text))
    except ValidationError as exc:
        first = exc.errors()[0]
        return None, str(exc)[:1500], ".".join(str(p) for p in first.get("loc", ())) or "plan"
    except ValueError as exc:
        return None, str(exc)[:1500], "JSON"
    if plan.language != lang:
        return None, f"language must be '{lang}', got '{plan.language}'", "language"
    if findings and not plan.actions:
        return None, f"actions is empty, but the findings block has {findings} findings: give at least one action each", "actions"
    return plan, None, ""


def suggest_context(needed: int) -> int:
    """A context size to recommend: the next multiple of 4,096 tokens above what is needed."""
    return int(math.ceil(needed / 4096) * 4096)


class LlmDrafter:
    def __init__(self, settings: LlmSettings, connect_timeout: float | None = None, read_timeout: float | None = None,
                 deadline: float | None = None, stall_timeout: float | None = None):
        """Timeouts default to the settings table (`BELTDOCTOR_LLM_*`). Nothing here can fail: the client is
        built inside `draft`, where any error becomes a reason."""
        from diagnosis import settings as limits

        self.settings = settings
        self.connect_timeout = connect_timeout or limits.get("llm_connect_timeout")
        self.read_timeout = read_timeout or limits.get("llm_read_timeout")
        self.deadline = deadline or limits.get("llm_deadline")
        self.stall_timeout = stall_timeout or limits.get("llm_stall_timeout")
        self.default_context = int(limits.get("llm_context"))
        self.max_output = int(limits.get("llm_max_output_tokens"))

    def draft(self, context: PlanContext, on_progress: Progress | None = None) -> Outcome:
        started = time.monotonic()
        outcome = Outcome(plan=None)
        report = _reporter(on_progress, started)
        try:
            outcome.reason = self._draft(context, outcome, report, started)
        except Exception as exc:  # noqa: BLE001 - a drafter never raises: the caller falls back with the reason
            outcome.reason = Reason("client_error", {"error": error_name(exc)})
            outcome.attempts.append(f"{type(exc).__name__}: {exc}"[:300])
        outcome.total_s = round(time.monotonic() - started, 3)
        return outcome

    def _draft(self, context: PlanContext, outcome: Outcome, report, started: float) -> Reason | None:
        settings = self.settings
        url = settings.base_url
        if url is not None:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                return Reason("bad_url", {"url": url[:120]})
        report("probing")
        caps = settings.capabilities()
        outcome.server = caps.kind
        client = self._client()
        deadline_at = started + self.deadline
        n_ctx = caps.n_ctx or self.default_context
        reason: Reason | None = Reason("format_refused", {"formats": " → ".join(caps.formats)})
        budgets = answer_budgets(context, self.max_output)  # the same for every rung of the format ladder
        for fmt in caps.formats:
            try:
                fitted = fit(context, fmt, n_ctx, self.max_output, budgets)
            except DoesNotFit as exc:
                return Reason("context_too_small", {"n_ctx": exc.n_ctx, "needed": exc.needed, "suggest": suggest_context(exc.needed)})
            outcome.prompt_tokens_estimated, outcome.max_tokens, outcome.compact = fitted.prompt_tokens, fitted.max_tokens, fitted.compact
            try:
                outcome.plan = self._plan(client, caps, context, fmt, fitted, deadline_at, outcome, report)
                outcome.format = fmt
                reason = None
                break
            except _Failed as exc:
                outcome.attempts.append(f"{fmt}: {exc.reason.code} {exc.detail}".strip())
                reason = exc.reason
                if exc.context_limit:
                    caps = caps.with_context(exc.context_limit)
                    remember(settings.cache or PROCESS_CACHE, settings.base_url, settings.model, caps)
                if exc.refused:
                    caps = caps.without_format(fmt)
                    remember(settings.cache or PROCESS_CACHE, settings.base_url, settings.model, caps)
                    if time.monotonic() < deadline_at:
                        continue
                break
        self._cost(caps, outcome.usage)
        return reason

    def _client(self):
        """The official client, with timeouts in its own type (openai.Timeout is httpx's in 2.x, httpx2's in 3.x)."""
        from openai import OpenAI, Timeout

        return OpenAI(base_url=self.settings.base_url, api_key=self.settings.api_key or "not-needed", max_retries=0,
                      timeout=Timeout(self.read_timeout, connect=self.connect_timeout))

    def _plan(self, client, caps: Capabilities, context: PlanContext, fmt: str, fitted: Fitted, deadline_at: float,
              outcome: Outcome, report) -> Plan:
        """One format: the answer, and one repair round when it is not a valid plan."""
        messages = fitted.messages
        text = self._attempt(client, caps, messages, fmt, fitted, deadline_at, outcome, report)
        plan, error, where = validate_answer(text, context.lang, len(context.findings))
        if plan is None:
            outcome.attempts.append(f"{fmt}: invalid answer at {where}, repair")
            report("repairing")
            repair = messages + [
                {"role": "assistant", "content": text[:6000]},
                {"role": "user", "content": f"Your answer failed validation: {error}\nReply with the corrected JSON object only."},
            ]
            text = self._attempt(client, caps, repair, fmt, fitted, deadline_at, outcome, report)
            plan, error, where = validate_answer(text, context.lang, len(context.findings))
        if plan is None:
            raise _Failed(Reason("invalid_answer", {"where": where}))
        return plan

    def _cost(self, caps: Capabilities, usage: Usage) -> None:
        price = kinds()[caps.kind].price
        if price and (usage.prompt_tokens or usage.completion_tokens):
            usage.cost_yuan = round((usage.prompt_tokens * price[0] + usage.completion_tokens * price[1]) / 1e6, 5)

    def _request(self, caps: Capabilities, messages: list[dict], fmt: str, max_tokens: int) -> dict:
        model = self.settings.model or caps.model or kinds()[caps.kind].default_model
        kwargs: dict = {"model": model, "messages": messages, "temperature": 0.2, "max_tokens": max_tokens}
        if fmt == "json_schema":
            kwargs["response_format"] = {"type": "json_schema", "json_schema": {"name": "plan", "strict": True, "schema": plan_json_schema()}}
        elif fmt == "json_object":
            kwargs["response_format"] = {"type": "json_object"}
            if caps.json_object_schema:
                kwargs["response_format"]["schema"] = plan_json_schema()  # llama.cpp turns it into a grammar
        if caps.stream:
            kwargs["stream"] = True
            if caps.stream_usage:
                kwargs["stream_options"] = {"include_usage": True}
        return kwargs

    def _attempt(self, client, caps, messages, fmt, fitted: Fitted, deadline_at, outcome, report) -> str:
        """One call with at most one retry, only while no token has arrived."""
        for attempt in range(2):
            try:
                return self._call(client, caps, messages, fmt, fitted, deadline_at, outcome, report)
            except _Retryable as exc:
                wait = min(exc.wait, MAX_RETRY_WAIT, max(0.0, deadline_at - time.monotonic() - 1))
                if attempt == 1 or time.monotonic() + wait >= deadline_at:
                    raise _Failed(exc.reason) from None
                outcome.attempts.append(f"{fmt}: {exc.reason.code}, retry in {wait:.1f} s")
                report("retrying")
                time.sleep(wait)
        raise AssertionError("unreachable")

    def _call(self, client, caps, messages, fmt, fitted: Fitted, deadline_at, outcome, report) -> str:
        """Run the request in a worker thread; this loop enforces first-token, inactivity and deadline, and reports
        progress every TICK seconds while the server reads the prompt or writes."""
        events: queue.Queue = queue.Queue()
        holder: dict = {}
        kwargs = self._request(caps, messages, fmt, fitted.max_tokens)
        work = threading.Thread(target=_exchange, args=(client, kwargs, events, holder), daemon=True)
        work.start()
        parts: list[str] = []
        chars, finish = 0, None
        call_started = last_data = time.monotonic()
        report("reading_prompt")
        while True:
            now = time.monotonic()
            if now >= deadline_at:
                _abort(holder)
                raise _Failed(Reason("deadline", {"seconds": round(self.deadline)}))
            if parts and now - last_data >= self.stall_timeout:
                _abort(holder)
                raise _Failed(Reason("stall", {"seconds": round(self.stall_timeout)}))
            if not parts and now - call_started >= self.read_timeout:
                _abort(holder)
                raise _Failed(Reason("no_first_token", {"seconds": round(self.read_timeout)}))
            try:
                kind, value = events.get(timeout=max(0.01, min(TICK, deadline_at - now)))
            except queue.Empty:
                report("writing" if parts else "reading_prompt", chars)
                continue
            last_data = time.monotonic()
            if kind == "text":
                if not parts and outcome.first_token_s is None:
                    outcome.first_token_s = round(last_data - (deadline_at - self.deadline), 3)
                parts.append(value)
                chars += len(value)
                report("writing", chars)
            elif kind == "usage" and value is not None:
                outcome.usage.prompt_tokens += int(getattr(value, "prompt_tokens", 0) or 0)
                outcome.usage.completion_tokens += int(getattr(value, "completion_tokens", 0) or 0)
            elif kind == "finish":
                finish = value
            elif kind == "done":
                return self._finished("".join(parts), finish, fitted)
            elif kind == "empty" and not value.startswith("text/event-stream"):
                raise _Failed(Reason("unreadable_answer", {"error": value.split(";")[0] or "?"}), refused=fmt != "text")
            elif kind == "empty":
                return self._finished("", None, fitted)
            elif kind == "error":
                raise _classify(value, fmt, bool(parts), fitted, (self.read_timeout, self.stall_timeout))

    @staticmethod
    def _finished(text: str, finish: str | None, fitted: Fitted) -> str:
        if not text.strip():
            raise _Failed(_overflow(fitted), detail="empty answer")
        if finish == "length":
            raise _Failed(Reason("truncated", {"max_tokens": fitted.max_tokens}))
        return text


def _overflow(fitted: Fitted) -> Reason:
    """llama.cpp answers a prompt longer than its context with HTTP 200 and nothing in it; others say so in a 400."""
    needed = fitted.prompt_tokens + fitted.max_tokens
    return Reason("context_overflow", {"needed": needed, "suggest": suggest_context(needed)})


def _reporter(on_progress: Progress | None, started: float):
    def report(stage: str, chars: int = 0) -> None:
        if on_progress is not None:
            on_progress(ProgressEvent(stage, round(time.monotonic() - started, 1), chars))
    return report


def _exchange(client, kwargs: dict, events: queue.Queue, holder: dict) -> None:
    """The request itself, in a worker thread: every outcome goes to the queue, nothing raises."""
    try:
        response = client.chat.completions.create(**kwargs)
        if not kwargs.get("stream"):
            choices = getattr(response, "choices", None)
            if not isinstance(choices, list):
                raise _NotACompletion(type(response).__name__)
            if choices:
                events.put(("text", choices[0].message.content or ""))
                events.put(("finish", choices[0].finish_reason))
            events.put(("usage", getattr(response, "usage", None)))
            events.put(("done", None))
            return
        holder["stream"] = response
        chunks = 0
        for chunk in response:
            chunks += 1
            if chunk.choices:
                choice = chunk.choices[0]
                if choice.delta and choice.delta.content:
                    events.put(("text", choice.delta.content))
                if choice.finish_reason:
                    events.put(("finish", choice.finish_reason))
            if getattr(chunk, "usage", None):
                events.put(("usage", chunk.usage))
        if not chunks:
            http = getattr(response, "response", None)
            events.put(("empty", http.headers.get("content-type", "") if http is not None else ""))
            return
        events.put(("done", None))
    except Exception as exc:  # noqa: BLE001 - every failure is reported to the waiting loop
        events.put(("error", exc))


class _NotACompletion(ValueError):
    pass


def _abort(holder: dict) -> None:
    stream = holder.get("stream")
    if stream is not None:
        try:
            stream.close()
        except Exception:  # noqa: BLE001, S110 - closing a dead stream may fail; the attempt is over anyway
            pass


def _refused_connection(exc: BaseException) -> bool:
    seen: set[int] = set()
    while exc is not None and id(exc) not in seen:
        seen.add(id(exc))
        if isinstance(exc, ConnectionRefusedError) or "connection refused" in str(exc).lower() or "errno 111" in str(exc).lower():
            return True
        exc = exc.__cause__ or exc.__context__
    return False


def _host(exc: BaseException) -> str:
    request = getattr(exc, "request", None)
    url = getattr(request, "url", None)
    host = getattr(url, "host", None)
    port = getattr(url, "port", None)
    return f"{host}:{port}" if host and port else str(host or "?")


def _named(exc: BaseException, *words: str) -> bool:
    """An HTTP library's error recognised by its class names, whichever library (httpx, httpx2) the client uses."""
    return any(word in cls.__name__ for cls in type(exc).__mro__ for word in words)


def _classify(exc: Exception, fmt: str, started: bool, fitted: Fitted, timeouts: tuple[float, float]) -> Exception:
    """Map a client error to: retry (before the first token), step down the format ladder, or give up."""
    import openai

    if isinstance(exc, openai.AuthenticationError | openai.PermissionDeniedError):
        return _Failed(Reason("authentication", {"status": exc.status_code}))
    if isinstance(exc, openai.APIStatusError):
        status = exc.status_code
        message = str(getattr(exc, "message", "") or "")
        if status in RETRY_STATUS and not started:
            try:
                wait = float(exc.response.headers.get("retry-after", "1"))
            except ValueError:
                wait = 1.0
            return _Retryable(Reason("rate_limited" if status == 429 else "http_error", {"status": status}), wait)
        if status in {400, 413, 422, 500} and any(w in message.lower() for w in _CONTEXT_WORDS) and "format" not in message.lower():
            limit = _MAX_CONTEXT.search(message)
            return _Failed(_overflow(fitted), detail=f"HTTP {status}", context_limit=int(limit.group(1)) if limit else None)
        if status in REFUSED_FORMAT_STATUS and fmt != "text":
            return _Failed(Reason("format_refused", {"formats": fmt}), refused=True, detail=f"HTTP {status}")
        return _Failed(Reason("http_error", {"status": status}), detail=message[:160])
    if isinstance(exc, openai.APITimeoutError) or _named(exc, "Timeout"):
        read, stall = (round(x) for x in timeouts)
        return _Failed(Reason("stall", {"seconds": stall})) if started else _Retryable(Reason("no_first_token", {"seconds": read}), 0.0)
    if started and _named(exc, "NetworkError", "ProtocolError", "TransportError"):
        return _Failed(Reason("connection_lost"))  # openai 2.x lets httpx's errors out of a stream unwrapped
    if isinstance(exc, openai.APIConnectionError):
        if started:
            return _Failed(Reason("connection_lost"))
        code = "connection_refused" if _refused_connection(exc) else "cannot_connect"
        return _Retryable(Reason(code, {"host": _host(exc)}), 0.5)
    if isinstance(exc, json.JSONDecodeError) and not exc.doc.strip():
        return _Failed(_overflow(fitted), detail="empty body")
    if isinstance(exc, _NotACompletion | json.JSONDecodeError | openai.APIResponseValidationError):
        return _Failed(Reason("unreadable_answer", {"error": error_name(exc)}), refused=fmt != "text", detail=str(exc)[:160])
    return _Failed(Reason("client_error", {"error": error_name(exc)}), detail=str(exc)[:160])
