"""The monthly review counts feedback without an order (seed principle 3): in 售后问题类型 and in 客户反馈处理
(without an order, answered in time, closed, and their rates), for the company and for a sales manager's teams."""
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from orderloop.accounts.models import Team
from orderloop.aftersales.services import (ticket_close, ticket_follow_up, ticket_give_solution, ticket_open,
                                           ticket_resolve, ticket_respond)
from orderloop.core import clock
from orderloop.masterdata.models import Customer
from orderloop.orders.registers import feedback_rows
from orderloop.orders.models import SalesOrder
from orderloop.reviews.report import review_figures
from tests.support.users import make_user

SH = ZoneInfo("Asia/Shanghai")
MARCH = date(2026, 3, 1)


def at(day, hh, mm=0, month=3):
    return datetime(2026, month, day, hh, mm, tzinfo=SH)


def answered_and_closed(ticket, user, opened):
    """Answered 5 hours after it was opened, resolved, confirmed by the customer, closed."""
    with clock.frozen_at(opened.replace(hour=opened.hour + 5)):
        ticket_respond(ticket_id=ticket.pk, actor=user, note="已答复客户")
        ticket_give_solution(ticket_id=ticket.pk, actor=user, solution_type="guidance", solution="发送产品资料",
                             promised_at=at(opened.day + 1, 12))
        ticket_resolve(ticket_id=ticket.pk, actor=user, result="客户已收到资料")
        ticket_follow_up(ticket_id=ticket.pk, actor=user, confirmed=True, satisfaction=5, note="客户确认")
        return ticket_close(ticket_id=ticket.pk, actor=user)


@pytest.fixture
def march_feedback(users, customer):
    am = users["account_manager"]
    with clock.frozen_at(at(2, 9)):
        question = ticket_open(customer_id=customer.pk, actor=am, ticket_type="presales", description="是否支持定制logo？")
    answered_and_closed(question, am, at(2, 9))
    with clock.frozen_at(at(3, 9)):  # answered a day and a half later: late, still open
        late = ticket_open(customer_id=customer.pk, actor=am, ticket_type="suggestion", description="建议提供电子发票")
    with clock.frozen_at(at(4, 21)):
        ticket_respond(ticket_id=late.pk, actor=am, note="已转财务")
    with clock.frozen_at(at(1, 10, month=4)):  # April: another month
        ticket_open(customer_id=customer.pk, actor=am, ticket_type="complaint", description="四月投诉")
    # another team's customer, and its feedback recorded by someone of that team
    other_team = Team.objects.create(name="华东销售组")
    theirs = Customer.objects.create(name="华东客户", uscc="91110000MA01ABCD1X",
                                     owner=make_user("b_account_manager", "account_manager", team=other_team))
    with clock.frozen_at(at(5, 9)):
        ticket_open(customer_id=theirs.pk, actor=users["after_sales"], ticket_type="complaint", description="投诉交期")
    return question


def test_the_months_review_counts_feedback_without_an_order(march_feedback, users):
    figures = review_figures(MARCH)
    assert figures["tickets"] == {"total": 3, "by_type": [
        {"type": "presales", "label": "售前疑问", "count": 1}, {"type": "complaint", "label": "投诉", "count": 1},
        {"type": "suggestion", "label": "建议", "count": 1}]}  # ties in the choices' order
    assert figures["feedback"] == {"total": 3, "without_order": 3, "responded_in_time": 1, "response_rate": 33.3,
                                   "closed": 1, "closure_rate": 33.3}
    deadlines = {row["kind"]: row for row in figures["deadlines"]}
    assert (deadlines["aftersales_response"]["on_time"], deadlines["aftersales_response"]["breached"]) == (1, 1)
    # register 3 holds the same feedback, its order column empty
    rows = [row for row in feedback_rows(SalesOrder.objects.none(), users["sales_director"]) if row[4].startswith("2026-03")]
    assert [(row[0], row[1], row[2]) for row in rows] == [("", "科技有限公司", "售前疑问"), ("", "科技有限公司", "建议"),
                                                          ("", "华东客户", "投诉")]


def test_a_sales_managers_review_counts_their_teams_customers_feedback(march_feedback, users, team):
    figures = review_figures(MARCH, teams=[team.pk])
    assert figures["tickets"]["total"] == 2 and figures["feedback"] == {
        "total": 2, "without_order": 2, "responded_in_time": 1, "response_rate": 50.0, "closed": 1, "closure_rate": 50.0}
    assert review_figures(date(2026, 2, 1))["feedback"] == {
        "total": 0, "without_order": 0, "responded_in_time": 0, "response_rate": None, "closed": 0, "closure_rate": None}


def test_the_review_page_and_workbook_show_the_feedback_figures(march_feedback, users):
    client = Client()
    client.force_login(users["sales_director"])
    with clock.frozen_at(at(10, 9, month=4)):
        page = client.get("/reviews/2026-03/").content.decode()
        book = load_workbook(io.BytesIO(client.get("/reviews/2026-03.xlsx").content))
    assert "建议" in page and "其中无订单反馈 3 条；按时响应 1 条，响应及时率 33.3%；已关闭 1 条，关闭率 33.3%" in page
    summary = {row[0]: row[1] for row in book["概况"].iter_rows(min_row=2, values_only=True)}
    assert (summary["售后问题数"], summary["其中无订单反馈"], summary["反馈响应及时率(%)"], summary["反馈关闭率(%)"]) == (
        3, 3, "33.3", "33.3")
