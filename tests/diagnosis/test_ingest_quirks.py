"""Real-export quirks, one committed fixture each (tests/data/quirks, built by make_quirks.py).

Every test pins exact cell values and totals, plus the report fields the quirk is about. Expected numbers
are worked out by hand from the fixture text, not copied from the engine's output.
"""

from __future__ import annotations

import codecs
import io
import zipfile
from datetime import date
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from diagnosis.ingest import ColumnMapping, IngestError, ingest

QUIRKS = Path(__file__).resolve().parents[1] / "data" / "quirks"
NAN = float("nan")


def fixture_bytes(name: str) -> bytes:
    return (QUIRKS / name).read_bytes()


def load(name: str, mapping: ColumnMapping | None = None):
    return ingest(fixture_bytes(name), name, mapping)


def refusal(data: bytes, filename: str) -> IngestError:
    with pytest.raises(IngestError) as caught:
        ingest(data, filename)
    return caught.value


def values(frame: pd.DataFrame, column: str) -> list:
    return frame[column].tolist()


def approx(expected):
    return pytest.approx(expected, rel=1e-9, abs=1e-9, nan_ok=True)


def days(frame: pd.DataFrame, column: str = "date") -> list[str]:
    assert pd.api.types.is_datetime64_dtype(frame[column])
    return [ts.strftime("%Y-%m-%d") for ts in frame[column]]


def stamps(frame: pd.DataFrame, column: str) -> list[str]:
    assert pd.api.types.is_datetime64_dtype(frame[column])
    return [ts.strftime("%Y-%m-%d %H:%M:%S") for ts in frame[column]]


def headers_by_field(report) -> dict[str, str]:
    return {m.field: m.header for m in report.mapped}


def row_warnings(report) -> list[tuple]:
    return [(w.row, w.column, w.value, w.code) for w in report.warnings]


# ---------------------------------------------------------------- 1-4: encodings and delimiters


def test_gbk_csv_with_full_width_and_padded_headers():
    data = fixture_bytes("store_daily_gbk.csv")
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")

    frame, report = load("store_daily_gbk.csv")

    assert report.kind == "store_daily"
    assert report.encoding == "gb18030"  # GBK's superset, so every GBK file decodes
    assert report.delimiter == ","
    assert headers_by_field(report) == {
        "date": "日期",
        "gmv": "成交金额（元）",
        "order_count": "成交订单数",
        "buyer_count": "成交人数",
        "user_pay_amount": "用户支付金额（元）",
    }
    assert report.ignored == ["活动备注"]
    assert report.rows_kept == 5
    assert (report.start, report.end) == (date(2022, 8, 1), date(2022, 8, 5))
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03", "2022-08-04", "2022-08-05"]
    assert values(frame, "gmv") == approx([18652.40, 21037.80, 16420.00, 24890.60, 19875.20])
    assert values(frame, "order_count") == approx([212, 236, 189, 281, 224])
    assert report.totals == approx(
        {"gmv": 100876.00, "user_pay_amount": 97388.55, "order_count": 1142, "buyer_count": 1065}
    )
    assert report.warnings == []


def test_utf8_bom_csv():
    assert fixture_bytes("store_daily_utf8_bom.csv").startswith(codecs.BOM_UTF8)

    frame, report = load("store_daily_utf8_bom.csv")

    assert report.encoding == "utf-8-sig"
    assert report.mapped[0].header == "日期"
    assert report.mapped[0].field == "date"
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03", "2022-08-04"]
    assert values(frame, "aov") == approx([88.37, 90.37, 91.44, 90.33])
    assert values(frame, "refund_amount_paytime") == approx([842.60, 1033.25, 690.00, 1127.90])
    assert report.totals == approx(
        {
            "user_pay_amount": 42174.40,
            "gmv": 43893.40,
            "order_count": 497,
            "buyer_count": 468,
            "refund_amount_paytime": 3693.75,
        }
    )


