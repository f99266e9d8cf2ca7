"""What every go-live file has in common: it is read as a table (an .xlsx or .csv, ``orders.sheets.table_rows``),
its columns are found by their Chinese headers in any order, every problem is named by row, column and reason (``Problems``), and before
anything is written the user sees a ``Preview``: how many rows would be created, updated and skipped, and the
duplicates that look alike. The templates are built here too, with the headers the users already use."""
import io
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter

from orderloop.core.dates import parse_date
from orderloop.orders.sheets import MAX_ROWS, cell_text, header_key, table_rows

MAX_BYTES = 20 * 1024 * 1024
SAMPLE_ROWS = 50  # rows of each action the preview lists


def cell_decimal(value) -> Decimal | None:
    """A number cell (commas and a leading ¥ allowed); None when empty; ValueError when it is not a number."""
    text = cell_text(value).replace(",", "").replace("，", "").lstrip("¥￥")
    if not text:
        return None
    try:
        number = Decimal(text)
    except InvalidOperation as exc:
        raise ValueError(text) from exc
    if not number.is_finite():
        raise ValueError(text)
    return number


def cell_date(value) -> date | None:
    if value in (None, ""):
        return None
    return parse_date(value)


@dataclass
class Table:
    """The rows of an uploaded file below its header, each with its row number as the user sees it (the header
    is row 1), and the column of each header."""

    columns: dict  # header -> index
    rows: list  # [(row number, [values])]
    content: bytes = b""  # the file as uploaded: an importer may read its further sheets (orders.sheets.sheet_rows)
    filename: str = ""
    ignored: list = field(default_factory=list)  # headers of columns no importer reads

    def value(self, row: list, header: str):
        index = self.columns.get(header)
        return row[index] if index is not None and index < len(row) else None

    def text(self, row: list, header: str) -> str:
        return cell_text(self.value(row, header))

    def letter(self, header: str) -> str:
        index = self.columns.get(header)
        return get_column_letter(index + 1) if index is not None else ""


HEADER_SEARCH = 10  # a title row or two above the header (公司名称、制表日期…) is usual


def table_read(content: bytes, filename: str, *, required: list[str], known: list[str]) -> tuple[Table, "Problems"]:
    """The table of an uploaded .xlsx or .csv: refused whole (InvalidInput) when it cannot be read. Its header is the
    first of the first rows that has every required column (title rows above it are passed over); each row keeps
    its number in the sheet. A header missing a required column, or repeating one, is a problem of the header's row;
    columns that are not known are listed in ``Table.ignored``."""
    rows = [list(row) for row in table_rows(content, filename, max_bytes=MAX_BYTES)]
    canonical = {header_key(name): name for name in known}
    numbered = [(number, row) for number, row in enumerate(rows, 1) if any(cell_text(v) for v in row)]
    candidates = numbered[:HEADER_SEARCH]
    start = next((i for i, (_n, row) in enumerate(candidates)
                  if {canonical.get(header_key(cell_text(v))) for v in row} >= set(required)), 0)
    header_number, header = numbered[start] if numbered else (1, [])
    columns: dict = {}
    ignored: list[str] = []
    problems = Problems(None)
    for index, cell in enumerate(header):
        title = cell_text(cell)
        name = canonical.get(header_key(title))
        if name is not None and name in columns:
            problems.add(header_number, name, _("表头重复：%(name)s") % {"name": name}, letter=get_column_letter(index + 1))
        elif name is not None:
            columns[name] = index
        elif title:
            ignored.append(title)
    table = Table(columns=columns, rows=numbered[start + 1:], content=content, filename=filename, ignored=ignored)
    problems.table = table
    missing = [name for name in required if name not in columns]
    if missing:
        problems.add(header_number, _("表头"), _("缺少必填列：%(names)s（请使用导入模板）") % {"names": "、".join(missing)})
    elif not table.rows:
        problems.add(header_number, _("表头"), _("表头下没有可导入的行"))
    return table, problems


