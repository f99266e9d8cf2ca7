"""Orders by e-mail: the mail and its attachments kept, the sender matched, the spreadsheet read into lines."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.core.exceptions import InvalidInput
from orderloop.orders.mail import mail_receive
from orderloop.orders.models import IncomingMail, SalesOrder
from orderloop.orders.lifecycle.engine import perform_action
from tests.support.mails import order_mail


def test_an_eml_upload_becomes_a_draft_with_its_mail_and_lines(users, customer, product):
    customer.contacts.update(email="li@keji.example")
    client = Client()
    client.force_login(users["sales_assistant"])
    response = client.post("/orders/mail/", {"file": SimpleUploadedFile("order.eml", order_mail())})
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response.url == f"/orders/{order.ref}/"
    assert (order.status, order.channel, order.customer, order.contact_name) == ("received", "email", customer, "李*")
    assert order.contact_phone == "+8613800001111"
    assert [(l.model, l.quantity, l.unit_price) for l in order.lines.all()] == [("S-001", 10, 5000)]
    assert order.total_amount == 50000 and "采购订单：服务器A型 10台" in order.remarks
    assert sorted((a.kind, a.filename) for a in order.attachments.all()) == [
        ("mail_attachment", "盖章版.pdf"), ("mail_attachment", "采购订单.xlsx"), ("source_mail", "mail.eml")]
    assert order.entered_by == users["sales_assistant"]
    page = client.get(f"/orders/{order.ref}/").content.decode()
    assert "盖章版.pdf" in page and "原始邮件" in page


def test_attachments_are_downloads_for_those_who_see_the_order(users, customer, product):
    customer.contacts.update(email="li@keji.example")
    incoming = mail_receive(raw=order_mail(), actor=users["sales_assistant"])
    attachment = incoming.order.attachments.get(filename="盖章版.pdf")
    client = Client()
    client.force_login(users["sales_assistant"])
    response = client.get(f"/orders/{incoming.order.ref}/attachments/{attachment.pk}/")
    assert response.status_code == 200 and response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"].startswith("attachment;")
    assert b"".join(response.streaming_content) == b"%PDF-1.4 scanned purchase order"
    stranger = Client()
    stranger.force_login(users["after_sales"])
    assert stranger.get(f"/orders/{incoming.order.ref}/attachments/{attachment.pk}/").status_code == 404


def test_an_unknown_sender_waits_until_a_user_names_the_customer(users, customer, product):
    incoming = mail_receive(raw=order_mail(sender="采购部 <buyer@unknown.example>"))
    assert incoming.state == "waiting" and incoming.order is None and SalesOrder.objects.count() == 0
    client = Client()
    client.force_login(users["sales_assistant"])
    assert "buyer@unknown.example" in client.get("/orders/mail/").content.decode()
    response = client.post("/orders/mail/", {"incoming": incoming.pk, "customer_id": customer.pk})
    incoming.refresh_from_db()
    assert incoming.state == "converted" and response.url == f"/orders/{incoming.order.ref}/"
    assert incoming.order.lines.count() == 1 and incoming.order.contact_name == "采购部"


def test_the_same_mail_twice_makes_one_order(users, customer, product):
    customer.contacts.update(email="li@keji.example")
    first = mail_receive(raw=order_mail(), actor=users["sales_assistant"])
    again = mail_receive(raw=order_mail(), actor=users["sales_assistant"])
    assert first.pk == again.pk and SalesOrder.objects.count() == 1 and IncomingMail.objects.count() == 1


def test_a_mail_without_a_spreadsheet_is_a_draft_without_lines(users, customer, product):
    customer.contacts.update(email="li@keji.example")
    order = mail_receive(raw=order_mail(with_sheet=False), actor=users["sales_assistant"]).order
    assert order.lines.count() == 0 and order.total_amount == 0
    with pytest.raises(InvalidInput) as refused:
        perform_action(order_id=order.pk, action_name="review", actor=users["sales_assistant"], data={"verdict": "pass"})
    assert refused.value.errors["lines"] == ["订单没有产品行"]


def test_not_a_mail_is_refused(users):
    client = Client()
    client.force_login(users["sales_assistant"])
    response = client.post("/orders/mail/", {"file": SimpleUploadedFile("x.eml", b"hello")})
    assert response.status_code == 422 and "缺少发件人" in response.content.decode()


def test_a_mail_delivered_to_the_order_mailbox_becomes_an_order(imap_server, users, customer, product, settings):
    customer.contacts.update(email="li@keji.example")
    imap_server.deliver(order_mail())
    imap_server.deliver(order_mail(sender="陌生人 <x@unknown.example>", message_id="<order-2@unknown.example>"))
    settings.ORDERLOOP_ORDER_MAILBOX = imap_server.url
    from orderloop.orders.mail import mailbox_poll

    assert mailbox_poll() == 2
    order = SalesOrder.objects.get()
    assert order.entered_by is None and order.channel == "email" and order.lines.count() == 1
    assert order.attachments.filter(kind="source_mail").exists()
    assert IncomingMail.objects.filter(state="waiting").count() == 1
    assert imap_server.unseen() == 0
    assert mailbox_poll() == 0  # nothing new


def test_a_mail_with_its_order_in_the_text_becomes_a_draft_with_its_lines(users, customer, product):
    customer.contacts.update(email="li@keji.example")
    body = ("您好，本次采购：\n服务器A型 S-001 10台 单价5000\nX-999 2台 单价100\n"
            "付款方式：月结30天\n交货地址：上海市浦东新区张江路88号")
    order = mail_receive(raw=order_mail(with_sheet=False, body=body), actor=users["sales_assistant"]).order
    assert [(l.model, l.quantity, l.unit_price) for l in order.lines.all()] == [("S-001", 10, 5000)]
    assert order.total_amount == 50000
    assert (order.payment_terms, order.delivery_address) == ("月结30天", "上海市浦东新区张江路88号")
    assert order.remarks.startswith("识别提示：未知型号「X-999」")  # the reviewer sees what was not taken in
