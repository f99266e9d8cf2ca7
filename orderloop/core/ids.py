"""Ids that come from outside (a query string, a form field, a JSON body).

A row's id is a whole number from 1 to 2**63 - 1 (BigAutoField). Anything else names no row, and asking the
database about it fails instead of finding nothing: SQLite cannot bind an integer beyond 64 bits
(OverflowError), PostgreSQL refuses it as out of range, ``int()`` refuses "abc", "²" (a digit to
``str.isdigit``) and more than 4300 digits. Such an id is no id: the filter is left out, the lookup finds nothing.
"""
MAX_ID = 2**63 - 1


def id_or_none(value) -> int | None:
    """The id ``value`` names, or None: blank, junk, a digit that is not ASCII, zero, negative or beyond 64 bits."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    else:
        text = str(value).strip() if value is not None else ""
        if not (text.isascii() and text.isdigit()) or len(text) > len(str(MAX_ID)):
            return None
        number = int(text)
    return number if 0 < number <= MAX_ID else None


def db_ids(values) -> set[int]:
    """The ids among ``values`` that a row can have (for ``pk__in`` and ``in_bulk``, which the database would
    otherwise be asked about)."""
    return {number for number in map(id_or_none, values) if number is not None}
