"""In a real browser (Playwright driving Debian's Chromium)."""
import os

import pytest

from orderloop.orders.models import SalesOrder
from tests.support.browser import ARTIFACTS, accept_dialog, log_in
from tests.support.intake import choose_customer, choose_product

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_intake_review_and_approval_in_the_browser(browser, web_server, users, customer, product):
    # the sales assistant enters an order in the intake form
    page = log_in(browser, web_server, "sales_assistant")
    page.get_by_role("link", name="录入订单").click()
    choose_customer(page, "kj", "科技有限公司")
    page.get_by_label("联系人").fill("李*")
    page.get_by_label("联系方式").fill("13800001111")
    page.get_by_label("交付日期").fill("2030-05-25")
    page.get_by_label("付款方式").fill("30%预付,余款到付")
    page.get_by_label("交付地址").fill("北京市海淀区路1号")
    choose_product(page, 1, "S-001", "服务器A型 S-001")
    page.get_by_label("数量 1", exact=True).fill("10")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_selector("#order-status")
    assert page.locator("#order-status").inner_text() == "已接收"
    assert page.locator("#order-total").inner_text() == "50,000.00"

    # and passes the preliminary review
    page.get_by_text("初步审核", exact=True).click()
    page.locator("form[data-action=review]").get_by_label("审核结论").select_option("pass")
    page.get_by_role("button", name="提交：初步审核").click()
    page.wait_for_selector(".messages .success:has-text('初步审核')")
    order = SalesOrder.objects.get()
    assert order.status == "pending_approval" and order.number
    assert page.locator("h1").inner_text() == f"订单 {order.number}"
    page.close()

    # the sales manager logs in and approves it
    page = log_in(browser, web_server, "sales_manager")
    page.goto(f"{web_server.url}/orders/")
    page.get_by_role("link", name=order.number).click()
    page.get_by_text("审批通过", exact=True).click()
    approve = page.locator("form[data-action=approve]")
    approve.get_by_label("意见").fill("同意，注意logo定制")
    approve.get_by_role("button", name="提交：审批通过").click()
    page.wait_for_selector(".messages .success:has-text('审批通过')")
    assert page.locator("#order-status").inner_text() == "待总监审批"  # 10 × 5,000.00: a large order (over 10,000)

    # the order page shows both events in Chinese
    timeline = page.locator("#timeline")
    review = timeline.locator("li[data-event=reviewed]")
    assert "初步审核" in review.inner_text() and "通过" in review.inner_text() and "已接收 → 待审批" in review.inner_text()
    approval = timeline.locator("li[data-event=approved]")
    assert "审批通过" in approval.inner_text() and "同意，注意logo定制" in approval.inner_text()
    assert "待审批 → 待总监审批" in approval.inner_text()
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "order-approved.png"), full_page=True)
    page.close()


def test_intake_form_keeps_input_and_names_the_bad_field(browser, web_server, users, customer, product):
    page = log_in(browser, web_server, "sales_assistant")
    page.goto(f"{web_server.url}/orders/new/")
    choose_customer(page, "kj", "科技有限公司")
    page.get_by_label("联系人").fill("李*")
    choose_product(page, 1, "S-001", "服务器A型 S-001")
    page.get_by_label("数量 1", exact=True).fill("-3")
    page.get_by_role("button", name="提交订单").click()
    assert page.get_by_text("数量：必须大于 0", exact=True).is_visible()
    assert page.locator("#intake-errors").get_by_role("link", name="第 1 行 数量：必须大于 0").is_visible()
    assert page.get_by_label("联系人").input_value() == "李*"
    assert SalesOrder.objects.count() == 0


def test_sales_manager_sees_a_breached_deadline_and_its_escalation(browser, web_server, users, orders):
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from orderloop.core import clock
    from orderloop.orders.timers import timers_flag_breaches
    from tests.support.orders import act

    with clock.frozen_at(datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))):
        order = act(orders.received(), "review", users["sales_assistant"], verdict="needs_info", missing=["交付日期不明确"])
    timers_flag_breaches(now=datetime(2026, 3, 2, 12, 30, tzinfo=ZoneInfo("Asia/Shanghai")))

    page = log_in(browser, web_server, "sales_manager")
    overdue = page.locator("#overdue")
    assert order.ref in overdue.inner_text() and "「联系客户」" in overdue.inner_text()
    assert "已通知销售经理" in overdue.inner_text()
    assert page.locator("#unread-count").inner_text() == "1"
    page.get_by_role("link", name="消息").click()
    assert f"订单 {order.ref} 「联系客户」已超时" in page.locator("#inbox").inner_text()
    page.get_by_role("link", name=f"订单 {order.ref} 「联系客户」已超时").click()
    row = page.locator("#timers tr[data-kind=contact]")
    assert "已超时" in row.inner_text() and "2026-03-02 12:00" in row.inner_text()
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "breached-deadline.png"), full_page=True)
    page.close()


