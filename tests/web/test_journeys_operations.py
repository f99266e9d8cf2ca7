"""Role journeys in a real browser (Playwright driving Chromium against a real server): the daily work of
the warehouse, the production planner, logistics (on a phone and at a desk) and the after-sales engineer,
each started from the person's today page, done through the screens by their Chinese names, and ending in
a state checked in the database and on the page. Earlier steps of an order, done by other people, are
taken through the real lifecycle (tests.support.orders.OrderBuilder)."""
import os
from datetime import timedelta
from decimal import Decimal

import pytest
from playwright.sync_api import expect

from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.orders.models import SalesOrder
from tests.support.finance import pay
from tests.support.browser import ARTIFACTS, log_in, open_menu
from tests.support.orders import PNG, act, receipt_scan

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
NO_HORIZONTAL_OVERFLOW = "document.scrollingElement.scrollWidth <= window.innerWidth"


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"journey-{name}.png"), full_page=True)


def open_action(page, label):
    """Open an action of the order page by the name on its button (the <summary> of its form)."""
    page.locator("#actions").get_by_text(label, exact=True).click()
    form = page.locator("#actions details[open] form")
    expect(form).to_be_visible()
    return form


EVENTS = {"确认库存": "stock_confirmed", "发货准备": "shipment_prepared", "开始备货/生产": "fulfillment_started",
          "进度跟进": "progress_tracked", "发货": "shipped"}


def submit(page, form, label):
    """Submit an action form; done when the order page is back with one more event of that action."""
    events = page.locator(f"#timeline li[data-event={EVENTS[label]}]")
    before = events.count()
    form.get_by_role("button", name=f"提交：{label}").click()
    expect(events).to_have_count(before + 1)
    expect(page.locator(".messages .success", has_text=label)).to_be_visible()


def test_warehouse_confirms_stock_and_prepares_a_shipment(browser, web_server, users, orders, product):
    from orderloop.masterdata.models import Product

    switch = Product.objects.create(name="交换机", model="N-100", unit="台", list_price="1200.00", cost_price="800.00")
    waiting = orders.at("pending_stock_check", lines=[
        {"product_id": product.pk, "quantity": "10", "unit_price": "5000"},
        {"product_id": switch.pk, "quantity": "5", "unit_price": "1200"}])
    produced = orders.at("in_fulfillment")  # its one stage, 生产, recorded as finished by production
    produced = act(produced, "track", users["production"], stage="生产", record="生产完成", actual_date="2024-05-19")

    # the today page lists what waits for the warehouse: the stock confirmation and the shipment to prepare
    page = log_in(browser, web_server, "warehouse")
    todo = page.locator("#waiting")
    expect(todo.locator("li", has_text=waiting.number)).to_contain_text("待确认库存 · 确认库存")
    expect(todo.locator("li", has_text=produced.number)).to_contain_text("发货准备")

    # stock confirmation: the servers are in stock, the switches are to be produced in 15 working days, by 20 May
    todo.get_by_role("link", name=waiting.number).click()
    expect(page.locator("#order-status")).to_have_text("待确认库存")
    form = open_action(page, "确认库存")
    servers = form.locator("tbody tr", has_text="服务器A型")
    servers.get_by_label("库存状态").select_option(label="现货")
    switches = form.locator("tbody tr", has_text="交换机")
    switches.get_by_label("库存状态").select_option(label="需生产")
    switches.get_by_label("生产周期(工作日)").fill("15")
    switches.get_by_label("可交付日期").fill("2030-05-20")
    switches.get_by_label("日期调整原因").fill("按排产计划，已预留产能")
    submit(page, form, "确认库存")
    expect(page.locator("#order-status")).to_have_text("已确认")
    lines = page.locator("section", has=page.get_by_role("heading", name="产品/服务"))
    expect(lines.locator("tr", has_text="服务器A型")).to_contain_text("现货")
    expect(lines.locator("tr", has_text="交换机")).to_contain_text("需生产")
    expect(lines.locator("tr", has_text="交换机")).to_contain_text("2030-05-20")
    expect(page.locator("#timers tr[data-kind=stock_check]")).to_contain_text("已按时完成")
    confirmed = SalesOrder.objects.get(pk=waiting.pk)
    assert confirmed.status == "confirmed" and str(confirmed.promised_date) == "2030-05-25"
    by_product = {line.product_name: line for line in confirmed.lines.all()}
    assert (by_product["服务器A型"].availability, by_product["服务器A型"].feasible_date is not None) == ("in_stock", True)
    assert (by_product["交换机"].availability, by_product["交换机"].lead_time_days, str(by_product["交换机"].feasible_date)) \
        == ("needs_production", 15, "2030-05-20")
    assert all(str(line.agreed_date) == "2030-05-25" for line in by_product.values())

    # production waits for the 30% deposit; finance records it meanwhile
    pay(confirmed, users["finance"], "on_confirmation")

    # later, back on the today page: the order whose stages are done gets its shipment preparation form
    page.get_by_role("link", name="今日").click()
    expect(page.locator("#waiting li", has_text=waiting.number)).to_contain_text("已确认 · 开始备货/生产")
    page.locator("#waiting").get_by_role("link", name=produced.number).click()
    expect(page.locator("#order-status")).to_have_text("备货/生产中")
    assert page.locator(".blocked").count() == 0
    form = open_action(page, "发货准备")
    assert form.get_by_label("货物清单").input_value() == "服务器A型 S-001 × 10"
    expect(form.get_by_label("已核对产品数量")).not_to_be_checked()  # ticked by the one who checked, never before
    expect(form.get_by_label("质检合格")).not_to_be_checked()
    form.get_by_label("已核对产品数量").check()
    form.get_by_label("质检合格").check()
    form.get_by_label("质检结论").fill("外观、通电测试全部合格")
    form.get_by_label("质检报告（PDF/图片）").set_input_files({"name": "质检报告.png", "mimeType": "image/png", "buffer": PNG})
    submit(page, form, "发货准备")
    expect(page.locator("#order-status")).to_have_text("待发货")
    prepared = page.locator("#timeline li[data-event=shipment_prepared]")
    expect(prepared).to_contain_text("备货/生产中 → 待发货")
    expect(prepared).to_contain_text("外观、通电测试全部合格")
    page.get_by_role("link", name="《发货准备单》").click()
    expect(page.locator("#slip-qc")).to_have_text("外观、通电测试全部合格")
    expect(page.locator("#shipment-slip")).to_contain_text("质检报告.png")
    screenshot(page, "warehouse")
    page.close()

    ready = SalesOrder.objects.get(pk=produced.pk)
    assert ready.status == "ready_to_ship"
    event = ready.events.get(type="shipment_prepared")
    assert event.actor == users["warehouse"]
    assert (event.payload["quantity_checked"], event.payload["qc_passed"], event.payload["qc_report"],
            event.payload["qc_report_file"]) == (True, True, "外观、通电测试全部合格", "质检报告.png")
    assert ready.attachments.get(kind="qc_report").filename == "质检报告.png"


