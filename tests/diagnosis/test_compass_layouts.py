"""Compass 成交概览 as downloaded today (issue #16): 载体类型 and 投放时段 columns that say 全部 on the store's own
rows. Such a file is the store overview, not the carrier mix; a carrier table's 全部 rows are its totals; a row for
one carrier or one ad slot inside a store overview is a breakdown, never added to the day. Values by hand."""

from __future__ import annotations

from diagnosis.ingest import ingest

HEADER = "日期,载体类型,投放时段,用户支付金额,成交订单数,成交人数,客单价,成交金额,商品曝光人数,商品点击人数,退款金额(支付时间),投放消耗(店铺被投),投放贡献成交金额"


def _csv(*rows: str) -> bytes:
    return ("\n".join([HEADER, *rows]) + "\n").encode("utf-8")


STORE_ROWS = (
    "2026-10-01,全部,全部,9800,110,100,98,10000,50000,4000,500,1200,3000",
    "2026-10-02,全部,全部,19600,220,200,98,20000,90000,7000,900,2400,6000",
)


def test_a_trade_overview_whose_dimensions_say_all_is_the_store_overview():
    frame, report = ingest(_csv(*STORE_ROWS), "成交概览.csv")
    assert report.kind == "store_daily" and report.rows_kept == 2
    assert report.totals["gmv"] == 30000 and report.totals["user_pay_amount"] == 29400
    mapped = {m.field for m in report.mapped}
    assert {"product_impr_uv", "product_click_uv", "ad_spend", "ad_gmv", "carrier", "ad_slot"} <= mapped
    assert frame["product_impr_uv"].sum() == 140000 and frame["product_click_uv"].sum() == 11000


def test_ad_slot_rows_inside_the_overview_are_a_breakdown_and_not_added():
    slot = "2026-10-01,全部,投放中,3000,30,30,100,3100,9000,800,100,1200,3000"
    frame, report = ingest(_csv(*STORE_ROWS, slot), "成交概览.csv")
    assert report.kind == "store_daily" and report.rows_kept == 2 and report.totals["gmv"] == 30000
    assert [n for n in report.notes if n["code"] == "level_rows_dropped"] == [
        {"code": "level_rows_dropped", "rows": "1", "column": "载体类型, 投放时段"}]


def test_a_real_carrier_breakdown_stays_one_and_drops_its_totals():
    rows = (
        "2026-10-01,直播,全部,6000,70,60,100,6100,30000,2500,300,800,2000",
        "2026-10-01,短视频,全部,2800,30,30,93.33,2900,15000,1000,150,400,1000",
        "2026-10-01,商品卡,全部,1000,10,10,100,1000,5000,500,50,0,0",
        "2026-10-01,全部,全部,9800,110,100,98,10000,50000,4000,500,1200,3000",
    )
    frame, report = ingest(_csv(*rows), "载体构成.csv")
    assert report.kind == "carrier_daily" and report.rows_kept == 3
    assert sorted(frame["carrier"]) == ["商品卡", "直播", "短视频"] and report.totals["gmv"] == 10000