def test_mail_order_from_upload_through_needs_info_to_review_passed(browser, web_server, users, customer, product):
    from tests.support.mails import order_mail

    customer.contacts.update(email="li@keji.example")
    page = log_in(browser, web_server, "sales_assistant")
    # the sales assistant uploads the customer's mail
    page.get_by_role("link", name="邮件订单").click()
    page.locator("#mail-upload input[name=file]").set_input_files(
        {"name": "order.eml", "mimeType": "message/rfc822", "buffer": order_mail()})
    page.get_by_role("button", name="上传并生成订单").click()
    page.wait_for_selector("#order-status")
    assert page.locator("#order-status").inner_text() == "已接收"
    assert "采购订单.xlsx" in page.locator("#attachments").inner_text()
    assert page.locator("#order-total").inner_text() == "50,000.00"
    # completes the draft
    page.locator("#edit-order").click()
    page.get_by_label("付款方式").fill("30%预付,余款到付")
    page.get_by_label("交付地址").fill("北京市海淀区路1号")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector(".messages .success:has-text('已保存')")
    # the delivery date is vague: needs info
    page.locator("#action-review summary").click()
    review = page.locator("form[data-action=review]")
    review.get_by_label("审核结论").select_option("needs_info")
    review.get_by_label("需补充/澄清的内容（每行一项）").fill("交付日期不明确（邮件写「5月25日前」，未写年份）")
    review.get_by_role("button", name="提交：初步审核").click()
    page.wait_for_selector(".messages .success:has-text('初步审核')")
    assert page.locator("#order-status").inner_text() == "待补充"
    assert "进行中" in page.locator("#timers tr[data-kind=contact]").inner_text()
    # logs the phone call: the 2-hour deadline is met
    page.locator("#action-log_contact summary").click()
    contact = page.locator("form[data-action=log_contact]")
    contact.get_by_label("沟通方式").select_option("phone")
    contact.get_by_label("沟通内容").fill("电话联系李*，确认交付日期")
    contact.get_by_label("沟通结果").fill("客户确认2030年5月25日交付")
    contact.get_by_role("button", name="提交：记录沟通").click()
    page.wait_for_selector(".messages .success:has-text('记录沟通')")
    assert "已按时完成" in page.locator("#timers tr[data-kind=contact]").inner_text()
    # supplements the date and passes the review
    page.locator("#action-supplement summary").click()
    supplement = page.locator("form[data-action=supplement]")
    supplement.get_by_label("交付日期").fill("2030-05-25")
    supplement.get_by_role("button", name="提交：补充信息").click()
    page.wait_for_selector(".messages .success:has-text('补充信息')")
    assert page.locator("#order-status").inner_text() == "已接收"
    assert "✓ 交付日期：2030-05-25" in page.locator("#checklist").inner_text()
    page.locator("#action-review summary").click()
    page.locator("form[data-action=review]").get_by_role("button", name="提交：初步审核").click()
    page.wait_for_selector(".messages .success:has-text('初步审核')")
    assert page.locator("#order-status").inner_text() == "待审批"
    # the printable review form shows the checklist and the verdict
    page.get_by_role("link", name="《订单初步审核表》").click()
    form = page.locator("#review-form")
    assert "✓ 无误" in form.inner_text() and "客户确认2030年5月25日交付" in form.inner_text()
    assert "☑ 通过" in page.locator("#verdict").inner_text()
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "review-form.png"), full_page=True)
    page.close()