def test_production_plans_the_stages_and_tracks_them_to_done(browser, web_server, users, orders):
    from orderloop.orders.lifecycle.engine import available_actions

    order = orders.at("confirmed")
    today = clock.today()

    page = log_in(browser, web_server, "production")
    expect(page.locator("#waiting li", has_text=order.number)).to_contain_text("已确认 · 开始备货/生产")
    page.locator("#waiting").get_by_role("link", name=order.number).click()

    # the stage plan, suggested from the standard template: this order is picked and produced; packing and
    # QC are done by the warehouse in its shipment preparation, so those two rows are taken out
    form = open_action(page, "开始备货/生产")
    rows = form.locator("tbody tr")
    expect(rows).to_have_count(4)
    assert [rows.nth(i).get_by_label("环节").input_value() for i in range(4)] == ["备货", "生产", "包装", "质检"]
    assert rows.nth(1).get_by_label("负责人").input_value() == "production"  # chosen among the production planners
    produce_by = (today + timedelta(days=14)).isoformat()
    rows.nth(1).get_by_label("计划完成时间").fill(produce_by)
    for index in (2, 3):
        for label in ("环节", "计划完成时间"):
            rows.nth(index).get_by_label(label).fill("")
        rows.nth(index).get_by_label("负责人").select_option("")
    submit(page, form, "开始备货/生产")
    expect(page.locator("#order-status")).to_have_text("备货/生产中")
    stages = page.locator("#stages tbody tr")
    expect(stages).to_have_count(2)
    expect(stages.nth(1)).to_contain_text(produce_by)

    # the materials are in: 备货 done today
    form = open_action(page, "进度跟进")
    assert form.get_by_label("当前阶段").input_value() == "备货"
    form.get_by_label("跟进记录").fill("物料已齐套")
    form.get_by_label("实际完成时间").fill(today.isoformat())
    submit(page, form, "进度跟进")
    expect(stages.nth(0)).to_contain_text(today.isoformat())

    # a progress record on 生产, not finished yet, with a problem and what is done about it
    form = open_action(page, "进度跟进")
    assert form.get_by_label("当前阶段").input_value() == "生产"
    form.get_by_label("跟进记录").fill("已完成6台，剩余4台明日完成")
    form.get_by_label("存在问题").fill("一台主板测试未通过")
    form.get_by_label("解决措施").fill("更换主板后复测")
    form.get_by_label("下一步计划").fill("明日完成剩余4台并自检")
    submit(page, form, "进度跟进")
    expect(stages.nth(1).locator("td").nth(3)).to_have_text("—")

    # 生产 finished
    form = open_action(page, "进度跟进")
    assert form.get_by_label("当前阶段").input_value() == "生产"
    form.get_by_label("跟进记录").fill("10台全部生产完成，自检合格")
    form.get_by_label("实际完成时间").fill(today.isoformat())
    submit(page, form, "进度跟进")
    expect(stages.nth(1).locator("td").nth(3)).to_have_text(today.isoformat())
    assert page.locator(".blocked").count() == 0

    # every record is in the 订单跟进进度表
    page.get_by_role("link", name="订单跟进进度表").click()
    register = page.locator("#register tbody tr", has_text=order.number)
    expect(register).to_have_count(3)
    expect(register.nth(1)).to_contain_text("一台主板测试未通过")
    expect(register.nth(2)).to_contain_text("10台全部生产完成，自检合格")
    page.go_back()
    screenshot(page, "production")
    page.close()

    order = SalesOrder.objects.get(pk=order.pk)
    assert order.status == "in_fulfillment"
    assert [(s.name, s.owner.username, s.actual_date) for s in order.stages.filter(superseded=False).order_by("position")] \
        == [("备货", "warehouse", today), ("生产", "production", today)]
    assert order.events.filter(type="progress_tracked", actor=users["production"]).count() == 3
    assert "prepare_shipment" in available_actions(order, users["warehouse"])

    # and the warehouse now finds the shipment preparation waiting for it, not blocked
    page = log_in(browser, web_server, "warehouse")
    expect(page.locator("#waiting li", has_text=order.number)).to_contain_text("发货准备")
    page.locator("#waiting").get_by_role("link", name=order.number).click()
    expect(page.locator("#actions").get_by_text("发货准备", exact=True)).to_be_visible()
    assert page.locator(".blocked").count() == 0
    page.close()


