"""Dates as Chinese users type them: 2024-05-10, 2024/05/10, 2024.05.10, 20240510, 2024年5月10日."""
import re
from datetime import date, datetime
from typing import Annotated

from pydantic import BeforeValidator

PATTERN = re.compile(r"^\s*(\d{4})\s*(?:[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?|(\d{2})(\d{2}))\s*$")


def parse_date(value) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    match = PATTERN.match(str(value))
    if not match:
        raise ValueError(f"not a date: {value!r}")
    year, month, day = match.group(1), match.group(2) or match.group(4), match.group(3) or match.group(5)
    return date(int(year), int(month), int(day))


def _lenient(value):
    if value is None or value == "" or isinstance(value, date):
        return value or None
    try:
        return parse_date(value)
    except ValueError:
        return value  # pydantic then reports it as a bad date, in the user's language


DateIn = Annotated[date, BeforeValidator(_lenient)]
