"""The PDF renderer for `documents.Document`: A4, reportlab platypus, the shipped CJK font embedded.

Works offline and without system fonts: Chinese and English text use one embedded face, so a PDF reads the
same on any viewer. All document text is escaped before reportlab's paragraph mini-markup sees it, so text from
merchant files or a model (`<script>`, `&`) prints literally; only `**bold**` in paragraphs, lists and Prose
becomes markup, as in the DOCX renderer.
"""

from __future__ import annotations

import io
import re
from functools import cache
from pathlib import Path
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import cm
from reportlab.lib.utils import ImageReader
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import (
    CondPageBreak,
    Flowable,
    HRFlowable,
    KeepTogether,
    ListFlowable,
    ListItem,
    SimpleDocTemplate,
    Spacer,
    TableStyle,
)
from reportlab.platypus import Image as RLImage
from reportlab.platypus import PageBreak as RLPageBreak
from reportlab.platypus import Paragraph as RLParagraph
from reportlab.platypus import Table as RLTable

from diagnosis.documents import (
    _BOLD,
    Block,
    Bullets,
    Document,
    Heading,
    Image,
    PageBreak,
    Paragraph,
    Prose,
    Table,
    prose_lines,
)
from diagnosis.i18n import t

_FONT_FILE = Path(__file__).resolve().parent / "fonts" / "BeltDoctorSans-Regular.ttf"
FALLBACK_FONT = "STSong-Light"


def cjk_font_path() -> Path:
    """The shipped CJK font (a WenQuanYi Micro Hei subset, see fonts/README.md); it may be missing from a broken
    install. Without it PDFs fall back to reportlab's built-in CID font STSong-Light: not embedded (the viewer
    substitutes a Song face), but the PDF still opens and shows Chinese; charts then lose their Chinese glyphs."""
    return _FONT_FILE


FONT_NAME = "BeltDoctorSans"
"""reportlab's name for the shipped font; `register_font()` returns the name actually in use."""

# look: greys plus one accent, as in export_charts
ACCENT = colors.HexColor("#d9480f")
INK = colors.HexColor("#212529")
BODY = colors.HexColor("#343a40")
MUTED = colors.HexColor("#6c757d")
RULE = colors.HexColor("#ced4da")
HEADER_FILL = colors.HexColor("#f1f3f5")
ZEBRA_FILL = colors.HexColor("#fafbfc")
QUOTE_FILL = colors.HexColor("#f8f9fa")
STRONG = "#a33a0c"  # **bold**: the font has no bold face, so emphasis is a dark accent colour instead

MARGIN_X, MARGIN_TOP, MARGIN_BOTTOM = 2.0 * cm, 2.0 * cm, 2.2 * cm
FRAME_WIDTH = A4[0] - 2 * MARGIN_X
FRAME_HEIGHT = A4[1] - MARGIN_TOP - MARGIN_BOTTOM
_CJK = re.compile(r"[\u3000-\u9fff\uff00-\uffef]")


@cache
def register_font() -> str:
    """Register the export font with reportlab once and return its name: FONT_NAME, or FALLBACK_FONT when the
    shipped file is missing. Bold and italic map to the same face (there is none other to map to)."""
    if cjk_font_path().exists():
        name = FONT_NAME
        pdfmetrics.registerFont(TTFont(name, str(cjk_font_path())))
    else:
        name = FALLBACK_FONT
        pdfmetrics.registerFont(UnicodeCIDFont(name))
    pdfmetrics.registerFontFamily(name, normal=name, bold=name, italic=name, boldItalic=name)
    return name


@cache
def _styles() -> dict[str, ParagraphStyle]:
    font = register_font()
    base = ParagraphStyle("body", fontName=font, fontSize=10.5, leading=17, textColor=BODY, wordWrap="CJK",
                          spaceAfter=5)
    return {
        "body": base,
        "title": ParagraphStyle("title", base, fontSize=20, leading=27, textColor=INK, spaceAfter=4),
        "subtitle": ParagraphStyle("subtitle", base, fontSize=10.5, leading=15, textColor=MUTED, spaceAfter=8),
        "h1": ParagraphStyle("h1", base, fontSize=14, leading=20, textColor=INK, spaceBefore=14, spaceAfter=3),
        "h2": ParagraphStyle("h2", base, fontSize=12, leading=17, textColor=ACCENT, spaceBefore=10, spaceAfter=4),
        "h3": ParagraphStyle("h3", base, fontSize=10.5, leading=16, textColor=ACCENT, spaceBefore=8, spaceAfter=3),
        "caption": ParagraphStyle("caption", base, fontSize=9, leading=13.5, textColor=MUTED),
        "figure": ParagraphStyle("figure", base, fontSize=9, leading=13.5, textColor=MUTED, alignment=TA_CENTER,
                                 spaceBefore=2, spaceAfter=10),
        "quote": ParagraphStyle("quote", base, spaceAfter=0),
        "item": ParagraphStyle("item", base, spaceAfter=2),
        "cell": ParagraphStyle("cell", base, fontSize=9, leading=13.5, spaceAfter=0),
        "head": ParagraphStyle("head", base, fontSize=9, leading=13.5, textColor=INK, spaceAfter=0),
    }


