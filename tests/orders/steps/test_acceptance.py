"""Acceptance at the customer's door and the receipt that proves delivery."""
import io
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pypdf import PdfReader

from orderloop.aftersales.models import Ticket
from orderloop.core import clock
from orderloop.notifications.models import Notification
from orderloop.orders.models import Attachment, SalesOrder
from orderloop.orders.links import receipt_token
from tests.support.orders import PNG

SH = ZoneInfo("Asia/Shanghai")


def stored_files() -> set[str]:
    root = settings.MEDIA_ROOT
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()} if root.exists() else set()


@pytest.fixture
def shipped(orders):
    return orders.at("shipped")


def web(user):
    client = Client()
    client.force_login(user)
    return client


ALL_PASS = {"quantity_ok": "true", "spec_ok": "true", "appearance_ok": "true"}


def test_an_item_not_up_to_standard_becomes_a_ticket_with_its_note_and_photos(shipped, users):
    client = web(users["account_manager"])
    assert client.get(f"/orders/{shipped.number}/acceptance/").status_code == 200
    response = client.post(f"/orders/{shipped.number}/actions/accept/", {
        "shipment_id": str(shipped.shipments.get().pk), "quantity_ok": "true", "spec_ok": "true",
        "appearance_ok": "false", "appearance_note": "1台外壳破损",
        "appearance_photo_attachment_ids": [SimpleUploadedFile("damage.png", PNG, content_type="image/png"),
                                            SimpleUploadedFile("damage-2.png", PNG, content_type="image/png")]})
    assert response.status_code == 302, response.content.decode()[:500]
    order = SalesOrder.objects.get(pk=shipped.pk)
    assert order.status == "shipped"  # accepted, but nobody has signed yet
    ticket = Ticket.objects.get(order=order)
    assert (ticket.ticket_type, ticket.description) == ("damage", "验收问题（第 1 批，外观不合格）：1台外壳破损")
    assert sorted(p.filename for p in ticket.photos.all()) == ["damage-2.png", "damage.png"]
    shipment = order.shipments.get()
    assert [(i.item, i.passed, i.note, i.ticket_id) for i in shipment.acceptance_items.all()] == [
        ("quantity", True, "", None), ("spec", True, "", None), ("appearance", False, "1台外壳破损", ticket.pk)]
    told = set(Notification.objects.filter(event="ticket_opened").values_list("recipient__username", flat=True))
    assert told == {"after_sales", "sales_manager"}
    record = client.get(f"/orders/{order.number}/documents/acceptance/").content.decode()
    assert "验收问题记录表" in record and "1台外壳破损" in record and "damage.png" in record and "✗ 不合格" in record


@pytest.mark.parametrize("answers, message, field", [
    ({}, "请逐项验收：数量、规格、外观 尚未选择合格或不合格", "quantity_ok"),
    ({"quantity_ok": "true", "appearance_ok": "true"}, "请逐项验收：规格 尚未选择合格或不合格", "spec_ok"),
    ({**ALL_PASS, "spec_ok": "false"}, "「规格」不合格：请填写说明", "spec_note"),
])
def test_an_item_not_answered_or_not_up_to_standard_without_a_note_changes_nothing(shipped, users, answers, message,
                                                                                     field):
    client = web(users["account_manager"])
    before = stored_files()
    response = client.post(f"/orders/{shipped.number}/actions/accept/", {
        **answers, "spec_photo_attachment_ids": SimpleUploadedFile("spec.png", PNG, content_type="image/png")})
    page = response.content.decode()
    assert response.status_code == 422 and message in page
    assert f'name="{field}"' in page  # the form is back, with what was chosen
    assert stored_files() == before
    shipment = shipped.shipments.get()
    assert shipment.accepted_at is None and not shipment.acceptance_items.exists() and not Ticket.objects.exists()


def test_an_acceptance_that_fails_after_the_upload_keeps_no_photo(shipped, users):
    client = web(users["account_manager"])
    before = stored_files()
    response = client.post(f"/orders/{shipped.number}/actions/accept/", {
        **ALL_PASS, "appearance_ok": "false", "appearance_note": "破损",
        "appearance_photo_attachment_ids": SimpleUploadedFile("damage.png", PNG, content_type="image/png"),
        "receipt_attachment_id": SimpleUploadedFile("receipt.png", PNG, content_type="image/png")})  # no signer
    assert response.status_code == 422 and "上传签收单时须填写签收人" in response.content.decode()
    assert stored_files() == before
    assert not Attachment.objects.filter(order=shipped).exclude(kind="receipt", filename="签收单.png").exists()
    assert not Ticket.objects.exists()


@pytest.mark.parametrize("upload, message", [
    (SimpleUploadedFile("big.png", PNG + b"\x00" * (10 * 1024 * 1024)), "文件过大（最大 10 MB）"),
    (SimpleUploadedFile("page.html", b"<html><script>alert(1)</script></html>"), "只能上传 PDF、JPG 或 PNG 文件"),
])
def test_an_upload_too_large_or_not_an_image_is_refused_and_leaves_nothing(shipped, users, upload, message):
    client = web(users["account_manager"])
    before = stored_files()
    response = client.post(f"/orders/{shipped.number}/actions/accept/", {
        **ALL_PASS, "signed_by": "李*", "receipt_attachment_id": upload})
    assert response.status_code == 422 and message in response.content.decode()
    assert stored_files() == before
    assert SalesOrder.objects.get(pk=shipped.pk).status == "shipped"


