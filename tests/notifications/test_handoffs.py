"""Hand-offs push (SPEC section 9; issue #21, done-when 1): each transition of SPEC section 2 that gives an order or
a ticket to a new owner tells that person once — in the app, by e-mail (Django's outbox, after the worker's
delivery) and, with a chat robot configured, in the team's group (a local HTTP server receives it) — with the
order, what is asked of them and the deadline; a retry tells no one twice; a person's preference turns a channel
off; a daily digest gathers their mails into one."""
from datetime import datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.test import Client

from orderloop.aftersales.services import ticket_give_solution, ticket_open, ticket_resolve
from orderloop.core import clock
from orderloop.core.calendar import local_text
from orderloop.notifications.delivery import outbox_deliver
from orderloop.notifications.models import ChatRobot, MailDigest, Notification, NotificationPreference
from orderloop.notifications.services import preferences_of, preferences_save
from orderloop.orders.models import ApprovalPolicy, OrderEvent
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive, orders_receive
from orderloop.orders.steps import ACTIONS
from tests.support.orders import act, order_data, receipt_scan, stock_for
from tests.support.robot_server import RobotServer


SH = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 2, 10, 0, tzinfo=SH)  # a Monday, in business hours


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


@pytest.fixture(autouse=True)
def policy(db):
    """The director rule as these tests read it: over 100,000 yuan (30 units), not 50,000 (10 units)."""
    rule = ApprovalPolicy.current()
    rule.director_threshold = Decimal("100000.00")
    rule.save()


@pytest.fixture
def group(team):
    """The sales team's chat group: a WeCom robot posting to a local server."""
    server = RobotServer()
    ChatRobot.objects.create(name="华北销售群", kind="wecom", team=team, webhook_url=f"{server.url}/cgi-bin/webhook/send?key=K")
    yield server
    server.close()


def deliver():
    """The worker's delivery, twice: the second finds nothing left to send."""
    outbox_deliver()
    assert outbox_deliver() == 0


def told(person, event, *, step, order, group, due=""):
    """``person`` was told of ``event`` once in each channel; returns the in-app notice."""
    (inapp,) = Notification.objects.filter(event=event, recipient=person, channel="inapp")
    assert Notification.objects.filter(event=event, recipient=person, channel="email").count() == 1
    assert f"【{step}】" in inapp.subject and order.ref in inapp.subject and order.customer.name in inapp.subject
    assert f"订单：{order.ref}（{order.customer.name}）" in inapp.body and "请您：" in inapp.body
    assert f"截止时间：{due}" in inapp.body
    deliver()
    deliver()  # a retried delivery sends nothing again
    mails = [m for m in mail.outbox if m.subject == inapp.subject and m.to == [person.email]]
    assert len(mails) == 1
    assert inapp.body in mails[0].body and f"/orders/{order.ref}/" in mails[0].body
    posted = [r for r in group.requests if inapp.subject in r["body"]["text"]["content"]]
    assert len(posted) == 1
    return inapp


def not_told(person, event):
    assert not Notification.objects.filter(event=event, recipient=person).exists()


def due_of(order, kind):
    timer = order.timers.get(kind=kind, met_at__isnull=True, stopped_at__isnull=True)
    return f"{local_text(timer.due_at)}（北京时间）"


def big(product):
    return [{"product_id": product.pk, "quantity": "30", "unit_price": "5000"}]


# --- one test per hand-off -------------------------------------------------------------------------------------

def test_an_order_from_the_mailbox_goes_to_its_account_manager_and_the_team_assistants(users, customer, product, group):
    order = order_receive(actor=None, data=OrderCreate(**order_data(customer, product, channel="email")))
    for role in ("account_manager", "sales_assistant"):
        notice = told(users[role], "order_received", step="待初步审核", order=order, group=group, due="无时限")
        assert "确认客户资质" in notice.body


def test_an_order_by_the_api_goes_to_the_reviewers_but_not_to_who_sent_it(users, customer, product, group):
    order = order_receive(actor=users["sales_assistant"], data=OrderCreate(**order_data(customer, product, channel="api")))
    told(users["account_manager"], "order_received", step="待初步审核", order=order, group=group, due="无时限")
    not_told(users["sales_assistant"], "order_received")


def test_an_order_typed_in_is_nobody_elses_hand_off(orders, users):
    orders.received()
    assert not Notification.objects.filter(event="order_received").exists()