def _plain(text: str) -> str:
    """Text safe for reportlab markup: & < > escaped, line breaks kept."""
    return escape(text).replace("\n", "<br/>")


def _rich(text: str) -> str:
    """Like `_plain`, with **bold** spans as emphasis (no asterisks left)."""
    out, last = [], 0
    for match in _BOLD.finditer(text):
        out.append(_plain(text[last:match.start()]))
        out.append(f'<b><font color="{STRONG}">{_plain(match.group(1))}</font></b>')
        last = match.end()
    out.append(_plain(text[last:]))
    return "".join(out)


def _list(items: list[str], numbered: bool) -> ListFlowable:
    style = _styles()["item"]
    return ListFlowable(
        [ListItem(RLParagraph(_rich(item), style)) for item in items],
        bulletType="1" if numbered else "bullet",
        start=None if numbered else "•",
        bulletFormat="%s." if numbered else None,
        bulletFontName=style.fontName,
        bulletFontSize=style.fontSize,
        bulletColor=ACCENT if not numbered else BODY,
        leftIndent=16 if numbered else 13,
        spaceAfter=4,
    )


def _prose(text: str) -> list[Flowable]:
    """Light Markdown as paragraphs and lists: consecutive list lines of one kind make one list."""
    out: list[Flowable] = []
    run_kind, run = "", []
    for kind, line in [*prose_lines(text), ("end", "")]:
        if run and kind != run_kind:
            out.append(_list(run, numbered=run_kind == "numbered"))
            run = []
        if kind in ("item", "numbered"):
            run_kind = kind
            run.append(line)
        elif kind == "para":
            out.append(RLParagraph(_rich(line), _styles()["body"]))
    return out


def _column_widths(columns: list[list[str]], total: float) -> list[float]:
    """Narrow columns get their natural width; wide ones share the rest by how much text they hold, so one long
    unbreakable cell (a URL) does not starve a column of long sentences. The table spans the frame."""
    style = _styles()["cell"]

    def width(cell: str) -> float:
        lines = cell.split("\n")
        return min(max(pdfmetrics.stringWidth(line, style.fontName, style.fontSize) for line in lines) + 12, total)

    natural = [max(max(width(cell) for cell in col), 1.4 * cm) for col in columns]
    mass = [sum(width(cell) for cell in col) for col in columns]
    widths: dict[int, float] = {}
    left, remaining = set(range(len(columns))), total
    while left:
        share = remaining / len(left)
        fits = [i for i in left if natural[i] <= share]
        if not fits:
            heavy = sum(mass[i] for i in left)
            widths.update({i: remaining * mass[i] / heavy for i in left})
            break
        for i in fits:
            widths[i] = natural[i]
            remaining -= natural[i]
            left.remove(i)
    out = [widths[i] for i in range(len(columns))]
    out[-1] += total - sum(out)  # spare room goes to the last column, so labels stay next to their values
    return out


def _table(block: Table) -> RLTable:
    styles = _styles()
    header = [RLParagraph(_plain(h), styles["head"]) for h in block.header]
    rows = [[RLParagraph(_plain(c), styles["cell"]) for c in row] for row in block.rows]
    columns = [list(col) for col in zip(block.header, *block.rows, strict=True)]
    table = RLTable([header, *rows], colWidths=_column_widths(columns, FRAME_WIDTH), repeatRows=1, hAlign="LEFT")
    commands = [
        ("BACKGROUND", (0, 0), (-1, 0), HEADER_FILL),
        ("LINEABOVE", (0, 0), (-1, 0), 0.8, INK),
        ("LINEBELOW", (0, 0), (-1, 0), 0.6, RULE),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LEFTPADDING", (0, 0), (-1, -1), 6),
        ("RIGHTPADDING", (0, 0), (-1, -1), 6),
        ("TOPPADDING", (0, 0), (-1, -1), 4),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]
    commands += [("BACKGROUND", (0, r), (-1, r), ZEBRA_FILL) for r in range(2, len(rows) + 1, 2)]
    table.setStyle(TableStyle(commands))
    table.spaceBefore, table.spaceAfter = 4, 10
    return table


