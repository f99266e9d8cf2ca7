"""Daily sync: each user's today page, the morning digest, the evening roll-up."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.test import Client

from orderloop.accounts.models import User
from orderloop.core import clock
from orderloop.notifications.models import Notification
from orderloop.orders.timers import timers_flag_breaches
from orderloop.orders.today import daily_digest_send, daily_rollup_send, user_today
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def demo(db):
    call_command("demo", force=True)
    return {u.username: u for u in User.objects.all()}


def refs(items):
    return sorted(item[0].ref if isinstance(item, tuple) else item.order.ref for item in items)


def test_demo_today_pages_list_each_roles_work(demo):
    now = clock.now()
    timers_flag_breaches(now=now)
    pages = {name: user_today(user, now=now) for name, user in demo.items()}
    # the new intake waits for review; the order in production for its progress record
    assert sorted(o.status for o, *_ in pages["sales_assistant"].waiting) == ["in_fulfillment", "received"]
    assert [o.status for o, *_ in pages["sales_manager"].waiting] == ["pending_approval"]
    assert sorted((o.number or o.status, a) for o, a, _ in pages["account_manager"].waiting) == [
        ("202405-002", ["客户验收", "客户签收"]), ("received", ["初步审核"])]
    assert [o.number for o, *_ in pages["logistics"].waiting] == ["202405-002"]
    # the demo's history of May 2024 is complete (202405-002's logistics notice went out on its day): nothing of
    # it is overdue or due today, for anyone
    assert not [t for page in pages.values() for t in page.overdue + page.due_today if t.order.ref.startswith("202405")]
    assert {t.kind for t in pages["sales_director"].overdue} <= {"approval"}
    assert pages["after_sales"].count == 0
    for name in ("sales_assistant", "account_manager", "sales_manager", "logistics"):
        page = Client()
        page.force_login(demo[name])
        assert page.get("/today/").status_code == 200


def test_morning_digest_once_a_working_day(orders, users):
    with clock.frozen_at(at(2026, 3, 2, 8, 30)):
        orders.received()
        assert daily_digest_send() >= 1
        again = daily_digest_send()
    digest = Notification.objects.filter(event="daily_digest", recipient=users["sales_assistant"])
    assert sorted(digest.values_list("channel", flat=True)) == ["email", "inapp"]
    assert digest.first().subject == "今日待办（2026-03-02）：1 项"
    assert "待处理" in digest.first().body and "初步审核" in digest.first().body
    assert again >= 1 and digest.count() == 2  # sent again, nothing new recorded
    with clock.frozen_at(at(2026, 3, 7, 8, 30)):  # a Saturday
        assert daily_digest_send() == 0


def test_evening_rollup_lists_unresolved_problems(orders, users):
    with clock.frozen_at(at(2026, 3, 2, 10, 0)):
        order = orders.at("in_fulfillment")
        act(order, "raise_risk", users["production"], risk_type="material_shortage", description="芯片缺货")
    with clock.frozen_at(at(2026, 3, 3, 18, 0)):
        daily_rollup_send()
    rollup = Notification.objects.get(event="daily_rollup", recipient=users["sales_manager"], channel="inapp")
    assert "风险" in rollup.body and "芯片缺货" in rollup.body


def test_today_page_shows_a_breach_and_its_escalation(orders, users):
    with clock.frozen_at(at(2026, 3, 2, 10, 0)):
        order = act(orders.received(), "review", users["sales_assistant"], verdict="needs_info", missing=["交付日期不明确"])
    timers_flag_breaches(now=at(2026, 3, 2, 12, 30))
    client = Client()
    client.force_login(users["sales_manager"])
    page = client.get("/today/").content.decode()
    assert order.ref in page and "「联系客户」" in page and "已通知销售经理" in page
    assert '<span class="badge" id="unread-count">1</span>' in page
    inbox = client.get("/inbox/").content.decode()
    assert f"订单 {order.ref} 「联系客户」已超时" in inbox


def test_admins_are_alerted_while_next_years_holidays_are_missing(users):
    from orderloop.orders.today import calendar_alert_send

    with clock.frozen_at(at(2026, 12, 1, 9, 0)):
        calendar_alert_send()
        calendar_alert_send()  # the same day again records nothing new
        assert sorted(Notification.objects.filter(event="calendar_alert").values_list("recipient__username", "channel")) == [
            ("admin", "email"), ("admin", "inapp")]
        assert user_today(users["admin"]).alerts[0].message.startswith("2027 年法定节假日安排尚未录入")
    Notification.objects.all().delete()
    with clock.frozen_at(at(2026, 11, 30, 9, 0)):
        calendar_alert_send()
    assert not Notification.objects.exists()
