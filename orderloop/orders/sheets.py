"""Reading a spreadsheet someone sent (an .xlsx import, a mail's attachment) within limits.

A small .xlsx can unpack to millions of rows: 287 KB of empty rows once held a web worker until it was killed,
and openpyxl builds each part it opens before the caller sees a single row. So the package is checked first,
by counting as the XML streams past, without building anything: what it unpacks to, the range each sheet
declares (``<dimension ref=…>``), its rows, the cells of each row, the shared texts and the XML elements. Only a
package within every limit goes to openpyxl, which then reads the first sheet streamed (read_only) and stops at
the limit. Each step checks the clock (``core.time_limit``): a read takes at most ``READ_SECONDS``, less when
an enclosing limit (a mail in the order mailbox) ends earlier. A refusal is ``InvalidInput`` naming the limit;
a damaged file raises one of ``UNREADABLE``, as openpyxl would.

The limits are far above a real order sheet: register 1 has 15 columns, and 10,000 rows of it unpack to about
7 MB and read in about 2 seconds (docs/operations.md)."""
import csv
import io
import re
import unicodedata
import zipfile
import zlib
from datetime import datetime
from xml.etree.ElementTree import ParseError
from xml.parsers import expat

from django.utils.translation import gettext as _
from openpyxl import load_workbook
from openpyxl.utils.exceptions import InvalidFileException

from orderloop.core.exceptions import InvalidInput
from orderloop.core.time_limit import time_check, time_limit

MAX_ROWS = 10_000  # rows below the header
MAX_COLUMNS = 50
MAX_SHEET_ROWS = MAX_ROWS + 1  # with the header
MAX_TEXTS = MAX_SHEET_ROWS * MAX_COLUMNS  # entries of the shared-text table
MAX_UNPACKED_MB = 50
MAX_ELEMENTS = 3_000_000  # XML elements in the whole package (10,000 full rows of register 1: about 400,000)
MAX_PART_ELEMENTS = 300_000  # in a part other than a sheet or the shared texts, which openpyxl builds whole
READ_SECONDS = 15
UNREADABLE = (zipfile.BadZipFile, InvalidFileException, KeyError, ValueError, IndexError, OSError, EOFError,
              zlib.error, NotImplementedError, RuntimeError, ParseError, expat.ExpatError)  # a damaged workbook
SPREADSHEET_NS = {"http://schemas.openxmlformats.org/spreadsheetml/2006/main",
                  "http://purl.oclc.org/ooxml/spreadsheetml/main"}
STREAMED_ROOTS = {"worksheet", "sst"}  # parts openpyxl reads element by element
CHUNK = 64 * 1024
CHECK_EVERY = 4096  # elements between two looks at the clock


def _refusal(message: str) -> InvalidInput:
    return InvalidInput(message, errors={"file": [message]})


def _too_long() -> InvalidInput:
    return _refusal(_("表格超过 %(rows)s 行（不含表头），未读取") % {"rows": MAX_ROWS})


def _too_wide() -> InvalidInput:
    return _refusal(_("表格超过 %(cols)s 列，未读取") % {"cols": MAX_COLUMNS})


def _column(reference: str) -> int:
    """The column number of a cell reference (``AB12`` → 28); more than three letters is beyond any sheet."""
    letters = reference.replace("$", "").rstrip("0123456789").upper()
    if not letters.isascii() or not letters.isalpha():
        raise ValueError(f"not a cell reference: {reference[:20]}")
    if len(letters) > 3:
        return MAX_COLUMNS + 1
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _row_number(text: str) -> int:
    """A row's number as openpyxl reads its ``r``: an integer, also written as a float (``3.0``)."""
    try:
        return int(text)
    except ValueError:
        value = float(text)
        if not value.is_integer():
            raise
        return int(value)


