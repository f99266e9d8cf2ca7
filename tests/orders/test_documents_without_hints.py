"""No form hint is printed: the documents of a fully walked order (the printable tables and the PDFs) hold the
order's facts and their labels, never a form's placeholder, help text or hint — collected here from the product's
own templates, models and forms, so a hint added later is checked too."""
import ast
import io
import re
from html.parser import HTMLParser
from pathlib import Path

from django.apps import apps
from django.test import Client
from django.utils import translation
from pypdf import PdfReader

from orderloop.orders.labels import HINTS

ROOT = Path(__file__).resolve().parents[2] / "orderloop"
PLACEHOLDER = re.compile(r"""placeholder="(?:\{%\s*translate\s+['"]([^'"]+)['"]\s*%\}|([^"{]+))\"""")
HINT_NAMES = {"help_text", "placeholder", "hint"}
DOCUMENTS = ["review", "internal", "progress", "shipment", "visit", "acceptance", "confirmation.pdf", "receipt-1.pdf"]


def _hint_strings_in_forms() -> set[str]:
    """Every string given as help_text=, placeholder= or a "hint"/"placeholder" entry in a forms module."""
    found = set()
    for path in ROOT.rglob("forms.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            values = []
            if isinstance(node, ast.keyword) and node.arg in HINT_NAMES:
                values.append(node.value)
            if isinstance(node, ast.Dict):
                values += [v for k, v in zip(node.keys, node.values) if isinstance(k, ast.Constant) and k.value in HINT_NAMES]
            if isinstance(node, ast.Assign) and any(isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant)
                                                    and t.slice.value in HINT_NAMES for t in node.targets):
                values.append(node.value)
            for value in values:
                found |= {c.value for c in ast.walk(value) if isinstance(c, ast.Constant) and isinstance(c.value, str)}
    return found


def form_hints() -> set[str]:
    hints = set(HINTS.values()) | _hint_strings_in_forms()
    for path in ROOT.rglob("*.html"):
        hints |= {a or b for a, b in PLACEHOLDER.findall(path.read_text())}
    for model in apps.get_models():
        hints |= {str(f.help_text) for f in model._meta.get_fields() if getattr(f, "help_text", "")}
    return {h.strip() for h in hints if len(h.strip()) >= 4 and re.search(r"[\u4e00-\u9fff]", h)}


class _DocumentText(HTMLParser):
    """The printed part of a page: the text and attribute values inside <article class="document">."""

    def __init__(self):
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        if self.depth or (tag == "article" and "document" in (dict(attrs).get("class") or "")):
            self.depth += 1
            self.parts += [value for _, value in attrs if value]

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def document_text(response) -> str:
    if response["Content-Type"] == "application/pdf":
        return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    parser = _DocumentText()
    parser.feed(response.content.decode())
    assert parser.parts, "the page has no printable document"
    return " ".join(parser.parts)


def test_the_hints_are_collected():
    hints = form_hints()
    for known in ("如包装、定制化要求等", "默认为标准单价", "0 表示未设额度", "留空自动计算"):
        assert known in hints, known


def test_no_document_of_a_walked_order_prints_a_form_hint(orders, users):
    order = orders.at("closed", special_requirements="")
    client = Client()
    client.force_login(users["sales_director"])
    # a placeholder that shows an example value (30%预付,余款到付) may be this order's own value: that is printed
    own = {str(getattr(order, f.attname)) for f in order._meta.concrete_fields}
    hints = form_hints() - own
    with translation.override("zh-hans"):
        for document in DOCUMENTS:
            response = client.get(f"/orders/{order.ref}/documents/{document}" + ("" if "." in document else "/"))
            assert response.status_code == 200, document
            text = document_text(response)
            assert order.number in text, document
            leaked = sorted(hint for hint in hints if hint in text)
            assert not leaked, (document, leaked)