def test_tab_delimited_text_with_thousands_separators():
    frame, report = load("store_daily_tab.tsv")

    assert report.delimiter == "\t"
    assert report.kind == "store_daily"
    assert list(headers_by_field(report)) == [
        "date", "gmv", "order_count", "buyer_count", "product_impr_uv", "product_click_uv",
    ]
    assert values(frame, "gmv") == approx([12345.60, 9870.00, 14002.30])
    assert values(frame, "product_impr_uv") == approx([38214, 31880, 42507])
    assert values(frame, "product_click_uv") == approx([3105, 2764, 3690])
    assert report.totals == approx(
        {"gmv": 36217.90, "order_count": 411, "buyer_count": 385, "product_impr_uv": 112601, "product_click_uv": 9559}
    )
    assert report.warnings == []


def test_excel_unicode_text_is_utf16_tab_delimited():
    frame, report = load("store_daily_excel_unicode.txt")

    assert (report.encoding, report.delimiter) == ("utf-16-le", "\t")
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03"]
    assert values(frame, "gmv") == approx([7821.40, 8350.90, 6930.00])
    assert report.totals == approx({"gmv": 23102.30, "order_count": 278, "buyer_count": 263})


def test_semicolon_delimited_csv():
    frame, report = load("store_daily_semicolon.csv")

    assert report.delimiter == ";"
    assert report.rows_kept == 3
    assert values(frame, "gmv") == approx([5230.40, 6118.00, 4987.60])
    assert values(frame, "refund_rate") == approx([0.0845, 0.0712, 0.0930])
    assert report.totals == approx({"gmv": 16336.00, "order_count": 198, "buyer_count": 188})


# ---------------------------------------------------------------- 5: XLSX layout


def test_xlsx_merged_title_row_and_notes_sheet_first():
    data = fixture_bytes("store_overview_merged_title.xlsx")
    workbook = openpyxl.load_workbook(io.BytesIO(data))
    assert workbook.sheetnames == ["说明", "成交概览"]
    assert [str(r) for r in workbook["成交概览"].merged_cells.ranges] == ["A1:F1"]

    frame, report = ingest(data, "store_overview_merged_title.xlsx")

    assert report.format == "xlsx"
    assert report.sheet == "成交概览"
    assert report.header_row == 3
    assert frame["source_row"].tolist() == [4, 5, 6, 7, 8]
    assert report.rows_read == report.rows_kept == 5
    assert (report.start, report.end) == (date(2022, 8, 1), date(2022, 8, 5))
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03", "2022-08-04", "2022-08-05"]
    assert values(frame, "user_pay_amount") == approx([17983.10, 20311.55, 15802.30, 24102.90, 19188.70])
    assert values(frame, "aov") == approx([90.82, 91.91, 89.28, 93.06, 91.37])
    assert report.derived == {}
    assert report.totals == approx(
        {"user_pay_amount": 97388.55, "gmv": 100876.00, "order_count": 1142, "buyer_count": 1065}
    )


# ---------------------------------------------------------------- 6-8: rows and cell values


def test_totals_row_is_dropped_and_reported():
    frame, report = load("store_daily_totals_row.csv")

    assert report.rows_read == 6
    assert report.rows_kept == 5
    assert days(frame)[-1] == "2022-08-05"
    assert row_warnings(report) == [(7, None, "合计", "totals_row")]
    assert report.warning_counts == {"totals_row": 1}
    # the file's own 合计 row says 80339.80 / 919 / 856 / 6412.00: the totals match it, not twice it
    assert report.totals == approx(
        {"gmv": 80339.80, "order_count": 919, "buyer_count": 856, "refund_amount_paytime": 6412.00}
    )


