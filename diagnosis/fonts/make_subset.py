"""Build BeltDoctorSans-Regular.ttf, the CJK font that PDF exports and export charts embed.

Why a subset is shipped: exports must render Chinese on any machine, offline, without relying on a system
font; the full WenQuanYi Micro Hei collection is 5 MB, a subset for the text BeltDoctor can print is about
a quarter of that. Run it again whenever the data files gain characters (a test checks i18n.yaml is covered):

    .venv/bin/pip install fonttools   # a build tool only; the app does not import it
    .venv/bin/python diagnosis/fonts/make_subset.py [path/to/wqy-microhei.ttc]

The source is face 0 of WenQuanYi Micro Hei (Debian: fonts-wqy-microhei), used under its Apache-2.0 option.
Its outlines are TrueType (glyf), which reportlab needs: it cannot embed CFF fonts.
"""

from __future__ import annotations

import argparse
import sys
import unicodedata
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SOURCE = Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc")
TARGET = HERE / "BeltDoctorSans-Regular.ttf"
TEXT_FILES = ("diagnosis/data/**/*.yaml", "knowledge/cases/*.md", "knowledge/data/*.yaml")
NOTICE = "Subset of WenQuanYi Micro Hei 0.2.0-beta for BeltDoctor (fontTools); see README.md."
# A family name of its own, so matplotlib and PDF viewers use this file, never a system WenQuanYi that
# happens to be installed, and so the modified font is not mistaken for the original.
NAMES = {
    1: "BeltDoctor Sans",
    3: "BeltDoctor Sans Regular; subset of WenQuanYi Micro Hei 0.2.0-beta",
    4: "BeltDoctor Sans",
    6: "BeltDoctorSans-Regular",
    10: NOTICE,
}

# Unicode blocks that exports print even when today's data files do not use them
RANGES = (
    (0x0020, 0x007E),  # ASCII
    (0x00A0, 0x00FF),  # Latin-1: ¥ × ÷ · ° etc.
    (0x2000, 0x206F),  # general punctuation: – — ‘ ’ “ ” … ‰ ※
    (0x2100, 0x214F),  # letterlike: ℃ № ™
    (0x2150, 0x218F),  # number forms: Ⅰ Ⅱ
    (0x2190, 0x21FF),  # arrows: → ↑ ↓
    (0x2200, 0x22FF),  # math operators: − ≈ ≥ ≤ ±
    (0x2460, 0x24FF),  # enclosed alphanumerics: ① ②
    (0x2500, 0x257F),  # box drawing
    (0x25A0, 0x25FF),  # geometric shapes: ■ □ ▲ ● ○
    (0x2600, 0x26FF),  # misc symbols: ★ ☆ ♀ ♂ (those the font has)
    (0x3000, 0x303F),  # CJK symbols and punctuation: 、 。 「 」 【 】
    (0xFF00, 0xFFEF),  # fullwidth forms: ， ： （ ） ％ ￥
)


def gb2312_chars() -> set[str]:
    """Every character of GB2312 (symbols rows 1-9 and the 6,763 hanzi of rows 16-87), by encoding each 2-byte code."""
    chars = set()
    for high in range(0xA1, 0xF8):
        for low in range(0xA1, 0xFF):
            try:
                chars.add(bytes((high, low)).decode("gb2312"))
            except UnicodeDecodeError:
                continue  # unassigned cells
    return chars


def data_chars(root: Path = ROOT) -> set[str]:
    """Every character in the project's own texts (i18n, metrics, cases, thesaurus)."""
    chars = set()
    for pattern in TEXT_FILES:
        for path in sorted(root.glob(pattern)):
            chars.update(path.read_text(encoding="utf-8"))
    return chars


def _visible(c: str) -> bool:
    """Not a control, format or unassigned code point (spaces such as U+3000 count as visible)."""
    return unicodedata.category(c)[0] != "C"


def wanted_chars() -> set[str]:
    chars = {chr(c) for lo, hi in RANGES for c in range(lo, hi + 1)}
    chars |= gb2312_chars() | data_chars()
    return {c for c in chars if _visible(c)}


def build(source: Path = SOURCE, target: Path = TARGET) -> None:
    font = TTFont(source, fontNumber=0, recalcTimestamp=False)  # same input, same bytes
    cmap = font.getBestCmap()
    wanted = wanted_chars()
    missing_data = sorted(c for c in data_chars() if _visible(c) and ord(c) not in cmap)

    options = subset.Options()
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 10, 13, 14]  # keep copyright and licence records
    options.name_languages = [0x0409]  # English names only; the Chinese family names are not needed
    options.notdef_outline = True  # a visible box, not nothing, for a character outside the subset
    options.glyph_names = False
    options.drop_tables += ["FFTM"]  # FontForge timestamps; fontTools cannot subset them
    subsetter = subset.Subsetter(options)
    subsetter.populate(unicodes=[ord(c) for c in wanted if ord(c) in cmap])
    subsetter.subset(font)

    # Apache-2.0 §4(b): a modified font says it was changed
    for name_id, text in NAMES.items():
        font["name"].setName(text, name_id, 3, 1, 0x0409)
    font.save(target)

    size = target.stat().st_size
    glyphs = len(TTFont(target)["glyf"].keys())
    print(f"{target.name}: {size:,} bytes, {glyphs:,} glyphs, {len(TTFont(target).getBestCmap()):,} code points")
    if missing_data:
        print("not in the source font (will print as boxes):", " ".join(f"U+{ord(c):04X}" for c in missing_data))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", nargs="?", type=Path, default=SOURCE, help="WenQuanYi Micro Hei .ttc/.ttf")
    parser.add_argument("--out", type=Path, default=TARGET)
    args = parser.parse_args(argv)
    if not args.source.exists():
        print(f"source font not found: {args.source} (apt-get install fonts-wqy-microhei)", file=sys.stderr)
        return 1
    build(args.source, args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
