"""KPI formulas on small hand-checked frames."""

from datetime import date

import pandas as pd
import pytest

from diagnosis import kpis
from diagnosis.kpis import Period


def _store(**columns) -> pd.DataFrame:
    n = len(next(iter(columns.values())))
    return pd.DataFrame({"date": pd.date_range("2022-08-01", periods=n, freq="D"), **columns})


STORE = _store(
    user_pay_amount=[1000.0, 3000.0, 2000.0],
    gmv=[1100.0, 3100.0, 2100.0],
    order_count=[12.0, 30.0, 22.0],
    buyer_count=[10.0, 25.0, 20.0],
    product_impr_uv=[5000.0, 10000.0, 8000.0],
    product_click_uv=[500.0, 100.0, 400.0],
    refund_amount_paytime=[100.0, 300.0, 0.0],
)


def test_ratios_come_from_summed_numerators_and_denominators():
    values = kpis.compute({"store_daily": STORE})
    assert values["product_ctr"] == pytest.approx(1000 / 23000)  # not the mean of 0.1, 0.01, 0.05
    assert values["aov"] == pytest.approx(6000 / 55)
    assert values["click_to_pay"] == pytest.approx(55 / 1000)
    assert values["refund_rate"] == pytest.approx(400 / 6000)
    assert values["uv_value"] == pytest.approx(6000 / 1000)
    assert values["net_gmv"] == pytest.approx(6000 - 400)
    assert values["gmv"] == pytest.approx(6300)


def test_missing_inputs_leave_the_metric_out_never_zero():
    values = kpis.compute({"store_daily": STORE[["date", "gmv"]]})
    assert values == {"gmv": pytest.approx(6300)}
    assert "viewers" not in kpis.compute({"store_daily": STORE})


def test_a_rate_only_export_rebuilds_its_numerator_from_the_base():
    frame = _store(gmv=[100.0, 300.0], refund_rate=[0.5, 0.1])
    assert kpis.compute({"store_daily": frame})["refund_rate"] == pytest.approx((50 + 30) / 400)


def test_rows_missing_one_side_of_a_ratio_do_not_skew_it():
    frame = _store(product_click_uv=[100.0, 50.0], product_impr_uv=[1000.0, float("nan")])
    assert kpis.compute({"store_daily": frame})["product_ctr"] == pytest.approx(0.1)


def test_period_cut_is_inclusive():
    values = kpis.compute({"store_daily": STORE}, date(2022, 8, 2), date(2022, 8, 3))
    assert values["paid_amount"] == pytest.approx(5000)


def test_weekly_and_monthly_buckets():
    frame = pd.DataFrame({"date": pd.date_range("2022-07-25", "2022-08-09", freq="D"), "gmv": 1.0, "buyer_count": 1.0})
    weekly = kpis.timeseries({"store_daily": frame}, ["gmv", "aov"], "W")
    assert list(weekly.index) == list(pd.to_datetime(["2022-07-25", "2022-08-01", "2022-08-08"]))
    assert weekly["gmv"].tolist() == [7.0, 7.0, 2.0]
    assert weekly["aov"].tolist() == [1.0, 1.0, 1.0]
    monthly = kpis.timeseries({"store_daily": frame}, ["gmv"], "M")
    assert monthly["gmv"].tolist() == [7.0, 9.0]


def test_live_metrics():
    live = pd.DataFrame({
        "live_start_at": pd.to_datetime(["2022-08-01 19:00", "2022-08-02 19:00"]),
        "live_duration_min": [120.0, 60.0],
        "viewer_uv": [1000.0, 3000.0],
        "view_pv": [1500.0, 3500.0],
        "room_impr_uv": [10000.0, 30000.0],
        "avg_watch_min": [2.0, 1.0],
        "peak_online": [80.0, 40.0],
        "avg_online": [20.0, 20.0],
        "gmv": [5000.0, 15000.0],
        "buyer_count": [50.0, 100.0],
        "new_followers": [10.0, 50.0],
    })
    values = kpis.compute({"live_sessions": live})
    assert values["live_hours"] == pytest.approx(3.0)
    assert values["entry_rate"] == pytest.approx(0.1)
    assert values["avg_watch_min"] == pytest.approx((2000 + 3000) / 4000)
    assert values["gpm"] == pytest.approx(20000 / 5000 * 1000)
    assert values["live_uv_value"] == pytest.approx(5.0)
    assert values["gmv_per_hour"] == pytest.approx(20000 / 3)
    assert values["peak_avg_ratio"] == pytest.approx(3.0)
    assert values["follow_rate"] == pytest.approx(60 / 4000)
    assert values["live_sessions"] == 2