def test_number_formats_with_separators_currency_and_chinese_units():
    frame, report = load("store_daily_number_formats.csv")

    # 12,345.60 | ¥3,200 | ￥1,000 | 3200元 | 1.25万 | 356.8万
    assert values(frame, "gmv") == approx([12345.60, 3200.0, 1000.0, 3200.0, 12500.0, 3568000.0])
    assert values(frame, "order_count") == approx([138, 41, 13, 39, 152, 41207])
    # 86,512 | 8.91万 | 21,730 | 80,245 | 15.6万 | 1.2亿
    assert values(frame, "product_impr_pv") == approx([86512, 89100, 21730, 80245, 156000, 120000000])
    assert report.warnings == []
    assert report.totals == approx({"gmv": 3600245.60, "order_count": 41590, "product_impr_pv": 120433587})


def test_missing_tokens_become_nan_never_zero():
    frame, report = load("store_daily_missing_values.csv")

    assert report.rows_kept == 5
    assert values(frame, "gmv") == approx([15230.50, NAN, 16880.00, NAN, 17410.30])
    assert values(frame, "order_count") == approx([176, NAN, 195, 182, NAN])
    assert values(frame, "buyer_count") == approx([164, NAN, 181, 170, 188])
    assert values(frame, "refund_amount_paytime") == approx([1203.40, NAN, NAN, 1342.00, 1499.10])
    assert values(frame, "refund_rate") == approx([0.0790, NAN, NAN, 0.0842, 0.0861])
    assert frame["ad_spend"].isna().all()
    assert report.warnings == []
    # ad_spend has no value at all, so it has no total (not a total of 0)
    assert report.totals == approx(
        {"gmv": 49520.80, "order_count": 553, "buyer_count": 703, "refund_amount_paytime": 4044.50}
    )


# ---------------------------------------------------------------- 9: dates


def test_date_formats_in_csv():
    frame, report = load("store_daily_date_formats.csv")

    # 2022/8/1 | 2022-08-02 | 20220803 | 2022年8月4日 | 44778 (Excel serial) | 2022/8/6 0:00
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03", "2022-08-04", "2022-08-05", "2022-08-06"]
    assert (frame["date"] == frame["date"].dt.normalize()).all()
    assert (report.start, report.end) == (date(2022, 8, 1), date(2022, 8, 6))
    assert report.warnings == []
    assert report.totals == approx({"gmv": 50513.30, "order_count": 590})


def test_date_cells_in_xlsx():
    frame, report = load("store_daily_date_cells.xlsx")

    # datetime cell, date cell, datetime at midnight, a bare serial 44777 in a General cell, a text date
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03", "2022-08-04", "2022-08-05"]
    assert (report.start, report.end) == (date(2022, 8, 1), date(2022, 8, 5))
    assert report.warnings == []
    assert values(frame, "gmv") == approx([8120.00, 7640.50, 9012.30, 8433.70, 7985.20])
    assert report.totals == approx({"gmv": 41191.70, "order_count": 482, "buyer_count": 454})


def test_live_session_start_keeps_the_time():
    frame, report = load("live_sessions_start_times.csv")

    assert report.kind == "live_sessions"
    assert stamps(frame, "live_start_at") == [
        "2022-08-01 19:30:00",
        "2022-08-02 13:00:00",
        "2022-08-02 19:30:00",
        "2022-08-03 09:05:00",
    ]
    assert stamps(frame, "live_end_at")[0] == "2022-08-01 23:32:15"
    assert values(frame, "account") == ["shanyecha88", "shanyecha88", "shanyecha88", "shanyecha_2"]
    assert report.rows_kept == 4  # two sessions on 2022-08-02 are not duplicates
    assert (report.start, report.end) == (date(2022, 8, 1), date(2022, 8, 3))
    assert values(frame, "live_duration_min") == approx([242.25, 245.67, 241.03, 125])
    assert values(frame, "gmv") == approx([61045.30, 21870.50, 48210.80, 3120.00])
    assert {k: report.totals[k] for k in ("gmv", "buyer_count", "viewer_uv", "room_impr_uv")} == approx(
        {"gmv": 134246.60, "buyer_count": 3367, "viewer_uv": 37925, "room_impr_uv": 451532}
    )


