"""Entering the seed's order 202405-001 at the desk, with the customer and product searches, faster than the
spreadsheet it replaces: every click and keystroke is counted and compared with the same entry in the sheet (15
cells a line). See docs/benchmarks.md, "Entering an order: clicks and keystrokes"."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from orderloop.core.money import rmb_capitals
from orderloop.orders.models import SalesOrder
from tests.support.browser import log_in
from tests.support.customers import make_customer
from tests.support.intake import Effort, choose_customer, choose_product, demo_products, results_of, search_box

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")
SHEET_CELLS_PER_LINE = 15  # the spreadsheet's columns: every line of an order is typed cell by cell

# The seed's 202405-001 and six more lines of the demo's products: (what is typed in the search, the product, quantity)
LINES = [("fwqa", "S-001", "10"), ("jhj", "N-100", "4"), ("azts", "SV-01", "2"), ("fwqb", "S-002", "1"),
         ("n-1", "N-100", "3"), ("sv", "SV-01", "5"), ("fwqa", "S-001", None)]  # the last quantity forgotten at first


def combobox(page, name):
    return search_box(page, name, exact=True)


def amounts(page):
    return [cell.inner_text() for cell in page.locator("#intake-lines tbody tr[data-line] .line-amount").all()]


def in_viewport(page, locator) -> bool:
    box = locator.bounding_box()
    height = page.viewport_size["height"]
    return locator.is_visible() and box is not None and box["y"] >= 0 and box["y"] + box["height"] <= height


def test_the_seeds_order_entered_with_searches_in_fewer_keys_than_the_spreadsheet(browser, web_server, users):
    make_customer(owner=users["account_manager"], code="C001", payment_terms="30%预付,余款到付")
    make_customer("科技服务中心", owner=users["account_manager"], uscc="", address="上海市徐汇区路5号",
                  contact=("赵*", "13700009999", ""), payment_terms="货到付款")
    products = demo_products()
    with web_server.frozen_at(datetime(2024, 5, 10, 9, 30, tzinfo=SHANGHAI)):
        page = log_in(browser, web_server, "sales_assistant")
        effort = Effort(page)
        effort.click(page.get_by_role("link", name="录入订单"))
        assert page.get_by_label("下单日期").input_value() == "2024-05-10"

        # the customer, found by its pinyin initials and chosen with the keyboard
        customer = search_box(page, "客户名称")
        effort.click(customer)
        effort.type("kj")
        found = results_of(page, customer)
        expect(found).to_have_count(2)
        assert found.first.get_attribute("aria-selected") == "true" and "科技有限公司" in found.first.inner_text()
        effort.press("ArrowDown")
        assert found.nth(1).get_attribute("aria-selected") == "true" and "科技服务中心" in found.nth(1).inner_text()
        effort.press("ArrowUp")
        effort.press("Enter")
        assert customer.input_value() == "科技有限公司"
        # the contact, the phone, the address and the payment terms come from the customer's record
        expect(page.get_by_label("联系人")).to_have_value("李*")
        expect(page.get_by_label("联系方式")).to_have_value("13800001111")
        expect(page.get_by_label("交付地址")).to_have_value("北京市海淀区路1号")
        expect(page.get_by_label("付款方式")).to_have_value("30%预付,余款到付")
        effort.fill(page.get_by_label("交付日期"), "2024-05-25")
        effort.fill(page.get_by_label("特殊需求"), "需定制logo")

        # seven lines, as in a spreadsheet: search, Enter, quantity, Enter (a new row after the last)
        effort.click(combobox(page, "产品 1"))
        for row, (text, model, quantity) in enumerate(LINES, start=1):
            effort.type(text)
            results_of(page, combobox(page, f"产品 {row}")).first.wait_for()
            effort.press("Enter")
            expect(page.get_by_label(f"数量 {row}", exact=True)).to_be_focused()
            assert page.get_by_label(f"单价(元) {row}", exact=True).input_value() == f"{products[model].list_price}"
            if quantity:
                effort.type(quantity)
                effort.press("Enter")  # the next line; after the last, a new one
        expected = [Decimal(q) * products[m].list_price for _t, m, q in LINES if q]
        expect(page.locator("#intake-total")).to_have_text(f"{sum(expected):,.2f}")
        assert amounts(page) == [f"{a:,.2f}" for a in expected] + [""]
        expect(page.locator("#intake-capitals")).to_have_text(rmb_capitals(sum(expected)))

        # a line too many, entered and removed; a quantity changed: the amounts, total and 大写 follow
        effort.click(page.get_by_role("button", name="添加一行"))
        effort.type("jhj")
        results_of(page, combobox(page, "产品 8")).first.wait_for()
        effort.press("Enter")
        effort.type("7")
        expect(page.locator("#intake-total")).to_have_text(f"{sum(expected) + 7 * 1200:,.2f}")
        effort.click(page.get_by_role("button", name="删除第 8 行"))
        expect(page.locator("#intake-lines tbody tr[data-line]")).to_have_count(7)
        expect(page.locator("#intake-total")).to_have_text(f"{sum(expected):,.2f}")
        effort.fill(page.get_by_label("数量 2", exact=True), "6")
        expected[1] = 6 * products["N-100"].list_price
        expect(page.locator("#intake-total")).to_have_text(f"{sum(expected):,.2f}")
        expect(page.locator("#intake-capitals")).to_have_text(rmb_capitals(sum(expected)))
        assert amounts(page)[1] == "7,200.00"

        # submitted with line 7's quantity missing: the banner at the top names it, nothing typed is lost
        effort.click(page.get_by_role("button", name="提交订单"))
        banner = page.locator("#intake-errors")
        expect(banner).to_contain_text("第 7 行 数量：必填")
        assert in_viewport(page, banner), (banner.bounding_box(), page.evaluate("window.scrollY"), page.viewport_size)
        assert SalesOrder.objects.count() == 0
        quantity7 = page.get_by_label("数量 7", exact=True)
        expect(quantity7).to_be_focused()
        assert quantity7.get_attribute("aria-invalid") == "true"
        assert search_box(page, "客户名称").input_value() == "科技有限公司"
        assert [combobox(page, f"产品 {row}").input_value() for row in range(1, 8)] == [
            f"{products[m].name} {m}" for _t, m, _q in LINES]
        assert [page.get_by_label(f"数量 {row}", exact=True).input_value() for row in range(1, 7)] == [
            "10", "6", "2", "1", "3", "5"]
        expect(page.get_by_label("特殊需求")).to_have_value("需定制logo")
        expect(page.locator("#intake-total")).to_have_text(f"{sum(expected):,.2f}")
        effort.type("2")  # the focus is on the missing quantity
        expected.append(2 * products["S-001"].list_price)
        expect(page.locator("#intake-total")).to_have_text(f"{sum(expected):,.2f}")
        effort.click(page.get_by_role("button", name="提交订单"))
        page.wait_for_selector("#order-status")
        expect(page.locator(".messages")).to_contain_text("下一步：初步审核")

    order = SalesOrder.objects.get()
    assert (order.customer.name, order.contact_name, order.contact_phone, order.payment_terms, order.delivery_address,
            order.order_date, order.requested_date, order.special_requirements) == (
        "科技有限公司", "李*", "+8613800001111", "30%预付,余款到付", "北京市海淀区路1号", date(2024, 5, 10),
        date(2024, 5, 25), "需定制logo")
    lines = [(line.model, line.quantity, line.unit_price) for line in order.lines.order_by("position")]
    assert lines == [(m, Decimal(q), products[m].list_price) for (_t, m, _q), q in zip(LINES, "10 6 2 1 3 5 2".split())]
    assert order.total_amount == sum(expected) == Decimal("82300.00")

    # what it cost: fewer clicks and keys than the sheet's 15 cells a line (one key a cell at the very least)
    print(f"\nintake of 7 lines: {effort.clicks} clicks + {effort.keys} keys = {effort.total}; "
          f"{effort.total / 7:.1f} a line against {SHEET_CELLS_PER_LINE} cells a line in the sheet")
    assert effort.total < SHEET_CELLS_PER_LINE * 7
    assert effort.total / 7 < SHEET_CELLS_PER_LINE


def test_a_possible_duplicate_is_flagged_at_the_top_before_saving(browser, web_server, users, orders):
    earlier = orders.received()  # 科技有限公司, 服务器A型 S-001 × 10 @ 5000
    page = log_in(browser, web_server, "sales_assistant")
    page.goto(f"{web_server.url}/orders/new/")
    choose_customer(page, "科技", "科技有限公司")
    expect(page.locator("#duplicate-warning [role=alert]")).to_have_count(0)
    choose_product(page, 1, "S-001", "服务器A型 S-001")
    page.get_by_label("数量 1", exact=True).fill("10")
    page.get_by_label("数量 1", exact=True).press("Tab")
    warning = page.locator("#duplicate-warning [role=alert]")
    expect(warning).to_contain_text("可能是重复订单")
    expect(warning).to_contain_text(earlier.ref)
    assert warning.bounding_box()["y"] < page.locator("#intake-form").bounding_box()["y"]
    assert SalesOrder.objects.count() == 1