class _PartCount:
    """Counts one XML part as it streams past and refuses once it is beyond a limit: handlers of expat, which
    builds nothing, so the count costs no memory whatever the part holds."""

    def __init__(self, package: "_PackageCount"):
        self.package = package
        self.root = None
        self.elements = 0
        self.row = 0  # the number openpyxl gives the current row
        self.rows = 0
        self.cells = 0  # in the current row
        self.column = 0
        self.texts = 0

    def start(self, name: str, attributes: dict) -> None:
        self.elements += 1
        self.package.elements += 1
        if not self.package.elements % CHECK_EVERY:
            time_check()
        if self.package.elements > MAX_ELEMENTS:
            raise _refusal(_("表格内容过多（超过 %(n)s 个元素），未读取") % {"n": f"{MAX_ELEMENTS:,}"})
        namespace, _sep, local = name.rpartition("}")
        if self.root is None:
            self.root = local
        elif self.root not in STREAMED_ROOTS and self.elements > MAX_PART_ELEMENTS:
            raise _refusal(_("表格内容过多（超过 %(n)s 个元素），未读取") % {"n": f"{MAX_PART_ELEMENTS:,}"})
        if namespace not in SPREADSHEET_NS:
            return
        if local == "c":
            self.cells += 1
            reference = attributes.get("r")
            self.column = _column(reference) if reference else self.column + 1
            if self.cells > MAX_COLUMNS or self.column > MAX_COLUMNS:
                raise _too_wide()
        elif local == "row":
            self.rows += 1
            number = attributes.get("r")
            self.row = _row_number(number) if number else self.row + 1
            self.cells = self.column = 0
            if self.rows > MAX_SHEET_ROWS or self.row > MAX_SHEET_ROWS:
                raise _too_long()
        elif local == "dimension":
            self.dimension(attributes.get("ref", ""))
        elif local == "si":
            self.texts += 1
            if self.texts > MAX_TEXTS:
                raise _refusal(_("表格的文字超过 %(n)s 条，未读取") % {"n": f"{MAX_TEXTS:,}"})

    def dimension(self, ref: str) -> None:
        """The range a sheet declares: openpyxl fills every row up to its end, present in the XML or not."""
        end = ref.split(":")[-1].replace("$", "").strip()
        if not end:
            return
        letters = end.rstrip("0123456789")
        rows = _row_number(end[len(letters):]) if end[len(letters):] else 0
        columns = _column(letters) if letters else 0
        if rows > MAX_SHEET_ROWS or columns > MAX_COLUMNS:
            message = _("表格声明的范围 %(ref)s 超过 %(rows)s 行（不含表头）或 %(cols)s 列，未读取") % {
                "ref": ref[:40], "rows": MAX_ROWS, "cols": MAX_COLUMNS}
            raise _refusal(message)

    def refuse_dtd(self, *args) -> None:
        raise ValueError("a document type declaration in a spreadsheet part")  # no entities, ever


class _PackageCount:
    def __init__(self):
        self.elements = 0