def test_live_session_totals_do_not_add_up_concurrent_viewers():
    _, report = load("live_sessions_start_times.csv")

    # A sum of per-session peaks (75+41+66+12) or averages is not a number anyone can use.
    assert "peak_online" not in report.totals
    assert "avg_online" not in report.totals


# ---------------------------------------------------------------- 10: ratios


def test_ratios_as_fractions_and_percent_strings_in_one_column():
    frame, report = load("store_daily_mixed_ratios.csv")

    # 0.1528 | 15.28% | 0.0931 | 9.31%
    assert values(frame, "refund_rate") == approx([0.1528, 0.1528, 0.0931, 0.0931])
    # 两日内发货率 written in percent points without a % sign
    assert values(frame, "ship_within_48h_rate") == approx([0.9852, 0.9710, 0.9901, 0.9675])
    assert {"code": "ratio_read_as_percent", "column": "两日内发货率"} in report.notes
    assert report.warnings == []
    assert report.totals == approx({"gmv": 63859.60, "buyer_count": 680})


def test_qianchuan_percent_headers_and_totals_row():
    frame, report = load("ads_ctr_percent.csv")

    assert report.kind == "ads"
    assert report.rows_read == 5
    assert report.rows_kept == 4
    assert row_warnings(report) == [(6, None, "总计", "totals_row")]
    assert values(frame, "ctr") == approx([0.0235, 0.0180, 0.0255, 0.0185])
    assert values(frame, "cvr") == approx([0.0250, 0.0202, 0.0261, 0.0209])
    mapped = {m.header: (m.field, m.factor) for m in report.mapped}
    assert mapped["点击率(%)"] == ("ctr", 0.01)
    assert mapped["消耗(元)"] == ("ad_spend", 1.0)
    assert {"code": "header_unit", "column": "点击率(%)", "factor": "0.01"} in report.notes
    assert values(frame, "plan_id") == ["1740312345678901", "1740312345678955", "1740312345678901", "1740312345678955"]
    assert values(frame, "roi_direct") == approx([2.80, 1.95, 3.00, 2.02])
    assert report.totals == approx(
        {
            "ad_spend": 5081.66,
            "impressions": 220345,
            "clicks": 4873,
            "conversions": 117,
            "direct_orders": 117,
            "direct_gmv": 13143.00,
        }
    )


# ---------------------------------------------------------------- 11: header names


def test_gmv_under_the_zhifu_header():
    frame, report = load("store_daily_gmv_zhifu.csv")

    assert report.kind == "store_daily"
    assert headers_by_field(report) == {
        "date": "日期",
        "gmv": "支付金额",
        "order_count": "支付订单数",
        "buyer_count": "支付人数",
    }
    assert values(frame, "gmv") == approx([10018.30, 11690.00, 9204.70])
    assert report.totals == approx({"gmv": 30913.00, "order_count": 351, "buyer_count": 330})


def test_english_headers():
    frame, report = load("store_daily_english.csv")

    assert report.kind == "store_daily"
    assert headers_by_field(report) == {
        "date": "Date",
        "gmv": "GMV",
        "order_count": "Orders",
        "buyer_count": "Buyers",
        "user_pay_amount": "Paid amount",
        "refund_rate": "Refund rate",
        "product_click_uv": "Visitors",
    }
    assert report.ignored == []
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03"]
    assert values(frame, "refund_rate") == approx([0.0875, 0.0922, 0.0778])
    assert report.totals == approx(
        {"gmv": 30913.00, "user_pay_amount": 29708.40, "order_count": 351, "buyer_count": 330, "product_click_uv": 6747}
    )


def test_two_headers_for_one_field_first_wins():
    frame, report = load("store_daily_duplicate_headers.csv")

    assert headers_by_field(report)["gmv"] == "成交金额"
    assert values(frame, "gmv") == approx([10018.30, 11690.00, 9204.70])  # not 销售额's 9980.00 ...
    assert {"code": "duplicate_header", "column": "销售额", "first": "成交金额"} in report.notes
    assert report.ignored == ["销售额"]
    assert report.totals == approx({"gmv": 30913.00, "order_count": 351, "buyer_count": 330})


