"""Many rows of HTML from one format string: a list's rows, a picker's options.

``format_html_join`` escapes each value through Django's lazy-aware ``conditional_escape``; for a page of fifty
rows of a dozen cells, or three hundred options, those calls were a large part of the page's time. ``rows_html``
escapes each value once with the standard library (the same five characters, ``&<>"'``), leaves values already
marked safe as they are, and marks the joined result safe."""
from collections.abc import Iterable
from html import escape

from django.utils.safestring import SafeData, SafeString, mark_safe


def rows_html(template: str, rows: Iterable[Iterable]) -> SafeString:
    """``template`` (str.format, positional ``{}``) filled with each row's values, escaped, joined."""
    return mark_safe("".join(template.format(*(value if isinstance(value, SafeData) else escape(str(value))
                                               for value in row)) for row in rows))
