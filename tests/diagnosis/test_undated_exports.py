"""A products export without 统计周期 uploaded with dated exports (issue #16): read as a snapshot of the period,
never a KeyError, in the CLI and the engine."""

from __future__ import annotations

import json
import shutil

import pandas as pd

from diagnosis.cli import main
from diagnosis.merchants import DEMO_ROOT


def test_products_without_a_period_column_with_dated_exports(tmp_path, capsys):
    source = DEMO_ROOT / "kidswear_818"
    products = pd.read_excel(next(source.glob("商品列表*.xlsx")))
    products.drop(columns=["统计周期"]).drop_duplicates("商品编码").to_csv(tmp_path / "商品列表.csv", index=False)
    for pattern in ("成交概览*.xlsx", "千川*.csv"):
        shutil.copy(next(source.glob(pattern)), tmp_path)
    files = [str(p) for p in sorted(tmp_path.iterdir())]
    assert main(["diagnose", "--json", *files]) == 0
    out = json.loads(capsys.readouterr().out)
    skipped = {s["code"] for s in out["skipped"]}
    assert not {"sku_concentration", "sku_sprawl", "stockout_risk"} & skipped, "the product rules ran on the snapshot"
    assert main(["plan", "--offline", "--json", "--lang", "en", *files]) == 0
    assert json.loads(capsys.readouterr().out)["plan"]["actions"] is not None
