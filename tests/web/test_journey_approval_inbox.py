"""The approval inbox (待我审批) in a real browser: three orders wait for the sales manager, two under the
director's threshold (10,000 yuan) and one over it. The manager opens one in the side panel, then approves all
three from the list, a comment typed on each row, each row answering what was done and what happens next; the
large one waits in the director's inbox, the others for the stock check (the warehouse's 待确认库存). Each
comment is on its order's timeline. On the order page at 1440×900 the approval is at hand without scrolling."""
import os

import pytest
from playwright.sync_api import expect

from orderloop.orders.models import OrderEvent, SalesOrder
from tests.support.browser import ARTIFACTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
DESK = {"width": 1440, "height": 900}


def one_line(product, quantity, price="5000"):
    return [{"product_id": product.pk, "quantity": quantity, "unit_price": price}]


def test_the_manager_approves_three_orders_from_the_inbox(browser, web_server, users, orders, product):
    small = orders.at("pending_approval", lines=one_line(product, "1"))          # 5,000.00
    smaller = orders.at("pending_approval", lines=one_line(product, "2"))  # 10,000.00: not over it
    large = orders.at("pending_approval")                                          # 50,000.00: over the threshold
    comments = {small.ref: "价格正常，同意", smaller.ref: "老客户，同意（恰为一万元）", large.ref: "大额订单，报总监"}

    page = log_in(browser, web_server, "sales_manager")
    page.set_viewport_size(DESK)

    # the order page: the approval is at the top, seen without scrolling, and opens its form
    page.goto(f"{web_server.url}/orders/{large.ref}/")
    approve = page.locator("#top-actions").get_by_role("link", name="审批通过")
    expect(approve).to_be_in_viewport()
    assert page.evaluate("window.scrollY") == 0
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "order-page-approver.png"))
    approve.click()
    expect(page.locator("#action-approve form")).to_be_visible()
    # the deadline reads 经理审批, not 审批
    expect(page.locator("#timers tr[data-kind=approval] td").first).to_have_text("经理审批")

    # the inbox: three rows, the large one naming the director rule
    page.get_by_role("link", name="待我审批").click()
    page.wait_for_url(f"{web_server.url}/approvals/")
    expect(page.locator("#approvals tbody tr")).to_have_count(3)
    large_row = page.locator(f"#approvals tr[data-ref='{large.ref}']")
    expect(large_row).to_contain_text("¥50,000.00")
    expect(large_row).to_contain_text("金额 50,000.00 元超过 10,000.00 元")
    expect(page.locator(f"#approvals tr[data-ref='{small.ref}']")).to_contain_text("¥5,000.00")

    # a look at the large order in the side panel, without leaving the list
    large_row.get_by_role("link", name=large.ref).click()
    panel = page.locator("#order-panel")
    expect(panel.get_by_role("link", name="打开订单页")).to_be_visible()
    expect(panel).to_contain_text("北京市海淀区路1号")
    assert page.url == f"{web_server.url}/approvals/"
    page.screenshot(path=os.path.join(ARTIFACTS, "approval-inbox.png"))

    # approve each from its row, with its own comment
    expected = {small.ref: "已通过，待确认库存", smaller.ref: "已通过，待确认库存", large.ref: "已通过，已提交销售总监审批"}
    for ref, comment in comments.items():
        row = page.locator(f"#approvals tr[data-ref='{ref}']")
        row.get_by_label(f"{ref} 的审批意见").fill(comment)
        row.get_by_role("button", name="通过").click()
        expect(page.locator(f"#approvals tr[data-ref='{ref}'] .result")).to_have_text(expected[ref])
    assert page.url == f"{web_server.url}/approvals/"  # never left the list
    assert {o.ref: o.status for o in SalesOrder.objects.filter(pk__in=[small.pk, smaller.pk, large.pk])} == {
        small.ref: "pending_stock_check", smaller.ref: "pending_stock_check", large.ref: "pending_director"}

    # each comment is on its order's timeline
    for ref, comment in comments.items():
        page.goto(f"{web_server.url}/orders/{ref}/")
        expect(page.locator("#timeline li[data-event=approved]")).to_contain_text(comment)
    for order in (small, smaller, large):
        assert OrderEvent.objects.get(order=order, type="approved").payload["comment"] == comments[order.ref]
    page.close()

    # the director: only the large order, decided from the inbox too
    director = log_in(browser, web_server, "sales_director")
    director.set_viewport_size(DESK)
    director.get_by_role("link", name="待我审批").click()
    rows = director.locator("#approvals tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_have_attribute("data-ref", large.ref)
    rows.first.get_by_label(f"{large.ref} 的审批意见").fill("同意，按期交付")
    rows.first.get_by_role("button", name="通过").click()
    expect(director.locator(f"#approvals tr[data-ref='{large.ref}'] .result")).to_have_text("已通过，待确认库存")
    director.goto(f"{web_server.url}/orders/{large.ref}/")
    expect(director.locator("#timers tr[data-kind=approval] td:first-child")).to_have_text(["经理审批", "总监审批"])
    director.close()

    # the three wait for the warehouse's stock check
    warehouse = log_in(browser, web_server, "warehouse")
    expect(warehouse.get_by_role("link", name="待我审批")).to_have_count(0)
    warehouse.get_by_role("link", name="我的待办").click()
    queue = warehouse.locator("#queue")
    expect(queue.locator("h2")).to_have_text("待确认库存")
    expect(queue.locator("tbody tr")).to_have_count(3)
    warehouse.close()