class Problems:
    """Every problem of a file, keyed "第3行 统一社会信用代码(C)" as the user finds it in the sheet."""

    def __init__(self, table: Table | None):
        self.table = table
        self.errors: dict[str, list[str]] = {}

    def add(self, row: int, column: str, message: str, *, letter: str = "") -> None:
        letter = letter or (self.table.letter(column) if self.table else "")
        place = _("第%(row)s行 %(col)s") % {"row": row, "col": column} + (f"({letter})" if letter else "")
        self.errors.setdefault(place, []).append(message)

    def __bool__(self) -> bool:
        return bool(self.errors)

    def __len__(self) -> int:
        return sum(len(messages) for messages in self.errors.values())


@dataclass
class Preview:
    """What a file would do, written nothing yet: the rows to create, update and skip (each a short text, e.g.
    "第5行 科技有限公司"), the look-alike duplicates to check (``notes``) and the problems. ``items`` is the
    importer's own reading of the file, handed back to it to write."""

    create: list = field(default_factory=list)
    update: list = field(default_factory=list)
    skip: list = field(default_factory=list)
    notes: list = field(default_factory=list)
    errors: dict = field(default_factory=dict)
    items: object = None

    def summary(self) -> dict:
        """What an ``ImportRun`` keeps of it: the counts, the first rows of each action, the notes and errors."""
        return {"create": len(self.create), "update": len(self.update), "skip": len(self.skip),
                "create_rows": self.create[:SAMPLE_ROWS], "update_rows": self.update[:SAMPLE_ROWS],
                "skip_rows": self.skip[:SAMPLE_ROWS], "notes": self.notes[:500], "errors": self.errors}


def _filled(sheet, columns: list[str], examples: list[list]) -> None:
    """A template's sheet: its headers in bold on a frozen first row, wide enough to read, then the examples."""
    sheet.append(columns)
    for example in examples:
        sheet.append(example)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDEBF7")
    for index, name in enumerate(columns, 1):
        sheet.column_dimensions[get_column_letter(index)].width = max(12, len(name) * 2 + 4)
    sheet.freeze_panes = "A2"


def template_workbook(*, title: str, columns: list[str], examples: list[list], instructions: list[tuple[str, str]],
                      text_columns: tuple = (), date_columns: tuple = (), money_columns: tuple = (),
                      further: tuple = ()) -> bytes:
    """A template: the headers in bold on a frozen first row, an example row, text columns kept as text (credit
    codes, phones and numbers keep their digits), and a 填写说明 sheet; ``further``: (title, columns, examples) of
    further sheets the importer reads from the same workbook."""
    book = Workbook()
    sheet = book.active
    sheet.title = title[:31]
    _filled(sheet, columns, examples)
    for index, name in enumerate(columns, 1):
        formats = (("@", text_columns), ("yyyy-mm-dd", date_columns), ("#,##0.00", money_columns))
        number_format = next((f for f, names in formats if name in names), None)
        if number_format:
            for row in range(2, max(len(examples), 200) + 2):
                sheet.cell(row=row, column=index).number_format = number_format
    for further_title, further_columns, further_examples in further:
        _filled(book.create_sheet(further_title), further_columns, further_examples)
    notes = book.create_sheet(_("填写说明"))
    notes.append([_("列"), _("说明")])
    for item in instructions:
        notes.append(list(item))
    notes.append([_("文件"), _("支持 .xlsx 和 .csv（UTF-8 或 GBK 编码）；最多 %(rows)s 行（不含表头）。列的顺序不限，按表头识别。")
                  % {"rows": MAX_ROWS}])
    notes.append([_("导入规则"), _("上传后先预览将新建、更新、跳过的行；任何一处有误，整个文件都不导入，并逐一列出行、列和原因。")])
    notes.column_dimensions["A"].width = 24
    notes.column_dimensions["B"].width = 100
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
