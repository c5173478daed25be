"""Every rule: a planted problem that triggers it and a near miss that does not; skips name their input."""

from datetime import date

import pandas as pd
import pytest

from diagnosis import kpis
from diagnosis.cli import main
from diagnosis.merchants import DEMO_ROOT, load_merchant
from diagnosis.profile import MerchantProfile
from diagnosis.rules import Finding, Skip, diagnose, health_score, load_rules

DAYS = pd.date_range("2022-08-01", periods=28, freq="D")
PERIOD = kpis.Period(date(2022, 8, 1), date(2022, 8, 28))


def _store(paid=10_000.0, buyers=100.0, refunds=1_000.0) -> pd.DataFrame:
    n = len(DAYS)
    return pd.DataFrame({"date": DAYS, "user_pay_amount": paid / n, "gmv": paid / n, "buyer_count": buyers / n,
                         "refund_amount_paytime": refunds / n})


def _experience(score: float) -> pd.DataFrame:
    return pd.DataFrame({"date": DAYS, "experience_score": score})


def _live(watch_min: float = 2.0, sessions: int = 12, interact: float = 100.0, peak: float = 30.0, buyers: float = 20.0) -> pd.DataFrame:
    starts = pd.date_range("2022-08-01 19:00", periods=sessions, freq="2D")
    return pd.DataFrame({"live_start_at": starts, "viewer_uv": 1000.0, "avg_watch_min": watch_min, "gmv": 5000.0,
                         "interact_uv": interact, "peak_online": peak, "avg_online": 20.0, "buyer_count": buyers})


def _products(gmv: list[float], orders: list[float] | None = None, stock: list[float] | None = None,
              units: list[float] | None = None, quality: float | None = None) -> pd.DataFrame:
    n = len(gmv)
    frame = pd.DataFrame({
        "period_start": pd.Timestamp("2022-08-01"), "period_end": pd.Timestamp("2022-08-28"),
        "product_id": [f"34000000000000{i:05d}" for i in range(n)], "gmv": gmv,
        "order_count": orders if orders is not None else [10.0] * n,
    })
    if stock is not None:
        frame["stock_qty"], frame["item_count"] = stock, units
    if quality is not None:
        frame["quality_return_rate"] = quality
    return frame


def _videos(count: int) -> pd.DataFrame:
    published = pd.date_range("2022-08-01 12:00", "2022-08-28 12:00", periods=count)
    return pd.DataFrame({"publish_time": published, "video_id": [str(i) for i in range(count)], "video_plays": 1000.0})


def _warmup_videos(earlier: int, recent: int) -> pd.DataFrame:
    """Videos in the fortnight before and the last fortnight of July 2022 (818 starts on 6 August)."""
    stamps = [*pd.date_range("2022-07-04 12:00", "2022-07-17 12:00", periods=earlier),
              *pd.date_range("2022-07-18 12:00", "2022-07-31 12:00", periods=recent)]
    return pd.DataFrame({"publish_time": stamps, "video_id": [str(i) for i in range(len(stamps))], "video_plays": 100.0})


JULY = kpis.Period(date(2022, 7, 4), date(2022, 7, 31))


def _two_periods(before: dict, after: dict) -> pd.DataFrame:
    """Daily store rows for 4 Jul - 28 Aug 2022: the previous period, then the diagnosed one."""
    days = pd.date_range("2022-07-04", "2022-08-28", freq="D")
    rows = [before if day < pd.Timestamp("2022-08-01") else after for day in days]
    return pd.DataFrame({"date": days, **{k: [r[k] for r in rows] for k in before}})


def _ads(roi: float, spend: float = 1000.0) -> pd.DataFrame:
    return pd.DataFrame({"date": DAYS, "ad_spend_total": spend / len(DAYS), "gmv_total": roi * spend / len(DAYS)})


def _run(code: str, frames: dict, period: kpis.Period = PERIOD, **profile) -> Finding | Skip | None:
    from diagnosis.rules import Context

    ctx = Context(frames=frames, period=period, profile=MerchantProfile(**profile),
                  values=kpis.compute(frames, period.start, period.end))
    return load_rules()[code].check(ctx)


