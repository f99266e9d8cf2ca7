"""Role journeys in a real browser: a day's work of the sales assistant, the account manager (on a phone),
the sales manager and the sales director, clicked through as they would, each ending in a state checked in the
database and on the page."""
import io
import os
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from orderloop.orders.models import FollowUpVisit, OrderEvent, SalesOrder
from orderloop.orders.registers import REGISTER_2
from orderloop.orders.lifecycle.engine import available_actions
from tests.support.finance import pay
from tests.support.browser import ARTIFACTS, log_in, open_menu
from tests.support.orders import PNG, act
from tests.support.intake import choose_customer, choose_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
SHANGHAI = ZoneInfo("Asia/Shanghai")


def status(page):
    return page.locator("#order-status").inner_text()


def open_action(page, label):
    """Unfold an action of the order page by the name on its button, and return its form."""
    actions = page.locator("#actions")
    actions.get_by_text(label, exact=True).click()
    return actions.locator("details[open] form")


def submit(form, page, label):
    form.get_by_role("button", name=f"提交：{label}").click()
    page.wait_for_selector(f".messages .success:has-text('{label}')")  # what was done, and what is next


def apply_filters(page):
    with page.expect_navigation():
        page.get_by_role("button", name="筛选").click()


def no_horizontal_overflow(page):
    return page.evaluate("document.scrollingElement.scrollWidth <= window.innerWidth")


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def test_sales_assistant_day(browser, web_server, users, orders):
    in_production = orders.at("in_fulfillment")
    page = log_in(browser, web_server, "sales_assistant")
    # the today page shows the order in production waiting for its daily tracking
    assert page.locator("h1").inner_text() == "今日"
    waiting = page.locator("#waiting")
    assert in_production.number in waiting.inner_text() and "进度跟进" in waiting.inner_text()

    # a customer phones an order in, without a delivery date
    page.get_by_role("link", name="录入订单").click()
    choose_customer(page, "kj", "科技有限公司")
    page.get_by_label("接收渠道").select_option(label="电话")
    page.get_by_label("联系人").fill("李*")
    page.get_by_label("联系方式").fill("13800001111")
    page.get_by_label("付款方式").fill("30%预付,余款到付")
    page.get_by_label("交付地址").fill("北京市海淀区路1号")
    choose_product(page, 1, "S-001", "服务器A型 S-001")
    page.get_by_label("数量 1", exact=True).fill("4")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_selector("#order-status")
    assert status(page) == "已接收" and page.locator("#order-total").inner_text() == "20,000.00"
    expect(page.get_by_text("临时编号；初步审核通过后分配正式订单编号")).to_be_visible()
    order = SalesOrder.objects.get(status="received")
    assert order.number in (None, "") and page.locator("h1").inner_text() == f"订单 {order.ref}"

    # the preliminary review: the delivery date is missing, so 需补充
    review = open_action(page, "初步审核")
    review.get_by_label("审核结论").select_option(label="需补充")
    review.get_by_label("需补充/澄清的内容（每行一项）").fill("交付日期未提供")
    submit(review, page, "初步审核")
    assert status(page) == "待补充"
    # calls the customer back, records the call and the date the customer gives
    contact = open_action(page, "记录沟通")
    contact.get_by_label("沟通方式").select_option(label="电话")
    contact.get_by_label("沟通内容").fill("电话联系李*，询问交付日期")
    contact.get_by_label("沟通结果").fill("客户要求2030年6月20日前交付")
    submit(contact, page, "记录沟通")
    supplement = open_action(page, "补充信息")
    supplement.get_by_label("交付日期").fill("2030-06-20")
    submit(supplement, page, "补充信息")
    assert status(page) == "已接收"
    # and passes the review: the formal order number is assigned now
    review = open_action(page, "初步审核")
    review.get_by_label("审核结论").select_option(label="通过")
    submit(review, page, "初步审核")
    assert status(page) == "待审批"
    order.refresh_from_db()
    passed = OrderEvent.objects.get(order=order, type="reviewed", payload__verdict="pass")
    month = passed.occurred_at.astimezone(SHANGHAI).strftime("%Y%m")  # the month of formal entry, Shanghai time
    assert order.status == "pending_approval" and re.fullmatch(rf"{month}-\d{{3,}}", order.number), order.number
    assert page.locator("h1").inner_text() == f"订单 {order.number}"
    assert "已接收 → 待审批" in page.locator("#timeline li[data-event=reviewed]").last.inner_text()

    # the daily tracking of the order in production, from the today page
    page.get_by_role("link", name="今日").click()
    page.locator("#waiting").get_by_role("link", name=in_production.number).click()
    track = open_action(page, "进度跟进")
    assert track.get_by_label("当前阶段").input_value() == "生产"
    track.get_by_label("跟进记录").fill("已联系生产部，装配完成80%")
    track.get_by_label("下一步计划").fill("明日完成装配并送检")
    submit(track, page, "进度跟进")
    assert "已联系生产部，装配完成80%" in page.locator("#timeline li[data-event=progress_tracked]").inner_text()
    assert OrderEvent.objects.filter(order=in_production, type="progress_tracked", actor=users["sales_assistant"],
                                     payload__record="已联系生产部，装配完成80%").exists()

    # finds the new order in the order list by its number, then by its state
    page.get_by_role("link", name="订单列表").click()
    page.get_by_label("搜索").fill(order.number)
    apply_filters(page)
    rows = page.locator("table.grid tbody tr")
    expect(rows).to_have_count(1)
    assert "待审批" in rows.first.inner_text()
    page.get_by_label("搜索").fill("")
    page.get_by_label("订单状态").select_option(label="待审批")
    apply_filters(page)
    expect(page.locator("table.grid tbody").get_by_role("link", name=order.number)).to_have_count(1)
    assert in_production.number not in page.locator("table.grid tbody").inner_text()

    # and downloads the progress register with today's record
    page.get_by_role("banner").get_by_role("link", name="订单跟进进度表").click()
    expect(page.locator("h1")).to_have_text("订单跟进进度表")
    page.get_by_label("搜索").fill(in_production.number)
    apply_filters(page)
    assert "明日完成装配并送检" in page.locator("#register").inner_text()
    with page.expect_download() as download:
        page.get_by_role("link", name="下载 .xlsx").click()
    assert download.value.suggested_filename == "订单跟进进度表.xlsx"
    with open(download.value.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == REGISTER_2
    assert [in_production.number, "生产", "sales_assistant", "2030-05-20", None, "已联系生产部，装配完成80%", None, None,
            "明日完成装配并送检"] in rows, rows
    screenshot(page, "journey-sales-assistant")
    page.close()


def test_account_manager_day_on_a_phone_and_at_the_desk(browser, web_server, users, orders):
    on_the_road = orders.at("shipped")
    negotiating = orders.at("date_negotiation")
    feasible = max(line.feasible_date for line in negotiating.lines.all())

    # on the phone: the today page lists the consignment to accept and the date to agree
    page = log_in(browser, web_server, "account_manager", phone=True)
    waiting = page.locator("#waiting")
    assert on_the_road.number in waiting.inner_text() and "客户验收" in waiting.inner_text()
    assert negotiating.number in waiting.inner_text() and "确认交期" in waiting.inner_text()
    assert no_horizontal_overflow(page)
    open_menu(page)  # on a phone the navigation folds behind 菜单
    today = page.get_by_role("navigation").get_by_role("link", name="今日")
    box = today.bounding_box()  # a touch target; its name on one line, not a character per line
    assert 44 <= box["height"] < 60 and box["width"] >= 30
    page.get_by_role("link", name="收起菜单").click()
    # at the customer's site: checks the goods, the customer signs, the signed receipt is photographed
    waiting.get_by_role("link", name=on_the_road.number).click()
    assert status(page) == "已发货"
    assert no_horizontal_overflow(page)
    page.get_by_role("link", name="手机验收").click()
    form = page.locator("form[data-action=accept]")
    expect(form).to_be_visible()
    assert no_horizontal_overflow(page)
    for item in ("数量", "规格", "外观"):
        form.get_by_label(f"{item}：合格", exact=True).check()
    form.get_by_label("签收人").fill("李*")
    form.get_by_label("签字的签收单（PDF/图片）").set_input_files({"name": "签收单.png", "mimeType": "image/png", "buffer": PNG})
    submit(form, page, "客户验收")
    assert status(page) == "已交付"
    assert no_horizontal_overflow(page)
    # the follow-up visit a few days later, with the customer's satisfaction
    visit = open_action(page, "客户回访")
    visit.get_by_label("沟通方式").select_option(label="电话")
    visit.get_by_label("产品使用情况").fill("设备运行稳定，客户很满意")
    visit.get_by_label("客户满意度评分(1-5分)").select_option("5")
    submit(visit, page, "客户回访")
    assert "已回访（电话），客户满意度 5 分" in page.locator("#visit").inner_text()
    assert status(page) == "已交付"
    assert no_horizontal_overflow(page)
    screenshot(page, "journey-account-manager-phone")
    page.close()

    on_the_road.refresh_from_db()
    assert on_the_road.status == "delivered" and on_the_road.shipments.get().received_by_name == "李*"
    done = FollowUpVisit.objects.get(order=on_the_road)
    assert done.done_at and done.satisfaction == 5 and done.channel == "phone"
    pay(on_the_road, users["finance"])  # the balance, paid on arrival
    assert "close" in available_actions(on_the_road, users["sales_manager"])  # ready to close

    # at the desk: the date the customer agreed to on the phone
    page = log_in(browser, web_server, "account_manager")
    page.locator("#waiting").get_by_role("link", name=negotiating.number).click()
    assert status(page) == "交期协商中"
    agree = open_action(page, "确认交期")
    agree.get_by_label("客户同意的交付日期").fill(feasible.isoformat())
    agree.get_by_label("协商记录").fill("电话沟通：库存不足，客户同意按可交付日期交货")
    submit(agree, page, "确认交期")
    assert status(page) == "已确认"
    assert feasible.isoformat() in page.locator("dl.facts").inner_text()
    negotiating.refresh_from_db()
    assert negotiating.status == "confirmed" and negotiating.promised_date == feasible
    screenshot(page, "journey-account-manager-desk")
    page.close()


def test_sales_manager_day(browser, web_server, users, orders):
    from orderloop.core import clock
    from orderloop.orders.timers import timers_flag_breaches

    with clock.frozen_at(datetime(2026, 3, 2, 10, 0, tzinfo=SHANGHAI)):
        late = act(orders.received(), "review", users["sales_assistant"], verdict="needs_info", missing=["交付日期不明确"])
    timers_flag_breaches(now=datetime(2026, 3, 2, 12, 30, tzinfo=SHANGHAI))
    to_approve = orders.at("pending_approval")
    to_close = act(orders.at("delivered", paid=True), "follow_up", users["account_manager"], channel="phone", usage="运行正常",
                   satisfaction=5)
    in_production = orders.at("in_fulfillment")

    page = log_in(browser, web_server, "sales_manager")
    waiting = page.locator("#waiting")
    assert to_approve.number in waiting.inner_text() and "审批通过" in waiting.inner_text()
    assert to_close.number in waiting.inner_text() and "完成订单" in waiting.inner_text()
    overdue = page.locator("#overdue")
    assert late.ref in overdue.inner_text() and "已通知销售经理" in overdue.inner_text()

    # approves an order from its page, seeing amount, terms and margin
    waiting.get_by_role("link", name=to_approve.number).click()
    assert page.locator("#order-total").inner_text() == "50,000.00"
    assert "利润率" in page.locator("tr.cost").inner_text()
    approve = open_action(page, "审批通过")
    approve.get_by_label("意见").fill("同意，按期交付")
    submit(approve, page, "审批通过")
    assert status(page) == "待总监审批"  # 50,000.00: over the seed's 10,000
    assert "同意，按期交付" in page.locator("#timeline li[data-event=approved]").inner_text()

    # the escalation in the inbox leads to the breached deadline; the three orders handed over for approval
    # (待审批) are there too
    assert page.locator("#unread-count").inner_text() == "4"
    page.get_by_role("link", name="消息").click()
    assert page.locator("#inbox").inner_text().count("【待审批】") == 3
    page.get_by_role("link", name=f"订单 {late.ref} 「联系客户」已超时").click()
    assert "已超时" in page.locator("#timers tr[data-kind=contact]").inner_text()

    # closes the delivered order whose visit is done
    page.get_by_role("link", name="今日").click()
    page.locator("#waiting").get_by_role("link", name=to_close.number).click()
    close = open_action(page, "完成订单")
    close.get_by_label("说明").fill("回访完成，客户满意")
    submit(close, page, "完成订单")
    assert status(page) == "已完成"

    # and looks at the board
    page.get_by_role("link", name="看板").click()
    expect(page.locator("section[data-stage=生产]").get_by_role("link", name=in_production.number)).to_have_count(1)
    screenshot(page, "journey-sales-manager")
    page.close()

    states = dict(SalesOrder.objects.values_list("pk", "status"))
    assert states[to_approve.pk] == "pending_director" and states[to_close.pk] == "closed"
    assert states[late.pk] == "needs_info" and states[in_production.pk] == "in_fulfillment"


def test_sales_director_day(browser, web_server, users, orders):
    large = orders.at("pending_director")
    special = orders.at("pending_director", special_terms="账期180天")
    not_yet = orders.at("pending_approval")

    page = log_in(browser, web_server, "sales_director")
    waiting = page.locator("#waiting")
    assert large.number in waiting.inner_text() and special.number in waiting.inner_text()
    assert not_yet.number not in waiting.inner_text()
    # the order list, filtered to what waits for the director
    page.get_by_role("link", name="订单列表").click()
    page.get_by_label("订单状态").select_option(label="待总监审批")
    apply_filters(page)
    table = page.locator("table.grid tbody")
    expect(table.locator("tr")).to_have_count(2)
    assert not_yet.number not in table.inner_text()

    # approves the large order
    table.get_by_role("link", name=large.number).click()
    assert "50,000.00" == page.locator("#order-total").inner_text()
    reasons = page.locator("section.notice", has=page.get_by_role("heading", name="需总监审批")).inner_text()
    assert "金额 50,000.00 元超过 10,000.00 元" in reasons, reasons
    approve = open_action(page, "审批通过")
    approve.get_by_label("意见").fill("同意，大额订单注意回款")
    submit(approve, page, "审批通过")
    assert status(page) == "待确认库存"

    # rejects the other with a reason
    page.get_by_role("link", name="订单列表").click()
    page.get_by_label("订单状态").select_option(label="待总监审批")
    apply_filters(page)
    page.locator("table.grid tbody").get_by_role("link", name=special.number).click()
    assert "含特殊条款" in page.locator("section.notice", has=page.get_by_role("heading", name="需总监审批")).inner_text()
    reject = open_action(page, "审批驳回")
    reject.get_by_label("原因").fill("账期超出公司政策，请与客户重新协商付款方式")
    submit(reject, page, "审批驳回")
    assert status(page) == "已驳回"
    assert "账期超出公司政策" in page.locator("#timeline li[data-event=approval_rejected]").inner_text()

    # nothing waits for the director any more
    page.get_by_role("link", name="订单列表").click()
    page.get_by_label("订单状态").select_option(label="待总监审批")
    apply_filters(page)
    expect(page.get_by_text("没有符合条件的订单")).to_be_visible()
    page.get_by_label("订单状态").select_option(label="已驳回")
    apply_filters(page)
    expect(page.locator("table.grid tbody").get_by_role("link", name=special.number)).to_have_count(1)
    screenshot(page, "journey-sales-director")
    page.close()

    large.refresh_from_db()
    special.refresh_from_db()
    assert large.status == "pending_stock_check" and special.status == "rejected"
    assert OrderEvent.objects.get(order=special, type="approval_rejected").payload["reason"].startswith("账期超出")
