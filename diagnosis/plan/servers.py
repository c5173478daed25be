"""What an OpenAI-compatible endpoint is and accepts, learned from the server itself and remembered per endpoint.

Recognition asks the server, never the URL's port: a few small GETs on first use (`/v1/models` fields such as
vLLM's `owned_by` and `max_model_len`, llama.cpp's `/props` with its `n_ctx`, Ollama's `/api/version`), each with a
short timeout and a size cap, no redirects followed (the key stays with its host). Hosted APIs are known by their
host name; a deployment can name the kind (`BELTDOCTOR_LLM_PROFILE`) and the context (`BELTDOCTOR_LLM_CONTEXT`).
What was learned is cached per endpoint with a time to live, in the workspace store when one is open, and
refusals met while drafting (json_schema answered with HTTP 500) narrow the cached ladder for the next plan.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import asdict, dataclass, replace
from functools import cache
from importlib import resources
from typing import Protocol
from urllib.parse import urlsplit

from pydantic import BaseModel, ConfigDict

from diagnosis.schema import load_yaml

OPENAI_URL = "https://api.openai.com/v1"  # where the openai client goes without a base URL
PROBE_TIMEOUT = 2.0
PROBE_MAX_BYTES = 1 << 20  # a probe answer larger than this is not what we asked for


class ServerKind(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    name: str = ""
    hosts: tuple[str, ...] = ()
    formats: tuple[str, ...]
    stream: bool
    stream_usage: bool
    default_model: str
    context: int | None = None
    json_object_schema: bool = False
    price: tuple[float, float] | None = None


@cache
def kinds() -> dict[str, ServerKind]:
    raw = load_yaml(resources.files("diagnosis").joinpath("data", "llm_profiles.yaml").read_text(encoding="utf-8"))
    return {name: ServerKind(name=name, **entry) for name, entry in raw.items()}


def hosted_kind(base_url: str | None) -> ServerKind | None:
    """A hosted API known by its host name (no base URL means the openai client's default, api.openai.com)."""
    host = (urlsplit(base_url).hostname or "") if base_url else "api.openai.com"
    return next((k for k in kinds().values() if host in k.hosts), None)


@dataclass(frozen=True)
class Capabilities:
    kind: str
    formats: tuple[str, ...]
    stream: bool
    stream_usage: bool
    n_ctx: int | None  # context size in tokens: reported by the server, configured, or the kind's known default
    model: str | None  # the model the server serves, when it names one
    json_object_schema: bool
    via: str  # how the kind was learned: configured, host, models, props, api/version, default
    learned_at: float

    @classmethod
    def of(cls, kind: ServerKind, via: str, n_ctx: int | None = None, model: str | None = None) -> Capabilities:
        return cls(kind.name, kind.formats, kind.stream, kind.stream_usage, n_ctx or kind.context, model,
                   kind.json_object_schema, via, time.time())

    def without_format(self, fmt: str) -> Capabilities:
        """A step-down learned from a refusal: the next plan starts one rung lower."""
        return replace(self, formats=tuple(f for f in self.formats if f != fmt) or ("text",))

    def with_context(self, n_ctx: int) -> Capabilities:
        return replace(self, n_ctx=n_ctx)

    def as_json(self) -> dict:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> Capabilities | None:
        try:
            return cls(**{**data, "formats": tuple(data["formats"])})
        except (TypeError, KeyError):
            return None  # written by another version: learn again


class CapabilityCache(Protocol):
    def load_capabilities(self, endpoint: str) -> dict | None: ...
    def save_capabilities(self, endpoint: str, data: dict) -> None: ...


class MemoryCache:
    """The cache of one process, when no workspace is open (a CLI run without one, tests)."""

    def __init__(self) -> None:
        self._data: dict[str, dict] = {}

    def load_capabilities(self, endpoint: str) -> dict | None:
        return self._data.get(endpoint)

    def save_capabilities(self, endpoint: str, data: dict) -> None:
        self._data[endpoint] = data


PROCESS_CACHE = MemoryCache()


def endpoint_key(base_url: str | None, model: str | None) -> str:
    return f"{(base_url or OPENAI_URL).rstrip('/')}#{model or ''}"


# --------------------------------------------------------------------------- probing


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect would carry the Authorization header to another host


_OPENER = urllib.request.build_opener(_NoRedirect)


@dataclass
class Probe:
    """The answers of one endpoint to the recognition GETs (None where it had none)."""

    models: list[dict] | None = None
    props: dict | None = None
    ollama_version: str | None = None


def _get_json(url: str, api_key: str | None, timeout: float) -> object | None:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    if api_key:
        request.add_header("Authorization", f"Bearer {api_key}")
    try:
        with _OPENER.open(request, timeout=timeout) as response:
            body = response.read(PROBE_MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError):
        return None  # not offered, refused or slow: one fewer clue, never an error
    if len(body) > PROBE_MAX_BYTES:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def probe(base_url: str, api_key: str | None, timeout: float = PROBE_TIMEOUT,
          get: Callable[[str, str | None, float], object | None] = _get_json) -> Probe:
    """Ask the server what it is: `/models` first; llama.cpp's `/props` and Ollama's `/api/version` at the root
    only when the models list did not already say."""
    base = base_url.rstrip("/")
    root = base.removesuffix("/v1")
    found = Probe()
    listed = get(f"{base}/models", api_key, timeout)
    if isinstance(listed, dict) and isinstance(listed.get("data"), list):
        found.models = [m for m in listed["data"] if isinstance(m, dict)]
    owners = {str(m.get("owned_by", "")) for m in found.models or []}
    if owners & {"vllm"} or owners == {"me"}:  # vLLM reports its context here; llama-cpp-python has nothing more to ask
        return found
    props = get(f"{root}/props", api_key, timeout)
    if isinstance(props, dict):
        found.props = props
        return found
    version = get(f"{root}/api/version", api_key, timeout)
    if isinstance(version, dict) and isinstance(version.get("version"), str):
        found.ollama_version = version["version"]
    return found


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def recognise(found: Probe) -> tuple[str, int | None, str | None, str]:
    """(kind, context size if reported, served model id, how) from a probe."""
    models = found.models or []
    first = models[0] if models else {}
    model = first.get("id") if isinstance(first.get("id"), str) else None
    owners = {str(m.get("owned_by", "")) for m in models}
    if "vllm" in owners:
        return "vllm", _int(first.get("max_model_len")), model, "models"
    if found.props is not None:
        settings = found.props.get("default_generation_settings")
        n_ctx = _int(found.props.get("n_ctx")) or (_int(settings.get("n_ctx")) if isinstance(settings, dict) else None)
        return "llamacpp", n_ctx, model, "props"
    if found.ollama_version is not None:
        return "ollama", None, model, "api/version"
    if "llamacpp" in owners:
        meta = first.get("meta") if isinstance(first.get("meta"), dict) else {}
        return "llamacpp", _int(meta.get("n_ctx")), model, "models"
    if owners == {"me"}:  # llama-cpp-python's server names every model's owner "me"
        return "llama_cpp_python", None, model, "models"
    return "generic", None, model, "default"


def discover(base_url: str | None, api_key: str | None, kind: str | None, context: int | None,
             get: Callable[[str, str | None, float], object | None] = _get_json) -> Capabilities:
    """Capabilities of an endpoint, asking it only what the configuration does not already say."""
    if kind:
        known = kinds()[kind]
        found = probe(base_url, api_key, get=get) if base_url and not known.hosts else Probe()
        _, n_ctx, model, _ = recognise(found)
        return Capabilities.of(known, "configured", context or n_ctx, model)
    hosted = hosted_kind(base_url)
    if hosted is not None:
        return Capabilities.of(hosted, "host", context)
    name, n_ctx, model, via = recognise(probe(base_url, api_key, get=get))
    return Capabilities.of(kinds()[name], via, context or n_ctx, model)


def capabilities_for(base_url: str | None, api_key: str | None, model: str | None, kind: str | None,
                     context: int | None, cache: CapabilityCache, ttl_s: float, now: float | None = None,
                     get: Callable[[str, str | None, float], object | None] = _get_json) -> Capabilities:
    """From the cache while fresh (and while the configuration names the same kind), else discovered and saved."""
    key = endpoint_key(base_url, model)
    now = time.time() if now is None else now
    try:
        stored = cache.load_capabilities(key)
    except Exception:  # noqa: BLE001 - an unreadable cache means asking the server again, not failing the plan
        stored = None
    cached = Capabilities.from_json(stored) if stored else None
    if cached and now - cached.learned_at < ttl_s and (not kind or cached.kind == kind) and (not context or cached.n_ctx == context):
        return cached
    fresh = discover(base_url, api_key, kind, context, get)
    remember(cache, base_url, model, fresh)
    return fresh


def remember(cache: CapabilityCache, base_url: str | None, model: str | None, caps: Capabilities) -> None:
    """Best effort: a busy or read-only store loses the lesson, never the plan."""
    try:
        cache.save_capabilities(endpoint_key(base_url, model), caps.as_json())
    except Exception:  # noqa: BLE001, S110 - see the docstring
        pass
