"""Each deadline of SPEC section 3, with the clock under control: it starts, it is
met, or else it breaches and the person named is told once."""
import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.core import clock
from orderloop.notifications.models import Notification
from orderloop.orders.models import OrderTimer
from orderloop.orders.timers import logistics_notices_send, timers_flag_breaches
from tests.support.orders import act, stock_for

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


def timer(order, kind):
    return OrderTimer.objects.filter(order=order, kind=kind).order_by("-id").first()


def escalations(event):
    return list(Notification.objects.filter(event=event).values_list("recipient__username", "channel").order_by("channel"))


def breach_check(moment):
    with clock.frozen_at(moment):
        return timers_flag_breaches()


@pytest.fixture
def monday(orders):
    """Everything starts on Monday 2026-03-02 at 10:00 in Shanghai."""
    with clock.frozen_at(at(2026, 3, 2, 10, 0)):
        yield orders


def test_contact_timer_met_by_logging_the_call(monday, users):
    order = act(monday.received(), "review", users["sales_assistant"], verdict="needs_info", missing=["交付日期不明确"])
    contact = timer(order, "contact")
    assert (contact.state, contact.due_at) == ("running", at(2026, 3, 2, 12, 0))
    with clock.frozen_at(at(2026, 3, 2, 11, 30)):
        act(order, "log_contact", users["sales_assistant"], channel="phone", summary="电话", outcome="客户确认")
    contact.refresh_from_db()
    assert (contact.state, contact.met_at) == ("met", at(2026, 3, 2, 11, 30))
    assert breach_check(at(2026, 3, 3, 9, 0)) == 0
    assert escalations("timer_breached:contact") == []


def test_contact_timer_breaches_and_tells_the_sales_manager_once(monday, users):
    order = act(monday.received(), "review", users["sales_assistant"], verdict="needs_info", missing=["联系方式缺失"])
    assert breach_check(at(2026, 3, 2, 11, 59)) == 0
    assert breach_check(at(2026, 3, 2, 12, 1)) == 1
    contact = timer(order, "contact")
    assert (contact.state, contact.breached_at) == ("breached", at(2026, 3, 2, 12, 1))
    assert escalations("timer_breached:contact") == [("sales_manager", "email"), ("sales_manager", "inapp")]
    assert breach_check(at(2026, 3, 2, 15, 0)) == 0
    assert len(escalations("timer_breached:contact")) == 2
    # a late call is still recorded, the breach stays
    with clock.frozen_at(at(2026, 3, 2, 16, 0)):
        act(order, "log_contact", users["sales_assistant"], channel="phone", summary="电话", outcome="已补充")
    contact.refresh_from_db()
    assert (contact.state, contact.met_at) == ("breached", at(2026, 3, 2, 16, 0))


def test_approval_timer_one_business_day_escalates_to_the_director(monday, users):
    order = act(monday.received(), "review", users["sales_assistant"], verdict="pass")
    approval = timer(order, "approval")
    assert approval.due_at == at(2026, 3, 3, 10, 0)
    assert breach_check(at(2026, 3, 3, 10, 1)) == 1
    assert escalations("timer_breached:approval") == [("sales_director", "email"), ("sales_director", "inapp")]
    assert breach_check(at(2026, 3, 4, 10, 1)) == 0


def test_each_approval_level_has_its_own_timer_met_by_its_decision(monday, users, product):
    order = act(monday.received(lines=[{"product_id": product.pk, "quantity": "30"}]), "review",
                users["sales_assistant"], verdict="pass")
    with clock.frozen_at(at(2026, 3, 2, 15, 0)):
        order = act(order, "approve", users["sales_manager"], comment="同意")
    first, second = OrderTimer.objects.filter(order=order, kind="approval").order_by("id")
    assert (first.state, first.met_at) == ("met", at(2026, 3, 2, 15, 0))
    assert (second.state, second.started_at, second.due_at) == ("running", at(2026, 3, 2, 15, 0), at(2026, 3, 3, 15, 0))
    with clock.frozen_at(at(2026, 3, 3, 9, 30)):
        act(order, "approve", users["sales_director"], comment="同意")
    second.refresh_from_db()
    assert second.state == "met"
    assert timer(order, "stock_check").state == "running"