def test_two_level_approval_a_short_line_and_the_agreed_date(browser, web_server, users, orders, product):
    from orderloop.masterdata.models import Product
    from orderloop.orders.models import SalesOrder
    from tests.support.orders import act, stock_up

    switch = Product.objects.create(name="交换机", model="N-100", unit="台", list_price="1200.00", cost_price="800.00")
    from datetime import date, timedelta

    order = act(orders.received(requested_date=(date.today() + timedelta(days=7)).isoformat(), lines=[
        {"product_id": product.pk, "quantity": "28", "unit_price": "5000"},
        {"product_id": switch.pk, "quantity": "25", "unit_price": "400"}]), "review", users["sales_assistant"], verdict="pass")
    assert order.total_amount == 150000

    def approve(username):
        page = log_in(browser, web_server, username)
        page.goto(f"{web_server.url}/orders/{order.number}/")
        page.locator("#action-approve summary").click()
        page.locator("form[data-action=approve]").get_by_role("button", name="提交：审批通过").click()
        page.wait_for_selector(".messages .success:has-text('审批通过')")
        status = page.locator("#order-status").inner_text()
        page.close()
        return status

    assert approve("sales_manager") == "待总监审批"
    assert approve("sales_director") == "待确认库存"

    # the warehouse marks the switches short, with a lead time (the servers are on hand)
    stock_up(product, "28")
    page = log_in(browser, web_server, "warehouse")
    page.goto(f"{web_server.url}/orders/{order.number}/")
    page.locator("#action-confirm_stock summary").click()
    form = page.locator("form[data-action=confirm_stock]")
    form.locator("select[name='lines.0.availability']").select_option("in_stock")
    form.locator("select[name='lines.1.availability']").select_option("short")
    form.locator("input[name='lines.1.lead_time_days']").fill("15")
    form.get_by_role("button", name="提交：确认库存").click()
    page.wait_for_selector(".messages .success:has-text('确认库存')")
    assert page.locator("#order-status").inner_text() == "交期协商中"
    page.close()
    feasible = max(line.feasible_date for line in SalesOrder.objects.get(pk=order.pk).lines.all())

    # the account manager records the date the customer agreed
    page = log_in(browser, web_server, "account_manager")
    page.goto(f"{web_server.url}/orders/{order.number}/")
    page.locator("#action-agree_date summary").click()
    form = page.locator("form[data-action=agree_date]")
    form.get_by_label("客户同意的交付日期").fill(feasible.isoformat())
    form.get_by_label("协商记录").fill("电话沟通：交换机缺货，客户同意整单延后交付")
    form.get_by_role("button", name="提交：确认交期").click()
    page.wait_for_selector(".messages .success:has-text('确认交期')")
    assert page.locator("#order-status").inner_text() == "已确认"
    assert feasible.isoformat() in page.locator("dl.facts").inner_text()
    page.close()


def test_a_late_stage_and_a_material_shortage_reach_the_manager_who_resolves_it(browser, web_server, users, orders):
    from datetime import timedelta

    from django.utils import timezone

    from orderloop.notifications.models import Notification
    from tests.support.orders import act

    today = timezone.localdate()
    order = act(orders.at("confirmed"), "start_fulfillment", users["production"], stages=[
        {"name": "生产", "owner": "production", "planned_date": (today - timedelta(days=2)).isoformat()},
        {"name": "质检", "owner": "warehouse", "planned_date": (today + timedelta(days=5)).isoformat()}])

    # production records the stage finished today, two days late, and raises a material shortage
    page = log_in(browser, web_server, "production")
    page.goto(f"{web_server.url}/orders/{order.number}/")
    assert "以下环节尚未完成：生产、质检" not in page.content()  # production does not prepare shipments
    page.locator("#action-track summary").click()
    track = page.locator("form[data-action=track]")
    assert track.get_by_label("当前阶段").input_value() == "生产"
    track.get_by_label("跟进记录").fill("生产完成，比计划晚2天")
    track.get_by_label("存在问题").fill("芯片到货延迟")
    track.get_by_label("实际完成时间").fill(today.isoformat())
    track.get_by_role("button", name="提交：进度跟进").click()
    page.wait_for_selector(".messages .success:has-text('进度跟进')")
    assert today.isoformat() in page.locator("#stages").inner_text()
    page.locator("#action-raise_risk summary").click()
    risk = page.locator("form[data-action=raise_risk]")
    risk.get_by_label("风险类型").select_option(label="原材料短缺")
    risk.get_by_label("描述").fill("包装用防静电袋缺货，质检后无法包装")
    risk.get_by_role("button", name="提交：上报风险").click()
    page.wait_for_selector(".messages .success:has-text('上报风险')")
    page.close()
    assert Notification.objects.filter(event="risk_raised", recipient=users["sales_manager"]).exists()

    # the sales manager sees it on the today page and on the board
    page = log_in(browser, web_server, "sales_manager")
    risks = page.locator("#risks")
    assert order.number in risks.inner_text() and "防静电袋" in risks.inner_text()
    page.get_by_role("link", name="看板").click()
    card = page.locator(".board-card", has_text=order.number)
    assert "风险：原材料短缺" in card.inner_text()
    assert page.locator("section[data-stage=质检]").get_by_text(order.number).count() == 1
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "board.png"), full_page=True)

    # and resolves it with a mitigation
    card.get_by_role("link", name=order.number).click()
    page.locator("#action-resolve_risk summary").click()
    resolve = page.locator("form[data-action=resolve_risk]")
    resolve.get_by_label("解决方式").select_option(label="协调优先生产")
    resolve.get_by_label("解决措施").fill("协调采购加急，今日到货后优先包装")
    resolve.get_by_role("button", name="提交：解决风险").click()
    page.wait_for_selector(".messages .success:has-text('解决风险')")
    assert "已解决（协调优先生产）：协调采购加急" in page.locator("#risks").inner_text()
    assert page.locator("#order-status").inner_text() == "备货/生产中"
    page.close()
    risk = order.risks.get()
    assert risk.resolved_by == users["sales_manager"] and risk.mitigation_type == "prioritise_production"


