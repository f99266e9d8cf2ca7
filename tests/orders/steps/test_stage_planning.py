"""开始备货/生产: the plan starts from what 确认库存 confirmed (the feasible date and the lead time), laid out on
the business calendar, and each stage's owner is picked from the people who hold the stage's role."""
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orderloop.accounts.models import User
from orderloop.core import clock
from orderloop.orders.forms import action_form
from orderloop.orders.models import FulfillmentStage
from orderloop.orders.selectors import order_timeline, timeline_data
from tests.support.finance import pay
from tests.support.orders import act, stock_for
from tests.support.users import make_user

SH = ZoneInfo("Asia/Shanghai")
MONDAY = datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # an ordinary working week: 2–6, 9–13, 16–20 March 2026


def confirmed(orders, users, **line):
    order = orders.at("pending_stock_check")
    stock_for(order)
    order = act(order, "confirm_stock", users["warehouse"],
                lines=[{"line_id": ln.pk, **line} for ln in order.lines.all()])
    pay(order, users["finance"], "on_confirmation")  # 30%预付: production starts once the deposit is in
    return order


def planned(order) -> list[tuple[str, str, date]]:
    form = action_form("start_fulfillment", order)
    rows = next(f for f in form["fields"] if f["name"] == "stages")["rows"]
    return [tuple(cell["value"] for cell in row) for row in rows]


def test_the_plan_ends_on_the_confirmed_feasible_date_laid_out_backwards_in_working_days(orders, users):
    with clock.frozen_at(MONDAY):
        order = confirmed(orders, users, availability="in_stock", feasible_date="2026-03-20", date_reason="按排产计划")
        # the default template: 备货 1, 生产 5, 包装 1, 质检 1 working days; the last stage ends on 20 March (a Friday)
        assert planned(order) == [("备货", "warehouse", date(2026, 3, 11)), ("生产", "production", date(2026, 3, 18)),
                                  ("包装", "warehouse", date(2026, 3, 19)), ("质检", "warehouse", date(2026, 3, 20))]


def test_production_takes_the_confirmed_lead_time_and_a_plan_that_cannot_end_in_time_starts_today(orders, users):
    with clock.frozen_at(MONDAY):
        order = confirmed(orders, users, availability="needs_production", lead_time_days=8)
        assert order.lines.get().feasible_date == date(2026, 3, 16)  # 8 + 2 working days of picking and packing
        # 1 + 8 + 1 + 1 working days do not fit between today and 16 March: forwards from today, production taking its 8 days
        assert planned(order) == [("备货", "warehouse", date(2026, 3, 3)), ("生产", "production", date(2026, 3, 13)),
                                  ("包装", "warehouse", date(2026, 3, 16)), ("质检", "warehouse", date(2026, 3, 17))]


def test_each_stage_owner_is_chosen_among_the_people_who_hold_its_role(orders, users):
    User.objects.filter(pk=make_user("wang_wh", "warehouse").pk).update(display_name="王仓管")
    User.objects.filter(pk=make_user("gone_pr", "production").pk).update(is_active=False)
    with clock.frozen_at(MONDAY):
        order = confirmed(orders, users, availability="in_stock", feasible_date="2026-03-20", date_reason="按排产计划")
    rows = next(f for f in action_form("start_fulfillment", order)["fields"] if f["name"] == "stages")["rows"]
    owners = {row[0]["value"]: next(c for c in row if c["name"].endswith(".owner")) for row in rows}
    assert owners["备货"]["kind"] == "select"
    assert owners["备货"]["choices"] == {"wang_wh": "王仓管（仓储）", "warehouse": "warehouse（仓储）"}
    assert owners["生产"]["choices"] == {"production": "production（生产计划员）"}  # the inactive planner is not offered
    client = Client()
    client.force_login(users["production"])
    page = client.get(f"/orders/{order.ref}/").content.decode()
    select = re.search(r'<select name="stages\.1\.owner"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert '<option value="production" selected>production（生产计划员）</option>' in select
    # the form posts the username the API takes
    posted = {"version": order.version}
    with clock.frozen_at(MONDAY):
        for i, row in enumerate(planned(order)):
            posted |= {f"stages.{i}.name": row[0], f"stages.{i}.owner": "wang_wh" if i == 0 else row[1],
                       f"stages.{i}.planned_date": row[2].isoformat()}
        assert client.post(f"/orders/{order.ref}/actions/start_fulfillment/", posted).status_code == 302
    first = FulfillmentStage.objects.get(order=order, position=1)
    assert (first.name, first.owner.username, first.planned_date) == ("备货", "wang_wh", date(2026, 3, 11))


def test_a_stage_the_template_does_not_name_is_owned_by_warehouse_or_production(orders, users):
    with clock.frozen_at(MONDAY):
        order = confirmed(orders, users, availability="in_stock", feasible_date="2026-03-20", date_reason="按排产计划")
    form = action_form("start_fulfillment", order, data={"stages": [{"name": "外协加工", "owner": "", "planned_date": ""}]})
    owner = next(f for f in form["fields"] if f["name"] == "stages")["rows"][0][1]
    assert owner["choices"] == {"production": "production（生产计划员）", "warehouse": "warehouse（仓储）"}


def test_the_timeline_names_each_stage_owner_as_they_are_called_now_without_asking_for_them_again(orders, users):
    """The 开始备货/生产 event records each stage's owner by username; the order page shows their name, taken from
    the stages it reads anyway (no statement of its own for them), and still the name they have today."""
    User.objects.filter(pk=make_user("wang_wh", "warehouse").pk).update(display_name="王仓管")
    plan = [{"name": "备货", "owner": "wang_wh", "planned_date": "2030-05-14"},
            {"name": "生产", "owner": "production", "planned_date": "2030-05-15"}]
    order = act(orders.at("confirmed"), "start_fulfillment", users["production"], stages=plan)
    client = Client()
    client.force_login(users["sales_manager"])
    client.get(f"/orders/{order.ref}/")  # caches filled on a first request do not count
    with CaptureQueriesContext(connection) as page_statements:
        page = client.get(f"/orders/{order.ref}/").content.decode()
    assert "环节 备货，负责人(用户名) 王仓管，计划完成时间 2030-05-14；环节 生产，负责人(用户名) production" in page
    assert not [q for q in page_statements if q["sql"].startswith('SELECT "accounts_user"')]

    User.objects.filter(username="wang_wh").update(display_name="王二")
    assert "负责人(用户名) 王二，" in client.get(f"/orders/{order.ref}/").content.decode()
    # read without the stages (the events API): the owners nobody read yet are read, in one statement
    with CaptureQueriesContext(connection) as read:
        events = timeline_data(order_timeline(order), users["sales_manager"])
    assert [q for q in read if q["sql"].startswith('SELECT "accounts_user"')] == read[-1:]
    started = next(e for e in events if e["type"] == "fulfillment_started")
    assert ("备货/生产环节", "环节 备货，负责人(用户名) 王二，计划完成时间 2030-05-14；环节 生产，负责人(用户名) production，"
            "计划完成时间 2030-05-15") in started["details"]
