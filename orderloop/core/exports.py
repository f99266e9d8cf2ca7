"""What goes into a cell of a file taken out of the system (.xlsx and .csv): the one helper every writer uses.

People type text that a spreadsheet would run: a customer named ``=HYPERLINK("http://…")``, an action item
``-2+3``, a note ``@SUM(A1)`` (OWASP: CSV injection). In no exported file is such a text a formula, and it
still reads as typed:

- .xlsx (orders/xlsx.py writes every workbook): text is an explicit string cell (``t="inlineStr"``), never
  a formula (``<f>``), whatever it begins with; ``cell_text`` drops the characters XML 1.0 cannot hold (a
  vertical tab in a customer name), which the file could not carry and the reader would refuse.
- .csv: a text cell that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return is written with a
  single quote in front (``csv_cell``), so Excel and WPS show it as text.

Numbers and dates that are real numbers stay numbers: a negative amount is a number, not text.
"""
import re
from datetime import date
from decimal import Decimal

# Characters XML 1.0 cannot hold (and lone surrogates, which UTF-8 cannot): dropped from every text cell.
ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
NUMBERS = (int, float, Decimal)  # bool is an int: a checkbox's answer, written as TRUE/FALSE


def cell_text(value) -> str:
    """A text cell's content: the text as typed, less the characters no spreadsheet file can hold."""
    return ILLEGAL.sub("", str(value))


def is_number(value) -> bool:
    return isinstance(value, NUMBERS)


def csv_cell(value):
    """A value for a .csv cell: empty for None, numbers as they are, dates as YYYY-MM-DD, text as typed with a
    single quote in front when it begins with a formula trigger."""
    if value is None:
        return ""
    if is_number(value):
        return value
    if isinstance(value, date):
        return value.isoformat()
    text = cell_text(value)
    return "'" + text if text.startswith(FORMULA_TRIGGERS) else text


def csv_row(row) -> list:
    return [csv_cell(value) for value in row]
