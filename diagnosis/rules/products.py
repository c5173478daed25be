"""Assortment rules from the product list: quality returns, one hit product, idle SKUs, stock cover."""

import numpy as np
import pandas as pd

from diagnosis import kpis
from diagnosis.rules import Context, confidence_for_days, rule

MIN_SKUS = 20  # below this a catalogue is too small to call sprawling or concentrated
IDLE_ORDERS = 2
COVER_DAYS = 7
TOP_SELLERS = 20


def _products(ctx: Context) -> pd.DataFrame | None:
    frame = ctx.frames.get("products")
    if frame is None:
        return None
    cut = kpis.in_period(frame, "products", ctx.period.start, ctx.period.end)
    if len(cut) or not kpis.is_dated(frame, "products"):
        return cut
    return frame[frame["period_start"] == frame["period_start"].max()]


def _per_sku(products: pd.DataFrame, column: str) -> pd.Series:
    return products.groupby("product_id", sort=False)[column].sum(min_count=1)


def _finding(ctx: Context, code: str, metric: str, value: float, warn: str, alarm: str, worse: str, **params):
    return ctx.level_finding(code, metric, value, "ratio", warn, alarm, worse, confidence_for_days(ctx.days), **params)


@rule("quality_return_high", reads=("experience", "products"))
def quality_return_high(ctx: Context):
    rate = ctx.values.get("quality_return_rate")
    if rate is None:
        products = _products(ctx)
        if products is None or "quality_return_rate" not in products or "order_count" not in products:
            return ctx.needs_export("quality_return_high", "experience")
        known = products[["quality_return_rate", "order_count"]].dropna()
        if known["order_count"].sum() <= 0:
            return ctx.needs_export("quality_return_high", "experience")
        rate = float(np.average(known["quality_return_rate"], weights=known["order_count"]))
    return _finding(ctx, "quality_return_high", "quality_return_rate", rate, "quality_return_warn", "quality_return_alarm", "above")


@rule("sku_concentration", reads=("products",))
def sku_concentration(ctx: Context):
    products = _products(ctx)
    if products is None or "gmv" not in products:
        return ctx.needs_export("sku_concentration", "products")
    gmv = _per_sku(products, "gmv").dropna()
    if len(gmv) < 2 or gmv.sum() <= 0:
        return None
    share = float(gmv.max() / gmv.sum())
    return _finding(ctx, "sku_concentration", "top_sku_share", share, "top_sku_share_warn", "top_sku_share_alarm", "above", skus=len(gmv))


@rule("sku_sprawl", reads=("products",))
def sku_sprawl(ctx: Context):
    products = _products(ctx)
    if products is None or "order_count" not in products:
        return ctx.needs_export("sku_sprawl", "products")
    orders = _per_sku(products, "order_count").fillna(0)
    if len(orders) < MIN_SKUS:
        return None
    idle = float((orders <= IDLE_ORDERS).mean())
    return _finding(ctx, "sku_sprawl", "idle_sku_share", idle, "idle_sku_share_warn", "idle_sku_share_alarm", "above",
                    skus=len(orders), orders=IDLE_ORDERS)


@rule("stockout_risk", reads=("products",))
def stockout_risk(ctx: Context):
    products = _products(ctx)
    if products is None or "stock_qty" not in products or "item_count" not in products:
        return ctx.needs("stockout_risk", "needs_stock")
    dated = kpis.is_dated(products, "products") and "period_end" in products
    span_days = max((products["period_end"].max() - products["period_start"].min()).days + 1 if dated else ctx.days, 1)
    per_sku = pd.DataFrame({
        "gmv": _per_sku(products, "gmv"),
        "pace": _per_sku(products, "item_count") / span_days,
        "stock": products.groupby("product_id", sort=False)["stock_qty"].last(),
    }).dropna()
    top = per_sku[per_sku["pace"] > 0].nlargest(TOP_SELLERS, "gmv")
    if top.empty:
        return None
    short = float(((top["stock"] / top["pace"]) < COVER_DAYS).mean())
    return _finding(ctx, "stockout_risk", "short_cover_share", short, "short_cover_share_warn", "short_cover_share_alarm", "above",
                    top=len(top), days=COVER_DAYS)
