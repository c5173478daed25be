"""Against a real local model server (opt-in): BELTDOCTOR_TEST_LLM_URL=http://127.0.0.1:PORT/v1, e.g. llama.cpp's
server with a small GGUF model (README, "Testing against a real model"). A tiny base model writes junk, so this
checks the wire protocol and the fault ladder, not plan quality: the result is a linted plan, from the model or
from the offline fallback with its reason, within the deadline."""

from __future__ import annotations

import os
import time

import pytest

from diagnosis.plan.drafters import make_plan
from diagnosis.plan.llm import LlmSettings
from diagnosis.plan.model import Plan

URL = os.environ.get("BELTDOCTOR_TEST_LLM_URL")
pytestmark = [pytest.mark.llm, pytest.mark.skipif(not URL, reason="BELTDOCTOR_TEST_LLM_URL is not set")]


def test_real_server_yields_a_checked_plan_within_the_deadline(context_for, case_index):
    settings = LlmSettings.from_env({"OPENAI_BASE_URL": URL, "BELTDOCTOR_LLM_MODEL": os.environ.get("BELTDOCTOR_TEST_LLM_MODEL", "local"),
                                     "BELTDOCTOR_LLM_PROFILE": os.environ.get("BELTDOCTOR_TEST_LLM_PROFILE", "llamacpp")})
    context = context_for("kidsgoods_lowaov", "en")
    started = time.monotonic()
    result = make_plan(context, set(case_index.cases), "llm", settings)
    assert time.monotonic() - started < 95
    assert Plan.model_validate(result.plan.model_dump()) == result.plan
    assert result.drafter == "llm" or result.fallback_reason
    assert set(result.plan.cited_cases()) <= context.retrieved_ids
