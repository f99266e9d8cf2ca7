"""The seed's 202405-002 in a real browser: at 客户验收 the customer asks for one more unit. The account manager
records it in register 2, the sales assistant adds the unit, the warehouse confirms stock for that one unit,
it ships as a second consignment, both consignments are accepted, and the order is 已交付. The stocking of
the unit, done by the warehouse as on any order, is taken through the real lifecycle."""
import os

import pytest
from playwright.sync_api import expect

from orderloop.orders.models import SalesOrder
from tests.support.browser import ARTIFACTS, log_in
from tests.support.orders import PNG, act

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SEED_ROW = ["客户验收", "已联系客户确认明日送达", "客户临时要求增加1台", "协调仓库紧急备货,同步更新订单数量", "5月26日现场交付并验收"]


def open_action(page, label):
    page.locator("#actions").get_by_text(label, exact=True).click()
    form = page.locator("#actions details[open] form")
    expect(form).to_be_visible()
    return form


def submit(page, form, label):
    form.get_by_role("button", name=f"提交：{label}").click()
    expect(page.get_by_text(f"{label}：已完成")).to_be_visible()


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"journey-{name}.png"), full_page=True)


def accept_consignment(page, batch):
    form = open_action(page, "客户验收")
    form.get_by_label("发货批次").select_option(label=batch)
    form.get_by_label("签收人").fill("李*")
    form.get_by_label("签字的签收单（PDF/图片）").set_input_files({"name": "签收单.png", "mimeType": "image/png", "buffer": PNG})
    submit(page, form, "客户验收")


def test_one_more_unit_at_acceptance_as_the_seed_tells_it(browser, web_server, users, orders, product):
    order = orders.at("shipped", lines=[{"product_id": product.pk, "quantity": "1", "unit_price": "5000"}])
    url = f"{web_server.url}/orders/{order.number}/"

    # 客户验收 · 客户经理: the account manager calls the customer and records the day in register 2
    page = log_in(browser, web_server, "account_manager")
    page.goto(url)
    expect(page.locator("#order-status")).to_have_text("已发货")
    form = open_action(page, "进度跟进")
    expect(form.get_by_label("当前阶段")).to_have_value("客户验收")
    form.get_by_label("计划完成时间").fill("2030-05-26")
    form.get_by_label("跟进记录").fill("已联系客户确认明日送达")
    form.get_by_label("存在问题").fill("客户临时要求增加1台")
    form.get_by_label("解决措施").fill("协调仓库紧急备货,同步更新订单数量")
    form.get_by_label("下一步计划").fill("5月26日现场交付并验收")
    submit(page, form, "进度跟进")
    expect(page.locator("#order-status")).to_have_text("已发货")
    page.close()

    # the sales assistant updates the order: one unit more, delivered on the 26th
    page = log_in(browser, web_server, "sales_assistant")
    page.goto(url)
    form = open_action(page, "变更订单")
    expect(form.locator(".form-hint")).to_contain_text("追加的数量和新增的行作为新的部分")
    expect(form.locator("tbody tr").first).to_contain_text("已发货 1")
    form.locator('[name="lines.0.quantity"]').fill("2")
    form.get_by_label("交付日期").fill("2030-05-26")
    form.get_by_label("原因").fill("客户临时要求增加1台")
    screenshot(page, "late-change-amend-form")
    submit(page, form, "变更订单")
    expect(page.locator("#order-status")).to_have_text("待确认库存")
    added = page.locator("tr[data-part='2']")
    expect(added).to_contain_text("第 2 部分（追加）")
    expect(added).to_contain_text("服务器A型")
    expect(page.locator("#timeline li[data-event=amended]")).to_contain_text("新增 服务器A型 S-001（第 2 部分）：数量 1")
    screenshot(page, "late-change-amended")
    page.close()

    # the warehouse confirms stock for that one unit
    page = log_in(browser, web_server, "warehouse")
    expect(page.locator("#waiting li", has_text=order.number)).to_contain_text("待确认库存 · 确认库存")
    page.locator("#waiting").get_by_role("link", name=order.number).click()
    form = open_action(page, "确认库存")
    rows = form.locator("tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("第 2 部分")
    rows.first.get_by_label("库存状态").select_option(label="现货")
    submit(page, form, "确认库存")
    expect(page.locator("#order-status")).to_have_text("已确认")
    page.close()

    # meanwhile the first consignment arrives: the account manager accepts it
    page = log_in(browser, web_server, "account_manager")
    expect(page.locator("#waiting li", has_text=order.number)).to_contain_text("客户验收")
    page.goto(url)
    accept_consignment(page, "第 1 批（顺丰速运 SF1）")
    expect(page.locator("#order-status")).to_have_text("已确认")
    page.close()

    # urgent stocking, then 发货准备 of the one unit (the warehouse's usual steps)
    order = SalesOrder.objects.get(pk=order.pk)
    order = act(order, "start_fulfillment", users["warehouse"], stages=[{"name": "备货", "owner": "warehouse",
                                                                         "planned_date": "2030-05-25"}])
    order = act(order, "track", users["warehouse"], stage="备货", record="紧急备货1台完成", actual_date=str(order.created_at.date()))
    order = act(order, "prepare_shipment", users["warehouse"], goods="服务器A型 S-001 × 1", quantity_checked=True,
                qc_passed=True, qc_report="合格")

    # logistics ships it as the second consignment
    page = log_in(browser, web_server, "logistics")
    page.goto(url)
    form = open_action(page, "发货")
    expect(form.locator("tbody tr")).to_have_count(1)
    expect(form.locator("tbody tr").first).to_contain_text("第 2 部分")
    expect(form.locator('[name="lines.0.quantity"]')).to_have_value("1")
    form.get_by_label("物流方式").select_option(label="快递")
    form.get_by_label("承运商").fill("顺丰速运")
    form.get_by_label("物流单号").fill("SF2")
    form.get_by_label("预计送达时间").fill("2030-05-26")
    submit(page, form, "发货")
    expect(page.locator("#order-status")).to_have_text("已发货")
    expect(page.locator("#shipments tr[data-batch='2']")).to_contain_text("服务器A型 S-001 × 1")
    page.close()

    # 5月26日现场交付并验收: the second consignment is accepted, the order is delivered
    page = log_in(browser, web_server, "account_manager")
    page.goto(url)
    accept_consignment(page, "第 2 批（顺丰速运 SF2）")
    expect(page.locator("#order-status")).to_have_text("已交付")
    screenshot(page, "late-change-delivered")

    # register 2 shows the seed's row under 客户验收
    page.get_by_role("banner").get_by_role("link", name="订单跟进进度表").click()
    row = page.locator("#register tbody tr", has_text="客户临时要求增加1台")
    expect(row).to_have_count(1)
    cells = row.locator("td")
    assert cells.nth(0).inner_text() == order.number
    assert [cells.nth(i).inner_text() for i in (1, 5, 6, 7, 8)] == SEED_ROW
    assert cells.nth(3).inner_text() == "2030-05-26"
    page.close()

    order = SalesOrder.objects.get(pk=order.pk)
    assert order.status == "delivered"
    assert [(line.part, line.quantity) for line in order.lines.all()] == [(1, 1), (2, 1)]
    assert [(s.position, s.accepted_at is not None, s.received_at is not None) for s in order.shipments.order_by("position")] \
        == [(1, True, True), (2, True, True)]
