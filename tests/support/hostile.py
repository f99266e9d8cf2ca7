"""Files as an attacker (or a broken program) sends them: workbooks of a few kilobytes that unpack to millions of
rows or cells, and mails whose attachments are named like paths."""
import io
import zipfile
from email.message import EmailMessage
from xml.sax.saxutils import escape

from tests.support.workbooks import row, workbook

MAIN = b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
XLSX = ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def with_sheet(sheet_xml: bytes) -> bytes:
    """A workbook in the layout of register 1 (as openpyxl writes it) whose first sheet is ``sheet_xml``."""
    source = zipfile.ZipFile(io.BytesIO(workbook([row()])))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as package:
        for info in source.infolist():
            data = sheet_xml if info.filename == "xl/worksheets/sheet1.xml" else source.read(info.filename)
            package.writestr(info.filename, data)
    return out.getvalue()


def header_row(header) -> bytes:
    cells = "".join(f'<c t="inlineStr"><is><t>{escape(str(name))}</t></is></c>' for name in header)
    return f'<row r="1">{cells}</row>'.encode()


def row_bomb(header, rows: int = 2_000_000) -> bytes:
    """A header and ``rows`` empty rows (some kilobytes packed). Its XML ends broken after the last row: a reader
    that goes through every row fails on it, so a refusal that names the row limit shows the reading stopped
    at the limit."""
    return with_sheet(MAIN + b"<sheetData>" + header_row(header) + b"<row/>" * rows + b"<row><c><v>")


def declared_bomb(header) -> bytes:
    """A header and one order line, in a sheet that declares 2,000,000 rows: openpyxl fills every one of them."""
    line = "".join(f'<c t="inlineStr"><is><t>{escape(str(value))}</t></is></c>' if value is not None else "<c/>"
                   for value in row(order_date="2026-03-02", requested="2026-03-20"))
    return with_sheet(MAIN + b'<dimension ref="A1:Z2000000"/><sheetData>' + header_row(header)
                      + f"<row>{line}</row>".encode() + b"</sheetData></worksheet>")


def wide_row(header, cells: int = 1_000_000) -> bytes:
    """A header and one row of ``cells`` empty cells."""
    return with_sheet(MAIN + b"<sheetData>" + header_row(header) + b"<row>" + b"<c/>" * cells
                      + b"</row></sheetData></worksheet>")


def rows_of_text(rows: int) -> bytes:
    """``rows`` rows of one short text each (the header among them)."""
    return with_sheet(MAIN + b"<sheetData>" + b'<row><c t="inlineStr"><is><t>x</t></is></c></row>' * rows
                      + b"</sheetData></worksheet>")


def mail_with(attachments, sender="李* <li@keji.example>", message_id="<hostile-1@keji.example>",
              subject="采购订单") -> bytes:
    """A mail with ``attachments``: (filename, bytes, (maintype, subtype))."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = "orders@seller.example"
    message["Subject"] = subject
    message["Message-ID"] = message_id
    message.set_content("您好，附件是本次采购订单。")
    for filename, content, (maintype, subtype) in attachments:
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)