def test_an_imported_batch_is_one_notice_listing_its_orders(users, customer, product, group):
    batch = [(OrderCreate(**order_data(customer, product, channel="import")), None) for _ in range(3)]
    imported = orders_receive(actor=users["sales_assistant"], batch=batch)
    notice = told(users["account_manager"], "order_received", step="待初步审核", order=imported[0], group=group, due="无时限")
    assert "同批接收 3 张订单：" + "、".join(o.ref for o in imported) in notice.body


def test_review_passed_goes_to_the_team_sales_manager(orders, users, group):
    order = act(orders.received(), "review", users["sales_assistant"], verdict="pass")
    notice = told(users["sales_manager"], "approval_requested", step="待审批", order=order, group=group,
                  due=due_of(order, "approval"))
    assert order.number in notice.subject and "复核订单信息（金额、交付条款、利润率等），确认无误后审批" in notice.body
    assert "截止 " in notice.subject


def test_review_needs_info_goes_to_the_assistant_to_contact_the_customer(orders, users, group):
    order = act(orders.received(), "review", users["account_manager"], verdict="needs_info", missing=["交付日期不明确"])
    notice = told(users["sales_assistant"], "needs_info", step="待补充", order=order, group=group,
                  due=due_of(order, "contact"))
    assert "联系客户（或对接人）补充确认" in notice.body and "需补充：交付日期不明确" in notice.body
    not_told(users["account_manager"], "needs_info")  # who found it out is not told


def test_manager_approval_under_the_director_rule_goes_to_the_director(orders, users, product, group):
    order = act(orders.at("pending_approval", lines=big(product)), "approve", users["sales_manager"], comment="同意")
    assert order.status == "pending_director"
    notice = told(users["sales_director"], "director_approval_requested", step="待总监审批", order=order, group=group,
                  due=due_of(order, "approval"))
    assert "金额 150,000.00 元超过 100,000.00 元" in notice.body


def test_approvals_complete_go_to_warehouse_and_production(orders, users, product, group):
    order = act(orders.at("pending_director", lines=big(product)), "approve", users["sales_director"], comment="同意")
    assert order.status == "pending_stock_check"
    for role in ("warehouse", "production"):
        notice = told(users[role], "stock_check_requested", step="待确认库存", order=order, group=group,
                      due=due_of(order, "stock_check"))
        assert "确认库存状态（现货/缺货/需生产）或生产周期，反馈实际可交付日期" in notice.body


def test_an_amendment_sent_back_to_approval_goes_to_the_sales_manager_with_what_changed(orders, users, group):
    order = orders.at("confirmed")
    Notification.objects.all().delete()  # what the way here told; the amendment's own notices follow
    line = order.lines.get()
    order = act(order, "amend", users["sales_assistant"], reason="客户要求降价",
                lines=[{"line_id": line.pk, "quantity": str(line.quantity), "unit_price": "4800"}])
    assert order.status == "pending_approval"
    notice = told(users["sales_manager"], "approval_requested", step="订单变更，待重新审批", order=order, group=group,
                  due=due_of(order, "approval"))
    assert "变更原因：客户要求降价" in notice.body and "单价" in notice.body
    not_told(users["sales_assistant"], "approval_requested")


def test_an_amendment_of_quantity_goes_back_to_warehouse_and_production(orders, users, group):
    order = orders.at("confirmed")
    Notification.objects.all().delete()  # what the way here told; the amendment's own notices follow
    line = order.lines.get()
    order = act(order, "amend", users["sales_assistant"], reason="客户临时要求增加1台",
                lines=[{"line_id": line.pk, "quantity": str(line.quantity + 1)}])
    assert order.status == "pending_stock_check"
    for role in ("warehouse", "production"):
        notice = told(users[role], "stock_check_requested", step="订单变更，待重新确认库存", order=order, group=group,
                      due=due_of(order, "stock_check"))
        assert "变更原因：客户临时要求增加1台" in notice.body


def test_a_late_feasible_date_goes_to_the_account_manager_for_negotiation(orders, users, group):
    order = orders.at("pending_stock_check")
    lines = [{"line_id": line.pk, "availability": "short", "lead_time_days": 200, "feasible_date": "2031-01-31",
              "date_reason": "按排产计划"} for line in order.lines.all()]
    order = act(order, "confirm_stock", users["warehouse"], lines=lines)
    assert order.status == "date_negotiation"
    notice = told(users["account_manager"], "date_negotiation", step="交期协商", order=order, group=group)
    assert "请提前与客户协商调整交期" in notice.body and "第 1 行" in notice.body