def ship_from_today(page, order, *, method, carrier, tracking_number, eta):
    expect(page.locator("#waiting li", has_text=order.number)).to_contain_text("待发货 · 发货")
    page.locator("#waiting").get_by_role("link", name=order.number).click()
    form = open_action(page, "发货")
    expect(form.locator("tbody tr")).to_contain_text("服务器A型")
    form.get_by_label("物流方式").select_option(label=method)
    form.get_by_label("承运商").fill(carrier)
    form.get_by_label("物流单号").fill(tracking_number)
    form.get_by_label("预计送达时间").fill(eta)
    submit(page, form, "发货")
    expect(page.locator("#order-status")).to_have_text("已发货")
    expect(page.locator("#shipments tr[data-batch='1']")).to_contain_text(tracking_number)


def find_in_logistics_register(page, order, tracking_number):
    open_menu(page).locator("nav").get_by_role("link", name="物流跟踪表").click()
    expect(page.locator("h1")).to_have_text("物流跟踪表")
    page.get_by_label("搜索").fill(order.number)
    page.get_by_role("button", name="筛选").click()
    rows = page.locator("#register tbody tr")
    expect(rows).to_have_count(1)
    expect(rows).to_contain_text(tracking_number)
    return rows


def test_logistics_ships_on_a_phone_and_at_the_desk_and_finds_the_consignments(browser, web_server, users, orders):
    on_phone, at_desk = orders.at("ready_to_ship"), orders.at("ready_to_ship")
    eta = (clock.today() + timedelta(days=3)).isoformat()

    # on a phone, at the loading dock
    page = log_in(browser, web_server, "logistics", phone=True)
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    ship_from_today(page, on_phone, method="快递", carrier="顺丰速运", tracking_number="SF1402203040", eta=eta)
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    row = find_in_logistics_register(page, on_phone, "SF1402203040")
    expect(row).to_contain_text("顺丰速运")
    expect(row).to_contain_text(eta)
    assert page.evaluate(NO_HORIZONTAL_OVERFLOW)
    screenshot(page, "logistics-phone")
    page.close()

    # at the desk, a truckload
    page = log_in(browser, web_server, "logistics")
    ship_from_today(page, at_desk, method="整车运输", carrier="德邦物流", tracking_number="DB2030051801", eta=eta)
    row = find_in_logistics_register(page, at_desk, "DB2030051801")
    expect(row).to_contain_text("整车运输")
    page.get_by_role("link", name="今日").click()
    # shipped, it waits for the delivery (acceptance and the customer's receipt), no longer for a shipment
    expect(page.locator("#waiting li", has_text=at_desk.number)).to_contain_text("已发货 · 客户验收、客户签收")
    page.go_back()
    screenshot(page, "logistics-desktop")
    page.close()

    for order, method, carrier, number in ((on_phone, "express", "顺丰速运", "SF1402203040"),
                                           (at_desk, "truckload", "德邦物流", "DB2030051801")):
        order = SalesOrder.objects.get(pk=order.pk)
        assert order.status == "shipped"
        shipment = order.shipments.get()
        assert (shipment.method, shipment.carrier, shipment.tracking_number, shipment.eta.isoformat(), shipment.shipped_by) \
            == (method, carrier, number, eta, users["logistics"])
        assert [(item.order_line.product_name, item.quantity) for item in shipment.lines.all()] == [("服务器A型", Decimal(10))]


