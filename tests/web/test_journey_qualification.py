"""A new customer's qualification in a real browser (issue 21, item 6): the order of a customer whose qualification
is 待审核 cannot pass the preliminary review, and the order page says why; the account manager uploads the business
licence and the credit record on the customer's page (on a phone); the sales manager, told in the app, finds it
合格 at the desk; then the review passes."""
import os

import pytest
from playwright.sync_api import expect

from orderloop.core.models import AuditEntry
from orderloop.masterdata.models import Qualification
from orderloop.orders.models import SalesOrder
from orderloop.setup.demo import LICENCE_SCAN
from tests.support.browser import ARTIFACTS, log_in, open_menu
from tests.support.customers import make_customer
from tests.support.orders import OrderBuilder

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def review_pass(page):
    actions = page.locator("#actions")
    actions.get_by_text("初步审核", exact=True).click()
    form = actions.locator("details[open] form")
    form.get_by_label("审核结论").select_option("pass")
    form.get_by_role("button", name="提交：初步审核").click()
    page.wait_for_load_state()


def test_a_new_customer_is_qualified_by_upload_and_approval_before_its_order_passes_review(
        browser, web_server, users, product, tmp_path):
    newcomer = make_customer("新星贸易有限公司", owner=users["account_manager"], qualification=Qualification.PENDING,
                             licence=False, licence_expiry=None, credit_record="")
    order = OrderBuilder(users, newcomer, product).received()

    # the account manager, on a phone, tries to pass the review: refused, saying the state and what to do
    page = log_in(browser, web_server, "account_manager", phone=True)
    page.goto(f"{web_server.url}/orders/{order.ref}/")
    review_pass(page)
    expect(page.get_by_text("客户「新星贸易有限公司」的资质为「待审核」，订单不能审核通过").first).to_be_visible()
    expect(page.get_by_text("请客户经理在客户页上传营业执照和信用记录").first).to_be_visible()
    assert SalesOrder.objects.get(pk=order.pk).status == "received"
    expect(page.locator("#customer-link")).to_have_attribute("href", f"/customers/{newcomer.pk}/")

    # …goes to the customer through the navigation and uploads the licence and the credit record
    open_menu(page).get_by_role("link", name="客户", exact=True).click()
    page.locator("#customers").get_by_role("link", name="新星贸易有限公司").click()
    expect(page.locator("#qualification-state")).to_have_text("待审核")
    assert page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")
    upload = page.locator("#qualification-upload")
    scan = tmp_path / "营业执照.png"
    scan.write_bytes(LICENCE_SCAN)
    upload.get_by_label("营业执照（PDF/图片）").set_input_files(str(scan))
    upload.get_by_label("营业执照有效期至").fill("2031-06-30")
    upload.get_by_label("信用记录（征信情况、逾期与诉讼等）").fill("人行征信无逾期，无涉诉记录")
    upload.get_by_role("button", name="提交审核").click()
    expect(page.get_by_text("资质资料已提交，等待销售经理审核")).to_be_visible()
    expect(page.locator("#qualification-state")).to_have_text("待审核")
    expect(page.locator("#licence-link")).to_be_visible()
    assert page.locator("#qualification-decision").count() == 0  # the account manager does not decide
    screenshot(page, "qualification-uploaded-phone")

    # the sales manager hears of it in the app and finds it 合格 at the desk
    desk = log_in(browser, web_server, "sales_manager")
    desk.get_by_role("link", name="消息").click()
    desk.get_by_role("link", name="客户「新星贸易有限公司」的资质资料已上传，请审核").click()
    expect(desk.locator("h1")).to_contain_text("新星贸易有限公司")
    decision = desk.locator("#qualification-decision")
    decision.get_by_label("合格", exact=True).check()
    decision.get_by_role("button", name="提交审核结论").click()
    expect(desk.get_by_text("客户资质已审核：合格")).to_be_visible()
    expect(desk.locator("#qualification-state")).to_have_text("合格")
    screenshot(desk, "qualification-approved-desk")
    newcomer.refresh_from_db()
    assert newcomer.qualification == Qualification.QUALIFIED and newcomer.qualification_decided_by == users["sales_manager"]
    assert list(AuditEntry.objects.filter(object_id=str(newcomer.pk), object_type="masterdata.customer")
                .order_by("id").values_list("operation", "actor__username")) == [
        ("qualification_submitted", "account_manager"), ("qualification_decided", "sales_manager")]

    # now the review passes, from the customer's page back to its order
    page.reload()
    page.locator("#customer-orders").get_by_role("link", name=order.ref).click()
    review_pass(page)
    expect(page.locator(".messages .success", has_text="初步审核通过")).to_be_visible()
    order.refresh_from_db()
    assert order.status == "pending_approval" and order.number