# ---------------------------------------------------------------- 12: impossible values


def test_impossible_values_are_warned_and_neutralised():
    frame, report = load("store_daily_impossible_values.csv")

    assert row_warnings(report) == [
        (4, "成交金额", "-1,280.00", "negative_value"),
        (5, "退款率(支付时间)", "135%", "ratio_out_of_range"),
        (7, None, None, "duplicate_key"),
    ]
    assert report.warnings[2].params == {"first_row": "3", "key": "date=2022-08-02"}
    assert report.warning_counts == {"negative_value": 1, "ratio_out_of_range": 1, "duplicate_key": 1}
    assert report.rows_read == 6
    assert report.rows_kept == 5
    assert frame["source_row"].tolist() == [2, 3, 4, 5, 6]
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03", "2022-08-04", "2022-08-05"]
    assert values(frame, "gmv") == approx([15230.50, 16102.00, NAN, 17650.80, 16480.20])
    assert values(frame, "refund_rate") == approx([0.0812, 0.0795, 0.0640, NAN, 0.0721])
    assert values(frame, "order_count") == approx([176, 181, 12, 203, 190])
    assert report.totals == approx({"gmv": 65463.50, "order_count": 762, "buyer_count": 709})


# ---------------------------------------------------------------- 13: derived fields


def test_aov_is_derived_when_the_export_lacks_it():
    frame, report = load("store_daily_without_aov.csv")

    assert report.derived == {"aov": "user_pay_amount / buyer_count"}
    assert {"code": "derived", "field": "aov", "formula": "user_pay_amount / buyer_count"} in report.notes
    assert "aov" not in report.missing_expected
    # a zero-sales day has no AOV (not 0, not inf)
    assert values(frame, "aov") == approx([17983.10 / 198, 20311.55 / 221, NAN, 24102.90 / 259])
    assert "aov" not in report.totals
    assert report.totals == approx(
        {"user_pay_amount": 62397.55, "gmv": 64580.80, "order_count": 729, "buyer_count": 678}
    )


def test_aov_from_the_export_is_kept():
    frame, report = load("store_daily_with_aov.csv")

    assert report.derived == {}
    assert headers_by_field(report)["aov"] == "客单价"
    # the export's own figures (not user_pay_amount / buyer_count = 90.82...), and its "-" stays missing
    assert values(frame, "aov") == approx([94.21, 95.19, NAN, 96.10])
    assert report.totals == approx(
        {"user_pay_amount": 62397.55, "gmv": 64580.80, "order_count": 729, "buyer_count": 678}
    )


# ---------------------------------------------------------------- 14: products, periods and IDs


def test_product_period_and_19_digit_ids():
    frame, report = load("products_period_ids.csv")

    assert report.kind == "products"
    assert days(frame, "period_start") == ["2022-08-01"] * 3
    assert days(frame, "period_end") == ["2022-08-31"] * 3
    # exact strings, a leading apostrophe (Excel's text marker) removed
    assert values(frame, "product_id") == ["3567892345678901234", "3567892345678905678", "3581234567890123456"]
    assert values(frame, "product_name")[2] == "福鼎白茶 白牡丹, 2021年 散茶100g"
    assert report.start == date(2022, 8, 1)
    assert report.warnings == []
    assert report.totals == approx(
        {
            "gmv": 238700.90,
            "order_count": 2042,
            "item_count": 2226,
            "product_impr_uv": 422766,
            "product_click_uv": 30115,
        }
    )


def test_product_report_end_is_the_end_of_the_period():
    _, report = load("products_period_ids.csv")

    assert (report.start, report.end) == (date(2022, 8, 1), date(2022, 8, 31))


