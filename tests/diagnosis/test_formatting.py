"""Number formats: 万/亿 in Chinese, k/M in English, percentages, metric units, deltas; missing shows as —."""

import math

import numpy as np
import pytest

from diagnosis.formatting import DASH, count, delta, metric, money, number, pct, score


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [
        (12_500, "¥1.25万", "¥12.5k"),
        (3_200, "¥3,200", "¥3,200"),
        (120_000_000, "¥1.2亿", "¥120M"),
        (1_200_000, "¥120万", "¥1.2M"),
        (1_234_567, "¥123.46万", "¥1.23M"),
        (10_000, "¥1万", "¥10k"),
        (9_999, "¥9,999", "¥9,999"),
        (9_999.7, "¥1万", "¥10k"),  # rounds up into the next step, never ¥10,000
        (99_999_999, "¥1亿", "¥100M"),  # never 10000万
        (999_999, "¥100万", "¥1M"),  # never 1000k
        (35.4, "¥35.40", "¥35.40"),
        (35, "¥35", "¥35"),
        (0, "¥0", "¥0"),
        (-12_500, "-¥1.25万", "-¥12.5k"),
        (-0.001, "¥0", "¥0"),  # no -¥0
    ],
)
def test_money(value, zh, en):
    assert money(value, "zh") == zh
    assert money(value, "en") == en


@pytest.mark.parametrize(
    ("value", "zh", "en"),
    [(3_200, "3,200", "3,200"), (12_345, "1.23万", "12.3k"), (2_500_000, "250万", "2.5M"), (3.5, "3.5", "3.5"), (250_000_000, "2.5亿", "250M")],
)
def test_count(value, zh, en):
    assert count(value, "zh") == zh
    assert count(value, "en") == en


@pytest.mark.parametrize("missing", [None, float("nan"), np.nan, math.inf, -math.inf, "abc"])
def test_missing_values_show_a_dash(missing):
    assert money(missing, "zh") == DASH
    assert money(missing, "en") == DASH
    assert count(missing, "zh") == DASH
    assert pct(missing) == DASH
    assert number(missing) == DASH
    for unit in ("yuan", "ratio", "count", "min", "h", "score", "number"):
        assert metric(missing, unit, "zh") == DASH


def test_numpy_scalars_format_like_floats():
    assert money(np.float64(12_500), "zh") == "¥1.25万"
    assert count(np.int64(3_200), "en") == "3,200"


def test_pct():
    assert pct(0.153) == "15.3%"
    assert pct(0.15349, 2) == "15.35%"
    assert pct(1) == "100.0%"
    assert pct(0) == "0.0%"
    assert pct(0.05, signed=True) == "+5.0%"
    assert pct(-0.05, signed=True) == "-5.0%"


def test_number():
    assert number(2.0123) == "2.01"
    assert number(1234.5) == "1,234.50"
    assert number(3.5714, 1) == "3.6"


@pytest.mark.parametrize(
    ("value", "unit", "zh", "en"),
    [
        (12_500, "yuan", "¥1.25万", "¥12.5k"),
        (0.153, "ratio", "15.3%", "15.3%"),
        (12_345, "count", "1.23万", "12.3k"),
        (1.23, "min", "1.2 分钟", "1.2 min"),
        (12.46, "h", "12.5 小时", "12.5 h"),
        (4.4, "score", "4.40", "4.40"),
        (82, "score", "82", "82"),
        (88.4, "score", "88.4", "88.4"),
        (2.0123, "number", "2.01", "2.01"),
    ],
)
def test_metric_dispatches_on_the_unit(value, unit, zh, en):
    assert metric(value, unit, "zh") == zh
    assert metric(value, unit, "en") == en


def test_score_scale_can_be_given():
    assert score(4.4, 5) == "4.40"
    assert score(4.4, 100) == "4.4"  # a (very low) 100-point score is not shown with 5-point precision
    assert score(70, None) == "70"


def test_delta_colours_follow_the_better_direction():
    assert delta(0.123, "up") == ("+12.3%", "normal")  # up and up is better: green
    assert delta(-0.04, "up") == ("-4.0%", "normal")  # st.metric turns a leading '-' red
    assert delta(0.05, "down") == ("+5.0%", "inverse")  # refunds up: red
    assert delta(-0.05, "down") == ("-5.0%", "inverse")  # refunds down: green
    assert delta(None, "up") == (DASH, "off")
    assert delta(float("nan"), "down") == (DASH, "off")


def test_delta_text_starts_with_an_ascii_sign_for_st_metric():
    text, _ = delta(-0.2, "up")
    assert text.startswith("-")
