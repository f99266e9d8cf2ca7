"""The seed's 202405-002 in a real browser, as its register-2 row tells it: 科技有限公司 orders 服务器A型 S-001 × 10
at 5,000 (50,000 yuan: the sales manager and then the director approve), the ten ship. At 客户验收 the account
manager calls the customer and records the day in register 2: 客户临时要求增加1台. The sales assistant adds the
unit as a second part — back to the stock check only, not approval — the warehouse confirms it from stock, stocks,
prepares and hands it over, it ships as the second consignment, both are accepted on 5月26日 and the order is
已交付 at 55,000 yuan. The server's clock is the seed's May 2024; what happens before the day at 客户验收 is
driven through the real lifecycle."""
import os
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from orderloop.core import clock
from orderloop.orders.models import SalesOrder
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive
from tests.support.finance import pay
from tests.support.browser import ARTIFACTS, log_in
from tests.support.orders import PNG, act, order_data, stock_up

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")
# 表2, the row of 202405-002: 当前阶段, 负责人, 计划完成时间, 跟进记录, 存在问题, 解决措施, 下一步计划
SEED_ROW = ["客户验收", "客户经理*", "2024-05-26", "已联系客户确认明日送达", "客户临时要求增加1台",
            "协调仓库紧急备货,同步更新订单数量", "5月26日现场交付并验收"]


def at(day, hm="10:00"):
    return datetime.fromisoformat(f"{day} {hm}").replace(tzinfo=SHANGHAI)


def open_action(page, label):
    page.locator("#actions").get_by_text(label, exact=True).click()
    form = page.locator("#actions details[open] form")
    expect(form).to_be_visible()
    return form


def submit(page, form, label):
    form.get_by_role("button", name=f"提交：{label}").click()
    expect(page.locator(".messages .success", has_text=label)).to_be_visible()


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"journey-{name}.png"), full_page=True)


def accept_consignment(page, batch):
    form = open_action(page, "客户验收")
    form.get_by_label("发货批次").select_option(label=batch)
    for item in ("数量", "规格", "外观"):
        form.get_by_label(f"{item}：合格", exact=True).check()
    form.get_by_label("签收人").fill("李*")
    form.get_by_label("签字的签收单（PDF/图片）").set_input_files({"name": "签收单.png", "mimeType": "image/png", "buffer": PNG})
    submit(page, form, "客户验收")


def shipped_202405_002(users, customer, product):
    """202405-002 up to its shipment, on the seed's days: ten servers from stock (eleven on hand)."""
    stock_up(product, "11")
    with clock.frozen_at(at("2024-05-15")):
        order = order_receive(actor=users["sales_assistant"], data=OrderCreate(**order_data(
            customer, product, order_date="2024-05-15", requested_date="2024-05-26", remarks="",
            lines=[{"product_id": product.pk, "quantity": "10", "unit_price": "5000"}])))
        order = act(order, "review", users["sales_assistant"], verdict="pass")
    with clock.frozen_at(at("2024-05-15", "15:00")):
        order = act(order, "approve", users["sales_manager"], comment="同意")
    assert order.status == "pending_director"  # 50,000 yuan: over the seed's 10,000
    with clock.frozen_at(at("2024-05-15", "17:00")):
        order = act(order, "approve", users["sales_director"], comment="同意")
    with clock.frozen_at(at("2024-05-16")):
        order = act(order, "confirm_stock", users["warehouse"], lines=[
            {"line_id": order.lines.get().pk, "availability": "in_stock", "feasible_date": "2024-05-24", "date_reason": "按排产计划"}])
    with clock.frozen_at(at("2024-05-17", "09:00")):
        pay(order, users["finance"], "on_confirmation")  # the seed's 30% deposit, in before stocking
        order = act(order, "start_fulfillment", users["warehouse"], stages=[
            {"name": "备货", "owner": "warehouse", "planned_date": "2024-05-22"}])
    with clock.frozen_at(at("2024-05-22", "16:00")):
        order = act(order, "track", users["warehouse"], stage="备货", record="10台备货完成,质检合格", actual_date="2024-05-22")
        order = act(order, "prepare_shipment", users["warehouse"], goods="服务器A型 S-001 × 10", quantity_checked=True,
                    qc_passed=True, qc_report="10台全部质检合格")
    with clock.frozen_at(at("2024-05-24", "09:00")):
        order = act(order, "ship", users["logistics"], method="truckload", carrier="德邦物流",
                    tracking_number="DB20240524001", eta="2024-05-26")
    return order


