"""Seed principle 3 (客户反馈…包括售前疑问、售后问题…100%记录): pre-sales questions, complaints and suggestions
recorded against a customer, with an order optional and, when given, in any state; the same closed loop as an
after-sales ticket (24-hour response, solution, result, the customer's confirmation, closed); register 3."""
import io
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from orderloop.aftersales.models import Ticket
from orderloop.aftersales.services import (ticket_close, ticket_follow_up, ticket_give_solution, ticket_open,
                                           ticket_resolve, ticket_respond, tickets_visible_to)
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, NotAllowed
from orderloop.core.models import AuditEntry
from orderloop.masterdata.models import Customer
from orderloop.notifications.models import Notification
from orderloop.orders.models import OrderTimer, SalesOrder
from orderloop.orders.registers import REGISTER_3, feedback_records, feedback_row, feedback_rows
from orderloop.orders.timers import timers_flag_breaches
from tests.support.api_client import Api
from tests.support.users import make_user

SH = ZoneInfo("Asia/Shanghai")
QUESTION = "贵司服务器A型是否支持定制logo？交期多久？"


def at(*args):
    return datetime(*args, tzinfo=SH)


def ask(customer, actor, when=at(2026, 3, 2, 10, 0), **kw):
    with clock.frozen_at(when):
        return ticket_open(customer_id=customer.pk, actor=actor, ticket_type=kw.pop("ticket_type", "presales"),
                           description=kw.pop("description", QUESTION), **kw)


def test_a_presales_question_without_an_order_goes_round_the_closed_loop(users, customer):
    am, after_sales = users["account_manager"], users["after_sales"]
    ticket = ask(customer, am)
    assert (ticket.order, ticket.customer, ticket.state) == (None, customer, "open")
    response = OrderTimer.objects.get(ticket=ticket, kind="aftersales_response")
    assert (response.order, response.due_at, response.state) == (None, at(2026, 3, 3, 10, 0), "running")
    told = Notification.objects.filter(event="ticket_opened", recipient=after_sales, channel="inapp").get()
    assert told.subject == "【客户反馈：售前疑问】客户 科技有限公司，截止 2026-03-03 10:00" and told.url == f"/tickets/{ticket.pk}/"

    with clock.frozen_at(at(2026, 3, 2, 15, 0)):  # answered within its deadline
        ticket_respond(ticket_id=ticket.pk, actor=am, note="已电话答复：支持定制logo")
    response.refresh_from_db()
    assert (response.state, response.met_at) == ("met", at(2026, 3, 2, 15, 0))
    with clock.frozen_at(at(2026, 3, 2, 15, 30)):
        ticket_give_solution(ticket_id=ticket.pk, actor=am, solution_type="guidance", solution="发送定制logo方案与报价",
                             promised_at=at(2026, 3, 3, 12, 0))
    with clock.frozen_at(at(2026, 3, 3, 9, 0)):
        ticket_resolve(ticket_id=ticket.pk, actor=am, result="已发送方案，交期15个工作日")
    with clock.frozen_at(at(2026, 3, 3, 11, 0)):
        ticket_follow_up(ticket_id=ticket.pk, actor=am, confirmed=True, satisfaction=5, note="客户确认已了解")
    with clock.frozen_at(at(2026, 3, 3, 11, 5)):
        ticket = ticket_close(ticket_id=ticket.pk, actor=am)
    assert (ticket.state, ticket.customer_confirmed, ticket.closed_at) == ("closed", True, at(2026, 3, 3, 11, 5))
    assert OrderTimer.objects.get(ticket=ticket, kind="aftersales_resolution").state == "met"
    assert timers_flag_breaches(now=at(2026, 3, 10, 0, 0)) == 0
    # every step kept: no order's timeline, so in the ticket's audit record
    steps = list(AuditEntry.objects.filter(object_type="aftersales.ticket", object_id=str(ticket.pk))
                 .values_list("operation", flat=True))
    assert steps == ["ticket_opened", "ticket_responded", "ticket_solution_given", "ticket_resolved",
                     "ticket_followed_up", "ticket_closed"]

    # register 3: the order column empty
    rows = list(feedback_rows(SalesOrder.objects.none(), am))
    assert rows == [["", "科技有限公司", "售前疑问", QUESTION, "2026-03-02", str(am), "发送定制logo方案与报价",
                     "已发送方案，交期15个工作日", 5, "2026-03-03"]]
    assert len(rows[0]) == len(REGISTER_3)
    assert list(feedback_rows(SalesOrder.objects.none())) == []  # without a user: the orders' feedback only, as before