def test_acceptance_on_a_phone_with_a_photo_of_a_damaged_unit(browser, web_server, users, orders):
    from orderloop.aftersales.models import Ticket
    from tests.support.orders import PNG

    order = orders.at("shipped")
    page = log_in(browser, web_server, "account_manager", phone=True)
    page.goto(f"{web_server.url}/orders/{order.number}/acceptance/")
    form = page.locator("form[data-action=accept]")
    form.get_by_label("数量：合格", exact=True).check()
    form.get_by_label("规格：合格", exact=True).check()
    form.get_by_label("外观：不合格", exact=True).check()
    form.get_by_label("外观：不合格说明").fill("1台服务器外壳凹陷")
    photo = form.locator("input[name='appearance_photo_attachment_ids']")
    assert photo.get_attribute("capture") == "environment"
    photo.set_input_files({"name": "damage.png", "mimeType": "image/png", "buffer": PNG})
    form.get_by_role("button", name="提交：客户验收").click()
    page.wait_for_selector(".messages .success:has-text('客户验收')")
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "acceptance-phone.png"), full_page=True)
    page.close()
    ticket = Ticket.objects.get(order=order)
    assert ticket.ticket_type == "damage" and ticket.photos.get().filename == "damage.png"

    # after-sales sees it in their list, with the photo
    page = log_in(browser, web_server, "after_sales")
    page.get_by_role("link", name="售后问题").click()
    row = page.locator(f"tr[data-ticket='{ticket.pk}']")
    assert order.number in row.inner_text() and "1台服务器外壳凹陷" in row.inner_text() and "破损" in row.inner_text()
    image = row.locator("img.thumb")
    assert image.get_attribute("alt") == "damage.png"
    served = page.request.get(web_server.url + image.get_attribute("src"))
    assert served.status == 200 and served.headers["content-type"] == "image/png" and served.body() == PNG
    page.close()


def test_an_action_that_cannot_be_undone_asks_first(browser, web_server, users, orders):
    order = orders.at("pending_stock_check")
    page = log_in(browser, web_server, "sales_manager")
    page.remove_listener("dialog", accept_dialog)
    questions = []

    def answer_no(dialog):
        questions.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", answer_no)
    page.goto(f"{web_server.url}/orders/{order.number}/")
    page.locator("#action-cancel summary").click()
    form = page.locator("form[data-action=cancel]")
    form.get_by_label("原因").fill("客户取消")
    with page.expect_event("dialog"):
        form.get_by_role("button", name="提交：取消订单").click()
    assert questions == ["取消后订单即终止，不能恢复。确定取消这张订单吗？"]
    assert SalesOrder.objects.get(pk=order.pk).status == "pending_stock_check"
    assert form.get_by_label("原因").input_value() == "客户取消"  # nothing sent, nothing lost

    page.remove_listener("dialog", answer_no)
    page.on("dialog", accept_dialog)
    form.get_by_role("button", name="提交：取消订单").click()
    page.wait_for_selector("#order-status >> text=已取消")
    assert SalesOrder.objects.get(pk=order.pk).status == "cancelled"
