"""Derived fields on parsed column arrays: missing never becomes 0 or infinity, fallbacks and refills."""

import numpy as np
import pyarrow as pa
import pytest

from diagnosis.derive import derive
from diagnosis.schema import export_kinds

NAN = np.nan


def _equal(actual: np.ndarray, expected: list[float]) -> None:
    np.testing.assert_allclose(actual, np.array(expected, dtype="float64"), equal_nan=True)


def test_ratio_is_missing_where_the_denominator_is_missing_or_zero():
    columns = {"user_pay_amount": np.array([300.0, 50.0, 80.0, NAN]), "buyer_count": np.array([3.0, 0.0, NAN, 2.0])}
    values, formulas = derive(columns, export_kinds()["store_daily"])
    _equal(values["aov"], [100.0, NAN, NAN, NAN])
    assert formulas["aov"] == "user_pay_amount / buyer_count"


def test_the_first_candidate_with_values_is_used():
    """aov = user_pay_amount / buyer_count, or gmv / buyer_count when the pay amount column is empty."""
    columns = {"user_pay_amount": np.full(2, NAN), "gmv": np.array([90.0, 40.0]), "buyer_count": np.array([3.0, 4.0])}
    values, formulas = derive(columns, export_kinds()["store_daily"])
    _equal(values["aov"], [30.0, 10.0])
    assert formulas["aov"] == "gmv / buyer_count"


def test_a_present_field_is_kept_and_an_empty_one_is_filled():
    kind = export_kinds()["store_daily"]
    base = {"user_pay_amount": np.array([100.0]), "buyer_count": np.array([4.0])}
    assert "aov" not in derive(base | {"aov": np.array([99.0])}, kind)[0]
    values, formulas = derive(base | {"aov": np.array([NAN])}, kind)
    _equal(values["aov"], [25.0])
    assert "aov" in formulas


def test_scaled_ratio_and_absurd_inputs():
    columns = {"ad_spend": np.array([50.0, 1e308]), "impressions": np.array([10_000.0, 1e-308])}
    values, formulas = derive(columns, export_kinds()["ads"])
    _equal(values["cpm"], [5.0, NAN])
    assert formulas["cpm"] == "ad_spend / impressions × 1000"


def test_minutes_between_is_missing_for_a_reversed_or_unknown_end():
    start = np.array(["2022-05-01T20:00", "2022-05-02T20:00", "2022-05-03T20:00"], dtype="datetime64[ns]")
    end = np.array(["2022-05-01T22:30", "2022-05-02T19:00", "NaT"], dtype="datetime64[ns]")
    values, formulas = derive({"live_start_at": start, "live_end_at": end}, export_kinds()["live_sessions"])
    _equal(values["live_duration_min"], [150.0, NAN, NAN])
    assert formulas["live_duration_min"] == "live_end_at − live_start_at"


@pytest.mark.parametrize(("scores", "scale"), [([4.6, 4.8], 5.0), ([86.0, 91.0], 100.0)])
def test_experience_scale_follows_the_largest_score(scores, scale):
    values, _ = derive({"experience_score": np.array(scores)}, export_kinds()["experience"])
    _equal(values["experience_scale"], [scale] * len(scores))


def test_text_columns_count_as_present_only_with_a_value():
    kind = export_kinds()["store_daily"]
    assert derive({"aov": pa.array([None, None], pa.string())}, kind) == ({}, {})