def test_a_missed_response_without_an_order_is_escalated_once(users, customer):
    ticket = ask(customer, users["sales_assistant"], ticket_type="complaint", description="销售人员回复太慢")
    assert timers_flag_breaches(now=at(2026, 3, 3, 10, 1)) == 1
    assert timers_flag_breaches(now=at(2026, 3, 4, 10, 1)) == 0
    told = Notification.objects.filter(event="timer_breached:aftersales_response", channel="inapp").get()
    assert told.subject == "客户 科技有限公司 的反馈「售后响应」已超时" and told.url == f"/tickets/{ticket.pk}/"


@pytest.mark.parametrize("state", ["cancelled", "rejected"])
def test_a_complaint_about_a_cancelled_or_rejected_order_is_accepted(orders, users, state):
    order = orders.at(state)
    ticket = ticket_open(order_id=order.pk, actor=users["account_manager"], ticket_type="complaint",
                         description="订单被取消/驳回，客户不满意")
    assert (ticket.order, ticket.customer_id, ticket.state) == (order, order.customer_id, "open")
    assert order.events.filter(type="ticket_opened", payload__ticket_id=ticket.pk).exists()
    assert OrderTimer.objects.get(ticket=ticket, kind="aftersales_response").order == order
    assert [row[0] for row in feedback_rows(SalesOrder.objects.filter(pk=order.pk))] == [order.ref]


def test_a_complaint_on_a_cancelled_order_through_the_api_and_the_order_page(orders, users):
    order = orders.at("cancelled")
    created = Api("account_manager").post("/tickets", {"order_ref": order.ref, "ticket_type": "complaint",
                                                       "description": "取消后未及时通知"})
    assert created.status_code == 201, created.json()
    assert (created.json()["order_ref"], created.json()["customer_id"]) == (order.ref, order.customer_id)
    client = Client()
    client.force_login(users["account_manager"])
    page = client.get(f"/orders/{order.ref}/")
    assert 'name="ticket_type"' in page.content.decode()  # the order page offers it in any state


def test_feedback_through_the_api_with_a_customer_and_no_order(users, customer):
    api = Api("after_sales")
    created = api.post("/tickets", {"customer_id": customer.pk, "ticket_type": "suggestion",
                                    "description": "建议增加微信下单渠道"})
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["order_ref"], body["customer_id"], body["customer_name"], body["state"]) == (
        None, customer.pk, "科技有限公司", "open")
    assert api.post(f"/tickets/{body['id']}/respond", {"note": "已记录建议，转产品部"}).json()["state"] == "responded"
    assert [t["id"] for t in Api("account_manager").get("/tickets").json()] == [body["id"]]  # the customer's owner
    schema = Client().get("/api/openapi.json").json()["components"]["schemas"]["TicketIn"]["properties"]
    assert {"customer_id", "order_ref"} <= set(schema)


@pytest.mark.parametrize("body, field, message", [
    ({}, "customer_id", "请选择客户：没有订单的反馈须记录在客户名下"),
    ({"customer_id": 987654}, "customer_id", "客户不存在：编号 987654 没有您可以登记反馈的客户"),
])
def test_no_customer_or_an_unknown_customer_is_refused_in_chinese(users, customer, body, field, message):
    response = Api("account_manager").post("/tickets", {"ticket_type": "presales", "description": "能否试用？", **body})
    assert response.status_code == 422, response.json()
    assert response.json()["detail"] == message and field in response.json()["errors"]
    assert Ticket.objects.count() == 0 and OrderTimer.objects.count() == 0


