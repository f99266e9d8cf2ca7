"""A streaming .xlsx writer for registers: rows go straight into the zipped sheet, a chunk at a time.

openpyxl's write-only workbook also streams, but builds an element per cell and keeps every distinct string in
memory (the shared-strings table): about 0.5 ms a row of 15 cells on this machine, so 100,000 rows took close
to a minute — longer than the web server's 30 s worker timeout. Here a row is one formatted string: strings
inline (``t="inlineStr"``, nothing kept), numbers as numbers, dates as Excel dates, codes as text ("@"). The
sheet has what the registers' files always had: a bold header, frozen under the first row, a filter over
every row, and column widths for Chinese text. openpyxl, Excel, WPS and LibreOffice read it; the import
(orders/importing.py) reads it back.
"""
import re
import zipfile
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not allowed in XML 1.0
EPOCH = date(1899, 12, 30)
BOLD, TEXT, DATE = 1, 2, 3  # cellXfs of STYLES
CHUNK = 500  # rows joined before they are compressed

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>\
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" \
Target="worksheets/sheet1.xml"/>\
<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<bookViews><workbookView/></bookViews>\
<sheets><sheet name="{title}" sheetId="1" r:id="rId1"/></sheets>\
<definedNames><definedName name="_xlnm._FilterDatabase" localSheetId="0" hidden="1">{filter}</definedName></definedNames>\
</workbook>"""
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="4"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
SHEET_HEAD = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheetViews><sheetView workbookViewId="0">\
<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>\
<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>"""


def _text(value) -> str:
    return escape(ILLEGAL.sub("", value))


def _string_cell(ref: str, value: str, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'


def write_xlsx(fileobj, title: str, headers: list[str], rows, *, widths: list[float], text_columns=(0,)) -> int:
    """Write a one-sheet workbook of ``headers`` and ``rows`` to ``fileobj``; return the number of rows.
    Cells: None or "" empty; int, float and Decimal numbers; date and datetime Excel dates (yyyy-mm-dd); anything
    else text. Columns in ``text_columns`` are text whatever their value."""
    letters = [get_column_letter(i) for i in range(1, len(headers) + 1)]
    texts = set(text_columns)
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(widths, 1))
    count = 0
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as book:
        book.writestr("[Content_Types].xml", CONTENT_TYPES)
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS)
        book.writestr("xl/styles.xml", STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            header = "".join(_string_cell(f"{letter}1", str(h), BOLD) for letter, h in zip(letters, headers))
            sheet.write((SHEET_HEAD.format(cols=cols) + f'<row r="1">{header}</row>').encode())
            chunk = []
            for row in rows:
                count += 1
                n = count + 1
                cells = []
                for index, value in enumerate(row):
                    if value is None or value == "":
                        continue
                    ref = f"{letters[index]}{n}"
                    if index in texts:
                        cells.append(_string_cell(ref, str(value), TEXT))
                    elif isinstance(value, bool):
                        cells.append(f'<c r="{ref}" t="b"><v>{int(value)}</v></c>')
                    elif isinstance(value, (int, float, Decimal)):
                        cells.append(f'<c r="{ref}"><v>{value}</v></c>')
                    elif isinstance(value, date):
                        day = value.date() if isinstance(value, datetime) else value
                        cells.append(f'<c r="{ref}" s="{DATE}"><v>{(day - EPOCH).days}</v></c>')
                    else:
                        cells.append(_string_cell(ref, str(value)))
                chunk.append(f'<row r="{n}">{"".join(cells)}</row>')
                if len(chunk) >= CHUNK:
                    sheet.write("".join(chunk).encode())
                    chunk = []
            last = f"{letters[-1]}{count + 1}"
            sheet.write(("".join(chunk) + f'</sheetData><autoFilter ref="A1:{last}"/></worksheet>').encode())
        book.writestr("xl/workbook.xml", WORKBOOK.format(
            title=escape(ILLEGAL.sub("", title)[:31], {'"': "&quot;"}),
            filter=escape(f"'{title[:31].replace(chr(39), chr(39) * 2)}'!$A$1:${letters[-1]}${count + 1}")))
    return count