def package_check(content: bytes) -> None:
    """Refuse (``InvalidInput``, naming the limit) a workbook beyond the limits, before openpyxl opens it; raise
    one of ``UNREADABLE`` for a file that is not a readable zip. Every XML part is counted: any of them may be
    what openpyxl reads, whatever its name."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        members = archive.infolist()
        # zipfile stops each member at the size its header declares (and fails the checksum if it was a lie).
        if sum(member.file_size for member in members) > MAX_UNPACKED_MB * 1024 * 1024:
            raise _refusal(_("表格解压后超过 %(mb)s MB，未读取") % {"mb": MAX_UNPACKED_MB})
        package = _PackageCount()
        for member in members:
            if member.is_dir():
                continue
            count = _PartCount(package)
            parser = expat.ParserCreate(namespace_separator="}")
            parser.StartElementHandler = count.start
            parser.StartDoctypeDeclHandler = count.refuse_dtd
            parser.EntityDeclHandler = count.refuse_dtd
            with archive.open(member) as stream:
                try:
                    while chunk := stream.read(CHUNK):
                        time_check()
                        parser.Parse(chunk, False)
                    parser.Parse(b"", True)
                except expat.ExpatError:  # not XML (an image), or broken where openpyxl would break too
                    continue


def _reading():
    return time_limit(READ_SECONDS, _("读取表格超时（超过 %(s)s 秒），未读取") % {"s": READ_SECONDS})


def sheet_check(content: bytes) -> None:
    """``package_check`` within ``READ_SECONDS``: whether the workbook may be read at all."""
    with _reading():
        package_check(content)


def sheet_rows(content: bytes, sheet: str | None = None) -> list[tuple]:
    """The rows of the first sheet (or of the sheet named ``sheet``: none when the workbook has no such sheet) as
    values, ``MAX_COLUMNS`` each, at most ``MAX_SHEET_ROWS`` (the header too), read streamed within
    ``READ_SECONDS``; a workbook beyond a limit is refused before openpyxl opens it."""
    with _reading():
        package_check(content)
        book = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        try:
            rows = []
            if sheet is not None and sheet not in book.sheetnames:
                return rows
            for row in (book.worksheets[0] if sheet is None else book[sheet]).iter_rows(max_row=MAX_SHEET_ROWS + 1, max_col=MAX_COLUMNS,
                                                    values_only=True):
                if len(rows) == MAX_SHEET_ROWS:
                    raise _too_long()
                time_check()
                rows.append(row)
        finally:
            book.close()
    return rows


def _csv_rows(content: bytes, max_lines: int) -> list[tuple]:
    for encoding in ("utf-8-sig", "gb18030"):  # as Excel and WPS save a .csv: UTF-8 (with BOM or not), or GBK
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise _refusal(_("无法识别文件的编码，请另存为 UTF-8 的 .csv 或 .xlsx"))
    if "\x00" in text:
        raise _refusal(_("不是有效的 .csv 文件"))
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    rows = []
    for row in csv.reader(io.StringIO(text), dialect):
        if len(rows) > max_lines:
            raise _too_long()
        if len(row) > MAX_COLUMNS:
            raise _too_wide()
        rows.append(tuple(row))
    return rows


def table_rows(content: bytes, filename: str = "", *, max_bytes: int, lines_above: int = 0) -> list[tuple]:
    """The rows of an uploaded table: an .xlsx's first sheet (``sheet_rows``) or a .csv's lines, within the same
    limits (``lines_above``: lines allowed above the header, e.g. a bank account's details); refused with
    ``InvalidInput`` saying why when it is too big, empty, an old .xls, damaged or of an unknown encoding."""
    if len(content) > max_bytes:
        raise _refusal(_("文件过大（最大 %(mb)s MB）") % {"mb": max_bytes // (1024 * 1024)})
    if not content.strip():
        raise _refusal(_("文件是空的"))
    if content[:4] == b"\xd0\xcf\x11\xe0":  # the old binary .xls
        raise _refusal(_("不支持 .xls 文件，请在 Excel 或 WPS 中另存为 .xlsx 或 .csv 后导入"))
    if zipfile.is_zipfile(io.BytesIO(content)):
        try:
            return sheet_rows(content)
        except UNREADABLE as exc:
            raise _refusal(_("无法读取该 .xlsx 文件")) from exc
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise _refusal(_("不是有效的 .xlsx 文件"))
    return _csv_rows(content, MAX_ROWS + lines_above)


def cell_text(value) -> str:
    """A cell as the user sees it: 13800001111 typed as a number is "13800001111", not "13800001111.0"; a date
    cell is its date; a .csv's ="…" (its way of keeping a long number as text) is what is inside."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, datetime):
        value = value.date()
    text = str(value).strip()
    if text.startswith('="') and text.endswith('"'):
        text = text[2:-1].strip()
    return text


def header_key(text: str) -> str:
    """A column heading as it is compared: full-width letters, brackets and colons as half-width (NFKC), no spaces,
    no trailing colon, so that 单价（元） and 单价(元) are one column."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).rstrip(":")