def test_ads_add_standard_and_whole_domain_spend_but_keep_rois_apart():
    ads = pd.DataFrame({
        "date": pd.to_datetime(["2022-08-01", "2022-08-01"]),
        "ad_spend": [100.0, float("nan")],
        "direct_gmv": [300.0, float("nan")],
        "ad_spend_total": [float("nan"), 200.0],
        "gmv_total": [float("nan"), 500.0],
    })
    values = kpis.compute({"ads": ads})
    assert values["ad_spend"] == pytest.approx(300)
    assert values["roi_direct"] == pytest.approx(3.0)
    assert values["roi_total"] == pytest.approx(2.5)


def test_experience_score_is_the_latest_snapshot():
    xp = pd.DataFrame({"date": pd.to_datetime(["2022-08-03", "2022-08-01", "2022-08-02"]), "experience_score": [4.40, 4.72, 4.50]})
    assert kpis.compute({"experience": xp})["experience_score"] == pytest.approx(4.40)


def test_carrier_share():
    carriers = pd.DataFrame({
        "date": pd.to_datetime(["2022-08-01"] * 3),
        "carrier": ["直播", "短视频", "商品卡"],
        "gmv": [600.0, 100.0, 300.0],
    })
    values = kpis.compute({"carrier_daily": carriers})
    assert (values["live_share"], values["video_share"], values["card_share"]) == pytest.approx((0.6, 0.1, 0.3))


def test_previous_period_and_same_period_last_year():
    current = Period(date(2022, 8, 11), date(2022, 8, 20))
    assert kpis.reference_period(current, "prev") == Period(date(2022, 8, 1), date(2022, 8, 10))
    assert kpis.reference_period(current, "yoy") == Period(date(2021, 8, 11), date(2021, 8, 20))
    assert kpis.reference_period(Period(date(2024, 2, 29), date(2024, 2, 29)), "yoy").start == date(2023, 2, 28)


def test_compare_previous_period():
    result = kpis.compare({"store_daily": STORE}, Period(date(2022, 8, 3), date(2022, 8, 3)), Period(date(2022, 8, 2), date(2022, 8, 2)), ["paid_amount", "aov"])
    assert result.change["paid_amount"] == pytest.approx(-1000)
    assert result.pct_change["paid_amount"] == pytest.approx(-1 / 3)
    assert result.pct_change["aov"] == pytest.approx((2000 / 20) / (3000 / 25) - 1)
    assert not result.per_day


def test_promotion_against_baseline_compares_sums_per_day():
    days = pd.date_range("2022-07-01", "2022-08-18", freq="D")
    frame = pd.DataFrame({"date": days, "gmv": [100.0] * 36 + [300.0] * 13, "buyer_count": 1.0})
    promo = next(p for p in kpis.promotions() if p.id == "818" and p.year == 2022)
    baseline = kpis.baseline_for(promo)
    assert baseline.end == date(2022, 7, 22) and baseline.days == 28
    result = kpis.compare({"store_daily": frame}, Period(promo.start, promo.end), baseline, ["gmv", "aov"])
    assert result.per_day
    assert result.current["gmv"] == pytest.approx(300) and result.reference["gmv"] == pytest.approx(100)
    assert result.pct_change["aov"] == pytest.approx(2.0)


def test_lmdi_contributions_add_up_to_the_change():
    before = _store(product_impr_uv=[10000.0], product_click_uv=[1000.0], buyer_count=[50.0], user_pay_amount=[5000.0])
    after = _store(product_impr_uv=[12000.0], product_click_uv=[900.0], buyer_count=[54.0], user_pay_amount=[6480.0])
    after["date"] = pd.Timestamp("2022-09-01")
    frames = {"store_daily": pd.concat([before, after], ignore_index=True)}
    dec = kpis.decompose(frames, Period(date(2022, 8, 1), date(2022, 8, 1)), Period(date(2022, 9, 1), date(2022, 9, 1)))
    assert dec.gmv_before == pytest.approx(5000) and dec.gmv_after == pytest.approx(6480)
    assert sum(dec.contributions.values()) == pytest.approx(1480)
    assert dec.contributions["exposure"] > 0 and dec.contributions["ctr"] < 0
    assert dec.contributions["aov"] > 0 and dec.contributions["conversion"] > 0


