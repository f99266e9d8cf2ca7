"""The .xlsx writer of every exported workbook (the registers, 《物流跟踪表》, the monthly review): rows go
straight into the zipped sheets, a chunk at a time.

openpyxl's write-only workbook also streams, but builds an element per cell and keeps every distinct string in
memory (the shared-strings table): about 0.5 ms a row of 15 cells on this machine, so 100,000 rows took close
to a minute — longer than the web server's 30 s worker timeout. Here a row is one formatted string: strings
inline (``t="inlineStr"``, nothing kept), numbers as numbers, dates as Excel dates, codes as text ("@"). No
cell is ever a formula (no ``<f>``): text that begins with ``=`` is a string and Excel shows it as typed
(core/exports.py; a carriage return is written ``&#13;`` so that it survives the XML). Each sheet has a bold
header, frozen under the first row, column widths for Chinese text, and for registers a filter over every row.
openpyxl, Excel, WPS and LibreOffice read it; the import (orders/importing.py) reads it back.
"""
import zipfile
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from xml.sax.saxutils import escape

from openpyxl.utils import get_column_letter

from orderloop.core.exports import cell_text

EPOCH = date(1899, 12, 30)
BOLD, TEXT, DATE, MONEY = 1, 2, 3, 4  # cellXfs of STYLES (MONEY: #,##0.00, built-in format 4)
CHUNK = 500  # rows joined before they are compressed

CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">\
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>\
<Default Extension="xml" ContentType="application/xml"/>\
<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>\
{sheets}\
<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>\
</Types>"""
SHEET_TYPE = ('<Override PartName="/xl/worksheets/sheet{n}.xml" '
              'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
ROOT_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" \
Target="xl/workbook.xml"/></Relationships>"""
WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">\
{sheets}\
<Relationship Id="rIdStyles" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" \
Target="styles.xml"/></Relationships>"""
SHEET_REL = ('<Relationship Id="rId{n}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" '
             'Target="worksheets/sheet{n}.xml"/>')
WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<bookViews><workbookView/></bookViews>\
<sheets>{sheets}</sheets>{names}\
</workbook>"""
SHEET_ENTRY = '<sheet name="{title}" sheetId="{n}" r:id="rId{n}"/>'
FILTER_NAME = '<definedName name="_xlnm._FilterDatabase" localSheetId="{index}" hidden="1">{ref}</definedName>'
STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">\
<numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy-mm-dd"/></numFmts>\
<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>\
<font><b/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>\
<fills count="2"><fill><patternFill patternType="none"/></fill><fill><patternFill patternType="gray125"/></fill></fills>\
<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>\
<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>\
<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>\
<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>\
<xf numFmtId="49" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>\
<xf numFmtId="4" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/></cellXfs>\
<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>\
</styleSheet>"""
SHEET_HEAD = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" \
xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">\
<sheetViews><sheetView workbookViewId="0">\
<pane ySplit="1" topLeftCell="A2" activePane="bottomLeft" state="frozen"/>\
<selection pane="bottomLeft" activeCell="A2" sqref="A2"/></sheetView></sheetViews>\
<sheetFormatPr defaultRowHeight="15"/><cols>{cols}</cols><sheetData>"""


ENTITIES = {"\r": "&#13;"}  # an XML reader turns a bare carriage return into a line feed


def _text(value) -> str:
    return escape(cell_text(value), ENTITIES)


def _string_cell(ref: str, value: str, style: int = 0) -> str:
    s = f' s="{style}"' if style else ""
    return f'<c r="{ref}"{s} t="inlineStr"><is><t xml:space="preserve">{_text(value)}</t></is></c>'


@dataclass
class Sheet:
    title: str                 # at most 31 characters are kept (Excel's limit)
    headers: list
    rows: object               # an iterable of lists of cells
    widths: list               # per column, in characters
    text_columns: tuple = (0,)  # columns that are text whatever their value (codes: order numbers, phones)
    filter: bool = True        # a filter over every row
    money_columns: tuple = ()  # number columns shown as amounts (#,##0.00), the value kept to the fen


def _cell(ref: str, value, text: bool, money: bool = False) -> str:
    """One cell: None or "" nothing; bool a boolean; int, float and Decimal numbers; date and datetime Excel
    dates (yyyy-mm-dd); anything else, and everything in a text column, an explicit string."""
    if text:
        return _string_cell(ref, str(value), TEXT)
    if isinstance(value, bool):
        return f'<c r="{ref}" t="b"><v>{int(value)}</v></c>'
    if isinstance(value, (int, float, Decimal)):
        return f'<c r="{ref}" s="{MONEY}"><v>{value}</v></c>' if money else f'<c r="{ref}"><v>{value}</v></c>'
    if isinstance(value, date):
        day = value.date() if isinstance(value, datetime) else value
        return f'<c r="{ref}" s="{DATE}"><v>{(day - EPOCH).days}</v></c>'
    return _string_cell(ref, str(value))


def _write_sheet(book, n: int, sheet: Sheet) -> int:
    letters = [get_column_letter(i) for i in range(1, len(sheet.headers) + 1)]
    texts, amounts = set(sheet.text_columns), set(sheet.money_columns)
    cols = "".join(f'<col min="{i}" max="{i}" width="{w:g}" customWidth="1"/>' for i, w in enumerate(sheet.widths, 1))
    count = 0
    with book.open(f"xl/worksheets/sheet{n}.xml", "w", force_zip64=True) as out:
        header = "".join(_string_cell(f"{letter}1", str(h), BOLD) for letter, h in zip(letters, sheet.headers))
        out.write((SHEET_HEAD.format(cols=cols) + f'<row r="1">{header}</row>').encode())
        chunk = []
        for row in sheet.rows:
            count += 1
            number = count + 1
            cells = "".join(_cell(f"{letters[index]}{number}", value, index in texts, index in amounts)
                            for index, value in enumerate(row) if value is not None and value != "")
            chunk.append(f'<row r="{number}">{cells}</row>')
            if len(chunk) >= CHUNK:
                out.write("".join(chunk).encode())
                chunk = []
        end = f'<autoFilter ref="A1:{letters[-1]}{count + 1}"/>' if sheet.filter else ""
        out.write(("".join(chunk) + f"</sheetData>{end}</worksheet>").encode())
    return count


def _title(sheet: Sheet) -> str:
    return cell_text(sheet.title)[:31]


def write_workbook(fileobj, sheets: list[Sheet]) -> list[int]:
    """Write a workbook of ``sheets`` to ``fileobj``; return the number of rows written to each."""
    counts = []
    with zipfile.ZipFile(fileobj, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as book:
        numbers = range(1, len(sheets) + 1)
        book.writestr("[Content_Types].xml", CONTENT_TYPES.format(sheets="".join(SHEET_TYPE.format(n=n) for n in numbers)))
        book.writestr("_rels/.rels", ROOT_RELS)
        book.writestr("xl/_rels/workbook.xml.rels", WORKBOOK_RELS.format(sheets="".join(SHEET_REL.format(n=n) for n in numbers)))
        book.writestr("xl/styles.xml", STYLES)
        for n, sheet in zip(numbers, sheets):
            counts.append(_write_sheet(book, n, sheet))
        names = "".join(
            FILTER_NAME.format(index=n - 1, ref=escape(
                f"'{_title(sheet).replace(chr(39), chr(39) * 2)}'!$A$1:${get_column_letter(len(sheet.headers))}${count + 1}"))
            for n, sheet, count in zip(numbers, sheets, counts) if sheet.filter)
        book.writestr("xl/workbook.xml", WORKBOOK.format(
            sheets="".join(SHEET_ENTRY.format(title=escape(_title(sheet), {'"': "&quot;"}), n=n)
                           for n, sheet in zip(numbers, sheets)),
            names=f"<definedNames>{names}</definedNames>" if names else ""))
    return counts


def write_xlsx(fileobj, title: str, headers: list[str], rows, *, widths: list[float], text_columns=(0,)) -> int:
    """Write a one-sheet workbook of ``headers`` and ``rows`` (a register) to ``fileobj``; return the number of
    rows. Columns in ``text_columns`` are text whatever their value."""
    (count,) = write_workbook(fileobj, [Sheet(title, headers, rows, widths, text_columns)])
    return count
