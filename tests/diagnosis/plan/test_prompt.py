"""The prompt: hostile uploaded text stays inside data blocks and changes no instruction; the budget trims cases,
never findings."""

from __future__ import annotations

import json
import re

from diagnosis.plan.context import Product
from diagnosis.plan.prompt import (
    BUDGET_TOKENS,
    SYSTEM,
    build_messages,
    estimate_tokens,
    prompt_tokens,
)
from tests.diagnosis.test_ingest_hostile import HOSTILE_NAMES

_BLOCK = re.compile(r'<data name="(\w+)">\n(.*?)\n</data>', re.DOTALL)


def _hostile(context):
    products = [Product(name, 1000.0 + i, 0.1, None) for i, name in enumerate(HOSTILE_NAMES)]
    return type(context)(**{**context.__dict__, "products": products})


def test_hostile_product_names_stay_data(context_for):
    clean = context_for("kidsgoods_lowaov", "en")
    hostile = _hostile(clean)
    for fmt in ("json_schema", "json_object", "text"):
        system, user = build_messages(hostile, fmt)
        assert system == build_messages(clean, fmt)[0], "uploaded text never reaches the instructions"
        assert system["content"].startswith(SYSTEM.format(language="English"))
        blocks = dict(_BLOCK.findall(user["content"]))
        assert list(blocks) == ["profile", "kpis", "findings", "top_products", "cases"], "no forged block boundaries"
        names = [p["name"] for p in json.loads(blocks["top_products"])]
        expected = [" ".join(n.split()) for n in HOSTILE_NAMES]
        assert [n.rstrip("…") for n in names] == [e[:80].rstrip() for e in expected]
        outside = _BLOCK.sub("", user["content"])
        assert not any(word in outside for word in ("Ignore", "忽略", "SYSTEM", "<script>", "HYPERLINK"))
        assert user["content"].count("</data>") == 5


def test_prompt_stays_under_budget_by_trimming_cases_not_findings(context_for):
    context = context_for("menswear_paid", "zh")
    roomy = build_messages(context, "json_object", budget=100_000)
    tight = build_messages(context, "json_object", budget=BUDGET_TOKENS)
    assert prompt_tokens(tight) <= BUDGET_TOKENS < prompt_tokens(roomy) or prompt_tokens(roomy) <= BUDGET_TOKENS
    for messages in (roomy, tight):
        findings = json.loads(dict(_BLOCK.findall(messages[1]["content"]))["findings"])
        assert [f["code"] for f in findings] == [f.code for f in context.findings]
    starved = build_messages(context, "json_object", budget=10)
    cases = json.loads(dict(_BLOCK.findall(starved[1]["content"]))["cases"])
    assert cases and all("situation" not in c for c in cases), "the smallest level keeps ids and titles only"


def test_a_huge_name_cannot_blow_the_prompt_budget(context_for):
    context = context_for("kidsgoods_lowaov", "en")
    normal = prompt_tokens(build_messages(context, "json_object", budget=100_000))
    giant = type(context)(**{**context.__dict__, "products": [Product("童" * 20_000, 1.0, 1.0, None)],
                             "profile": context.profile.model_copy(update={"name": "店" * 20_000})})
    assert prompt_tokens(build_messages(giant, "json_object", budget=100_000)) < normal + 200


def test_token_estimate_counts_chinese_per_character():
    assert estimate_tokens("直播间") == 3 and estimate_tokens("abcdefgh") == 2