def test_a_single_moving_factor_takes_the_whole_change():
    frame = _store(product_impr_uv=[1000.0, 2000.0], product_click_uv=[100.0, 200.0], buyer_count=[10.0, 20.0], user_pay_amount=[500.0, 1000.0])
    dec = kpis.decompose({"store_daily": frame}, Period(date(2022, 8, 1), date(2022, 8, 1)), Period(date(2022, 8, 2), date(2022, 8, 2)))
    assert dec.contributions["exposure"] == pytest.approx(500)
    assert dec.contributions["ctr"] == pytest.approx(0, abs=1e-9)


def test_decomposition_needs_every_factor():
    frame = _store(product_impr_uv=[1000.0, 2000.0], user_pay_amount=[500.0, 1000.0])
    assert kpis.decompose({"store_daily": frame}, Period(date(2022, 8, 1), date(2022, 8, 1)), Period(date(2022, 8, 2), date(2022, 8, 2))) is None


def test_what_if():
    factors = {"exposure": 10000, "ctr": 0.1, "conversion": 0.05, "aov": 100}
    assert kpis.what_if(factors, {}) == pytest.approx(5000)
    assert kpis.what_if(factors, {"ctr": 0.1, "aov": -0.2}) == pytest.approx(5000 * 1.1 * 0.8)
    with pytest.raises(KeyError):
        kpis.what_if(factors, {"price": 0.1})


def test_later_file_wins_on_overlapping_days():
    class Report:
        kind = "store_daily"

    first = _store(gmv=[100.0, 200.0])
    second = _store(gmv=[999.0])
    second["date"] = pd.Timestamp("2022-08-02")
    combined = kpis.combine([(first, Report()), (second, Report())])["store_daily"]
    assert combined.sort_values("date")["gmv"].tolist() == [100.0, 999.0]


def test_every_metric_definition_reads_fields_of_its_kind():
    from diagnosis.schema import export_kinds

    for metric_id, m in kpis.metric_defs().items():
        kind = export_kinds()[m.kind]
        produced = {c for f in kind.fields for c in f.columns}
        for operand in (*m.fields, *m.num, *m.den, *m.a, *m.b):
            for name in operand.split("*"):
                assert name in produced, f"{metric_id}: {name} is not a field of {m.kind}"


def test_demo_merchant_headline_numbers_match_a_direct_computation():
    from diagnosis.merchants import DEMO_ROOT, load_merchant

    frames = kpis.combine(load_merchant(DEMO_ROOT / "menswear_paid").frames)
    store = frames["store_daily"]
    values = kpis.compute(frames)
    assert values["gmv"] == pytest.approx(store["gmv"].sum())
    assert values["aov"] == pytest.approx(store["user_pay_amount"].sum() / store["buyer_count"].sum())
    assert values["ad_share"] == pytest.approx(store["ad_gmv"].sum() / store["gmv"].sum())
    assert values["roi_total"] < 3.0


def test_a_comparison_keeps_the_period_total_and_says_its_basis():
    days = pd.date_range("2022-07-01", "2022-08-18", freq="D")
    frame = pd.DataFrame({"date": days, "gmv": [100.0] * 36 + [300.0] * 13, "buyer_count": 1.0})
    promo = next(p for p in kpis.promotions() if p.id == "818" and p.year == 2022)
    result = kpis.compare({"store_daily": frame}, Period(promo.start, promo.end), kpis.baseline_for(promo), ["gmv", "aov"])
    assert result.current_total["gmv"] == pytest.approx(300 * 13), "what the card shows: the promotion's own GMV"
    # the baseline is 2022-06-25..07-22 and the data starts on 07-01: 22 days of it have data
    assert result.basis("gmv") == "per_day" and result.basis("aov") == "level" and result.reference_days == 22
    yoy = kpis.compare({"store_daily": frame}, Period(date(2022, 8, 1), date(2022, 8, 18)),
                       kpis.reference_period(Period(date(2022, 8, 1), date(2022, 8, 18)), "yoy"), ["gmv"])
    assert yoy.reference_days == 0 and not yoy.pct_change, "no data a year ago: nothing to compare"
