"""HTML injection: a customer named <script>alert(1)</script>, feedback and file names carrying markup, and
uploaded .html files are harmless everywhere they appear: escaped on every page, literal in PDFs and
exports, refused or served as downloads as files, and no script runs in a real browser."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfReader

from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from tests.support.api_client import Api
from tests.support.browser import accept_dialog, log_in

EVIL = "<script>alert(1)</script>"
EVIL_TEXT = '<img src=x onerror="alert(2)">'
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def evil_order(orders, users, customer):
    customer.name = EVIL
    customer.save()
    with clock.frozen_at(datetime(2026, 5, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        order = orders.at("delivered", remarks=EVIL_TEXT)
        ticket_open(order_id=order.pk, actor=users["account_manager"], ticket_type="complaint", description=EVIL_TEXT)
    uploaded = Api("account_manager").upload(f"/orders/{order.ref}/attachments", kind="photo",
                                              file=SimpleUploadedFile(f"{EVIL_TEXT}.png", _png()))
    assert uploaded.status_code == 201, uploaded.content
    return order


def _png():
    from tests.support.orders import PNG

    return PNG


def pages(order):
    ticket = order.tickets.get()
    return [
        "/today/", "/orders/", f"/orders/{order.ref}/", "/board/", "/tickets/", f"/tickets/{ticket.pk}/",
        f"/tickets/{ticket.pk}/record/", "/registers/progress/", "/registers/feedback/", "/registers/logistics/",
        f"/orders/{order.ref}/documents/review/", f"/orders/{order.ref}/documents/internal/",
        f"/orders/{order.ref}/documents/acceptance/", f"/orders/{order.ref}/documents/progress/",
        f"/orders/{order.ref}/documents/shipment/", f"/orders/{order.ref}/documents/visit/", "/reviews/2026-05/",
        "/inbox/", "/audit/",
    ]


def test_markup_typed_by_anyone_is_escaped_on_every_page(evil_order, users):
    client = Client()
    client.force_login(users["sales_director"])
    for path in pages(evil_order):
        html = client.get(path).content.decode()
        assert EVIL not in html and EVIL_TEXT not in html, path
    order_page = client.get(f"/orders/{evil_order.ref}/").content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in order_page  # shown, as text
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in order_page


def test_pdfs_and_exports_hold_the_name_as_plain_text(evil_order, users):
    client = Client()
    client.force_login(users["sales_director"])
    for path in (f"/orders/{evil_order.ref}/documents/confirmation.pdf", f"/orders/{evil_order.ref}/documents/receipt-1.pdf"):
        response = client.get(path)
        assert response.status_code == 200, path
        text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
        assert "alert(1)" in text, path
    csv = client.get("/registers/logistics.csv").getvalue().decode("utf-8-sig")
    assert EVIL in csv  # a CSV is data: the name as the customer wrote it


def test_an_uploaded_html_file_is_refused_and_a_stored_one_is_only_a_download(evil_order, users):
    api = Api("account_manager")
    refused = api.upload(f"/orders/{evil_order.ref}/attachments", kind="photo",
                         file=SimpleUploadedFile("photo.html", b"<html><script>alert(3)</script></html>", "text/html"))
    assert refused.status_code == 422 and "只能上传 PDF、JPG 或 PNG 文件" in refused.json()["errors"]["file"]
    photo = evil_order.attachments.get(kind="photo")
    client = Client()
    client.force_login(users["account_manager"])
    download = client.get(f"/orders/{evil_order.ref}/attachments/{photo.pk}/")
    assert download["Content-Disposition"].startswith("attachment")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_no_script_runs_in_a_browser(browser, web_server, evil_order):
    page = log_in(browser, web_server, "sales_director")
    dialogs = []
    page.remove_listener("dialog", accept_dialog)
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    for path in pages(evil_order):
        page.goto(web_server.url + path)
    assert dialogs == []
    page.goto(f"{web_server.url}/orders/{evil_order.ref}/")
    assert page.get_by_text(EVIL).first.is_visible()
