"""What the reviewer gets: the checklist, duplicate warnings, the printable 《订单初步审核表》, scans of paper orders."""
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from orderloop.orders.models import SalesOrder
from orderloop.setup.demo import LICENCE_SCAN
from tests.support.orders import act


def page(users, role, url, **kwargs):
    client = Client()
    client.force_login(users[role])
    return client.get(url, **kwargs).content.decode()


def test_the_checklist_marks_each_key_field(orders, users):
    order = orders.received(contact_phone="", delivery_address="")
    html = page(users, "sales_assistant", f"/orders/{order.ref}/")
    assert "✓ 客户名称及资质：科技有限公司" in html
    assert "✗ 联系方式：— <strong>缺少联系方式</strong>" in html
    assert "✗ 交付地址：— <strong>缺少交付地址</strong>" in html
    assert "✓ 总金额(元)：50000.00" in html


def test_a_possible_duplicate_is_shown_to_the_reviewer(orders, users):
    first = orders.received()
    second = orders.received()
    html = page(users, "sales_assistant", f"/orders/{second.ref}/")
    assert "可能重复的订单" in html and first.ref in html
    other = orders.received(lines=[{"product_id": first.lines.get().product_id, "quantity": "3"}])
    assert "可能重复的订单" not in page(users, "sales_assistant", f"/orders/{other.ref}/")


def test_the_printable_review_form_holds_checklist_contacts_and_verdict(orders, users):
    order = act(orders.received(), "review", users["sales_assistant"], verdict="needs_info", missing=["交付日期不明确"])
    order = act(order, "log_contact", users["sales_assistant"], channel="phone", summary="电话联系李*", outcome="确认5月25日")
    order = act(order, "supplement", users["sales_assistant"], requested_date="2030-05-25")
    order = act(order, "review", users["sales_assistant"], verdict="pass")
    html = page(users, "sales_manager", f"/orders/{order.ref}/documents/review/")
    assert "订单初步审核表" in html and "✓ 无误" in html
    assert "电话联系李*" in html and "确认5月25日" in html
    assert "☑ 通过" in html and "审核人：sales_assistant" in html


def test_a_scan_of_a_paper_order_is_kept_and_other_files_refused(users, customer, product):
    client = Client()
    client.force_login(users["sales_assistant"])
    form = {"customer_id": customer.pk, "channel": "paper", "order_date": "2026-03-02",
            "lines.0.product_id": product.pk, "lines.0.quantity": "1"}
    bad = client.post("/orders/new/", {**form, "scan": SimpleUploadedFile("order.html", b"<script>alert(1)</script>")})
    assert bad.status_code == 422 and "只能上传 PDF、JPG 或 PNG 文件" in bad.content.decode()
    assert SalesOrder.objects.count() == 0
    good = client.post("/orders/new/", {**form, "scan": SimpleUploadedFile("纸质订单.png", LICENCE_SCAN)})
    order = SalesOrder.objects.get()
    assert good.status_code == 302 and order.channel == "paper"
    scan = order.attachments.get()
    assert (scan.kind, scan.filename, scan.content_type) == ("scan", "纸质订单.png", "image/png")