def test_bad_input_without_an_order_changes_nothing(users, customer):
    am = users["account_manager"]
    with pytest.raises(InvalidInput) as refused:
        ticket_open(actor=am, ticket_type="presales", description="x")
    assert refused.value.message == "请选择客户：没有订单的反馈须记录在客户名下"
    with pytest.raises(InvalidInput) as refused:
        ticket_open(customer_id="abc", actor=am, ticket_type="presales", description="x")
    assert refused.value.errors == {"customer_id": ["客户不存在"]}
    with pytest.raises(InvalidInput) as refused:  # a product problem names its order
        ticket_open(customer_id=customer.pk, actor=am, ticket_type="quality", description="异响")
    assert refused.value.errors["ticket_type"] == ["「产品质量」须关联订单；没有订单时可登记：售前疑问、投诉、建议、其他"]
    other = Customer.objects.create(name="别家公司", uscc="91110000MA01ABCD1X", owner=make_user("am2", "account_manager"))
    with pytest.raises(InvalidInput) as refused:  # not a customer this account manager sees
        ticket_open(customer_id=other.pk, actor=am, ticket_type="presales", description="x")
    assert refused.value.errors == {"customer_id": ["客户不存在"]}
    with pytest.raises(NotAllowed):
        ticket_open(customer_id=customer.pk, actor=users["warehouse"], ticket_type="presales", description="x")
    assert Ticket.objects.count() == 0


def test_an_order_of_another_customer_is_refused(orders, users, customer):
    order = orders.at("received")
    other = Customer.objects.create(name="别家公司", uscc="91110000MA01ABCD1X")
    with pytest.raises(InvalidInput) as refused:
        ticket_open(order_id=order.pk, customer_id=other.pk, actor=users["account_manager"], ticket_type="presales",
                    description="x")
    assert refused.value.message == f"订单 {order.ref} 不是所选客户的订单"
    assert Ticket.objects.count() == 0


def test_who_sees_feedback_without_an_order(users, customer):
    ticket = ask(customer, users["sales_assistant"])
    for role, sees in [("account_manager", True), ("sales_assistant", True), ("sales_manager", True),
                       ("after_sales", True), ("sales_director", True), ("warehouse", False), ("logistics", False)]:
        assert tickets_visible_to(users[role]).filter(pk=ticket.pk).exists() is sees, role
        assert (ticket in feedback_records(SalesOrder.objects.none(), users[role])) is sees, role
    stranger = make_user("am2", "account_manager")
    assert not tickets_visible_to(stranger).exists()
    client = Client()
    client.force_login(stranger)
    assert client.get(f"/tickets/{ticket.pk}/").status_code == 404
    with pytest.raises(Exception):
        ticket_respond(ticket_id=ticket.pk, actor=stranger, note="x")


def test_the_record_feedback_page(users, customer):
    client = Client()
    client.force_login(users["account_manager"])
    listing = client.get("/tickets/").content.decode()
    assert 'href="/tickets/record/"' in listing and "记录客户反馈" in listing
    form = client.get("/tickets/record/").content.decode()
    assert f'<option value="{customer.pk}"' in form and "售前疑问" in form
    refused = client.post("/tickets/record/", {"ticket_type": "presales", "description": "能否试用？"})
    assert refused.status_code == 422 and "请选择客户" in refused.content.decode()
    done = client.post("/tickets/record/", {"customer_id": customer.pk, "ticket_type": "presales",
                                               "description": "能否试用？"})
    ticket = Ticket.objects.get()
    assert done.status_code == 302 and done["Location"] == f"/tickets/{ticket.pk}/"
    page = client.get(done["Location"]).content.decode()
    assert "科技有限公司" in page and "无订单" in page and 'name="step" value="respond"' in page
    assert "登记售后问题" in page  # the step in the ticket's record
    assert client.get(f"/tickets/{ticket.pk}/record/").status_code == 200
    assert "无订单" in client.get("/tickets/").content.decode()
    warehouse = Client()
    warehouse.force_login(users["warehouse"])
    assert warehouse.get("/tickets/record/").status_code == 403


def test_register_3_page_and_export_include_feedback_without_an_order(orders, users, customer):
    order = orders.at("cancelled")
    ticket_open(order_id=order.pk, actor=users["account_manager"], ticket_type="complaint", description="取消原因不明")
    ask(customer, users["account_manager"])
    client = Client()
    client.force_login(users["account_manager"])
    page = client.get("/registers/feedback/").content.decode()
    assert QUESTION in page and "取消原因不明" in page
    book = load_workbook(io.BytesIO(client.get("/registers/feedback.xlsx").getvalue()))
    rows = list(book.active.iter_rows(min_row=2, values_only=True))
    assert [(row[0] or "", row[2]) for row in rows] == [("", "售前疑问"), (order.ref, "投诉")]  # oldest first
    ticket = Ticket.objects.get(order__isnull=True)
    assert feedback_row(ticket)[:3] == ["", "科技有限公司", "售前疑问"]
