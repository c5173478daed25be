"""The plan context carries the period's own products with stock, price, sales and return rates: a stock-out
is the story here, and it must reach the prompt with the product's name and numbers."""

from __future__ import annotations

import json
import re
from datetime import date

from diagnosis import kpis
from diagnosis.ingest import ingest
from diagnosis.plan.prompt import build_messages
from diagnosis.profile import MerchantProfile
from diagnosis.service import plan_context

PRODUCTS = """统计周期,商品名称,商品编码,商品价格,成交金额,成交订单数,成交件数,退款金额,商品品质退货率,库存
2026-05-01~2026-05-28,五月爆款连衣裙,C1,199,99000,500,500,0,0.01,900
2026-06-01~2026-06-28,儿童学生鞋 魔术贴,A1,89,24920,270,280,1246,0.02,25
2026-06-01~2026-06-28,亲子款帆布鞋,B1,129,7224,56,56,722.4,0.05,500
"""


def _store_daily() -> str:
    days = [f"2026-05-{d:02d}" for d in range(1, 32)] + [f"2026-06-{d:02d}" for d in range(1, 29)]
    return "日期,成交金额,成交订单数,成交人数\n" + "\n".join(f"{d},1000,10,10" for d in days) + "\n"


def _context():
    parts = [ingest(PRODUCTS.encode("utf-8"), "商品列表.csv"), ingest(_store_daily().encode("utf-8"), "成交概览.csv")]
    frames = kpis.combine(parts)
    period = kpis.Period(date(2026, 6, 1), date(2026, 6, 28))
    return plan_context(frames, MerchantProfile(name="鞋店", category="shoes_bags"), "zh", period=period)


def test_products_are_the_periods_with_stock_cover_and_rates():
    products = _context().products
    assert [p.name for p in products] == ["儿童学生鞋 魔术贴", "亲子款帆布鞋"], "May's best seller is not June's"
    shoe = products[0]
    # by hand: 280 units in 28 days = 10 a day; 25 in stock = 2.5 days; refunds 1246 / 24920 = 5 %
    assert (shoe.stock, shoe.price, shoe.units, shoe.cover_days) == (25, 89, 280, 2.5)
    assert shoe.refund_rate == 0.05 and shoe.quality_return_rate == 0.02
    assert round(shoe.share, 4) == round(24920 / (24920 + 7224), 4)


def test_the_stock_out_reaches_the_prompt_as_data():
    user = build_messages(_context(), "json_object", budget=100_000)[1]["content"]
    block = json.loads(re.search(r'<data name="top_products">\n(.*?)\n</data>', user, re.S).group(1))
    assert block[0]["name"] == "儿童学生鞋 魔术贴" and block[0]["days_of_stock"] == 2.5 and block[0]["stock"] == 25
    assert block[0]["units_sold"] == 280 and block[0]["price"] == 89


def test_an_undated_product_list_counts_as_the_periods():
    undated = "\n".join(",".join(line.split(",")[1:]) for line in PRODUCTS.splitlines())
    frames = kpis.combine([ingest(undated.encode("utf-8"), "商品列表.csv"), ingest(_store_daily().encode("utf-8"), "成交概览.csv")])
    context = plan_context(frames, MerchantProfile(name="鞋店"), "en")
    assert {p.name for p in context.products} == {"五月爆款连衣裙", "儿童学生鞋 魔术贴", "亲子款帆布鞋"}
    assert context.period == (date(2026, 5, 30), date(2026, 6, 28))
