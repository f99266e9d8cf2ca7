"""The after-sales deadlines (24-hour response, the promised resolution) and the monthly review's."""
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from orderloop.aftersales.services import ticket_give_solution, ticket_open, ticket_resolve, ticket_respond
from orderloop.core import clock
from orderloop.core.exceptions import DomainError, NotAllowed
from orderloop.notifications.models import Notification
from orderloop.orders.models import OrderTimer
from orderloop.orders.timers import timers_flag_breaches
from orderloop.reviews.models import MonthlyReview
from orderloop.reviews.services import review_file, review_open_due, reviews_flag_breaches
from tests.support.api_client import Api
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")


def at(*args):
    return datetime(*args, tzinfo=SH)


@pytest.fixture
def delivered(orders):
    with clock.frozen_at(at(2026, 2, 13, 16, 0)):  # a Friday before the Spring Festival
        return orders.at("delivered", paid=True)  # the balance paid on arrival


def open_ticket(order, users, when):
    with clock.frozen_at(when):
        return ticket_open(order_id=order.pk, actor=users["account_manager"], ticket_type="quality",
                           description="服务器运行时有异响")


def test_response_within_24_clock_hours_even_over_a_weekend(delivered, users):
    ticket = open_ticket(delivered, users, at(2026, 2, 13, 16, 0))
    response = OrderTimer.objects.get(ticket=ticket, kind="aftersales_response")
    assert response.due_at == at(2026, 2, 14, 16, 0)
    assert Notification.objects.filter(event="ticket_opened", recipient=users["after_sales"]).count() == 2
    with clock.frozen_at(at(2026, 2, 14, 10, 0)):
        ticket_respond(ticket_id=ticket.pk, actor=users["after_sales"], note="已电话联系，安排上门检测")
    response.refresh_from_db()
    assert (response.state, response.met_at) == ("met", at(2026, 2, 14, 10, 0))


def test_a_missed_response_is_escalated_once(delivered, users):
    ticket = open_ticket(delivered, users, at(2026, 2, 13, 16, 0))
    assert timers_flag_breaches(now=at(2026, 2, 14, 16, 1)) == 1
    assert timers_flag_breaches(now=at(2026, 2, 15, 16, 1)) == 0
    told = Notification.objects.filter(event="timer_breached:aftersales_response")
    assert sorted(told.values_list("recipient__username", "channel")) == [("sales_manager", "email"), ("sales_manager", "inapp")]
    assert OrderTimer.objects.get(ticket=ticket, kind="aftersales_response").state == "breached"


def test_resolution_is_due_at_the_promised_time(delivered, users):
    ticket = open_ticket(delivered, users, at(2026, 2, 13, 16, 0))
    with clock.frozen_at(at(2026, 2, 13, 17, 0)):
        ticket_give_solution(ticket_id=ticket.pk, actor=users["after_sales"], solution_type="repair",
                             solution="24小时内上门检测，更换风扇部件", promised_at=at(2026, 2, 14, 17, 0))
    resolution = OrderTimer.objects.get(ticket=ticket, kind="aftersales_resolution")
    assert (resolution.state, resolution.due_at) == ("running", at(2026, 2, 14, 17, 0))
    assert OrderTimer.objects.get(ticket=ticket, kind="aftersales_response").state == "met"
    assert timers_flag_breaches(now=at(2026, 2, 14, 17, 1)) == 1
    assert Notification.objects.filter(event="timer_breached:aftersales_resolution").count() == 2
    with clock.frozen_at(at(2026, 2, 14, 18, 0)):
        ticket_resolve(ticket_id=ticket.pk, actor=users["after_sales"], result="问题已解决，客户正常使用")
    resolution.refresh_from_db()
    assert (resolution.state, resolution.met_at) == ("breached", at(2026, 2, 14, 18, 0))


