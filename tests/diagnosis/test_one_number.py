"""One number per metric (issue #16): for every demo merchant the GMV card, the waterfall's end, the what-if
baseline, the diagnosis and the plan context take the same value for the same period."""

from __future__ import annotations

import pytest

from diagnosis import dashboard, kpis
from diagnosis.merchants import DEMO_ROOT, list_merchants, load_merchant, read_profile
from diagnosis.profile import MerchantProfile
from diagnosis.service import diagnose_merchant, plan_context


@pytest.mark.parametrize("slug", list_merchants())
def test_gmv_is_one_number_on_every_view(slug):
    frames = kpis.combine(load_merchant(DEMO_ROOT / slug).frames)
    profile = MerchantProfile.from_merchant_json(read_profile(DEMO_ROOT / slug), "zh")
    diagnosis = diagnose_merchant(frames, profile)
    current = kpis.Period(*diagnosis.period)
    views = dashboard.build_views(frames, current, kpis.reference_period(current, "prev"), "D", "zh", profile.gross_margin)
    card = views.comparison.current["gmv"]
    rows = kpis.in_period(frames["store_daily"], "store_daily", current.start, current.end)
    assert card == pytest.approx(float(rows["gmv"].sum()), rel=1e-12), "the card is the export's 成交金额 summed"
    assert views.decomposition is not None
    waterfall = views.figures["waterfall"].data[0]
    assert waterfall.y[0] + sum(waterfall.y[1:-1]) == pytest.approx(card, rel=1e-9) == views.decomposition.gmv_after
    assert kpis.what_if(views.decomposition.after, {}) == pytest.approx(card, rel=1e-9)
    assert diagnosis.kpi_values["gmv"] == pytest.approx(card, rel=1e-12)
    context = plan_context(frames, profile, "zh", diagnosis=diagnosis)
    assert next(k.value for k in context.kpis if k.metric == "gmv") == pytest.approx(card, rel=1e-12)
    assert sum(v for _, v in context.gmv_daily) == pytest.approx(card, rel=1e-9)