def test_stock_check_timer_met_or_breached(monday, users):
    order = act(act(monday.received(), "review", users["sales_assistant"], verdict="pass"),
                "approve", users["sales_manager"], comment="同意")
    order = act(order, "approve", users["sales_director"], comment="同意")  # 50,000.00: over the threshold
    stock = timer(order, "stock_check")
    assert stock.due_at == at(2026, 3, 3, 10, 0)
    assert breach_check(at(2026, 3, 3, 10, 30)) == 1
    assert escalations("timer_breached:stock_check") == [("sales_manager", "email"), ("sales_manager", "inapp")]
    line = order.lines.get()
    stock_for(order)
    with clock.frozen_at(at(2026, 3, 3, 11, 0)):
        act(order, "confirm_stock", users["warehouse"],
            lines=[{"line_id": line.pk, "availability": "in_stock", "feasible_date": "2030-05-20", "date_reason": "按排产计划"}])
    stock.refresh_from_db()
    assert stock.met_at == at(2026, 3, 3, 11, 0) and stock.state == "breached"


def test_tracking_timer_restarts_with_each_record_and_breaches_when_a_day_is_skipped(monday, users):
    order = monday.at("in_fulfillment")
    tracking = timer(order, "tracking")
    assert tracking.due_at == at(2026, 3, 3, 23, 59, 59)
    with clock.frozen_at(at(2026, 3, 3, 17, 0)):
        act(order, "track", users["production"], stage="生产", record="进展正常")
    tracking.refresh_from_db()
    assert tracking.state == "met"
    following = timer(order, "tracking")
    assert (following.state, following.due_at) == ("running", at(2026, 3, 4, 23, 59, 59))
    assert breach_check(at(2026, 3, 5, 0, 1)) == 1
    assert escalations("timer_breached:tracking") == [("sales_manager", "email"), ("sales_manager", "inapp")]


def test_tracking_every_other_day_is_a_setting(monday, users, settings):
    settings.ORDERLOOP_SLA = {**settings.ORDERLOOP_SLA, "tracking": (2, "working_days")}
    order = monday.at("in_fulfillment")
    assert timer(order, "tracking").due_at == at(2026, 3, 4, 23, 59, 59)


def test_risk_is_told_to_the_manager_at_once(monday, users):
    order = monday.at("in_fulfillment")
    act(order, "raise_risk", users["production"], risk_type="material_shortage", description="风扇缺货")
    risk = timer(order, "risk")
    assert (risk.state, risk.met_at) == ("met", at(2026, 3, 2, 10, 0))
    assert escalations("risk_raised") == [("sales_manager", "email"), ("sales_manager", "inapp")]


def test_logistics_notice_goes_out_one_day_before_the_eta_once(monday, users, customer):
    customer.contacts.update(email="li@example.com")
    order = monday.at("ready_to_ship")
    order = act(order, "ship", users["logistics"], method="express", carrier="顺丰速运", tracking_number="SF9", eta="2026-03-06")
    notice = timer(order, "logistics_notice")
    assert notice.due_at == at(2026, 3, 5, 18, 0)
    with clock.frozen_at(at(2026, 3, 5, 8, 59)):
        assert logistics_notices_send() == 0
    with clock.frozen_at(at(2026, 3, 5, 9, 0)):
        assert logistics_notices_send() == 1
        assert logistics_notices_send() == 0
    notice.refresh_from_db()
    assert (notice.state, notice.met_at) == ("met", at(2026, 3, 5, 9, 0))
    sent = Notification.objects.filter(event="logistics_notice")
    assert sorted(sent.values_list("channel", "address")) == [
        ("email", "account_manager@example.com"), ("email", "li@example.com"), ("inapp", "")]
    assert "SF9" in sent.get(address="li@example.com").body
    assert order.events.filter(type="logistics_notice_sent").count() == 1
    assert breach_check(at(2026, 3, 6, 0, 0)) == 0


