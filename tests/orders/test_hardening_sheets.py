"""Row bombs: a workbook of a few kilobytes that unpacks to millions of rows or cells is refused at the limit,
quickly, with a message naming it, wherever a spreadsheet is read (the import, a mail's attachment); a mail of
the order mailbox is taken in within its time limit, and one that is refused is kept with its reason and not
fetched again."""
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.core.exceptions import InvalidInput
from orderloop.orders import mail as mail_module
from orderloop.orders.importing import orders_import
from orderloop.orders.mail import mail_convert, mailbox_poll, mailbox_take_in
from orderloop.orders.models import IncomingMail, SalesOrder
from orderloop.orders.registers import REGISTER_1
from orderloop.orders.sheets import MAX_COLUMNS, MAX_ROWS, MAX_SHEET_ROWS, sheet_rows
from tests.support.api_client import Api
from tests.support.hostile import XLSX, declared_bomb, mail_with, row_bomb, rows_of_text, wide_row
from tests.support.mails import order_mail

ROW_LIMIT = f"表格超过 {MAX_ROWS} 行（不含表头），未读取"
COLUMN_LIMIT = f"表格超过 {MAX_COLUMNS} 列，未读取"
DIMENSION_LIMIT = f"表格声明的范围 A1:Z2000000 超过 {MAX_ROWS} 行（不含表头）或 {MAX_COLUMNS} 列，未读取"
FAR_ABOVE_NORMAL = 10  # seconds: the refusal takes a fraction of one; before, a bomb held a worker 30–100 s


def test_two_million_empty_rows_are_refused_at_the_row_limit_through_the_api(users, customer, product):
    bomb = row_bomb(REGISTER_1)
    assert len(bomb) < 100_000
    api = Api("sales_assistant")
    started = time.monotonic()
    response = api.client.post("/api/orders/import", {"file": SimpleUploadedFile("orders.xlsx", bomb)},
                               HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert time.monotonic() - started < FAR_ABOVE_NORMAL
    # the sheet's XML is broken after its last row: reading them all would have said 无法读取
    assert response.status_code == 422
    assert response.json()["errors"] == {"file": [ROW_LIMIT]}
    assert SalesOrder.objects.count() == 0


def test_a_sheet_declaring_two_million_rows_is_refused_on_the_import_page(users, customer, product):
    client = Client()
    client.force_login(users["sales_assistant"])
    response = client.post("/orders/import/", {"file": SimpleUploadedFile("orders.xlsx", declared_bomb(REGISTER_1))})
    assert response.status_code == 422
    assert DIMENSION_LIMIT in response.content.decode()
    assert SalesOrder.objects.count() == 0


def test_a_row_of_a_million_cells_is_refused_at_the_column_limit(users, customer, product):
    with pytest.raises(InvalidInput) as refused:
        orders_import(actor=users["sales_assistant"], content=wide_row(REGISTER_1))
    assert refused.value.errors == {"file": [COLUMN_LIMIT]}


def test_the_limit_is_the_header_and_ten_thousand_rows():
    assert len(sheet_rows(rows_of_text(MAX_SHEET_ROWS))) == MAX_SHEET_ROWS
    with pytest.raises(InvalidInput) as refused:
        sheet_rows(rows_of_text(MAX_SHEET_ROWS + 1))
    assert refused.value.message == ROW_LIMIT


def test_the_import_page_states_the_limits(users):
    client = Client()
    client.force_login(users["sales_assistant"])
    page = client.get("/orders/import/").content.decode()
    assert f"一个文件最多 {MAX_ROWS} 行（不含表头）、{MAX_COLUMNS} 列" in page


def test_an_eml_with_a_row_bomb_is_refused_and_nothing_is_kept(users, customer, product):
    customer.contacts.update(email="li@keji.example")
    client = Client()
    client.force_login(users["sales_assistant"])
    raw = mail_with([("采购订单.xlsx", row_bomb(REGISTER_1), XLSX)])
    response = client.post("/orders/mail/", {"file": SimpleUploadedFile("order.eml", raw)})
    assert response.status_code == 422 and ROW_LIMIT in response.content.decode()
    assert IncomingMail.objects.count() == 0 and SalesOrder.objects.count() == 0


def test_a_mail_over_its_time_limit_is_kept_refused_and_can_still_become_an_order(users, customer, product, monkeypatch):
    customer.contacts.update(email="li@keji.example")
    monkeypatch.setattr(mail_module, "MAIL_SECONDS", 0)
    incoming = mailbox_take_in(order_mail())
    assert incoming.state == "refused" and incoming.order is None and SalesOrder.objects.count() == 0
    assert incoming.reason == "处理邮件超时（超过 0 秒），未生成订单"
    assert incoming.customer == customer and incoming.raw.size > 0
    assert mailbox_take_in(order_mail()).pk == incoming.pk  # the same mail again is the one kept, not another try
    client = Client()
    client.force_login(users["sales_assistant"])
    page = client.get("/orders/mail/").content.decode()
    assert "未能接收：处理邮件超时（超过 0 秒），未生成订单" in page
    monkeypatch.setattr(mail_module, "MAIL_SECONDS", 20)
    converted = mail_convert(incoming_id=incoming.pk, actor=users["sales_assistant"], customer_id=customer.pk)
    assert converted.state == "converted" and converted.order.lines.count() == 1 and converted.reason == ""


def test_a_row_bomb_in_the_order_mailbox_is_kept_with_its_reason_and_not_fetched_again(imap_server, users, customer,
                                                                                       product, settings):
    customer.contacts.update(email="li@keji.example")
    imap_server.deliver(mail_with([("采购订单.xlsx", row_bomb(REGISTER_1), XLSX)]))
    imap_server.deliver(order_mail(message_id="<order-after-the-bomb@keji.example>"))
    settings.ORDERLOOP_ORDER_MAILBOX = imap_server.url
    started = time.monotonic()
    assert mailbox_poll() == 2
    assert time.monotonic() - started < FAR_ABOVE_NORMAL
    refused = IncomingMail.objects.get(state="refused")
    assert refused.reason == ROW_LIMIT and refused.customer == customer and refused.order is None
    assert SalesOrder.objects.count() == 1  # the next mail was taken in all the same
    assert imap_server.unseen() == 0
    assert mailbox_poll() == 0 and IncomingMail.objects.count() == 2  # never fetched again
    client = Client()
    client.force_login(users["sales_assistant"])
    assert f"未能接收：{ROW_LIMIT}" in client.get("/orders/mail/").content.decode()
