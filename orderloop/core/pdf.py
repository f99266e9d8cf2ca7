"""The one font of every PDF the product makes: Noto Sans SC (SIL Open Font License, vendored with its licence under
static/vendor/noto-sans-sc/), registered once per process as a TrueType font. ReportLab embeds only the glyphs a
document uses (a subset), so every viewer shows the same text — "S-001" stays "S-001" — and copy-paste works.
Registering parses the whole font file, so each document registers it when it is built (document_template does), not when
its module is imported. Also the paragraph styles the documents share."""
from functools import cache
from pathlib import Path

from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import SimpleDocTemplate

FONT = "NotoSansSC"
FONT_FILE = Path(__file__).resolve().parent.parent / "static" / "vendor" / "noto-sans-sc" / "NotoSansSC-Regular.ttf"


@cache
def register_font() -> str:
    """Register the font with ReportLab (once per process) and return its name. Bold and italic map to the same
    face, so a <b> in a paragraph never asks for a font that is not there."""
    pdfmetrics.registerFont(TTFont(FONT, str(FONT_FILE)))
    pdfmetrics.registerFontFamily(FONT, normal=FONT, bold=FONT, italic=FONT, boldItalic=FONT)
    return FONT


TITLE = ParagraphStyle("title", fontName=FONT, fontSize=18, leading=24, alignment=1, spaceAfter=6 * mm)
TEXT = ParagraphStyle("text", fontName=FONT, fontSize=10.5, leading=15)
CELL = ParagraphStyle("cell", fontName=FONT, fontSize=9.5, leading=12)
HEADING = ParagraphStyle("heading", fontName=FONT, fontSize=12.5, leading=18, spaceBefore=4 * mm, spaceAfter=2 * mm)
# A table's own font (its cells' strings, and the font it sets before drawing each cell): ReportLab's default is
# Helvetica, which would be listed on the page though never embedded. Every table's style starts with this.
TABLE_FONT = ("FONTNAME", (0, 0), (-1, -1), FONT)
SMALL = ParagraphStyle("small", fontName=FONT, fontSize=8.5, leading=11, textColor="#555555")


def document_template(buffer, *, title: str, author: str = "orderloop", margin: float = 18 * mm) -> SimpleDocTemplate:
    """An A4 document in the embedded font from its first byte: the canvas starts in it too (ReportLab's default,
    Helvetica, would otherwise be listed on every page as a font the PDF does not carry)."""
    register_font()
    return SimpleDocTemplate(buffer, pagesize=A4, leftMargin=margin, rightMargin=margin, topMargin=margin,
                             bottomMargin=margin, title=title, author=author, initialFontName=FONT)