def test_resolved_in_time_is_met(delivered, users):
    ticket = open_ticket(delivered, users, at(2026, 2, 13, 16, 0))
    with clock.frozen_at(at(2026, 2, 13, 17, 0)):
        ticket_give_solution(ticket_id=ticket.pk, actor=users["after_sales"], solution_type="replace",
                             solution="换货", promised_at=at(2026, 2, 16, 12, 0))
    with clock.frozen_at(at(2026, 2, 15, 12, 0)):
        ticket_resolve(ticket_id=ticket.pk, actor=users["after_sales"], result="已换货")
    assert OrderTimer.objects.get(ticket=ticket, kind="aftersales_resolution").state == "met"


def test_after_sales_or_the_account_manager_handle_feedback_and_a_result_needs_a_solution(delivered, users):
    ticket = open_ticket(delivered, users, at(2026, 2, 13, 16, 0))
    with pytest.raises(NotAllowed):
        ticket_respond(ticket_id=ticket.pk, actor=users["sales_assistant"], note="好")
    with pytest.raises(DomainError) as refused:
        ticket_resolve(ticket_id=ticket.pk, actor=users["after_sales"], result="已解决")
    assert refused.value.message == "须先给出解决方案"


def test_an_order_with_an_open_ticket_cannot_close(delivered, users):
    open_ticket(delivered, users, at(2026, 2, 13, 16, 0))
    order = act(delivered, "follow_up", users["account_manager"], channel="phone", usage="有异响", satisfaction=3)
    with pytest.raises(DomainError) as refused:
        act(order, "close", users["sales_manager"])
    assert refused.value.message == "不能执行「完成订单」：还有 1 个客户反馈/售后问题未关闭"


def test_tickets_through_the_api(delivered, users):
    created = Api("account_manager").post("/tickets", {"order_ref": delivered.ref, "ticket_type": "quality",
                                                       "description": "异响"})
    assert created.status_code == 201, created.json()
    ticket_id = created.json()["id"]
    responded = Api("after_sales").post(f"/tickets/{ticket_id}/respond", {"note": "已联系"})
    assert responded.status_code == 200 and responded.json()["state"] == "responded"
    assert Api("sales_assistant").post(f"/tickets/{ticket_id}/respond", {"note": "x"}).status_code == 403
    assert [t["id"] for t in Api("after_sales").get("/tickets", open_only=True).json()] == [ticket_id]



def test_monthly_review_deadline_met_or_escalated_to_the_director(users):
    # September 2026 ends on a Wednesday; 1–7 October are holidays, 10 October a working Saturday
    review = review_open_due(now=at(2026, 10, 1, 0, 5))
    assert review.month == date(2026, 9, 1) and review.due_at == at(2026, 10, 10, 23, 59, 59)
    assert review_open_due(now=at(2026, 10, 2, 0, 5)).pk == review.pk
    assert reviews_flag_breaches(now=at(2026, 10, 10, 23, 0)) == 0
    assert reviews_flag_breaches(now=at(2026, 10, 11, 0, 0)) == 1
    assert reviews_flag_breaches(now=at(2026, 10, 12, 0, 0)) == 0
    told = Notification.objects.filter(event="review_overdue")
    assert sorted(told.values_list("recipient__username", "channel")) == [("sales_director", "email"), ("sales_director", "inapp")]
    with clock.frozen_at(at(2026, 10, 12, 10, 0)):
        review_file(month=date(2026, 9, 1), actor=users["sales_manager"], summary="交付准时率 70%，瓶颈在包装")
    review.refresh_from_db()
    assert review.state == "breached" and review.filed_at == at(2026, 10, 12, 10, 0)


def test_a_review_filed_in_time_is_met(users):
    review_open_due(now=at(2026, 11, 1, 0, 5))
    with clock.frozen_at(at(2026, 11, 3, 17, 0)):
        review = review_file(month=date(2026, 10, 1), actor=users["sales_manager"], summary="本月无延期")
    assert review.state == "met"
    assert reviews_flag_breaches(now=at(2026, 11, 10, 0, 0)) == 0
    assert MonthlyReview.objects.count() == 1
    assert timedelta(0) < review.due_at - review.filed_at