# code -> (planted frames and profile, near-miss frames and profile, expected severity)
CASES = {
    "experience_score_low": (({"experience": _experience(4.41)}, {}), ({"experience": _experience(4.72)}, {}), "medium"),
    "refund_rate_high": (({"store_daily": _store(refunds=5_500)}, {"category": "apparel"}),
                         ({"store_daily": _store(refunds=2_900)}, {"category": "apparel"}), "high"),
    "aov_low": (({"store_daily": _store(paid=3_500, buyers=100)}, {"category": "kids"}),
                ({"store_daily": _store(paid=6_500, buyers=100)}, {"category": "kids"}), "high"),
    "paid_roi_below_breakeven": (({"ads": _ads(1.99), "store_daily": _store(refunds=3_000)}, {"gross_margin": 0.4}),
                                 ({"ads": _ads(3.7), "store_daily": _store(refunds=3_000)}, {"gross_margin": 0.4}), "high"),
    "live_stay_low": (({"live_sessions": _live(0.6)}, {}), ({"live_sessions": _live(1.05)}, {}), "high"),
    "live_interaction_low": (({"live_sessions": _live(interact=40)}, {}), ({"live_sessions": _live(interact=55)}, {}), "medium"),
    "live_peak_not_retained": (({"live_sessions": _live(peak=65)}, {}), ({"live_sessions": _live(peak=38)}, {}), "high"),
    "live_conversion_low": (({"live_sessions": _live(buyers=8)}, {}), ({"live_sessions": _live(buyers=11)}, {}), "medium"),
    "paid_dependency_high": (({"store_daily": _store().assign(ad_gmv=10_000 * 0.75 / 28)}, {}),
                             ({"store_daily": _store().assign(ad_gmv=10_000 * 0.45 / 28)}, {}), "high"),
    "quality_return_high": (({"experience": _experience(88).assign(xp_quality_return_rate=0.052)}, {}),
                            ({"experience": _experience(88).assign(xp_quality_return_rate=0.028)}, {}), "high"),
    "sku_concentration": (({"products": _products([700.0, 100.0, 100.0, 100.0])}, {}),
                          ({"products": _products([550.0, 150.0, 150.0, 150.0])}, {}), "medium"),
    "sku_sprawl": (({"products": _products([10.0] * 30, orders=[1.0] * 22 + [20.0] * 8)}, {}),
                   ({"products": _products([10.0] * 30, orders=[1.0] * 14 + [20.0] * 16)}, {}), "high"),
    "stockout_risk": (({"products": _products([100.0] * 10, stock=[10.0] * 6 + [500.0] * 4, units=[56.0] * 10)}, {}),
                      ({"products": _products([100.0] * 10, stock=[10.0] * 2 + [500.0] * 8, units=[56.0] * 10)}, {}), "high"),
    "conversion_low": (({"store_daily": _store().assign(product_click_uv=4000 / 28)}, {}),
                       ({"store_daily": _store().assign(product_click_uv=1900 / 28)}, {}), "high"),
    "conversion_drop": (({"store_daily": _two_periods({"gmv": 100.0, "buyer_count": 10.0, "product_click_uv": 100.0},
                                                      {"gmv": 100.0, "buyer_count": 7.0, "product_click_uv": 100.0})}, {}),
                        ({"store_daily": _two_periods({"gmv": 100.0, "buyer_count": 10.0, "product_click_uv": 100.0},
                                                      {"gmv": 100.0, "buyer_count": 9.0, "product_click_uv": 100.0})}, {}), "medium"),
    "short_video_weak": (({"videos": _videos(6)}, {}), ({"videos": _videos(30)}, {}), "high"),
    "cold_start": (({"live_sessions": _live(sessions=6).assign(viewer_uv=300.0)}, {}),
                   ({"live_sessions": _live(sessions=12).assign(viewer_uv=600.0)}, {}), "medium"),
    "promo_unprepared": (({"videos": _warmup_videos(20, 20)}, {"period": JULY}),
                         ({"videos": _warmup_videos(20, 40)}, {"period": JULY}), "high"),
    "gmv_decline": (({"store_daily": _two_periods({"gmv": 1000.0}, {"gmv": 550.0})}, {}),
                    ({"store_daily": _two_periods({"gmv": 1000.0}, {"gmv": 850.0})}, {}), "high"),
    "traffic_decline": (({"store_daily": _two_periods({"gmv": 100.0, "product_impr_uv": 1000.0}, {"gmv": 100.0, "product_impr_uv": 700.0})}, {}),
                        ({"store_daily": _two_periods({"gmv": 100.0, "product_impr_uv": 1000.0}, {"gmv": 100.0, "product_impr_uv": 900.0})}, {}), "medium"),
}