def test_stock_confirmed_goes_on_to_start_fulfilment(orders, users, group):
    order = orders.at("pending_stock_check")
    stock_for(order)
    lines = [{"line_id": line.pk, "availability": "in_stock", "feasible_date": "2030-05-20", "date_reason": "现货"}
             for line in order.lines.all()]
    order = act(order, "confirm_stock", users["warehouse"], lines=lines)
    assert order.status == "confirmed"
    notice = told(users["production"], "order_confirmed", step="已确认", order=order, group=group, due="无时限")
    assert "根据确认订单安排备货或生产" in notice.body and "约定交期：2030-05-25" in notice.body
    not_told(users["warehouse"], "order_confirmed")  # the one who confirmed it


def test_a_date_agreed_goes_to_warehouse_and_production(orders, users, group):
    order = act(orders.at("date_negotiation"), "agree_date", users["account_manager"], agreed_date="2031-02-01",
                talk="客户同意")
    assert order.status == "confirmed"
    for role in ("warehouse", "production"):
        notice = told(users[role], "order_confirmed", step="已确认", order=order, group=group, due="无时限")
        assert "约定交期：2031-02-01" in notice.body


def test_shipment_prepared_goes_to_logistics(orders, users, group):
    order = orders.at("in_fulfillment")
    act(order, "track", users["production"], stage="生产", record="生产完成", actual_date="2026-03-02")
    order = act(order, "prepare_shipment", users["warehouse"], goods="服务器A型 × 10", quantity_checked=True,
                qc_passed=True, qc_report="合格")
    notice = told(users["logistics"], "shipment_prepared", step="待发货", order=order, group=group, due="无时限")
    assert "根据《发货准备单》安排发货" in notice.body and "货物清单：服务器A型 × 10" in notice.body


def test_shipped_goes_to_the_account_manager_for_acceptance(orders, users, group):
    order = act(orders.at("ready_to_ship"), "ship", users["logistics"], method="express", carrier="顺丰速运",
                tracking_number="SF1", eta="2030-05-23")
    notice = told(users["account_manager"], "order_shipped", step="客户验收", order=order, group=group, due="2030-05-23")
    assert "协助客户进行现场验收" in notice.body and "顺丰速运 SF1，预计 2030-05-23 送达" in notice.body


def test_delivered_goes_to_the_account_manager_for_the_follow_up_visit(orders, users, group):
    order = orders.at("shipped")
    order = act(order, "accept", users["account_manager"], quantity_ok=True, spec_ok=True, appearance_ok=True,
                signed_by="李*", receipt_attachment_id=receipt_scan(order).pk)
    assert order.status == "delivered"
    notice = told(users["account_manager"], "follow_up_due", step="客户回访", order=order, group=group,
                  due=due_of(order, "follow_up"))
    assert "交付后3个工作日内" in notice.body and "《客户满意度回访表》" in notice.body


def test_a_ticket_goes_to_after_sales_with_its_24_hours(orders, users, group):
    order = orders.at("delivered")
    ticket_open(order_id=order.pk, actor=users["account_manager"], ticket_type="quality", description="运行时有异响")
    notice = told(users["after_sales"], "ticket_opened", step="售后问题：产品质量", order=order, group=group,
                  due=f"{local_text(NOW + timedelta(hours=24))}（北京时间）")
    assert "24小时内响应" in notice.body and "反馈内容：运行时有异响" in notice.body


def test_a_resolved_ticket_goes_to_the_account_manager_for_the_customers_confirmation(orders, users, group):
    order = orders.at("delivered")
    ticket = ticket_open(order_id=order.pk, actor=users["account_manager"], ticket_type="quality", description="异响")
    ticket_give_solution(ticket_id=ticket.pk, actor=users["after_sales"], solution_type="repair", solution="更换风扇",
                         promised_at=NOW + timedelta(hours=4))
    ticket_resolve(ticket_id=ticket.pk, actor=users["after_sales"], result="问题已解决")
    notice = told(users["account_manager"], "ticket_confirmation_requested", step="售后回访", order=order, group=group,
                  due="无时限")
    assert "请回访客户确认处理结果" in notice.body and "处理结果：问题已解决" in notice.body


# --- once, whatever is retried -----------------------------------------------------------------------------------

