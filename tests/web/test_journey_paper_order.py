"""The seed's 202405-001 on paper (issue 27, done-when 3): the customer's 采购订单, printed and photographed at an
angle, is uploaded at 录入订单 and read by the worker; the one field shown uncertain — the delivery date, printed
before the order date — is corrected, the order submitted and passed in the preliminary review, and it matches
the printed one to the fen."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from orderloop.orders.models import PaperReading, SalesOrder
from orderloop.orders.reading.engine import engine_available
from orderloop.orders.tasks import read_paper_order
from tests.support.browser import log_in
from tests.support.ci import IN_CI
from tests.support.customers import make_customer
from tests.support.intake import demo_products
from tests.support.paper import PaperOrder, Photo, image_bytes, page_drawn, photographed

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def test_a_photo_of_the_seeds_order_is_read_corrected_where_uncertain_and_passes_review(browser, web_server, users, tmp_path):
    if not engine_available() and not IN_CI:
        pytest.skip("the OCR engine (rapidocr, onnxruntime) is not installed: make install brings it")
    customer = make_customer(owner=users["account_manager"], code="C001", payment_terms="30%预付,余款到付")
    products = demo_products()
    printed = PaperOrder(customer="科技有限公司", phone="13800001111", contact="李*", order_date=date(2024, 5, 10),
                         lines=[("服务器A型", "S-001", "台", 10, "5000.00")], payment_terms="30%预付,余款到付",
                         requested_date=date(2024, 5, 5), layout="stamped")  # the buyer's slip: 5 May, not 25 May
    photo = tmp_path / "采购订单.jpg"
    photo.write_bytes(image_bytes(photographed(page_drawn(printed, dpi=200), Photo(angle=2.5, blur=0.6, noise=12, seed=11)),
                                  dpi=200))
    with web_server.frozen_at(datetime(2024, 5, 10, 9, 30, tzinfo=SHANGHAI)):
        page = log_in(browser, web_server, "sales_assistant")
        page.get_by_role("link", name="录入订单").click()
        page.get_by_label("书面订单扫描件或照片").set_input_files(str(photo))
        page.get_by_role("button", name="识别扫描件").click()
        expect(page.locator("#paper-reading")).to_contain_text("正在识别「采购订单.jpg」")
        read_paper_order.call_local(PaperReading.objects.get().pk)  # what the worker runs
        # the waiting page reloads itself every 3 s (no reload of our own: it would race the page's own navigation)
        expect(page.locator("#paper-reading")).to_contain_text("已识别「采购订单.jpg」", timeout=15_000)
        assert SalesOrder.objects.count() == 0  # nothing is saved as read

        # one field is uncertain, named with the reason, outlined, and it has the focus
        expect(page.locator("#reading-flags li")).to_have_text(["交付日期 2024-05-05 早于下单日期 2024-05-10，请与客户核对"])
        expect(page.locator("#paper-reading a.uncertain")).to_have_text(["交付日期"])
        requested = page.locator("#f-requested_date")
        expect(requested).to_be_focused()
        expect(requested).to_have_class("uncertain")
        expect(page.locator(".paper-page rect.shown")).to_have_attribute("data-field", "requested_date")
        # the rest is as printed
        expect(page.get_by_role("combobox", name="客户名称")).to_have_value("科技有限公司")
        expect(page.get_by_label("联系人", exact=True)).to_have_value("李*")
        expect(page.get_by_label("下单日期", exact=True)).to_have_value("2024-05-10")
        expect(page.get_by_label("付款方式", exact=True)).to_have_value("30%预付,余款到付")
        expect(page.get_by_label("数量 1", exact=True)).to_have_value("10")
        expect(page.get_by_label("单价(元) 1", exact=True)).to_have_value("5000.00")
        expect(page.locator("#intake-total")).to_have_text("50,000.00")

        requested.fill("2024-05-25")  # as the customer confirms on the phone
        page.get_by_role("button", name="提交订单").click()
        page.wait_for_url(f"{web_server.url}/orders/*/")
        order = SalesOrder.objects.get()
        actions = page.locator("#actions")
        actions.get_by_text("初步审核", exact=True).click()
        review = actions.locator("details[open] form")
        review.get_by_label("审核结论").select_option(label="通过")
        review.get_by_role("button", name="提交：初步审核").click()
        page.wait_for_selector(".messages .success:has-text('初步审核')")
        expect(page.locator("#order-status")).to_have_text("待审批")

    order.refresh_from_db()
    assert (order.customer, order.channel, order.order_date, order.requested_date) == (
        customer, "paper", date(2024, 5, 10), date(2024, 5, 25))
    assert (order.contact_name, order.payment_terms) == ("李*", "30%预付,余款到付")
    assert [(line.product, line.quantity, line.unit_price, line.amount) for line in order.lines.all()] == [
        (products["S-001"], Decimal("10"), Decimal("5000.00"), Decimal("50000.00"))]
    assert order.total_amount == printed.total == Decimal("50000.00")
    assert [(a.kind, a.filename) for a in order.attachments.all()] == [("scan", "采购订单.jpg")]