def _quote(text: str) -> RLTable:
    """A quote as a shaded box with an accent bar on its left."""
    box = RLTable([[RLParagraph(_rich(text), _styles()["quote"])]], colWidths=[FRAME_WIDTH])
    box.setStyle(TableStyle([
        ("BACKGROUND", (0, 0), (-1, -1), QUOTE_FILL),
        ("LINEBEFORE", (0, 0), (0, -1), 2.5, ACCENT),
        ("LEFTPADDING", (0, 0), (-1, -1), 10),
        ("RIGHTPADDING", (0, 0), (-1, -1), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 6),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 7),
    ]))
    box.spaceBefore, box.spaceAfter = 4, 10
    return box


def _image_size(block: Image) -> tuple[float, float]:
    """The PNG at `width_cm`, never wider than the frame nor taller than most of a page."""
    png_width, png_height = ImageReader(io.BytesIO(block.png)).getSize()
    width = min(block.width_cm * cm, FRAME_WIDTH)
    height = width * png_height / png_width
    if height > 0.8 * FRAME_HEIGHT:
        width, height = width * 0.8 * FRAME_HEIGHT / height, 0.8 * FRAME_HEIGHT
    return width, height


def _image(block: Image) -> Flowable:
    width, height = _image_size(block)
    parts: list[Flowable] = [Spacer(1, 4), RLImage(io.BytesIO(block.png), width=width, height=height)]
    parts.append(RLParagraph(_plain(block.caption), _styles()["figure"]) if block.caption else Spacer(1, 10))
    return KeepTogether(parts)


def _heading(block: Heading, following: Block | None) -> list[Flowable]:
    """A heading that starts a new page rather than sit alone at the bottom of one. Not keepWithNext: that
    would carry a whole long table to the next page with it and leave this one nearly empty."""
    level = min(max(block.level, 1), 3)
    room = 4 * cm  # the heading and the first lines or rows of what follows
    if isinstance(following, Image):
        room = min(_image_size(following)[1] + 2.5 * cm, FRAME_HEIGHT)
    out: list[Flowable] = [CondPageBreak(room), RLParagraph(_plain(block.text), _styles()[f"h{level}"])]
    if level == 1:
        out.append(HRFlowable(width="100%", thickness=0.6, color=RULE, spaceBefore=0, spaceAfter=6))
    return out


def _flowables(doc: Document) -> list[Flowable]:
    styles = _styles()
    out: list[Flowable] = [RLParagraph(_plain(doc.title), styles["title"])]
    if doc.subtitle:
        out.append(RLParagraph(_plain(doc.subtitle), styles["subtitle"]))
    out.append(HRFlowable(width="100%", thickness=1.5, color=ACCENT, spaceBefore=2, spaceAfter=10))
    for block, following in zip(doc.blocks, [*doc.blocks[1:], None], strict=True):
        if isinstance(block, Heading):
            out += _heading(block, following)
        elif isinstance(block, Paragraph):
            if block.style == "quote":
                out.append(_quote(block.text))
            else:
                out.append(RLParagraph(_rich(block.text), styles["caption" if block.style == "caption" else "body"]))
        elif isinstance(block, Bullets):
            if block.items:  # reportlab cannot lay out an empty list
                out.append(_list(list(block.items), block.numbered))
        elif isinstance(block, Prose):
            out += _prose(block.text)
        elif isinstance(block, Table):
            out.append(_table(block))
        elif isinstance(block, Image):
            out.append(_image(block))
        elif isinstance(block, PageBreak):
            out.append(RLPageBreak())
    return out


def _is_chinese(doc: Document) -> bool:
    if doc.lang:
        return doc.lang == "zh"
    return bool(_CJK.search(doc.title + doc.subtitle))


def _footer(doc: Document):
    """Draws the document title (left) and the page number (right) under a hairline on every page."""
    font = register_font()
    size = 8
    page_word = t("doc.page", "zh" if _is_chinese(doc) else "en", n="{}")
    title = doc.title
    limit = FRAME_WIDTH * 0.7
    while title and pdfmetrics.stringWidth(title, font, size) > limit:
        title = title[:-2] + "…"

    def draw(canvas, template) -> None:
        canvas.saveState()
        y = MARGIN_BOTTOM - 0.9 * cm
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(MARGIN_X, y + 11, A4[0] - MARGIN_X, y + 11)
        canvas.setFont(font, size)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN_X, y, title)
        canvas.drawRightString(A4[0] - MARGIN_X, y, page_word.format(template.page))
        canvas.restoreState()

    return draw


def to_pdf(doc: Document) -> bytes:
    """The document as an A4 PDF with the CJK font embedded (see `cjk_font_path` for the fallback)."""
    buffer = io.BytesIO()
    template = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=doc.title, subject=doc.subtitle, author="BeltDoctor",
        creator="BeltDoctor", lang="zh-CN" if _is_chinese(doc) else "en",
    )
    footer = _footer(doc)
    template.build(_flowables(doc), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