def test_after_sales_answers_resolves_follows_up_and_closes_a_ticket(browser, web_server, users, orders):
    from orderloop.aftersales.models import Ticket

    # at acceptance the account manager found a dented unit: the issue became an after-sales ticket
    order = orders.at("shipped")
    order = act(order, "accept", users["account_manager"], quantity_ok=True, spec_ok=True, appearance_ok=False,
                appearance_note="1台服务器外壳凹陷", signed_by="李*",
                receipt_attachment_id=receipt_scan(order).pk)
    assert order.status == "delivered"
    ticket = Ticket.objects.get(order=order)

    page = log_in(browser, web_server, "after_sales")
    item = page.locator("#today-tickets li", has_text=order.number)
    expect(item).to_contain_text("待响应")
    expect(item).to_contain_text("1台服务器外壳凹陷")
    item.get_by_role("link", name=f"{order.number} 破损").click()
    state = page.locator("h1 .badge")
    expect(state).to_have_text("待响应")

    # the first response, within 24 hours
    page.get_by_label("响应记录").fill("已电话联系客户李*，确认凹陷不影响使用，安排换货")
    page.get_by_role("button", name="记录响应").click()
    expect(state).to_have_text("已响应")

    # the solution and the promised time
    promised = (clock.now() + timedelta(days=3)).astimezone(SHANGHAI).replace(hour=17, minute=0, second=0, microsecond=0)
    page.get_by_label("处理措施").select_option(label="换货")
    page.get_by_label("解决方案").fill("寄送新机，旧机由顺丰上门取回")
    page.get_by_label("承诺完成时间").fill(promised.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_role("button", name="保存解决方案").click()
    expect(state).to_have_text("处理中")
    expect(page.locator("#ticket")).to_contain_text(promised.strftime("%Y-%m-%d %H:%M"))

    # the result, told to the account manager and the customer
    page.get_by_label("处理结果").fill("新机已送达并验收，旧机已取回")
    page.get_by_role("button", name="记录处理结果（同步客户经理及客户）").click()
    expect(state).to_have_text("待客户确认")

    # the customer confirms on the phone; then the ticket is closed
    page.get_by_label("已确认解决", exact=True).check()
    page.get_by_label("客户满意度评分(1-5分)").select_option("5")
    page.get_by_label("回访记录").fill("客户确认新机运行正常，对处理速度满意")
    page.get_by_role("button", name="记录回访").click()
    expect(page.locator("#ticket")).to_contain_text("客户确认已解决，5 分")
    page.get_by_role("button", name="关闭反馈").click()
    expect(state).to_have_text("已关闭")
    expect(page.locator("#ticket-steps")).to_have_count(0)

    # the list of open tickets no longer has it; the closed ones do
    page.locator("nav").get_by_role("link", name="售后问题").click()
    expect(page.locator(f"tr[data-ticket='{ticket.pk}']")).to_have_count(0)
    page.get_by_label("状态").select_option(label="已关闭")
    page.get_by_role("button", name="筛选").click()
    row = page.locator(f"tr[data-ticket='{ticket.pk}']")
    expect(row).to_contain_text(order.number)
    expect(row.locator("td").last).to_have_text("已关闭")
    page.get_by_role("link", name="今日").click()
    expect(page.locator("#today-tickets")).to_contain_text("没有待处理的客户反馈")
    page.go_back()
    screenshot(page, "after-sales")
    page.close()

    ticket.refresh_from_db()
    assert (ticket.state, ticket.assignee, ticket.solution_type, ticket.customer_confirmed, ticket.customer_satisfaction) \
        == ("closed", users["after_sales"], "replace", True, 5)
    assert ticket.closed_at is not None and ticket.result == "新机已送达并验收，旧机已取回"
    assert ticket.promised_at == promised
    response = ticket.timers.get(kind="aftersales_response")
    assert response.met_at is not None and response.met_at <= response.due_at
    assert list(order.events.filter(type__startswith="ticket_").order_by("id").values_list("type", flat=True)) == [
        "ticket_opened", "ticket_responded", "ticket_solution_given", "ticket_resolved", "ticket_followed_up",
        "ticket_closed"]