def test_the_same_hand_off_told_again_writes_nothing(orders, users, group):
    order = act(orders.received(), "review", users["sales_assistant"], verdict="pass")
    event = OrderEvent.objects.filter(order=order, type="reviewed").get()
    before = Notification.objects.count()
    ACTIONS["review"].notice(order, event, event.payload)  # the notice of the same event, again
    assert Notification.objects.count() == before
    told(users["sales_manager"], "approval_requested", step="待审批", order=order, group=group,
         due=due_of(order, "approval"))


def test_the_group_hears_a_hand_off_once_however_many_are_told(orders, users, product, group):
    order = act(orders.at("pending_director", lines=big(product)), "approve", users["sales_director"], comment="同意")
    assert Notification.objects.filter(event="stock_check_requested", channel="inapp").count() == 2  # warehouse, production
    assert group.requests == []  # nothing is posted before the worker delivers
    deliver()
    assert sum("【待确认库存】" in r["body"]["text"]["content"] and order.ref in r["body"]["text"]["content"]
               for r in group.requests) == 1


# --- each person's choice ----------------------------------------------------------------------------------------

def test_email_turned_off_leaves_the_app(orders, users, group):
    client = Client()
    client.force_login(users["account_manager"])
    assert "通知设置" in client.get("/inbox/").content.decode()
    page = client.get("/inbox/preferences/").content.decode()
    assert "已发货：协助客户验收" in page and 'name="email:order_shipped"' in page
    rows, _digest = preferences_of(users["account_manager"])
    kinds = [row["event"] for row in rows]
    assert {"order_received", "needs_info", "date_negotiation", "order_shipped", "follow_up_due"} <= set(kinds)
    choice = {f"inapp:{kind}": "on" for kind in kinds} | {f"email:{kind}": "on" for kind in kinds if kind != "order_shipped"}
    assert client.post("/inbox/preferences/", {**choice, "digest": "single"}).status_code == 302
    assert list(NotificationPreference.objects.filter(user=users["account_manager"]).values_list("event", "inapp", "email")) \
        == [("order_shipped", True, False)]
    order = act(orders.at("ready_to_ship"), "ship", users["logistics"], method="express", carrier="顺丰速运",
                tracking_number="SF1", eta="2030-05-23")
    shipped = Notification.objects.filter(event="order_shipped", recipient=users["account_manager"])
    assert list(shipped.values_list("channel", flat=True)) == ["inapp"]
    deliver()
    assert not [m for m in mail.outbox if "【客户验收】" in m.subject]
    assert sum(order.ref in r["body"]["text"]["content"] and "客户验收" in r["body"]["text"]["content"]
               for r in group.requests) == 1  # the group is the team's choice, not the person's
    assert 'name="email:order_shipped" aria-label' in client.get("/inbox/preferences/").content.decode()


def test_in_app_turned_off_keeps_the_mail(orders, users):
    preferences_save(user=users["sales_manager"], off={"approval_requested": {"inapp"}}, daily_digest=False)
    act(orders.received(), "review", users["sales_assistant"], verdict="pass")
    rows = Notification.objects.filter(event="approval_requested", recipient=users["sales_manager"])
    assert list(rows.values_list("channel", flat=True)) == ["email"]


def test_a_daily_digest_gathers_the_mails_into_one(orders, users):
    preferences_save(user=users["account_manager"], off={}, daily_digest=True)
    assert MailDigest.objects.get(user=users["account_manager"]).daily
    order = act(orders.at("ready_to_ship"), "ship", users["logistics"], method="express", carrier="顺丰速运",
                tracking_number="SF1", eta="2030-05-23")
    act(order, "accept", users["account_manager"], quantity_ok=True, spec_ok=True, appearance_ok=True, signed_by="李*",
        receipt_attachment_id=receipt_scan(order).pk)
    mine = Notification.objects.filter(recipient=users["account_manager"], channel="email")
    assert mine.count() == 2 and all(row.digest for row in mine)
    assert Notification.objects.filter(recipient=users["account_manager"], channel="inapp").count() == 2  # at once
    deliver()
    assert not [m for m in mail.outbox if m.to == [users["account_manager"].email]]
    with clock.frozen_at(datetime(2026, 3, 3, 8, 30, tzinfo=SH)):  # ORDERLOOP_DIGEST_AT, the next morning
        deliver()
    (digest,) = [m for m in mail.outbox if m.to == [users["account_manager"].email]]
    assert digest.subject == "orderloop 每日通知汇总（2 条）"
    assert "【客户验收】" in digest.body and "【客户回访】" in digest.body
