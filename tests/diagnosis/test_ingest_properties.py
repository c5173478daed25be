"""Whatever bytes arrive, ingest returns a frame and a report or raises IngestError; nothing else."""

import io
import zipfile

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from diagnosis.ingest import IngestError, ingest

HEADER = "日期,成交金额,成交订单数,成交人数,退款率(支付时间),商品曝光人数,客单价\n"
CELL = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["-", "--", "—", "", "合计", "1.25万", "¥3,200", "15.28%", "2022/8/1", "20220801", "44774", "1e309", "nan", "-0", "=1+1"]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.integers().map(str),
)
SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _outcome(data: bytes, name: str) -> None:
    try:
        frame, report = ingest(data, name)
    except IngestError as exc:
        assert exc.message("en") and exc.message("zh")
        return
    assert isinstance(frame, pd.DataFrame)
    assert report.rows_kept == len(frame)
    assert report.rows_kept <= report.rows_read


@SETTINGS
@given(st.binary(max_size=4096))
def test_arbitrary_bytes(data):
    _outcome(data, "upload.csv")


@SETTINGS
@given(st.binary(max_size=2048))
def test_arbitrary_bytes_named_xlsx(data):
    _outcome(data, "upload.xlsx")


@SETTINGS
@given(st.text(max_size=2000))
def test_arbitrary_text(text):
    _outcome(text.encode("utf-8"), "upload.csv")


@SETTINGS
@given(st.lists(st.lists(CELL, min_size=7, max_size=7), min_size=0, max_size=12), st.sampled_from([",", "\t", ";"]))
def test_known_header_with_arbitrary_cells(rows, delimiter):
    lines = [HEADER.replace(",", delimiter)] + [delimiter.join(c.replace(delimiter, " ").replace("\n", " ").replace('"', "'") for c in row) + "\n" for row in rows]
    data = "".join(lines).encode("utf-8")
    try:
        frame, report = ingest(data, "store.csv")
    except IngestError as exc:
        assert exc.code in {"header_only", "no_known_columns", "binary_file"}
        return
    assert report.kind == "store_daily"
    for column in ("gmv", "order_count", "buyer_count", "product_impr_uv"):
        values = frame[column].dropna()
        assert (values >= 0).all(), column
    rates = frame["refund_rate"].dropna()
    assert ((rates >= 0) & (rates <= 1)).all()


@SETTINGS
@given(st.lists(st.lists(CELL, min_size=3, max_size=3), min_size=1, max_size=6))
def test_xlsx_with_arbitrary_cells(rows):
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["日期", "成交金额", "成交订单数"])
    for row in rows:
        ws.append([_printable(c) for c in row])
    buf = io.BytesIO()
    wb.save(buf)
    _outcome(buf.getvalue(), "store.xlsx")


def _printable(cell: str) -> str:
    return "".join(ch for ch in cell if ch.isprintable())


@SETTINGS
@given(st.binary(min_size=1, max_size=512))
def test_zip_that_is_not_a_workbook(payload):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("xl/workbook.xml", payload)
    _outcome(buf.getvalue(), "broken.xlsx")
