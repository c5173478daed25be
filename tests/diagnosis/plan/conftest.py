"""Plan fixtures: the bundled case index (built once) and plan contexts for the demo merchants."""

from __future__ import annotations

import pytest

from diagnosis import kpis
from diagnosis.merchants import DEMO_ROOT, list_merchants, load_merchant, read_profile
from diagnosis.plan.context import build_context
from diagnosis.profile import MerchantProfile
from knowledge.cards import load_library
from knowledge.index import CaseIndex

MERCHANTS = list_merchants()


@pytest.fixture(scope="session")
def case_index(tmp_path_factory):
    return CaseIndex.open(home=tmp_path_factory.mktemp("plan-index"), library=load_library())


@pytest.fixture(scope="session")
def demo_frames():
    cache: dict[str, dict] = {}

    def frames(slug: str) -> dict:
        if slug not in cache:
            cache[slug] = kpis.combine(load_merchant(DEMO_ROOT / slug).frames)
        return cache[slug]

    return frames


@pytest.fixture(scope="session")
def context_for(case_index, demo_frames):
    cache: dict = {}

    def make(slug: str, lang: str = "en"):
        if (slug, lang) not in cache:
            profile = MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / slug), lang)
            cache[slug, lang] = build_context(demo_frames(slug), profile, lang, case_index)
        return cache[slug, lang]

    return make