def test_a_signed_scan_with_the_acceptance_delivers_the_order(shipped, users):
    client = web(users["logistics"])
    response = client.post(f"/orders/{shipped.number}/actions/accept/", {
        **ALL_PASS, "signed_by": "李*",
        "receipt_attachment_id": SimpleUploadedFile("签收单.pdf", b"%PDF-1.4\n%%EOF\n")})
    assert response.status_code == 302
    order = SalesOrder.objects.get(pk=shipped.pk)
    shipment = order.shipments.get()
    assert order.status == "delivered" and (shipment.received_by_name, shipment.receipt_via) == ("李*", "scan")
    assert shipment.attachments.get().kind == "receipt"


def test_the_receipt_link_works_once_records_who_and_when_and_gives_the_pdf(shipped, users):
    shipment = shipped.shipments.get()
    with clock.frozen_at(datetime(2030, 5, 21, 9, 0, tzinfo=SH)):
        token = receipt_token(shipment)  # sent with the shipment
    staff_page = web(users["account_manager"]).get(f"/orders/{shipped.number}/").content.decode()
    assert "/receipt/" in staff_page  # the link the account manager sends
    customer = Client()  # no account
    with clock.frozen_at(datetime(2030, 5, 23, 15, 0, tzinfo=SH)):
        page = customer.get(f"/receipt/{token}/")
    assert page.status_code == 200 and shipped.number in page.content.decode() and "服务器A型" in page.content.decode()
    with clock.frozen_at(datetime(2030, 5, 23, 15, 30, tzinfo=SH)):
        done = customer.post(f"/receipt/{token}/", {"signed_by": "李四"}, REMOTE_ADDR="203.0.113.7")
    assert done.status_code == 200 and "已由 李四 于 2030-05-23 15:30 确认签收" in done.content.decode()
    shipment.refresh_from_db()
    assert (shipment.received_by_name, shipment.receipt_via, shipment.receipt_address) == ("李四", "link", "203.0.113.7")
    assert shipment.received_at == datetime(2030, 5, 23, 15, 30, tzinfo=SH)
    order = SalesOrder.objects.get(pk=shipped.pk)
    assert order.status == "delivered"
    event = order.events.get(type="receipt_confirmed")
    assert event.actor is None and event.payload["signed_by"] == "李四"

    with clock.frozen_at(datetime(2030, 5, 24, 9, 0, tzinfo=SH)):
        again = customer.post(f"/receipt/{token}/", {"signed_by": "王五"})
    assert "已由 李四" in again.content.decode()
    shipment.refresh_from_db()
    assert shipment.received_by_name == "李四"

    pdf = web(users["account_manager"]).get(f"/orders/{order.number}/documents/receipt-1.pdf")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert order.number in text and "服务器A型" in text and "S-001" in text and "李四" in text and "2030-05-23 15:30" in text


def test_the_receipt_link_expires_and_refuses_a_tampered_token(shipped):
    shipment = shipped.shipments.get()
    issued = datetime(2030, 5, 21, 9, 0, tzinfo=SH)
    with clock.frozen_at(issued):
        token = receipt_token(shipment)
    customer = Client()
    with clock.frozen_at(issued + timedelta(days=settings.ORDERLOOP_RECEIPT_LINK_DAYS, seconds=1)):
        expired = customer.post(f"/receipt/{token}/", {"signed_by": "李四"})
    assert expired.status_code == 410 and "签收链接已过期" in expired.content.decode()
    tampered = token[:-2] + ("AA" if token[-2:] != "AA" else "BB")
    with clock.frozen_at(issued + timedelta(days=1)):
        assert customer.post(f"/receipt/{tampered}/", {"signed_by": "李四"}).status_code == 404
        assert customer.get(f"/receipt/{token}/").status_code == 200  # the genuine link still works
    shipment.refresh_from_db()
    assert shipment.received_at is None and SalesOrder.objects.get(pk=shipped.pk).status == "shipped"


def pdf_text(content: bytes) -> str:
    return "".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


def test_the_receipt_shows_the_issues_recorded_at_acceptance_and_keeps_the_customers_remark(shipped, users):
    staff = web(users["account_manager"])
    response = staff.post(f"/orders/{shipped.number}/actions/accept/", {
        **ALL_PASS, "appearance_ok": "false", "appearance_note": "1台外壳凹陷",
        "appearance_photo_attachment_ids": SimpleUploadedFile("dent.png", PNG, content_type="image/png")})
    assert response.status_code == 302
    shipment = shipped.shipments.get()
    photo = shipment.attachments.get(kind="photo")
    token = receipt_token(shipment)

    customer = Client()  # no account
    page = customer.get(f"/receipt/{token}/").content.decode()
    assert "1台外壳凹陷" in page and "不合格" in page and f"/receipt/{token}/photos/{photo.pk}/" in page
    shown = customer.get(f"/receipt/{token}/photos/{photo.pk}/")
    assert shown.status_code == 200 and shown["Content-Type"] == "image/png" and b"".join(shown.streaming_content) == PNG
    assert customer.get(f"/receipt/{token[:-2]}xx/photos/{photo.pk}/").status_code == 404

    done = customer.post(f"/receipt/{token}/", {"signed_by": "李四", "remark": "凹陷一台，等待换货"},
                         REMOTE_ADDR="203.0.113.7")
    assert done.status_code == 200 and "凹陷一台，等待换货" in done.content.decode()
    shipment.refresh_from_db()
    assert (shipment.receipt_remark, shipment.receipt_address) == ("凹陷一台，等待换货", "203.0.113.7")
    assert "凹陷一台，等待换货" in staff.get(f"/orders/{shipped.number}/").content.decode()  # staff see it

    text = pdf_text(staff.get(f"/orders/{shipped.number}/documents/receipt-1.pdf").content)
    assert "1台外壳凹陷" in text and "dent.png" in text and "不合格" in text and "凹陷一台，等待换货" in text
    assert "经系统回执确认（IP 203.0.113.7）" in text and "签收地址" not in text and "签收人" in text