def test_a_fall_after_a_promotion_is_not_called_a_decline():
    days = pd.date_range("2022-08-05", "2022-09-30", freq="D")  # previous period holds 818, the current one none
    frame = pd.DataFrame({"date": days, "gmv": [1000.0 if d < pd.Timestamp("2022-09-03") else 300.0 for d in days]})
    from diagnosis.rules import Context

    period = kpis.Period(date(2022, 9, 3), date(2022, 9, 30))
    ctx = Context(frames={"store_daily": frame}, period=period, profile=MerchantProfile(),
                  values=kpis.compute({"store_daily": frame}, period.start, period.end))
    result = load_rules()["gmv_decline"].check(ctx)
    assert isinstance(result, Skip) and "promotion" in result.reason["en"]


def test_every_registered_rule_has_a_planted_case_and_a_near_miss():
    assert set(load_rules()) == set(CASES), "add a planted fixture and a near miss for each new rule"


@pytest.mark.parametrize("code", sorted(CASES))
def test_planted_problem_triggers(code):
    (frames, profile), _, severity = CASES[code]
    result = _run(code, frames, **profile)
    assert isinstance(result, Finding) and result.code == code
    assert result.severity == severity
    assert result.evidence["zh"] and result.evidence["en"] and "{" not in result.evidence["en"]


@pytest.mark.parametrize("code", sorted(CASES))
def test_near_miss_does_not(code):
    _, (frames, profile), _ = CASES[code]
    assert _run(code, frames, **profile) is None


@pytest.mark.parametrize("code", sorted(CASES))
def test_missing_inputs_are_skipped_with_a_reason(code):
    _, (_, near_miss_profile), _ = CASES[code]
    result = _run(code, {}, period=near_miss_profile.get("period", PERIOD))
    assert isinstance(result, Skip)
    assert result.reason["en"].startswith("not checked: needs") and result.reason["zh"].startswith("未检查")


def test_the_five_point_and_hundred_point_scales_use_their_own_lines():
    assert _run("experience_score_low", {"experience": _experience(4.2)}).severity == "high"
    assert _run("experience_score_low", {"experience": _experience(58)}).severity == "high"
    assert _run("experience_score_low", {"experience": _experience(65)}).severity == "medium"
    assert _run("experience_score_low", {"experience": _experience(82)}) is None


def test_break_even_uses_margin_refunds_and_the_category_loss_share():
    frames = {"ads": _ads(3.7), "store_daily": _store(refunds=3_000)}
    assert _run("paid_roi_below_breakeven", frames, gross_margin=0.4) is None  # 1 / (0.7 × 0.4) = 3.57 ≤ 3.7
    apparel = _run("paid_roi_below_breakeven", frames, gross_margin=0.4, category="apparel")
    assert apparel.benchmark == pytest.approx(1 / (0.7 * 0.4 - 0.3 * 0.05))  # 3.77: apparel loses return freight
    assert apparel.severity == "medium"
    assert _run("paid_roi_below_breakeven", frames).reason["en"].endswith("gross margin in the merchant profile")


def test_a_healthy_merchant_has_no_high_findings_and_a_high_score():
    # ¥120,000 in 28 days (about ¥4,300 a day): above the cold-start line, which a four-week export alone could meet
    frames = {"store_daily": _store(paid=120_000, buyers=1_000, refunds=5_000), "experience": _experience(92),
              "live_sessions": _live(2.5), "ads": _ads(5.0)}
    result = diagnose(frames, MerchantProfile(category="apparel", gross_margin=0.5), PERIOD)
    assert [f.severity for f in result.findings if f.severity == "high"] == []
    assert result.health_score == 100


def test_findings_are_sorted_by_severity_then_money_at_stake():
    frames = {"store_daily": _store(paid=3_000, buyers=100, refunds=1_000), "experience": _experience(65)}
    result = diagnose(frames, MerchantProfile(category="kids"), PERIOD)
    severities = [f.severity for f in result.findings]
    assert severities == sorted(severities, key=["high", "medium", "low"].index)
    assert result.health_score == health_score(result.findings)


