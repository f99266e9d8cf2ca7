"""订单完成: a delivered order that meets every condition to close (visit done, no feedback open) says so on its
page until the system closes it; the customer's satisfaction is asked once, at the visit or at the ticket's
follow-up, and the other reuses it."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.aftersales.models import Ticket
from orderloop.aftersales.services import ticket_follow_up, ticket_give_solution, ticket_open, ticket_resolve, ticket_respond
from orderloop.core import clock
from orderloop.orders.forms import action_form
from orderloop.orders.services import orders_close_completed
from orderloop.reviews.report import review_figures
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")
READY = "完成条件均已满足"


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def delivered(orders):
    with clock.frozen_at(at(2026, 3, 2, 16, 0)):
        return orders.at("delivered", paid=True)  # the balance paid on arrival


def page_of(order, user) -> str:
    client = Client()
    client.force_login(user)
    return client.get(f"/orders/{order.ref}/").content.decode()


def resolved_ticket(order, users, when):
    with clock.frozen_at(when):
        ticket = ticket_open(order_id=order.pk, actor=users["account_manager"], ticket_type="installation",
                             description="不会配置管理口")
        ticket_respond(ticket_id=ticket.pk, actor=users["after_sales"], note="已电话联系")
        ticket_give_solution(ticket_id=ticket.pk, actor=users["after_sales"], solution_type="guidance",
                             solution="远程指导配置", promised_at=at(2026, 3, 3, 18, 0))
        ticket_resolve(ticket_id=ticket.pk, actor=users["after_sales"], result="已远程配置完成")
    return ticket


def test_an_order_ready_to_close_says_so_until_the_system_closes_it(delivered, users):
    assert READY not in page_of(delivered, users["account_manager"])  # the visit is still to do
    with clock.frozen_at(at(2026, 3, 3, 10, 0)):
        visited = act(delivered, "follow_up", users["account_manager"], channel="phone", usage="运行正常", satisfaction=5)
    for role in ("account_manager", "sales_manager"):
        page = page_of(visited, users[role])
        assert READY in page and "系统将在几分钟内自动完成订单" in page
    assert orders_close_completed() == [visited.ref]
    closed = visited.events.get(type="closed")
    assert closed.actor is None and closed.payload["note"] == "回访完成，系统自动完成订单"
    assert READY not in page_of(visited, users["account_manager"])


def test_no_hint_while_feedback_is_open(delivered, users):
    resolved_ticket(delivered, users, at(2026, 3, 3, 9, 0))
    with clock.frozen_at(at(2026, 3, 3, 10, 0)):
        visited = act(delivered, "follow_up", users["account_manager"], channel="phone", usage="运行正常", satisfaction=4)
    page = page_of(visited, users["account_manager"])
    assert READY not in page
    assert orders_close_completed() == []


def test_the_ticket_follow_up_reuses_the_score_given_at_the_visit(delivered, users):
    with clock.frozen_at(at(2026, 3, 3, 10, 0)):
        visited = act(delivered, "follow_up", users["account_manager"], channel="phone", usage="运行有异响",
                      satisfaction=3, need_type="quality", need="服务器运行时有异响")
    ticket = Ticket.objects.get(order=visited)
    with clock.frozen_at(at(2026, 3, 3, 11, 0)):
        ticket_respond(ticket_id=ticket.pk, actor=users["after_sales"], note="已电话联系")
        ticket_give_solution(ticket_id=ticket.pk, actor=users["after_sales"], solution_type="repair",
                             solution="更换风扇", promised_at=at(2026, 3, 4, 18, 0))
        ticket_resolve(ticket_id=ticket.pk, actor=users["after_sales"], result="已更换风扇")
    client = Client()
    client.force_login(users["after_sales"])
    page = client.get(f"/tickets/{ticket.pk}/").content.decode()
    assert '<option value="3" selected>3</option>' in page and "客户回访时已评 3 分，沿用此评分" in page
    with clock.frozen_at(at(2026, 3, 3, 15, 0)):  # not asked again: the score left out is the visit's
        ticket_follow_up(ticket_id=ticket.pk, actor=users["after_sales"], confirmed=True, satisfaction=None, note="已确认")
    ticket.refresh_from_db()
    assert ticket.customer_satisfaction == 3
    # the review counts the customer's score once, from the visit
    satisfaction = review_figures(date(2026, 3, 1))["satisfaction"]
    assert (satisfaction["rated"], satisfaction["average"]) == (1, 3.0)


def test_a_score_given_at_the_tickets_follow_up_fills_in_the_visit(delivered, users):
    def score():
        return next(f for f in action_form("follow_up", delivered)["fields"] if f["name"] == "satisfaction")["value"]

    assert score() == ""
    ticket = resolved_ticket(delivered, users, at(2026, 3, 3, 9, 0))
    with clock.frozen_at(at(2026, 3, 3, 11, 0)):
        ticket_follow_up(ticket_id=ticket.pk, actor=users["account_manager"], confirmed=True, satisfaction=4, note="已确认")
    assert score() == "4"
    page = page_of(delivered, users["account_manager"])
    assert '<option value="4" selected>4</option>' in page
