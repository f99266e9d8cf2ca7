"""Every lifecycle action taken on the order page is answered with what was done, where the order is now and who
acts next, with the running deadline (orders.outcomes) — never a bare "已完成"."""
import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from orderloop.core.calendar import local_text
from orderloop.orders.models import OrderStatus, SalesOrder
from tests.support.finance import pay
from tests.support.orders import act, receipt_scan, stock_for

SA, AM, SM, SD = "sales_assistant", "account_manager", "sales_manager", "sales_director"
WH, LOG = "warehouse", "logistics"


def _lines(order, **fields):
    return [{"line_id": line.pk, **fields} for line in order.lines.all()]


# (state, action, role, payload, what was done, the state after, what is next)
CASES = [
    ("received", "review", SA, lambda o: {"verdict": "pass"}, "初步审核通过", "pending_approval", "销售经理审批"),
    ("received", "review", SA, lambda o: {"verdict": "needs_info", "missing": "交付日期不明确"}, "初步审核需补充",
     "needs_info", "交付日期不明确"),
    ("received", "review", SA, lambda o: {"verdict": "reject", "reason": "资质不符"}, "初步审核驳回", "rejected", "流程结束"),
    ("needs_info", "log_contact", SA, lambda o: {"channel": "phone", "summary": "电话沟通", "outcome": "客户补充交期"},
     "记录沟通", "needs_info", "销售助理联系客户补充"),
    ("needs_info", "supplement", SA, lambda o: {"contact_phone": "13800001111"}, "补充信息", "received", "销售助理初步审核"),
    ("pending_approval", "approve", SM, lambda o: {"comment": "同意", "version": o.version}, "审批通过",
     "pending_director", "销售总监最终审批"),
    ("pending_approval", "reject", SM, lambda o: {"reason": "利润率过低", "version": o.version}, "审批驳回", "rejected",
     "流程结束"),
    ("pending_director", "approve", SD, lambda o: {"comment": "同意", "version": o.version}, "审批通过",
     "pending_stock_check", "仓储/生产部门确认库存"),
    ("pending_stock_check", "confirm_stock", WH,
     lambda o: {"lines": _lines(o, availability="in_stock", feasible_date="2030-05-20", date_reason="按排产计划")},
     "确认库存", "confirmed", "制定备货/生产计划"),
    ("date_negotiation", "agree_date", AM, lambda o: {"agreed_date": "2031-02-01", "talk": "客户同意"}, "确认交期",
     "confirmed", "制定备货/生产计划"),
    ("confirmed", "start_fulfillment", WH,
     lambda o: {"stages": [{"name": "备货", "owner": "warehouse", "planned_date": "2030-05-18"}]}, "开始备货/生产",
     "in_fulfillment", "按计划备货/生产"),
    ("confirmed", "raise_risk", SM, lambda o: {"risk_type": "equipment_failure", "description": "设备故障"}, "上报风险",
     "confirmed", "制定备货/生产计划"),
    ("in_fulfillment", "track", SA, lambda o: {"stage": "生产备货", "record": "进展正常"}, "进度跟进", "in_fulfillment",
     "按计划备货/生产"),
    ("in_fulfillment", "prepare_shipment", WH,
     lambda o: {"goods": "服务器", "quantity_checked": True, "qc_passed": True, "qc_report": "合格"}, "发货准备",
     "ready_to_ship", "物流部门发货"),
    ("ready_to_ship", "ship", LOG, lambda o: {"method": "express", "carrier": "顺丰速运", "tracking_number": "SF1",
                                              "eta": "2030-05-23"}, "发货", "shipped", "客户签收"),
    ("shipped", "accept", AM, lambda o: {"quantity_ok": True, "spec_ok": True, "appearance_ok": True, "signed_by": "李*",
                                         "receipt_attachment_id": receipt_scan(o).pk}, "客户验收", "delivered", "客户经理回访"),
    ("delivered", "follow_up", AM, lambda o: {"channel": "phone", "usage": "运行正常", "satisfaction": 5}, "客户回访",
     "delivered", "销售经理完成订单"),
    ("delivered", "close", SM, lambda o: {"note": ""}, "完成订单", "closed", "流程结束"),
    ("pending_approval", "cancel", SM, lambda o: {"reason": "客户取消"}, "取消订单", "cancelled", "流程结束"),
]


def _posted(data: dict, prefix: str = "") -> dict:
    """A payload as the order page's form posts it: flat, dotted names; a ticked box is "on"."""
    flat = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, list):
            for i, row in enumerate(value):
                flat.update(_posted(row, f"{name}.{i}."))
        elif value is True:
            flat[name] = "on"
        elif value is not False:
            flat[name] = str(value)
    return flat


def _prepare(state, action, order, users):
    if action == "confirm_stock":
        stock_for(order)
    if action == "prepare_shipment":
        act(order, "track", users["production"], stage="生产", record="生产完成", actual_date="2024-05-19")
    if action == "close":
        act(order, "follow_up", users[AM], channel="phone", usage="运行正常", satisfaction=5)
        pay(order, users["finance"])


@pytest.mark.parametrize("state, action, role, payload, done, after, next_step", CASES,
                         ids=[f"{case[0]}-{case[1]}-{case[4]}" for case in CASES])
def test_the_message_names_the_action_and_the_next_step(state, action, role, payload, done, after, next_step,
                                                       orders, users, client):
    order = orders.at(state)
    _prepare(state, action, order, users)
    order.refresh_from_db()
    client.force_login(users[role])
    response = client.post(reverse("orders:action", args=[order.ref, action]), _posted(payload(order)))
    assert response.status_code == 302, response.content.decode()[:3000]
    order = SalesOrder.objects.get(pk=order.pk)
    assert order.status == after
    shown = [str(m) for m in get_messages(response.wsgi_request)]
    assert len(shown) == 1, shown
    message = shown[0]
    assert message.startswith(done) and "已完成" not in message.replace("订单已完成", "").replace("「已完成」", "")
    assert f"现为「{OrderStatus(after).label}」" in message and order.ref in message
    assert next_step in message, message


def test_the_message_names_the_running_deadline(orders, users, client):
    order = orders.at("received")
    client.force_login(users[SA])
    response = client.post(reverse("orders:action", args=[order.ref, "review"]), {"verdict": "pass"})
    timer = order.timers.filter(met_at__isnull=True, stopped_at__isnull=True).exclude(kind__in=["logistics_notice", "risk"]).get()
    assert f"，截止 {local_text(timer.due_at)}" in str(list(get_messages(response.wsgi_request))[0])
