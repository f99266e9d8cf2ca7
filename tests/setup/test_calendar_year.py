"""Each December the admin enters next year's holidays from the State Council's notice: the alert that asks for
it (admins only, from 1 December, in both languages), the year's page (the notice's lines, a year calendar, one
audited save), the running deadlines counted again, and dates in a year not known yet marked as estimates.
The installed holiday package knows the years up to 2026: 2027 is the year to enter."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.core import clock
from orderloop.core.models import AuditEntry, CalendarOverride, CalendarYear
from orderloop.orders.models import OrderTimer
from tests.support.api_client import Api
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")
DECEMBER = datetime(2026, 12, 2, 10, 0, tzinfo=SH)
NOTICE_2027 = """元旦：1月1日至3日放假，共3天。
春节：2月5日至11日放假调休，共7天。
2027-10-01 至 2027-10-07 国庆节"""
MAKEUP_2027 = "9月26日（星期日）、10月9日（星期六）上班。"


def client_of(user, language=None):
    client = Client()
    client.force_login(user)
    if language:
        client.cookies["django_language"] = language
    return client


def page(client, path):
    response = client.get(path)
    assert response.status_code == 200, (path, response.status_code)
    return response.content.decode()


def test_from_1_december_the_admin_alone_is_asked_for_next_years_holidays_in_either_language(users):
    admin, manager = client_of(users["admin"]), client_of(users["sales_manager"])
    with clock.frozen_at(datetime(2026, 11, 30, 10, 0, tzinfo=SH)):
        assert "2027 年法定节假日安排尚未录入" not in page(admin, "/today/")
        assert "2027 年法定节假日安排尚未录入" not in page(admin, "/setup/")
    with clock.frozen_at(DECEMBER):
        today = page(admin, "/today/")
        assert ("2027 年法定节假日安排尚未录入，截止日期暂按周末和法定节日估算。请在 系统设置 → 工作日历 录入国务院办公厅的放假通知。"
                in today)
        assert 'href="/setup/calendar/2027/"' in today
        assert "chinese" not in today.lower() and "package" not in today.lower()
        assert "2027 年法定节假日安排尚未录入" in page(admin, "/setup/")
        assert "法定节假日安排尚未录入" not in page(manager, "/today/")
        english = page(client_of(users["admin"], "en"), "/today/")
        assert "The statutory holidays of 2027 have not been entered" in english
        assert "Setup → Business calendar" in english and "尚未录入" not in english


def test_the_year_is_entered_from_the_notice_and_the_alert_is_gone(users):
    admin = client_of(users["admin"])
    with clock.frozen_at(DECEMBER):
        form = page(admin, "/setup/calendar/2027/")
        assert "这一年的法定节假日安排尚未录入" in form and 'id="year-calendar"' in form
        preview = admin.post("/setup/calendar/2027/", {"holidays": NOTICE_2027, "workdays": MAKEUP_2027, "preview": "1"})
        assert preview.status_code == 200 and "预览（尚未保存）" in preview.content.decode()
        assert not CalendarOverride.objects.exists() and not CalendarYear.objects.exists()  # a preview saves nothing
        assert 'data-date="2027-10-04" title="国庆节"' in preview.content.decode()

        response = admin.post("/setup/calendar/2027/", {"holidays": NOTICE_2027, "workdays": MAKEUP_2027})
        assert response.status_code == 302 and response.url == "/setup/calendar/2027/"
        days = dict(CalendarOverride.objects.filter(date__year=2027).values_list("date", "is_workday"))
        assert len(days) == 3 + 7 + 7 + 2
        assert days[date(2027, 2, 11)] is False and days[date(2027, 9, 26)] is True and days[date(2027, 10, 9)] is True
        assert CalendarOverride.objects.get(date=date(2027, 10, 7)).note == "国庆节"
        assert CalendarOverride.objects.get(date=date(2027, 2, 5)).note == "春节"
        entry = AuditEntry.objects.get(object_type="core.calendaryear")
        assert entry.actor == users["admin"] and entry.changes["holidays"][1]["2027-10-01"] == "国庆节"
        assert entry.changes["workdays"][1] == {"2027-09-26": "上班", "2027-10-09": "上班"}

        saved = page(admin, "/setup/calendar/2027/")
        assert "已按国务院办公厅的放假通知录入" in saved and "2027-10-01 至 2027-10-07 国庆节" in saved
        assert "法定节假日安排尚未录入" not in page(admin, "/today/")
        assert "法定节假日安排尚未录入" not in page(admin, "/setup/")


@pytest.mark.parametrize("holidays, workdays, error", [
    ("国庆节：10月1日至7日\n中秋：9月31日", "", "第 2 行「9月31日」不是有效日期"),
    ("国庆节放假七天", "", "第 1 行「国庆节放假七天」中没有日期"),
    ("2028-01-01 元旦", "", "第 1 行的 2028-01-01 不在 2027 年内，请在 2028 年的页面录入"),
    ("国庆节：10月7日至1日", "", "结束日期早于开始日期"),
    ("", "9月26日", "请填写通知中的放假日期"),
    ("国庆节：10月1日至7日", "9月27日", "2027-09-27 本来就是工作日，不必录入为调休上班"),
    ("国庆节：10月1日至7日", "10月2日", "2027-10-02 同时写在放假和调休上班中"),
])
def test_a_wrong_line_is_named_and_nothing_is_saved(users, holidays, workdays, error):
    CalendarOverride.objects.create(date=date(2027, 3, 1), is_workday=False, note="公司年会")
    with clock.frozen_at(DECEMBER):
        response = client_of(users["admin"]).post("/setup/calendar/2027/", {"holidays": holidays, "workdays": workdays})
    assert response.status_code == 422
    assert error in response.content.decode()
    assert list(CalendarOverride.objects.values_list("date", flat=True)) == [date(2027, 3, 1)]
    assert not CalendarYear.objects.exists() and not AuditEntry.objects.filter(object_type="core.calendaryear").exists()


def test_the_year_page_is_the_admins(users):
    assert client_of(users["sales_manager"]).get("/setup/calendar/2027/").status_code == 403
    assert client_of(users["sales_manager"]).post("/setup/calendar/2027/", {"holidays": NOTICE_2027}).status_code == 403
    assert not CalendarYear.objects.exists()


def test_a_shipped_year_starts_from_its_notice(users):
    with clock.frozen_at(DECEMBER):
        form = page(client_of(users["admin"]), "/setup/calendar/2026/")
    assert "系统已内置这一年的国务院放假安排" in form
    assert "2026-10-01 至 2026-10-07 国庆节" in form and "2026-09-20 国庆节调休" in form
    assert "2026-09-25 至 2026-09-27 中秋" in form


def test_entered_makeup_days_move_the_deadlines_that_cross_them_and_the_moves_are_listed(users, orders):
    # Friday 2027-09-24 17:00: the stock check has 9 business hours, one on Friday and, on the estimate (no make-up
    # days), eight on Monday; the notice makes Sunday the 26th a working day, so it is due on Sunday at 17:00.
    with clock.frozen_at(datetime(2027, 9, 24, 17, 0, tzinfo=SH)):
        crossing = orders.at("pending_stock_check")
    with clock.frozen_at(datetime(2027, 9, 20, 9, 0, tzinfo=SH)):
        untouched = orders.at("pending_stock_check")  # due the same day: no weekend crossed
    timer = OrderTimer.objects.get(order=crossing, kind="stock_check")
    assert timer.estimated and timer.due_at == datetime(2027, 9, 27, 17, 0, tzinfo=SH)
    assert OrderTimer.objects.get(order=untouched, kind="stock_check").due_at == datetime(2027, 9, 20, 18, 0, tzinfo=SH)
    admin = client_of(users["admin"])
    with clock.frozen_at(datetime(2027, 9, 24, 17, 30, tzinfo=SH)):
        assert "（按估算日历）" in page(admin, f"/orders/{crossing.ref}/")
        response = admin.post("/setup/calendar/2027/", {"holidays": NOTICE_2027, "workdays": MAKEUP_2027}, follow=True)
    shown = response.content.decode()
    assert "2027 年放假安排已保存；1 个进行中的期限已按新日历重新计算" in shown
    timer.refresh_from_db()
    assert not timer.estimated and timer.due_at == datetime(2027, 9, 26, 17, 0, tzinfo=SH)
    entry = AuditEntry.objects.get(object_type="core.calendaryear")
    assert entry.changes["deadlines"] == [[crossing.ref, "确认库存", "2027-09-27 17:00", "2027-09-26 17:00"]]
    assert (f'<td><a href="/orders/{crossing.ref}/">{crossing.ref}</a></td><td>确认库存</td>'
            "<td>2027-09-27 17:00</td><td>2027-09-26 17:00</td>") in shown
    assert untouched.ref not in shown
    with clock.frozen_at(datetime(2027, 9, 24, 17, 30, tzinfo=SH)):
        assert "（按估算日历）" not in page(admin, f"/orders/{crossing.ref}/")


def test_a_feasible_date_in_a_year_not_known_is_marked_as_estimated_until_it_is_entered(users, orders):
    with clock.frozen_at(datetime(2026, 12, 28, 10, 0, tzinfo=SH)):
        order = orders.at("pending_stock_check")
        line = order.lines.get()
        act(order, "confirm_stock", users["warehouse"],
            lines=[{"line_id": line.pk, "availability": "needs_production", "lead_time_days": 5}])
    line.refresh_from_db()
    assert line.feasible_date.year == 2027
    admin = client_of(users["admin"])
    with clock.frozen_at(datetime(2026, 12, 28, 11, 0, tzinfo=SH)):
        detail = page(admin, f"/orders/{order.ref}/")
        assert f'{line.feasible_date:%Y-%m-%d} <span class="hint estimated">（按估算日历）</span>' in detail
        api = Api("sales_manager")
        assert api.get(f"/orders/{order.ref}").json()["lines"][0]["feasible_date_estimated"] is True
        assert "（按估算日历）" in order.events.get(type="stock_confirmed").payload["lines"][0]["computed"]
        admin.post("/setup/calendar/2027/", {"holidays": NOTICE_2027, "workdays": MAKEUP_2027})
        assert 'class="hint estimated"' not in page(admin, f"/orders/{order.ref}/")
        assert api.get(f"/orders/{order.ref}").json()["lines"][0]["feasible_date_estimated"] is False
