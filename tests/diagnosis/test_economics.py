"""Break-even ROI has one home: the dashboard's line is the threshold the diagnosis judges by."""

from __future__ import annotations

import pytest

from diagnosis import dashboard, economics, kpis
from diagnosis.merchants import DEMO_ROOT, load_merchant
from diagnosis.profile import MerchantProfile
from diagnosis.rules import diagnose


@pytest.mark.parametrize(
    ("margin", "refund", "loss", "expected"),
    # by hand: 1 / ((1 - r) * m - r * k)
    [(0.4, 0, 0, 2.5), (0.4, None, 0, 2.5), (0.5, 0.1, 0, 1 / 0.45), (0.4, 0.3, 0, 1 / 0.28), (0.18, 0.12, 0, 1 / 0.1584),
     (0.4, 0.3, 0.05, 1 / 0.265), (0.3, 0.2, 0.1, 1 / 0.22)],
)
def test_break_even_roi(margin, refund, loss, expected):
    assert economics.break_even_roi(margin, refund, loss) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize(("margin", "refund", "loss"), [(0, 0, 0), (-0.1, 0, 0), (0.4, 1.0, 0), (0.4, 1.5, 0), (0.4, -0.1, 0),
                                                       (float("nan"), 0, 0), (0.1, 0.5, 0.2), (0.4, 0.1, -0.1)])
def test_break_even_roi_rejects_impossible_inputs(margin, refund, loss):
    with pytest.raises(ValueError):
        economics.break_even_roi(margin, refund, loss)


def test_an_apparel_store_at_roi_3_7_is_below_break_even_everywhere():
    """40 % margin, 30 % refunds, apparel loses 5 % of refunded GMV: break-even is 1 / 0.265 = 3.77, not 1 / 0.28."""
    assert economics.refund_loss_share("apparel") == 0.05
    assert economics.break_even_roi(0.4, 0.3, economics.refund_loss_share("apparel")) > 3.7 > 1 / 0.28


def test_roi_metric_prefers_whole_domain():
    assert economics.roi_metric({"roi_total": 1, "roi_direct": 2}) == "roi_total"
    assert economics.roi_metric({"roi_direct": 2}) == "roi_direct" and economics.roi_metric({}) is None


@pytest.mark.parametrize(("category", "margin"), [("apparel", 0.25), ("default", 0.2), ("food", 0.22), ("apparel", 0.3)])
def test_the_dashboard_line_is_the_rules_threshold(category, margin):
    frames = kpis.combine(load_merchant(DEMO_ROOT / "menswear_paid").frames)
    profile = MerchantProfile(name="t", category=category, gross_margin=margin)
    result = diagnose(frames, profile)
    finding = next(f for f in result.findings if f.code == "paid_roi_below_breakeven")
    period = kpis.Period(*result.period)
    views = dashboard.build_views(frames, period, kpis.reference_period(period, "prev"), "D", "en", margin, category)
    line = views.figures["roi"].data[1]
    assert list(line.y) == pytest.approx([finding.benchmark] * 2, rel=1e-12)
