"""验收 and 签收 as they happen at the customer's door, on a phone (390×844): the account manager answers 数量, 规格
and 外观 one by one (none is ticked for them), records a dented unit with a photo; the customer opens the receipt
link in their own browser, sees the issue with its photo, adds a remark and signs; the 《客户签收单》 PDF says what
happened. And no check of 验收 or 《发货准备单》 is ticked before the person checking ticks it."""
import os
import re
import struct
import zlib
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from orderloop.aftersales.models import Ticket
from orderloop.orders.models import SalesOrder
from tests.support.browser import ARTIFACTS, PHONE, log_in
from tests.support.orders import act

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
NO_HORIZONTAL_OVERFLOW = "document.scrollingElement.scrollWidth <= window.innerWidth"
TICKED = "input[type=checkbox]:checked, input[type=radio]:checked"


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"journey-{name}.png"), full_page=True)


def photo_png() -> bytes:
    """A real 8×8 PNG (a photo the browser can show), as a phone camera's picture would be."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    rows = b"".join(b"\x00" + b"\xc0\x40\x40" * 8 for _ in range(8))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 8, 8, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def test_the_customer_signs_a_receipt_that_shows_the_damage_recorded_at_acceptance(browser, web_server, users, orders):
    import io

    order = orders.at("shipped")
    page = log_in(browser, web_server, "account_manager", phone=True)
    assert page.viewport_size == {"width": 390, "height": 844}
    page.goto(f"{web_server.url}/orders/{order.number}/")
    page.get_by_role("link", name="手机验收").click()
    form = page.locator("form[data-action=accept]")
    expect(form).to_be_visible()
    assert form.locator(TICKED).count() == 0  # nothing answered for them
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)

    # answering only two of the three is refused, naming the one left, and nothing is recorded
    form.get_by_label("数量：合格", exact=True).check()
    form.get_by_label("规格：合格", exact=True).check()
    form.get_by_role("button", name="提交：客户验收").click()
    form = page.locator("form[data-action=accept]")
    expect(form.get_by_role("alert")).to_contain_text("请逐项验收：外观 尚未选择合格或不合格")
    assert SalesOrder.objects.get(pk=order.pk).shipments.get().accepted_at is None

    # the form keeps what was answered; the dented unit is recorded with a photo from the phone's camera
    expect(form.get_by_label("数量：合格", exact=True)).to_be_checked()
    form.get_by_label("外观：不合格", exact=True).check()
    form.get_by_label("外观：不合格说明").fill("1台服务器外壳凹陷")
    camera = form.locator("input[name=appearance_photo_attachment_ids]")
    assert (camera.get_attribute("accept"), camera.get_attribute("capture")) == ("image/*", "environment")
    camera.set_input_files({"name": "dent.png", "mimeType": "image/png", "buffer": photo_png()})
    screenshot(page, "acceptance-phone-items")
    form.get_by_role("button", name="提交：客户验收").click()
    expect(page.locator(".messages .success", has_text="客户验收")).to_be_visible()
    ticket = Ticket.objects.get(order=order)
    assert ticket.ticket_type == "damage" and ticket.photos.get().filename == "dent.png"

    # the account manager sends the receipt link (系统回执) from the order page
    link = page.locator("#shipments input.receipt-link").input_value()
    page.close()

    # the customer opens it on their own phone, without an account
    customer = browser.new_context(**PHONE)
    receipt = customer.new_page()
    receipt.goto(web_server.url + urlsplit(link).path)
    issue = receipt.locator("#receipt-acceptance li[data-item=appearance]")
    expect(issue).to_contain_text("外观：不合格 — 1台服务器外壳凹陷")
    expect(receipt.locator("#receipt-acceptance li[data-item=quantity]")).to_contain_text("数量：合格")
    expect(receipt.locator("#receipt-issues")).to_contain_text("验收时记录了 1 项问题")
    thumbnail = issue.get_by_role("img", name="dent.png")
    expect(thumbnail).to_be_visible()
    loaded_width = ("img => img.complete ? img.naturalWidth : new Promise(done => {"  # visible is not yet loaded
                    " img.onload = () => done(img.naturalWidth); img.onerror = () => done(0); })")
    assert thumbnail.evaluate(loaded_width) == 8  # the photo opens with the same link
    assert receipt.evaluate(NO_HORIZONTAL_OVERFLOW)
    receipt.get_by_label("备注（可选）").fill("凹陷一台，请尽快换货")
    receipt.get_by_label("签收人姓名").fill("李四")
    screenshot(receipt, "receipt-phone")
    receipt.get_by_role("button", name="确认签收").click()
    expect(receipt.locator("#receipt-done")).to_contain_text("已由 李四")
    expect(receipt.locator("#receipt-remark")).to_have_text("客户备注：凹陷一台，请尽快换货")
    customer.close()

    shipment = SalesOrder.objects.get(pk=order.pk).shipments.get()
    assert (shipment.received_by_name, shipment.receipt_via, shipment.receipt_remark) == ("李四", "link", "凹陷一台，请尽快换货")

    # back at the desk: the remark is on the order page, and in the 《客户签收单》
    page = log_in(browser, web_server, "account_manager", phone=True)
    page.goto(f"{web_server.url}/orders/{order.number}/")
    expect(page.locator("#shipments")).to_contain_text("客户备注：凹陷一台，请尽快换货")
    pdf = page.request.get(f"{web_server.url}/orders/{order.number}/documents/receipt-1.pdf")
    assert pdf.ok and pdf.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf.body())).pages)
    page.close()
    assert "1台服务器外壳凹陷" in text and "dent.png" in text and "凹陷一台，请尽快换货" in text
    assert "签收人" in text and "签收时间" in text and f"经系统回执确认（IP {shipment.receipt_address}）" in text
    assert "签收地址" not in text
    assert not re.search(r"地址\s*[：:]?\s*[0-9a-fA-F:.]*\d+\.\d+\.\d+\.\d+", text)  # no IP labelled as an address


def test_no_check_of_acceptance_or_shipment_preparation_is_ticked_before_the_user_ticks_it(browser, web_server, users,
                                                                                            orders):
    produced = orders.at("in_fulfillment")
    produced = act(produced, "track", users["production"], stage="生产", record="生产完成", actual_date="2024-05-19")
    shipped = orders.at("shipped")

    # 《发货准备单》: the quantity and QC checks start unticked, and unticked they are refused
    page = log_in(browser, web_server, "warehouse")
    page.goto(f"{web_server.url}/orders/{produced.number}/")
    page.locator("#actions").get_by_text("发货准备", exact=True).click()
    form = page.locator("form[data-action=prepare_shipment]")
    expect(form).to_be_visible()
    assert form.locator("input[type=checkbox]").count() == 2
    assert form.locator(TICKED).count() == 0
    assert form.evaluate("f => [...f.querySelectorAll('input')].filter(i => i.defaultChecked).length") == 0
    form.get_by_label("质检结论").fill("外观合格")
    form.get_by_role("button", name="提交：发货准备").click()
    expect(page.locator("form[data-action=prepare_shipment] [role=alert]")).to_contain_text("发货前须核对产品数量")
    assert SalesOrder.objects.get(pk=produced.pk).status == "in_fulfillment"
    page.close()

    # 验收, on the phone page and in the order page's form: 合格/不合格 chosen for each item, none beforehand
    page = log_in(browser, web_server, "account_manager", phone=True)
    for path in (f"/orders/{shipped.number}/acceptance/", f"/orders/{shipped.number}/"):
        page.goto(web_server.url + path)
        form = page.locator("form[data-action=accept]")
        assert form.locator("input[type=radio]").count() == 6
        assert form.locator(TICKED).count() == 0
        assert form.evaluate("f => [...f.querySelectorAll('input')].filter(i => i.defaultChecked).length") == 0
    page.close()
