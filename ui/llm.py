"""LLM configuration for the app: environment first, then Streamlit secrets, then the Settings page's choices
for this session (endpoint, model, profile). The key is only ever read from the environment or secrets, and only
sent to the endpoint configured with it."""

import os
from dataclasses import replace

import streamlit as st

from diagnosis.plan.llm import LlmSettings
from diagnosis.plan.servers import OPENAI_URL

KEYS = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "BELTDOCTOR_LLM_MODEL", "BELTDOCTOR_LLM_PROFILE", "BELTDOCTOR_LLM_CONTEXT")


def _secrets() -> dict[str, str]:
    try:
        return {k: str(st.secrets[k]) for k in KEYS if k in st.secrets}
    except Exception:  # noqa: BLE001 - no secrets file (or an unreadable one) simply means no secrets
        return {}


def configured() -> dict[str, str]:
    """The merged configuration without the session overrides (what the deployment provides)."""
    merged = {k: v for k, v in _secrets().items() if v}
    merged.update({k: os.environ[k] for k in KEYS if os.environ.get(k)})
    return merged


def key_withheld(base: dict[str, str] | None = None, overrides: dict[str, str] | None = None) -> bool:
    """True when this session points plans at another endpoint than the deployment's: its key was issued for that
    endpoint only, and any signed-in user can type an address here, so the key is not sent along."""
    base = configured() if base is None else base
    overrides = st.session_state.get("llm_overrides", {}) if overrides is None else overrides
    url = (overrides.get("OPENAI_BASE_URL") or "").rstrip("/")
    return bool(base.get("OPENAI_API_KEY")) and bool(url) and url != (base.get("OPENAI_BASE_URL") or OPENAI_URL).rstrip("/")


def llm_settings() -> LlmSettings | None:
    """None when no endpoint is configured anywhere (the offline drafter is then the only choice)."""
    env = configured()
    overrides = st.session_state.get("llm_overrides", {})
    if key_withheld(env, overrides):
        env.pop("OPENAI_API_KEY")
    env.update({k: v for k, v in overrides.items() if v})
    try:
        settings = LlmSettings.from_env(env)
    except ValueError:
        return None  # a bad value in secrets.toml (the environment is checked at start): no LLM, not a traceback
    if settings is None:
        return None
    from ui.workspace import workspace

    return replace(settings, cache=workspace())
