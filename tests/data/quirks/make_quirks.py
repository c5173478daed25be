"""Regenerate the quirk fixtures in this folder (one small file per export quirk).

    python tests/data/quirks/make_quirks.py

Deterministic: text files are written byte for byte, XLSX archives get fixed zip timestamps and fixed
document dates, so re-running leaves `git status` clean. The tests read the committed files; they never
call this script.
"""

from __future__ import annotations

import datetime as dt
import io
import random
import re
import zipfile
from pathlib import Path

import openpyxl
from openpyxl.styles import Alignment, Font

HERE = Path(__file__).resolve().parent
FIXED_TIME = dt.datetime(2022, 9, 1, 9, 0, 0)
ZIP_TIME = (2022, 9, 1, 9, 0, 0)


def write_text(name: str, lines: list[str], encoding: str = "utf-8", newline: str = "\n") -> None:
    (HERE / name).write_bytes((newline.join(lines) + newline).encode(encoding))


def write_bytes(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def stable_xlsx(workbook: openpyxl.Workbook) -> bytes:
    """Save, then rebuild the zip with fixed member timestamps and fixed core-document dates."""
    workbook.properties.creator = "ecompass"
    workbook.properties.created = FIXED_TIME
    buffer = io.BytesIO()
    workbook.save(buffer)
    stamp = FIXED_TIME.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                data = re.sub(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms)", rb"\g<1>" + stamp + rb"\g<2>", data)
            member = zipfile.ZipInfo(info.filename, date_time=ZIP_TIME)
            member.compress_type = zipfile.ZIP_DEFLATED
            member.external_attr = 0o600 << 16
            dst.writestr(member, data)
    return out.getvalue()


# ---------------------------------------------------------------- 1-4: encodings and delimiters


def gbk_csv() -> None:
    """Saved by Chinese-locale Excel: GBK, CRLF, full-width brackets, stray spaces round a header."""
    write_text(
        "store_daily_gbk.csv",
        [
            "日期,成交金额（元）, 成交订单数 ,成交人数,用户支付金额（元）,活动备注",
            "2022-08-01,18652.40,212,198,17983.10,七夕预热",
            "2022-08-02,21037.80,236,221,20311.55,",
            "2022-08-03,16420.00,189,177,15802.30,直播间抽奖",
            "2022-08-04,24890.60,281,259,24102.90,七夕当天",
            "2022-08-05,19875.20,224,210,19188.70,返场",
        ],
        encoding="gbk",
        newline="\r\n",
    )


def utf8_bom_csv() -> None:
    write_text(
        "store_daily_utf8_bom.csv",
        [
            "日期,用户支付金额,成交金额,成交订单数,成交人数,客单价,退款金额(支付时间)",
            "2022-08-01,9632.50,10018.30,118,109,88.37,842.60",
            "2022-08-02,11205.80,11690.00,131,124,90.37,1033.25",
            "2022-08-03,8870.10,9204.70,102,97,91.44,690.00",
            "2022-08-04,12466.00,12980.40,146,138,90.33,1127.90",
        ],
        encoding="utf-8-sig",
    )


def tab_txt() -> None:
    """Excel 'text (tab-delimited)': values as displayed, so thousands separators appear unquoted."""
    write_text(
        "store_daily_tab.tsv",
        [
            "日期\t成交金额\t成交订单数\t成交人数\t商品曝光人数\t商品点击人数",
            "2022-08-01\t12,345.60\t138\t129\t38,214\t3,105",
            "2022-08-02\t9,870.00\t112\t106\t31,880\t2,764",
            "2022-08-03\t14,002.30\t161\t150\t42,507\t3,690",
        ],
        newline="\r\n",
    )


def excel_unicode_txt() -> None:
    """Excel 'Unicode text (*.txt)': UTF-16 LE with BOM, tab-delimited."""
    lines = [
        "日期\t成交金额\t成交订单数\t成交人数",
        "2022-08-01\t7821.40\t93\t88",
        "2022-08-02\t8350.90\t101\t95",
        "2022-08-03\t6930.00\t84\t80",
    ]
    write_bytes("store_daily_excel_unicode.txt", b"\xff\xfe" + ("\r\n".join(lines) + "\r\n").encode("utf-16-le"))


def semicolon_csv() -> None:
    """Semicolon-separated (European-locale Excel), money still written with comma thousands."""
    write_text(
        "store_daily_semicolon.csv",
        [
            "日期;成交金额;成交订单数;成交人数;退款率(支付时间)",
            "2022-08-01;5,230.40;64;61;0.0845",
            "2022-08-02;6,118.00;75;70;0.0712",
            "2022-08-03;4,987.60;59;57;0.0930",
        ],
    )


# ---------------------------------------------------------------- 5: XLSX with a merged title and a notes sheet


def merged_title_xlsx() -> bytes:
    wb = openpyxl.Workbook()
    notes = wb.active
    notes.title = "说明"
    notes.append(["指标", "说明"])
    notes.append(["成交金额", "用户实际支付金额 + 平台补贴金额，含退款"])
    notes.append(["用户支付金额", "用户实际支付的金额，不含平台补贴"])
    notes.append(["客单价", "用户支付金额 / 成交人数"])
    data = wb.create_sheet("成交概览")
    data["A1"] = "抖音电商罗盘 · 成交概览（2022-08-01 至 2022-08-05）"
    data["A1"].font = Font(bold=True, size=14)
    data["A1"].alignment = Alignment(horizontal="center")
    data.merge_cells("A1:F1")
    data["A2"] = "导出时间：2022-08-06 09:14:27"
    data.append(["日期", "用户支付金额", "成交金额", "成交订单数", "成交人数", "客单价"])
    rows = [
        (dt.datetime(2022, 8, 1), 17983.1, 18652.4, 212, 198, 90.82),
        (dt.datetime(2022, 8, 2), 20311.55, 21037.8, 236, 221, 91.91),
        (dt.datetime(2022, 8, 3), 15802.3, 16420, 189, 177, 89.28),
        (dt.datetime(2022, 8, 4), 24102.9, 24890.6, 281, 259, 93.06),
        (dt.datetime(2022, 8, 5), 19188.7, 19875.2, 224, 210, 91.37),
    ]
    for row in rows:
        data.append(list(row))
        data.cell(row=data.max_row, column=1).number_format = "yyyy-mm-dd"
    payload = stable_xlsx(wb)
    write_bytes("store_overview_merged_title.xlsx", payload)
    return payload


# ---------------------------------------------------------------- 6-8: rows and cell values


def totals_row_csv() -> None:
    write_text(
        "store_daily_totals_row.csv",
        [
            "日期,成交金额,成交订单数,成交人数,退款金额(支付时间)",
            "2022-08-01,15230.50,176,164,1203.40",
            "2022-08-02,16102.00,181,170,1287.70",
            "2022-08-03,14876.30,169,158,1102.00",
            "2022-08-04,17650.80,203,188,1498.60",
            "2022-08-05,16480.20,190,176,1320.30",
            "合计,80339.80,919,856,6412.00",
        ],
    )


def number_formats_csv() -> None:
    write_text(
        "store_daily_number_formats.csv",
        [
            "日期,成交金额,成交订单数,商品曝光次数",
            '2022-08-01,"12,345.60",138,"86,512"',
            '2022-08-02,"¥3,200",41,8.91万',
            '2022-08-03,"￥1,000",13,"21,730"',
            '2022-08-04,3200元,39,"80,245"',
            "2022-08-05,1.25万,152,15.6万",
            '2022-08-06,356.8万,"41,207",1.2亿',
        ],
    )


def missing_values_csv() -> None:
    write_text(
        "store_daily_missing_values.csv",
        [
            "日期,成交金额,成交订单数,成交人数,退款金额(支付时间),退款率(支付时间),投放消耗(店铺被投)",
            "2022-08-01,15230.50,176,164,1203.40,0.0790,-",
            "2022-08-02,-,--,—,,—,--",
            "2022-08-03,16880.00,195,181,—,-,-",
            "2022-08-04,,182,170,1342.00,0.0842,—",
            "2022-08-05,17410.30,--,188,1499.10,0.0861,",
        ],
    )


# ---------------------------------------------------------------- 9: dates


def date_formats_csv() -> None:
    write_text(
        "store_daily_date_formats.csv",
        [
            "日期,成交金额,成交订单数",
            "2022/8/1,8120.00,96",
            "2022-08-02,7640.50,90",
            "20220803,9012.30,104",
            "2022年8月4日,8433.70,99",
            "44778,7985.20,93",
            "2022/8/6 0:00,9321.60,108",
        ],
    )


def date_cells_xlsx() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "成交概览"
    ws.append(["日期", "成交金额", "成交订单数", "成交人数"])
    rows = [
        (dt.datetime(2022, 8, 1), "yyyy/m/d", 8120.0, 96, 90),
        (dt.date(2022, 8, 2), "yyyy-mm-dd", 7640.5, 90, 85),
        (dt.datetime(2022, 8, 3, 0, 0), "yyyy-mm-dd hh:mm:ss", 9012.3, 104, 98),
        (44777, "General", 8433.7, 99, 93),
        ("2022-08-05", "@", 7985.2, 93, 88),
    ]
    for value, fmt, gmv, orders, buyers in rows:
        ws.append([value, gmv, orders, buyers])
        ws.cell(row=ws.max_row, column=1).number_format = fmt
    write_bytes("store_daily_date_cells.xlsx", stable_xlsx(wb))


def live_start_times_csv() -> None:
    write_text(
        "live_sessions_start_times.csv",
        [
            "主播昵称,主播抖音号,直播开始时间,直播结束时间,直播时长(分钟),直播间曝光人数,直播间观看人数,"
            "最高在线人数,平均在线人数,人均观看时长(分钟),直播间成交金额,直播间成交人数",
            "山野茶仓,shanyecha88,2022/08/01 19:30:00,2022/08/01 23:32:15,242.25,182584,15093,75,24,1.07,61045.30,1513",
            "山野茶仓,shanyecha88,2022/08/02 13:00:00,2022/08/02 17:05:40,245.67,96310,8122,41,15,0.92,21870.50,566",
            "山野茶仓,shanyecha88,2022/8/2 19:30:00,2022/8/2 23:31:02,241.03,150228,12874,66,21,1.15,48210.80,1207",
            "山野茶仓-小号,shanyecha_2,2022/8/3 9:05:00,2022/8/3 11:10:00,125,22410,1836,12,5,0.68,3120.00,81",
        ],
    )


# ---------------------------------------------------------------- 10: ratios


def mixed_ratios_csv() -> None:
    write_text(
        "store_daily_mixed_ratios.csv",
        [
            "日期,成交金额,成交人数,退款率(支付时间),两日内发货率",
            "2022-08-01,15230.50,164,0.1528,98.52",
            "2022-08-02,16102.00,170,15.28%,97.10",
            "2022-08-03,14876.30,158,0.0931,99.01",
            "2022-08-04,17650.80,188,9.31%,96.75",
        ],
    )


def ads_ctr_percent_csv() -> None:
    """Qianchuan 标准推广 plan report: `(%)` headers in percent points, `(元)` money, a 总计 row at the bottom."""
    write_text(
        "ads_ctr_percent.csv",
        [
            "日期,推广类型,计划名称,计划ID,消耗(元),展示次数,点击次数,点击率(%),转化数,转化率(%),直接成交订单数,直接成交金额(元),直接支付ROI",
            "2022-08-01,标准推广,七夕礼盒-直播间成交-0801,1740312345678901,1520.36,64721,1521,2.35,38,2.50,38,4256.80,2.80",
            "2022-08-01,标准推广,普洱熟茶-商品卡-放量,1740312345678955,860.00,41230,742,1.80,15,2.02,15,1677.00,1.95",
            "2022-08-02,标准推广,七夕礼盒-直播间成交-0801,1740312345678901,1788.90,70514,1798,2.55,47,2.61,47,5366.70,3.00",
            "2022-08-02,标准推广,普洱熟茶-商品卡-放量,1740312345678955,912.40,43880,812,1.85,17,2.09,17,1842.50,2.02",
            "总计,,,,5081.66,220345,4873,2.21,117,2.40,117,13143.00,2.59",
        ],
    )


# ---------------------------------------------------------------- 11: header names


def gmv_as_zhifu_csv() -> None:
    write_text(
        "store_daily_gmv_zhifu.csv",
        [
            "日期,支付金额,支付订单数,支付人数",
            "2022-08-01,10018.30,118,109",
            "2022-08-02,11690.00,131,124",
            "2022-08-03,9204.70,102,97",
        ],
    )


def english_csv() -> None:
    write_text(
        "store_daily_english.csv",
        [
            "Date,GMV,Orders,Buyers,Paid amount,Refund rate,Visitors",
            "2022-08-01,10018.30,118,109,9632.50,0.0875,2210",
            "2022-08-02,11690.00,131,124,11205.80,0.0922,2486",
            "2022-08-03,9204.70,102,97,8870.10,0.0778,2051",
        ],
    )


def duplicate_headers_csv() -> None:
    """成交金额 and 销售额 both mean gmv: the first column wins."""
    write_text(
        "store_daily_duplicate_headers.csv",
        [
            "日期,成交金额,成交订单数,销售额,成交人数",
            "2022-08-01,10018.30,118,9980.00,109",
            "2022-08-02,11690.00,131,11602.50,124",
            "2022-08-03,9204.70,102,9188.00,97",
        ],
    )


# ---------------------------------------------------------------- 12-13: bad values, derived fields


def impossible_values_csv() -> None:
    write_text(
        "store_daily_impossible_values.csv",
        [
            "日期,成交金额,成交订单数,成交人数,退款率(支付时间)",
            "2022-08-01,15230.50,176,164,8.12%",
            "2022-08-02,16102.00,181,170,7.95%",
            '2022-08-03,"-1,280.00",12,11,6.40%',
            "2022-08-04,17650.80,203,188,135%",
            "2022-08-05,16480.20,190,176,7.21%",
            "2022-08-02,16102.00,181,170,7.95%",
        ],
    )


def without_aov_csv() -> None:
    write_text(
        "store_daily_without_aov.csv",
        [
            "日期,用户支付金额,成交金额,成交订单数,成交人数",
            "2022-08-01,17983.10,18652.40,212,198",
            "2022-08-02,20311.55,21037.80,236,221",
            "2022-08-03,0,0,0,0",
            "2022-08-04,24102.90,24890.60,281,259",
        ],
    )


def with_aov_csv() -> None:
    write_text(
        "store_daily_with_aov.csv",
        [
            "日期,用户支付金额,成交金额,成交订单数,成交人数,客单价",
            "2022-08-01,17983.10,18652.40,212,198,94.21",
            "2022-08-02,20311.55,21037.80,236,221,95.19",
            "2022-08-03,0,0,0,0,-",
            "2022-08-04,24102.90,24890.60,281,259,96.10",
        ],
    )


# ---------------------------------------------------------------- 14: products, periods and IDs


def products_period_csv() -> None:
    write_text(
        "products_period_ids.csv",
        [
            "统计周期,商品名称,商品编码,载体,成交金额,成交订单数,成交件数,商品曝光人数,商品点击人数",
            "2022-08-01~2022-08-31,【七夕礼盒】正山小种红茶礼盒装 250g,3567892345678901234,直播,186520.40,1523,1688,286431,21870",
            "2022-08-01~2022-08-31,云南古树普洱熟茶饼 357g,'3567892345678905678,商品卡,42310.00,398,412,96120,6034",
            '2022-08-01~2022-08-31,"福鼎白茶 白牡丹, 2021年 散茶100g",3581234567890123456,短视频,9870.50,121,126,40215,2211',
        ],
    )


def products_id_mangled_xlsx() -> None:
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "全部"
    ws.append(["统计周期", "商品名称", "商品编码", "成交金额", "成交订单数", "成交件数"])
    ws.append(["2022-08-01~2022-08-31", "【七夕礼盒】正山小种红茶礼盒装 250g", "3567892345678901234", 186520.4, 1523, 1688])
    ws.append(["2022-08-01~2022-08-31", "云南古树普洱熟茶饼 357g", 3.45678901234568e18, 42310, 398, 412])
    ws.append(["2022-08-01~2022-08-31", "福鼎白茶 白牡丹 散茶100g", "3.45679E+18", 9870.5, 121, 126])
    write_bytes("products_id_mangled.xlsx", stable_xlsx(wb))


# ---------------------------------------------------------------- 15-16: experience scales, durations


def experience_csvs() -> None:
    write_text(
        "experience_5pt.csv",
        [
            "日期,商家体验分,商品体验,物流体验,服务体验",
            "2022-08-01,4.72,4.81,4.66,4.69",
            "2022-08-08,4.65,4.77,4.58,4.61",
            "2022-08-15,4.58,4.70,4.49,4.55",
            "2022-08-22,4.49,4.62,4.38,4.47",
            "2022-08-29,4.40,4.55,4.27,4.38",
        ],
    )
    write_text(
        "experience_100pt.csv",
        [
            "日期,商家体验分,商品体验,物流体验,服务体验,差行为扣分",
            "2022-08-01,92,94,90,91,0",
            "2022-08-08,90.5,93,88,90,1",
            "2022-08-15,88,91,86,87,2",
            "2022-08-22,85.5,89,83,85,2",
        ],
    )


def duration_csvs() -> None:
    header = "主播昵称,直播开始时间,直播时长(分钟),直播间观看人数,平均在线人数,{watch},直播间成交金额"
    write_text(
        "live_sessions_durations.csv",
        [
            header.format(watch="人均观看时长(分钟)"),
            "山野茶仓,2022/08/01 19:30:00,242,15093,24,1.07,61045.30",
            "山野茶仓,2022/08/02 19:30:00,1小时3分,3120,9,2分35秒,8120.00",
            "山野茶仓,2022/08/03 19:30:00,180,9876,18,0.85,30560.00",
        ],
    )
    write_text(
        "live_sessions_watch_seconds.csv",
        [
            header.format(watch="人均看播时长(秒)"),
            "山野茶仓,2022/08/01 19:30:00,242,15093,24,64,61045.30",
            "山野茶仓,2022/08/02 19:30:00,63,3120,9,155,8120.00",
            "山野茶仓,2022/08/03 19:30:00,180,9876,18,48,30560.00",
        ],
    )


# ---------------------------------------------------------------- 17: user column mapping


def custom_headers_csv() -> None:
    write_text(
        "store_daily_custom_headers.csv",
        [
            "销售日期,卖了多少钱,成交订单数,备注",
            "2022-08-01,15230.50,176,七夕预热",
            "2022-08-02,16102.00,181,",
            "2022-08-03,14876.30,169,主播请假",
        ],
    )


def blank_line_csv() -> None:
    """An empty line between data rows (hand-edited or tool-generated CSVs), then a totals row."""
    write_text(
        "store_daily_blank_line.csv",
        [
            "日期,成交金额,成交订单数,成交人数",
            "2022-08-01,15230.50,176,164",
            "2022-08-02,16102.00,181,170",
            "",
            '2022-08-03,"-1,280.00",12,11',
            "合计,30052.50,369,345",
        ],
    )


def short_row_csv() -> None:
    """A row cut short (fewer cells than the header): skipped, and the rows below keep their numbers."""
    write_text(
        "store_daily_short_row.csv",
        [
            "日期,成交金额,成交订单数,成交人数",
            "2022-08-01,15230.50,176,164",
            "2022-08-02,16102.00",
            "2022-08-03,14876.30,169,158",
            '2022-08-04,"-1,280.00",12,11',
        ],
    )


def unknown_headers_csv() -> None:
    write_text(
        "store_daily_unknown_headers.csv",
        [
            "销售日期,卖了多少钱,买家人数",
            "2022-08-01,15230.50,164",
            "2022-08-02,16102.00,170",
            "2022-08-03,14876.30,158",
        ],
    )


# ---------------------------------------------------------------- 18: files that must be refused


def bad_files(valid_xlsx: bytes) -> None:
    write_bytes("empty.csv", b"")
    write_text("header_only.csv", ["日期,成交金额,成交订单数,成交人数"])
    rng = random.Random(20220801)
    junk = bytearray(rng.randbytes(3000))
    for i in range(0, len(junk), 7):
        junk[i] = 0
    write_bytes("binary_junk.csv", b"MZ\x90\x00\x03\x00\x00\x00" + bytes(junk))
    write_bytes(
        "report.pdf",
        b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\nendobj\n"
        b"2 0 obj\n<< /Type /Pages /Kids [] /Count 0 >>\nendobj\ntrailer\n<< /Root 1 0 R >>\n%%EOF\n",
    )
    write_text(
        "no_known_columns.csv",
        ["序号,负责人,备注,状态", "1,王芳,七夕礼盒补货,已完成", "2,李强,主播排班,进行中", "3,张敏,样品寄送,待处理"],
    )
    write_bytes("truncated.xlsx", valid_xlsx[: len(valid_xlsx) // 2])
    write_bytes("legacy.xls", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 16 + b"\x3e\x00\x03\x00\xfe\xff" + bytes(range(256)) * 4)


def main() -> None:
    gbk_csv()
    utf8_bom_csv()
    tab_txt()
    excel_unicode_txt()
    semicolon_csv()
    valid_xlsx = merged_title_xlsx()
    totals_row_csv()
    blank_line_csv()
    short_row_csv()
    number_formats_csv()
    missing_values_csv()
    date_formats_csv()
    date_cells_xlsx()
    live_start_times_csv()
    mixed_ratios_csv()
    ads_ctr_percent_csv()
    gmv_as_zhifu_csv()
    english_csv()
    duplicate_headers_csv()
    impossible_values_csv()
    without_aov_csv()
    with_aov_csv()
    products_period_csv()
    products_id_mangled_xlsx()
    experience_csvs()
    duration_csvs()
    custom_headers_csv()
    unknown_headers_csv()
    bad_files(valid_xlsx)


if __name__ == "__main__":
    main()