@pytest.mark.parametrize("slug, code", [
    ("apparel_score44", "experience_score_low"),
    ("menswear_paid", "paid_roi_below_breakeven"),
    ("kidsgoods_lowaov", "aov_low"),
    ("apparel_score44", "refund_rate_high"),
    ("apparel_score44", "quality_return_high"),
    ("apparel_score44", "sku_sprawl"),
    ("kidsgoods_lowaov", "stockout_risk"),
    ("kidsgoods_lowaov", "sku_sprawl"),
    ("menswear_paid", "paid_dependency_high"),
    ("apparel_score44", "short_video_weak"),
    ("kidswear_818", "promo_unprepared"),
])
def test_demo_archetypes_get_their_findings(slug, code):
    data = load_merchant(DEMO_ROOT / slug)
    result = diagnose(kpis.combine(data.frames), MerchantProfile.from_merchant_json(data.profile))
    assert code in {f.code for f in result.findings}


def test_cli_json_contract(capsys):
    files = [str(p) for p in sorted((DEMO_ROOT / "menswear_paid").iterdir()) if p.suffix in (".csv", ".xlsx")]
    assert main(["diagnose", "--json", "--category", "apparel", "--gross-margin", "40", *files]) == 0
    import json

    out = json.loads(capsys.readouterr().out)
    assert set(out) == {"merchant", "period", "health_score", "findings", "skipped"}
    assert set(out["period"]) == {"start", "end"}
    first = out["findings"][0]
    assert {"code", "severity", "metric", "value", "benchmark", "evidence", "gmv_at_stake"} <= set(first)
    assert first["code"] == "paid_roi_below_breakeven" and first["severity"] == "high"


def test_cli_bad_file_is_exit_2_without_traceback(tmp_path, capsys):
    junk = tmp_path / "junk.csv"
    junk.write_bytes(b"\x00\x01" * 500)
    assert main(["diagnose", str(junk)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: {junk}: ") and "Traceback" not in err


def test_a_young_store_selling_little_is_in_cold_start_without_a_live_export():
    """18 days of history at ¥900 a day (issue #16): the store overview alone is enough."""
    days = pd.date_range("2022-08-11", "2022-08-28", freq="D")
    young = pd.DataFrame({"date": days, "gmv": 900.0, "buyer_count": 9.0})
    found = _run("cold_start", {"store_daily": young}, period=kpis.Period(date(2022, 8, 11), date(2022, 8, 28)))
    assert isinstance(found, Finding) and found.severity == "high" and found.value == pytest.approx(900)
    assert "18" in found.evidence["zh"] and "18" in found.evidence["en"]
    busy = young.assign(gmv=5000.0)
    assert _run("cold_start", {"store_daily": busy}, period=kpis.Period(date(2022, 8, 11), date(2022, 8, 28))) is None
    assert _run("cold_start", {"store_daily": busy}, period=kpis.Period(date(2022, 8, 11), date(2022, 8, 28)), stage="cold_start") is None
    old = pd.DataFrame({"date": pd.date_range("2022-05-01", "2022-08-28", freq="D"), "gmv": 900.0, "buyer_count": 9.0})
    august = kpis.Period(date(2022, 8, 1), date(2022, 8, 28))
    assert _run("cold_start", {"store_daily": old}, period=august) is None, "four months old: not young"
    stated = _run("cold_start", {"store_daily": old}, period=august, stage="cold_start")
    assert isinstance(stated, Finding) and stated.severity == "medium", "stated in the profile, and the sales agree"


def test_the_cold_start_merchant_is_in_cold_start_before_it_went_live():
    data = load_merchant(DEMO_ROOT / "used3c_coldstart")
    frames = kpis.combine(data.frames)
    june = diagnose(frames, MerchantProfile.from_merchant_json(data.profile), kpis.Period(date(2022, 6, 1), date(2022, 6, 30)))
    assert "cold_start" in {f.code for f in june.findings}


def test_no_promotion_ahead_means_nothing_to_prepare():
    assert _run("promo_unprepared", {"videos": _warmup_videos(20, 20)}) is None  # after 28 Aug the next is Double 11