def test_logistics_notice_breaches_when_no_worker_sent_it(monday, users):
    order = act(monday.at("ready_to_ship"), "ship", users["logistics"], method="express", carrier="顺丰速运",
                tracking_number="SF9", eta="2026-03-06")
    assert breach_check(at(2026, 3, 5, 18, 1)) == 1
    assert escalations("timer_breached:logistics_notice") == [("sales_manager", "email"), ("sales_manager", "inapp")]
    with clock.frozen_at(at(2026, 3, 5, 18, 5)):
        assert logistics_notices_send() == 1  # late, but the customer is still told
    assert timer(order, "logistics_notice").state == "breached"


def test_follow_up_due_three_working_days_after_delivery_across_a_holiday(orders, users):
    with clock.frozen_at(at(2026, 9, 30, 16, 0)):
        order = orders.at("delivered")
    follow_up = timer(order, "follow_up")
    assert follow_up.due_at == at(2026, 10, 10, 23, 59, 59)
    assert breach_check(at(2026, 10, 10, 23, 0)) == 0
    with clock.frozen_at(at(2026, 10, 10, 15, 0)):
        act(order, "follow_up", users["account_manager"], channel="phone", usage="运行正常", satisfaction=5)
    follow_up.refresh_from_db()
    assert follow_up.state == "met"


def test_follow_up_breach_tells_the_sales_manager(orders, users):
    with clock.frozen_at(at(2026, 9, 30, 16, 0)):
        orders.at("delivered")
    assert breach_check(at(2026, 10, 11, 0, 0)) == 1
    assert escalations("timer_breached:follow_up") == [("sales_manager", "email"), ("sales_manager", "inapp")]


def test_leaving_a_state_stops_its_timer(monday, users):
    order = act(monday.received(), "review", users["sales_assistant"], verdict="pass")
    act(order, "cancel", users["sales_manager"], reason="客户取消")
    approval = timer(order, "approval")
    assert approval.state == "stopped"
    assert breach_check(at(2026, 3, 10, 10, 0)) == 0


def test_timers_are_in_the_api(monday, users):
    from tests.support.api_client import Api

    order = act(monday.received(), "review", users["sales_assistant"], verdict="pass")
    timers = Api("sales_manager").get(f"/orders/{order.number}").json()["timers"]
    assert [(t["kind"], t["label"], t["state"], t["due_at"]) for t in timers] == [
        ("approval", "审批", "running", "2026-03-03T10:00:00+08:00")]


def test_the_order_page_shows_one_progress_deadline_per_stage(monday, users):
    """Every progress record meets its deadline and starts the next (the escalations and the monthly review count
    each), but the order page lists the stage once: its latest deadline, with how many records and breaches."""
    order = monday.at("in_fulfillment")  # the plan's one stage: 生产
    assert timer(order, "tracking").note == "生产"
    with clock.frozen_at(at(2026, 3, 3, 17, 0)):
        act(order, "track", users["production"], stage="生产", record="进展正常")
    assert breach_check(at(2026, 3, 5, 0, 1)) == 1  # the second deadline is missed
    with clock.frozen_at(at(2026, 3, 5, 9, 0)):
        act(order, "track", users["production"], stage="生产", record="补记进度")
        act(order, "track", users["warehouse"], stage="质检", record="开始质检")
    assert list(OrderTimer.objects.filter(order=order, kind="tracking").order_by("id").values_list("note", "state")) == [
        ("生产", "met"), ("生产", "breached"), ("生产", "met"), ("质检", "running")]
    client = Client()
    client.force_login(users["sales_assistant"])
    page = client.get(f"/orders/{order.ref}/").content.decode()
    table = page[page.index('id="timers"'):]
    table = table[:table.index("</table>")]
    rows = re.findall(r'<tr class="timer[^"]*" data-kind="tracking">\s*<td>(.*?)</td>', table, re.S)
    assert [re.sub(r"<[^>]+>", "", row).strip() for row in rows] == ["进度跟进（生产） 共 3 次跟进，超时 1 次", "进度跟进（质检）"]
