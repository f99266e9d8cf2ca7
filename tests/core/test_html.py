"""core.html.rows_html: every value escaped once, values already safe kept, the result safe to put in a page."""
from django.utils.html import format_html_join
from django.utils.safestring import SafeData, mark_safe

from orderloop.core.html import rows_html


def test_rows_are_filled_and_every_value_escaped_as_django_escapes_it():
    rows = [(1, 'A&B <b>"引号"</b>', "it's"), (2, "普通客户", "")]
    html = rows_html('<option value="{}" title="{}">{}</option>', rows)
    assert isinstance(html, SafeData)
    assert html == format_html_join("", '<option value="{}" title="{}">{}</option>', rows)
    assert html == ('<option value="1" title="A&amp;B &lt;b&gt;&quot;引号&quot;&lt;/b&gt;">it&#x27;s</option>'
                    '<option value="2" title="普通客户"></option>')


def test_a_value_marked_safe_is_kept_as_it_is():
    assert rows_html('<option{}>{}</option>', [(mark_safe(" selected"), "<x>")]) == "<option selected>&lt;x&gt;</option>"