def test_xlsx_ids_mangled_by_excel_are_flagged():
    frame, report = load("products_id_mangled.xlsx")

    assert report.sheet == "全部"
    assert row_warnings(report) == [
        (3, "商品编码", "3.45678901234568e+18", "id_mangled"),  # a number cell: Excel kept 15 digits
        (4, "商品编码", "3.45679E+18", "id_mangled"),  # the displayed text pasted back
    ]
    # kept as written (the real ID cannot be recovered), the text ID untouched
    assert values(frame, "product_id") == ["3567892345678901234", "3.45678901234568e+18", "3.45679E+18"]
    assert report.rows_kept == 3
    assert report.totals == approx({"gmv": 238700.90, "order_count": 2042, "item_count": 2226})


# ---------------------------------------------------------------- 15: experience score scales


@pytest.mark.parametrize(
    ("name", "scale", "scores", "logistics"),
    [
        ("experience_5pt.csv", 5.0, [4.72, 4.65, 4.58, 4.49, 4.40], [4.66, 4.58, 4.49, 4.38, 4.27]),
        ("experience_100pt.csv", 100.0, [92, 90.5, 88, 85.5], [90, 88, 86, 83]),
    ],
)
def test_experience_score_scale(name, scale, scores, logistics):
    frame, report = load(name)

    assert report.kind == "experience"
    assert values(frame, "experience_score") == approx(scores)
    assert values(frame, "xp_logistics_score") == approx(logistics)
    assert values(frame, "experience_scale") == [scale] * len(scores)
    assert "experience_scale" in report.derived
    assert {"code": "experience_scale", "scale": f"{scale:g}"} in report.notes
    assert report.start == date(2022, 8, 1)
    assert report.warnings == []
    assert report.totals == {}  # scores are not additive


# ---------------------------------------------------------------- 16: durations


def test_watch_time_in_minutes_and_chinese_text():
    frame, report = load("live_sessions_durations.csv")

    # 1.07 | 2分35秒 | 0.85 under 人均观看时长(分钟)
    assert values(frame, "avg_watch_min") == approx([1.07, 155 / 60, 0.85])
    assert values(frame, "avg_watch_min")[1] == pytest.approx(2.5833, abs=1e-4)
    # 242 | 1小时3分 | 180 under 直播时长(分钟)
    assert values(frame, "live_duration_min") == approx([242, 63, 180])
    assert report.warnings == []
    assert "avg_watch_min" not in report.totals and "live_duration_min" not in report.totals
    assert {k: report.totals[k] for k in ("viewer_uv", "gmv")} == approx({"viewer_uv": 28089, "gmv": 99725.30})


def test_watch_time_header_in_seconds():
    frame, report = load("live_sessions_watch_seconds.csv")

    mapped = {m.header: (m.field, m.factor) for m in report.mapped}
    assert mapped["人均看播时长(秒)"] == ("avg_watch_min", pytest.approx(1 / 60))
    # 64 s | 155 s | 48 s
    assert values(frame, "avg_watch_min") == approx([64 / 60, 155 / 60, 48 / 60])
    assert values(frame, "avg_watch_min")[0] == pytest.approx(1.0667, abs=1e-4)
    assert report.warnings == []


# ---------------------------------------------------------------- 17: user column mapping


CUSTOM = {"销售日期": "date", "卖了多少钱": "gmv"}


@pytest.mark.parametrize(
    "mapping",
    [
        ColumnMapping(kind="store_daily", columns=CUSTOM),
        ColumnMapping.from_json('{"销售日期": "date", "卖了多少钱": "gmv"}'),
    ],
    ids=["kind_and_columns", "flat_json"],
)
def test_user_mapping_overrides_detection(mapping):
    assert refusal(fixture_bytes("store_daily_custom_headers.csv"), "x.csv").code == "no_known_columns"

    frame, report = load("store_daily_custom_headers.csv", mapping)

    assert report.kind == "store_daily"
    assert headers_by_field(report) == {"date": "销售日期", "gmv": "卖了多少钱", "order_count": "成交订单数"}
    assert report.ignored == ["备注"]
    assert days(frame) == ["2022-08-01", "2022-08-02", "2022-08-03"]
    assert values(frame, "gmv") == approx([15230.50, 16102.00, 14876.30])
    assert report.totals == approx({"gmv": 46208.80, "order_count": 526})


