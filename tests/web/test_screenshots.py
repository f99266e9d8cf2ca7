"""The README's screenshots, taken from the demo data by a real browser: the today page, the board, an
order page and the monthly review; and the desk's daily pages at 1440×900: intake, the approval inbox, the order
page as its approver sees it, a register and a customer's page. Each page is checked for what it must show before it is captured.
They land in test-artifacts/; with ORDERLOOP_README_SCREENSHOTS=1 they also replace docs/screenshots/."""
import os
import shutil

import pytest

from tests.support.browser import ARTIFACTS, PHONE, log_in
from tests.support.intake import choose_customer, choose_product

README_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "docs", "screenshots")
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def capture(page, name, full_page=None):
    os.makedirs(ARTIFACTS, exist_ok=True)
    path = os.path.join(ARTIFACTS, f"{name}.png")
    page.screenshot(path=path, full_page=name != "order-page" if full_page is None else full_page)
    if os.environ.get("ORDERLOOP_README_SCREENSHOTS") == "1":
        shutil.copy(path, os.path.join(README_DIR, f"{name}.png"))
    return path


def test_the_readme_pages_from_the_demo_data(browser, web_server):
    from orderloop.setup.demo import load_demo

    load_demo()
    page = log_in(browser, web_server, "sales_manager")
    assert page.locator("#waiting li").count() >= 1  # the large order waits for the manager's approval
    capture(page, "today")

    page.goto(f"{web_server.url}/board/")
    assert page.locator(".board-card").count() >= 1  # the demo's order in production is on the board
    capture(page, "board")

    page.goto(f"{web_server.url}/orders/202405-003/")
    assert page.locator("#visit").inner_text().count("3 分") == 1 and page.locator("#tickets").is_visible()
    capture(page, "order-page")

    page.goto(f"{web_server.url}/reviews/2024-05/")
    page.wait_for_selector("#chart-phases[data-drawn=true]")
    assert page.locator("#on-time-rate").inner_text() == "100.0%"
    capture(page, "monthly-review")
    page.close()


def at_the_desk(page):
    page.set_viewport_size({"width": 1440, "height": 900})
    return page


def test_the_desk_pages_from_the_demo_data(browser, web_server):
    from orderloop.setup.demo import load_demo

    load_demo()
    page = at_the_desk(log_in(browser, web_server, "sales_assistant"))
    page.goto(f"{web_server.url}/orders/new/")
    choose_customer(page, "kj", "科技有限公司")
    assert page.get_by_label("付款方式").input_value() == "30%预付,余款到付"  # filled from the customer
    choose_product(page, 1, "S-001", "服务器A型")
    page.get_by_label("数量 1", exact=True).fill("10")
    choose_product(page, 2, "SV-01", "安装调试服务")
    page.get_by_label("数量 2", exact=True).fill("2")
    assert page.locator("#intake-total").inner_text() == "51,000.00"
    assert page.locator("#intake-capitals").inner_text() == "人民币伍万壹仟元整"
    page.evaluate("window.scrollTo(0, 0)")
    capture(page, "intake", full_page=False)
    page.close()

    page = at_the_desk(log_in(browser, web_server, "sales_manager"))
    page.goto(f"{web_server.url}/approvals/")
    assert page.locator("#approvals tbody tr").count() >= 1  # the demo's large order waits for the manager
    ref = page.locator("#approvals tbody tr a").first.inner_text().strip()
    capture(page, "approval-inbox", full_page=False)

    page.goto(f"{web_server.url}/orders/{ref}/")
    assert page.locator("#top-actions").get_by_text("审批通过").first.is_visible()
    capture(page, "order-page-approver", full_page=False)

    page.goto(f"{web_server.url}/registers/progress/")
    assert page.locator("table a[href^='/orders/']").count() >= 1  # order numbers link to their orders
    capture(page, "register", full_page=False)

    page.goto(f"{web_server.url}/customers/")
    page.get_by_role("link", name="科技有限公司").first.click()
    assert page.locator("#payment-terms").inner_text() == "30%预付,余款到付"
    capture(page, "customer", full_page=False)
    page.close()


def test_the_phone_pages_from_the_demo_data(browser, web_server):
    """On a 390×844 phone: the account manager's today page with the menu folded, the order waiting for 客户验收
    with its actions first, and the receipt the customer signs on the link."""
    from orderloop.orders.links import receipt_token
    from orderloop.orders.models import SalesOrder
    from orderloop.setup.demo import load_demo

    load_demo()
    page = log_in(browser, web_server, "account_manager", phone=True)
    assert page.locator("#waiting li", has_text="202405-002").is_visible() and page.locator(".menu-toggle").is_visible()
    capture(page, "phone-today", full_page=False)

    page.goto(f"{web_server.url}/orders/202405-002/")
    page.locator("#action-accept > summary").click()  # the acceptance, the first thing on the page
    assert page.locator("#actions").bounding_box()["y"] < page.locator("dl.facts").bounding_box()["y"]
    capture(page, "phone-order", full_page=False)
    page.close()

    shipment = SalesOrder.objects.get(number="202405-002").shipments.get(position=1)
    page = browser.new_page(**PHONE)  # the customer, logged in nowhere
    page.goto(f"{web_server.url}/receipt/{receipt_token(shipment)}/")
    assert page.get_by_role("button", name="确认签收").is_visible()
    capture(page, "phone-receipt", full_page=False)
    page.close()