def test_one_more_unit_at_acceptance_as_the_seed_tells_it(browser, web_server, users, customer, product):
    users["account_manager"].display_name = "客户经理*"  # as the seed's register names the account manager
    users["account_manager"].save(update_fields=["display_name"])
    order = shipped_202405_002(users, customer, product)
    url = f"{web_server.url}/orders/{order.number}/"

    # 2024-05-25 · 客户验收 · 客户经理: the account manager calls the customer and records the day in register 2
    with web_server.frozen_at(at("2024-05-25", "10:00")):
        page = log_in(browser, web_server, "account_manager")
        page.goto(url)
        expect(page.locator("#order-status")).to_have_text("已发货")
        expect(page.locator("#order-total")).to_have_text("50,000.00")
        expect(page.locator("#timeline li[data-event=approved]")).to_have_count(2)  # the manager, then the director
        form = open_action(page, "进度跟进")
        expect(form.get_by_label("当前阶段")).to_have_value("客户验收")
        form.get_by_label("计划完成时间").fill("2024-05-26")
        form.get_by_label("跟进记录").fill("已联系客户确认明日送达")
        form.get_by_label("存在问题").fill("客户临时要求增加1台")
        form.get_by_label("解决措施").fill("协调仓库紧急备货,同步更新订单数量")
        form.get_by_label("下一步计划").fill("5月26日现场交付并验收")
        submit(page, form, "进度跟进")
        expect(page.locator("#order-status")).to_have_text("已发货")
        page.close()

    # the sales assistant updates the order's quantity: 10 → 11, the eleventh unit a second part
    with web_server.frozen_at(at("2024-05-25", "10:30")):
        page = log_in(browser, web_server, "sales_assistant")
        page.goto(url)
        form = open_action(page, "变更订单")
        expect(form.locator(".form-hint")).to_contain_text("追加的数量和新增的行作为新的部分")
        expect(form.locator("tbody tr").first).to_contain_text("已发货 10")
        form.locator('[name="lines.0.quantity"]').fill("11")
        form.get_by_label("原因").fill("客户临时要求增加1台")
        screenshot(page, "late-change-amend-form")
        submit(page, form, "变更订单")
        # more of an order the director already approved: back to the stock check, not to approval
        expect(page.locator("#order-status")).to_have_text("待确认库存")
        added = page.locator("tr[data-part='2']")
        expect(added).to_contain_text("第 2 部分（追加）")
        expect(added).to_contain_text("服务器A型")
        expect(page.locator("#order-total")).to_have_text("55,000.00")
        amended = page.locator("#timeline li[data-event=amended]")
        expect(amended).to_contain_text("新增 服务器A型 S-001（第 2 部分）：数量 1")
        expect(amended).to_contain_text("退回至待确认库存")
        expect(amended).not_to_contain_text("part")  # every field of the entry under its Chinese name
        screenshot(page, "late-change-amended")
        page.close()
    order = SalesOrder.objects.get(pk=order.pk)
    assert order.status == "pending_stock_check"
    assert order.events.filter(type="approved").count() == 2  # no new approval asked for

    # the warehouse confirms the one unit from stock, plans its stocking, stocks it and prepares it
    with web_server.frozen_at(at("2024-05-25", "11:00")):
        page = log_in(browser, web_server, "warehouse")
        expect(page.locator("#waiting li", has_text=order.number)).to_contain_text("待确认库存 · 确认库存")
        page.locator("#waiting").get_by_role("link", name=order.number).click()
        form = open_action(page, "确认库存")
        rows = form.locator("tbody tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("第 2 部分")
        rows.first.get_by_label("库存状态").select_option(label="现货")
        # picking and packing would take it past the 26th (a weekend): the warehouse commits to the customer's day
        rows.first.get_by_label("可交付日期").fill("2024-05-26")
        rows.first.get_by_label("日期调整原因").fill("协调仓库紧急备货")
        submit(page, form, "确认库存")
        expect(page.locator("#order-status")).to_have_text("已确认")
        # the added unit's 30% (1,500.00) holds its stocking until finance records it
        expect(page.locator("#payment-hold")).to_contain_text("预付款未到账（第1期 16,500.00 元尚欠 1,500.00 元）")
        pay(order, users["finance"], "on_confirmation")
        page.reload()

        form = open_action(page, "开始备货/生产")
        rows = form.locator("tbody tr")
        for index in range(1, rows.count()):  # the standard plan's other stages: this one unit is only picked
            for label in ("环节", "计划完成时间"):
                rows.nth(index).get_by_label(label).fill("")
            rows.nth(index).get_by_label("负责人").select_option("")
        expect(rows.first.get_by_label("环节")).to_have_value("备货")
        rows.first.get_by_label("负责人").select_option("warehouse")
        rows.first.get_by_label("计划完成时间").fill("2024-05-25")
        submit(page, form, "开始备货/生产")
        expect(page.locator("#order-status")).to_have_text("备货/生产中")

        form = open_action(page, "进度跟进")
        expect(form.get_by_label("当前阶段")).to_have_value("备货")
        form.get_by_label("跟进记录").fill("紧急备货1台完成")
        form.get_by_label("实际完成时间").fill("2024-05-25")
        submit(page, form, "进度跟进")

        form = open_action(page, "发货准备")
        expect(form.get_by_label("货物清单")).to_have_value("服务器A型 S-001 × 1")
        form.get_by_label("已核对产品数量").check()
        form.get_by_label("质检合格").check()
        form.get_by_label("质检结论").fill("1台质检合格")
        submit(page, form, "发货准备")
        expect(page.locator("#order-status")).to_have_text("待发货")
        page.close()

    # logistics ships it as the second consignment, to arrive with the first on the 26th
    with web_server.frozen_at(at("2024-05-25", "15:00")):
        page = log_in(browser, web_server, "logistics")
        page.goto(url)
        form = open_action(page, "发货")
        expect(form.locator("tbody tr")).to_have_count(1)
        expect(form.locator("tbody tr").first).to_contain_text("第 2 部分")
        expect(form.locator('[name="lines.0.quantity"]')).to_have_value("1")
        form.get_by_label("物流方式").select_option(label="快递")
        form.get_by_label("承运商").fill("顺丰速运")
        form.get_by_label("物流单号").fill("SF20240525001")
        form.get_by_label("预计送达时间").fill("2024-05-26")
        submit(page, form, "发货")
        expect(page.locator("#order-status")).to_have_text("已发货")
        expect(page.locator("#shipments tr[data-batch='2']")).to_contain_text("服务器A型 S-001 × 1")
        page.close()

    # 5月26日现场交付并验收: both consignments are accepted, the order is delivered
    with web_server.frozen_at(at("2024-05-26", "15:00")):
        page = log_in(browser, web_server, "account_manager")
        page.goto(url)
        accept_consignment(page, "第 1 批（德邦物流 DB20240524001）")
        expect(page.locator("#order-status")).to_have_text("已发货")
        accept_consignment(page, "第 2 批（顺丰速运 SF20240525001）")
        expect(page.locator("#order-status")).to_have_text("已交付")
        expect(page.locator("#order-total")).to_have_text("55,000.00")
        screenshot(page, "late-change-delivered")

        # register 2 shows the seed's row
        page.get_by_role("banner").get_by_role("link", name="订单跟进进度表").click()
        row = page.locator("#register tbody tr", has_text="客户临时要求增加1台")
        expect(row).to_have_count(1)
        cells = row.locator("td")
        assert cells.nth(0).inner_text() == order.number
        assert [cells.nth(i).inner_text() for i in (1, 2, 3, 5, 6, 7, 8)] == SEED_ROW
        page.close()

    order = SalesOrder.objects.get(pk=order.pk)
    assert order.status == "delivered" and order.total_amount == Decimal("55000.00")
    assert [(line.part, line.quantity) for line in order.lines.order_by("part")] == [(1, 10), (2, 1)]
    assert [(s.position, s.accepted_at is not None) for s in order.shipments.order_by("position")] == [(1, True), (2, True)]
