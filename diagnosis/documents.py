"""A small document model (headings, paragraphs, lists, tables, images) rendered to Markdown and DOCX.

Handouts, plans and meeting briefs are written once as blocks; each output format is one renderer, so a
DOCX never says something the Markdown does not.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field

_LIST_ITEM = re.compile(r"^\s*(?:[-*+•]|\d+[.)、])\s+")
_BOLD = re.compile(r"\*\*(.+?)\*\*")


@dataclass(frozen=True)
class Heading:
    text: str
    level: int = 1


@dataclass(frozen=True)
class Paragraph:
    text: str
    style: str = ""  # "" | "caption" | "quote"


@dataclass(frozen=True)
class Bullets:
    items: tuple[str, ...]
    numbered: bool = False


@dataclass(frozen=True)
class Prose:
    """Text that already uses light Markdown (paragraphs, '-' or '1.' lists, **bold**), e.g. a case section."""

    text: str


@dataclass(frozen=True)
class Table:
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True)
class Image:
    png: bytes
    caption: str = ""
    width_cm: float = 16.0


@dataclass(frozen=True)
class PageBreak:
    pass


Block = Heading | Paragraph | Bullets | Prose | Table | Image | PageBreak


@dataclass
class Document:
    title: str
    subtitle: str = ""
    blocks: list[Block] = field(default_factory=list)
    lang: str = ""  # "zh" | "en"; empty means guess from the title

    def add(self, *blocks: Block) -> Document:
        self.blocks.extend(blocks)
        return self


def prose_lines(text: str) -> list[tuple[str, str]]:
    """(kind, text) per line of light Markdown: kind is 'item', 'numbered' or 'para'; blank lines dropped."""
    out = []
    for line in text.splitlines():
        if not line.strip():
            continue
        match = _LIST_ITEM.match(line)
        if match:
            kind = "numbered" if match.group().strip()[0].isdigit() else "item"
            out.append((kind, line[match.end():].strip()))
        else:
            out.append(("para", line.strip()))
    return out


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def to_markdown(doc: Document) -> str:
    lines = [f"# {doc.title}", ""]
    if doc.subtitle:
        lines += [f"_{doc.subtitle}_", ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            lines += [f"{'#' * min(block.level + 1, 6)} {block.text}", ""]
        elif isinstance(block, Paragraph):
            text = f"> {block.text}" if block.style == "quote" else f"_{block.text}_" if block.style == "caption" else block.text
            lines += [text, ""]
        elif isinstance(block, Bullets):
            lines += [f"{i}. {item}" if block.numbered else f"- {item}" for i, item in enumerate(block.items, 1)] + [""]
        elif isinstance(block, Prose):
            lines += [block.text.strip(), ""]
        elif isinstance(block, Table):
            lines.append("| " + " | ".join(_md_cell(h) for h in block.header) + " |")
            lines.append("|" + "---|" * len(block.header))
            lines += ["| " + " | ".join(_md_cell(c) for c in row) + " |" for row in block.rows]
            lines.append("")
        elif isinstance(block, Image):
            if block.caption:
                lines += [f"_{block.caption}_", ""]
        elif isinstance(block, PageBreak):
            lines += ["---", ""]
    return "\n".join(lines).rstrip() + "\n"


def _runs(paragraph, text: str) -> None:
    """Add `text` to a python-docx paragraph with **bold** spans as bold runs."""
    last = 0
    for m in _BOLD.finditer(text):
        if m.start() > last:
            paragraph.add_run(text[last:m.start()])
        paragraph.add_run(m.group(1)).bold = True
        last = m.end()
    if last < len(text):
        paragraph.add_run(text[last:])


def to_docx(doc: Document, east_asian_font: str = "Microsoft YaHei") -> bytes:
    from docx import Document as Docx
    from docx.oxml.ns import qn
    from docx.shared import Cm, Pt

    out = Docx()
    normal = out.styles["Normal"]
    normal.font.size = Pt(10.5)
    normal.font.name = "Calibri"
    normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), east_asian_font)
    out.add_heading(doc.title, level=0)
    if doc.subtitle:
        out.add_paragraph(doc.subtitle, style="Subtitle")
    for block in doc.blocks:
        if isinstance(block, Heading):
            out.add_heading(block.text, level=min(block.level, 4))
        elif isinstance(block, Paragraph):
            style = {"caption": "Caption", "quote": "Intense Quote"}.get(block.style)
            _runs(out.add_paragraph(style=style), block.text)
        elif isinstance(block, Bullets):
            for item in block.items:
                _runs(out.add_paragraph(style="List Number" if block.numbered else "List Bullet"), item)
        elif isinstance(block, Prose):
            for kind, text in prose_lines(block.text):
                style = {"item": "List Bullet", "numbered": "List Number"}.get(kind)
                _runs(out.add_paragraph(style=style), text)
        elif isinstance(block, Table):
            table = out.add_table(rows=1, cols=len(block.header))
            table.style = "Light Grid Accent 1"
            for cell, text in zip(table.rows[0].cells, block.header, strict=True):
                cell.text = text
            for row in block.rows:
                for cell, text in zip(table.add_row().cells, row, strict=True):
                    cell.text = text
        elif isinstance(block, Image):
            out.add_picture(io.BytesIO(block.png), width=Cm(block.width_cm))
            if block.caption:
                out.add_paragraph(block.caption, style="Caption")
        elif isinstance(block, PageBreak):
            out.add_page_break()
    buffer = io.BytesIO()
    out.save(buffer)
    return buffer.getvalue()