def test_flat_mapping_alone_picks_the_kind_it_satisfies():
    mapping = ColumnMapping.from_json('{"销售日期": "date", "卖了多少钱": "gmv"}')

    frame, report = load("store_daily_unknown_headers.csv", mapping)

    assert report.kind == "store_daily"
    assert values(frame, "gmv") == approx([15230.50, 16102.00, 14876.30])
    assert report.ignored == ["买家人数"]


# ---------------------------------------------------------------- row numbering (engine bugs)


def test_row_numbers_count_empty_lines():
    frame, report = load("store_daily_blank_line.csv")

    assert frame["source_row"].tolist() == [2, 3, 5]
    assert row_warnings(report) == [
        (6, None, "合计", "totals_row"),
        (5, "成交金额", "-1,280.00", "negative_value"),
    ]


def test_short_row_is_reported_with_its_row_number():
    frame, report = load("store_daily_short_row.csv")

    assert frame["source_row"].tolist() == [2, 4, 5]
    assert row_warnings(report) == [
        (3, None, "2022-08-02,16102.00", "bad_row_shape"),
        (5, "成交金额", "-1,280.00", "negative_value"),
    ]


# ---------------------------------------------------------------- 18: files that are refused


@pytest.mark.parametrize(
    ("name", "code", "en", "zh"),
    [
        ("empty.csv", "empty_file", "empty", "空"),
        ("header_only.csv", "header_only", "only a header row (row 1)", "第 1 行"),
        ("binary_junk.csv", "binary_file", "binary", "二进制"),
        ("report.pdf", "not_a_table_format", "PDF", "PDF"),
        ("no_known_columns.csv", "no_known_columns", "Headers: 序号, 负责人, 备注, 状态", "表头：序号, 负责人, 备注, 状态"),
        ("truncated.xlsx", "corrupt_xlsx", "damaged or truncated", "损坏"),
        ("legacy.xls", "legacy_xls", ".xls", ".xls"),
    ],
)
def test_bad_file_is_refused_with_a_reason(name, code, en, zh):
    error = refusal(fixture_bytes(name), name)

    assert error.code == code
    assert error.file == name
    assert en in error.message("en")
    assert zh in error.message("zh")


def test_file_over_the_size_limit(monkeypatch):
    data = fixture_bytes("store_overview_merged_title.xlsx")
    assert len(data) > 0.001 * 2**20
    monkeypatch.setenv("BELTDOCTOR_MAX_FILE_MB", "0.001")

    error = refusal(data, "store_overview_merged_title.xlsx")

    assert error.code == "file_too_large"
    assert "limit" in error.message("en")
    assert "上限" in error.message("zh")


def test_decompression_bomb_is_refused_from_declared_sizes(monkeypatch):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
        archive.writestr("xl/worksheets/sheet1.xml", bytes(60 * 2**20))
    bomb = buffer.getvalue()
    assert len(bomb) < 2**20

    def no_unpacking(*args, **kwargs):
        raise AssertionError("the archive was unpacked")

    monkeypatch.setenv("BELTDOCTOR_MAX_UNCOMPRESSED_MB", "50")
    monkeypatch.setattr(zipfile.ZipFile, "open", no_unpacking)
    monkeypatch.setattr(zipfile.ZipFile, "read", no_unpacking)

    error = refusal(bomb, "bomb.xlsx")

    assert error.code == "zip_bomb"
    assert error.params == {"size_mb": 60, "limit_mb": 50}
    assert "60 MB" in error.message("en") and "50 MB" in error.message("en")
