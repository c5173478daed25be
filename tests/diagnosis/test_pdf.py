"""PDF exports are checked as a reader sees them: rendered pages (poppler), extracted text and embedded fonts."""

from __future__ import annotations

import io
import math
import re
import shutil
import subprocess
from datetime import date, timedelta
from pathlib import Path

import pytest
import yaml
from fontTools.ttLib import TTFont
from PIL import Image as PILImage

from diagnosis import pdf
from diagnosis.documents import (
    Bullets,
    Document,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Prose,
    Table,
)
from diagnosis.export_charts import bars_png, trend_png

ROOT = Path(__file__).resolve().parents[2]
HOSTILE = "<script>alert(1)</script> & =1+2"
ZH_HEADING = "诊断结论与行动方案"
EN_HEADING = "Key figures for the period"
LONG_CJK = "退货原因中“尺码不合适”占46%，“与描述不符”占21%，其余为质量问题和七天无理由退货；" * 3


def _document() -> Document:
    days = [date(2024, 10, 1) + timedelta(days=i) for i in range(30)]
    gmv = [50_000 + 12_000 * math.sin(i / 3) for i in range(30)]
    rows = [("直播间留不住人", 0.12, 0.18), ("退款率偏高", 0.31, 0.2)]
    return Document("童装旗舰店 · 诊断与行动方案", "数据周期 2024-10 · BeltDoctor").add(
        Heading(ZH_HEADING),
        Paragraph("本期成交金额下滑 **18%**，主要原因是直播间停留时长偏短。"),
        Paragraph(HOSTILE),
        Heading(EN_HEADING),
        Prose("**Goal**: fewer size returns.\n\n- add a **size chart** to every SKU\n- host reads height and weight\n"
              "1. week one: publish\n2. week two: review returns"),
        Table(("指标", "数值", "说明"), tuple((f"指标{i}", f"{i * 1.5:.1f}%", LONG_CJK) for i in range(12))),
        Image(trend_png(days, gmv, "每日成交金额", "¥", "zh", reference=55_000), "每日成交金额", 16),
        PageBreak(),
        Bullets(("风险一：设计资源不足", "风险二：口播时间被压缩")),
        Bullets(("第一步", "第二步"), numbered=True),
        Image(bars_png(rows, "问题指标与基准", "zh", percent=True), "问题指标与基准", 14),
        Paragraph("A quote worth keeping.", "quote"),
        Paragraph("caption text", "caption"),
    )


def _need(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.skip(f"{tool} not installed (apt-get install poppler-utils)")
    return path


@pytest.fixture(scope="module")
def pdf_file(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("pdf") / "doc.pdf"
    path.write_bytes(pdf.to_pdf(_document()))
    return path


def _pages(path: Path, dpi: int = 40) -> list[PILImage.Image]:
    subprocess.run([_need("pdftoppm"), "-r", str(dpi), "-png", str(path), str(path.with_suffix(""))], check=True)
    return [PILImage.open(p).convert("L") for p in sorted(path.parent.glob(f"{path.stem}-*.png"))]


def _ink(page: PILImage.Image) -> float:
    """Share of pixels that are not (nearly) white."""
    histogram = page.histogram()
    return sum(histogram[:240]) / (page.width * page.height)


def test_is_a_pdf(pdf_file):
    assert pdf_file.read_bytes().startswith(b"%PDF")


def test_every_page_renders_with_content(pdf_file):
    pages = _pages(pdf_file)
    assert len(pages) >= 2
    for n, page in enumerate(pages, 1):
        assert _ink(page) > 0.01, f"page {n} is blank"


def test_text_is_extractable_and_literal(pdf_file):
    text = subprocess.run([_need("pdftotext"), str(pdf_file), "-"], check=True, capture_output=True, text=True).stdout
    assert ZH_HEADING in text
    assert EN_HEADING in text
    assert HOSTILE in text  # escaped, not eaten as markup
    assert "size chart" in text and "**" not in text  # bold spans lose their asterisks
    assert "page 2" not in text and re.search(r"第\s*2\s*页", text)  # a Chinese title gets a Chinese footer


def test_the_font_is_embedded(pdf_file):
    fonts = subprocess.run([_need("pdffonts"), str(pdf_file)], check=True, capture_output=True, text=True).stdout
    ours = [line.split() for line in fonts.splitlines() if "BeltDoctorSans" in line]
    assert ours, fonts
    assert all(row[-5] == "yes" for row in ours), fonts  # the emb column


def test_english_document_has_an_english_footer(tmp_path):
    path = tmp_path / "en.pdf"
    path.write_bytes(pdf.to_pdf(Document("Action plan", blocks=[Paragraph("Hello")])))
    text = subprocess.run([_need("pdftotext"), str(path), "-"], check=True, capture_output=True, text=True).stdout
    assert "page 1" in text


def test_empty_blocks_do_not_break_the_layout():
    doc = Document("空").add(Heading(""), Bullets(()), Prose(""), Table(("a", "b"), ()), Paragraph(""))
    assert pdf.to_pdf(doc).startswith(b"%PDF")


def test_columns_fill_the_frame_and_short_ones_stay_narrow():
    widths = pdf._column_widths([["指标", "成交金额"], ["说明", LONG_CJK]], pdf.FRAME_WIDTH)
    assert sum(widths) == pytest.approx(pdf.FRAME_WIDTH)
    assert widths[0] < widths[1] / 3


@pytest.fixture
def without_shipped_font(monkeypatch, tmp_path):
    """The font file gone, as in a broken install; reportlab's registrations are global, so caches are reset."""
    monkeypatch.setattr(pdf, "_FONT_FILE", tmp_path / "missing.ttf")
    pdf.register_font.cache_clear()
    pdf._styles.cache_clear()
    yield
    pdf.register_font.cache_clear()
    pdf._styles.cache_clear()


def test_missing_font_falls_back_to_a_cid_font(without_shipped_font, tmp_path):
    assert pdf.register_font() == pdf.FALLBACK_FONT
    path = tmp_path / "fallback.pdf"
    path.write_bytes(pdf.to_pdf(Document("没有字体文件", blocks=[Paragraph("仍然可以打开")])))
    assert path.read_bytes().startswith(b"%PDF")
    assert _ink(_pages(path)[0]) > 0.002
    fonts = subprocess.run([_need("pdffonts"), str(path)], check=True, capture_output=True, text=True).stdout
    assert pdf.FALLBACK_FONT in fonts


def test_font_covers_every_character_of_the_string_table():
    cmap = TTFont(pdf.cjk_font_path()).getBestCmap()
    text = (ROOT / "diagnosis" / "data" / "i18n.yaml").read_text(encoding="utf-8")
    yaml.safe_load(io.StringIO(text))  # the file the app reads, not a stale copy
    missing = sorted({c for c in text if not c.isspace() and ord(c) not in cmap})
    assert not missing, f"rebuild diagnosis/fonts (make_subset.py): {' '.join(missing)}"
