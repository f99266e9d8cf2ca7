"""Every (state, action, role) cell of the lifecycle: the allowed ones succeed,
every other one is refused with a reason and changes nothing."""
import pytest
from django.db import transaction

from orderloop.core.exceptions import DomainError
from orderloop.core.models import AuditEntry
from orderloop.notifications.models import Notification
from orderloop.orders.models import OrderEvent, SalesOrder
from orderloop.orders.lifecycle.engine import available_actions, perform_action
from orderloop.orders.steps import ACTIONS
from orderloop.core import clock
from orderloop.finance.models import Allocation, Instalment
from tests.support.finance import pay
from tests.support.orders import act, receipt_scan, stock_for
from tests.support.users import ROLES

SA, AM, SM, SD = "sales_assistant", "account_manager", "sales_manager", "sales_director"
WH, PR, LOG, AS, ADM = "warehouse", "production", "logistics", "after_sales", "admin"
SEES_CONFIRMED = {SA, AM, SM, SD, ADM, WH, PR}

# SPEC section 2, written out by hand: who may take which action in which state.
ALLOWED = {
    "received": {"review": {SA, AM}, "track": {SA, AM}, "cancel": {SM}},
    "needs_info": {"review": {SA, AM}, "log_contact": {SA, AM}, "supplement": {SA, AM}, "track": {SA, AM}, "cancel": {SM}},
    "pending_approval": {"approve": {SM}, "reject": {SM}, "track": {SA, SM}, "amend": {SA}, "cancel": {SM}},
    "pending_director": {"approve": {SD}, "reject": {SD}, "track": {SA, SD}, "amend": {SA}, "cancel": {SM}},
    "pending_stock_check": {"confirm_stock": {WH, PR}, "track": {SA, WH, PR}, "amend": {SA}, "cancel": {SM}},
    "date_negotiation": {"agree_date": {AM}, "track": {SA, AM}, "amend": {SA}, "cancel": {SM}},
    "confirmed": {"start_fulfillment": {WH, PR}, "track": {SA, WH, PR}, "raise_risk": SEES_CONFIRMED,
                  "resolve_risk": SEES_CONFIRMED, "amend": {SA}, "short_close": {SM}, "cancel": {SM},
                  "waive_payment": {SM}},
    "in_fulfillment": {"track": {SA, WH, PR}, "raise_risk": SEES_CONFIRMED | {LOG},
                       "resolve_risk": SEES_CONFIRMED | {LOG}, "prepare_shipment": {WH}, "amend": {SA},
                       "short_close": {SM}, "cancel": {SM}},
    "ready_to_ship": {"ship": {LOG}, "track": {SA, WH, LOG}, "amend": {SA}, "short_close": {SM}, "cancel": {SM},
                      "waive_payment": {SM}},
    "shipped": {"accept": {AM, LOG}, "confirm_receipt": {AM, LOG}, "track": {SA, AM, LOG}, "amend": {SA},
                "write_off": {SM}},
    "delivered": {"follow_up": {AM}, "track": {SA, AM}, "close": {SM}, "write_off": {SM}},
    "closed": {}, "rejected": {}, "cancelled": {},
}
EXPECTED_TARGET = {
    ("received", "review"): "pending_approval", ("received", "cancel"): "cancelled",
    ("needs_info", "review"): "rejected", ("needs_info", "log_contact"): "needs_info",
    ("needs_info", "supplement"): "received", ("needs_info", "cancel"): "cancelled",
    # the 50,000-yuan order is over the director's 10,000: the manager's approval passes it to the director
    ("pending_approval", "approve"): "pending_director", ("pending_approval", "reject"): "rejected",
    ("pending_director", "approve"): "pending_stock_check", ("pending_director", "reject"): "rejected",
    ("pending_stock_check", "confirm_stock"): "confirmed", ("date_negotiation", "agree_date"): "confirmed",
    ("confirmed", "start_fulfillment"): "in_fulfillment", ("in_fulfillment", "prepare_shipment"): "ready_to_ship",
    ("ready_to_ship", "ship"): "shipped", ("shipped", "accept"): "delivered", ("shipped", "confirm_receipt"): "delivered", ("delivered", "close"): "closed",
}


def payload(action, order):
    lines = list(order.lines.all())
    shipped = order.shipments.exists()  # a signed receipt to upload once something has been shipped
    scan = receipt_scan(order).pk if action in ("accept", "confirm_receipt") and shipped else None
    return {
        "review": {"verdict": "reject", "reason": "资质不符"} if order.status == "needs_info" else {"verdict": "pass"},
        "log_contact": {"channel": "phone", "summary": "电话沟通", "outcome": "已确认"},
        "supplement": {"contact_phone": "13800001111"},
        "approve": {"comment": "同意", "version": order.version},
        "reject": {"reason": "利润率过低", "version": order.version},
        "confirm_stock": {"lines": [{"line_id": l.pk, "availability": "in_stock", "feasible_date": "2030-05-20", "date_reason": "按排产计划"} for l in lines]},
        "agree_date": {"agreed_date": "2031-02-01", "talk": "客户同意"},
        "start_fulfillment": {"stages": [{"name": "备货", "owner": "warehouse", "planned_date": "2030-05-18"}]},
        "track": {"stage": "生产备货", "record": "进展正常"},
        "raise_risk": {"risk_type": "equipment_failure", "description": "设备故障"},
        "resolve_risk": {"risk_id": order.risks.filter(resolved_at__isnull=True).values_list("pk", flat=True).first() or 0,
                         "mitigation_type": "prioritise_production", "mitigation": "调整排产"},
        "prepare_shipment": {"goods": "服务器", "quantity_checked": True, "qc_passed": True, "qc_report": "合格"},
        "ship": {"method": "express", "carrier": "顺丰速运", "tracking_number": "SF1", "eta": "2030-05-23"},
        "accept": {"quantity_ok": True, "spec_ok": True, "appearance_ok": True, "signed_by": "李*",
                   "receipt_attachment_id": scan},
        "confirm_receipt": {"shipment_id": order.shipments.values_list("pk", flat=True).first() or 0, "signed_by": "李*",
                            "receipt_attachment_id": scan},
        "follow_up": {"channel": "phone", "usage": "运行正常", "satisfaction": 5},
        "close": {"note": ""},
        "amend": {"reason": "客户调整数量", "lines": [{"line_id": l.pk, "quantity": str(l.quantity + 1)} for l in lines]},
        "cancel": {"reason": "客户取消"},
        "short_close": {"line_id": lines[0].pk, "keep_quantity": "5", "reason": "客户同意少交"},
        "waive_payment": {"reason": "老客户，先生产"},
        "write_off": {"reason": "客户破产，余款无法收回"},
    }[action]


def payment_held(order, trigger):
    """The order held by an unpaid instalment of ``trigger`` (the deposit before production, payment before
    shipment), whatever its term: the instalment's money taken back off it."""
    Allocation.objects.filter(instalment__order=order).delete()
    Instalment.objects.filter(order=order).delete()
    Instalment.objects.create(order=order, owner_id=order.owner_id, customer_id=order.customer_id, number=1,
                              trigger=trigger, share="100%", amount=order.total_amount, created_at=clock.now())


def trace(order_id):
    order = SalesOrder.objects.get(pk=order_id)
    return (order.status, order.version, order.updated_at, OrderEvent.objects.filter(order_id=order_id).count(),
            AuditEntry.objects.filter(object_type="orders.salesorder", object_id=str(order_id)).count(),
            list(order.lines.values_list("quantity", "unit_price", "feasible_date", "agreed_date")),
            list(order.timers.values_list("kind", "state", "met_at", "stopped_at")),
            Notification.objects.count())


def prepare(state, action, order, users):
    """Facts an allowed action needs first: an open risk to resolve, stages done, a visit before closing, stock
    for lines confirmed as 现货."""
    if action == "confirm_stock":
        stock_for(order)
    if action == "resolve_risk" and state in ("confirmed", "in_fulfillment"):
        act(order, "raise_risk", users[SM], risk_type="other", description="待解决")
    if action == "prepare_shipment" and state == "in_fulfillment":
        act(order, "track", users[PR], stage="生产", record="生产完成", actual_date="2024-05-19")
    if action == "close" and state == "delivered":
        act(order, "follow_up", users[AM], channel="phone", usage="运行正常", satisfaction=5)
        pay(order, users["finance"])
    if action == "waive_payment" and state in ("confirmed", "ready_to_ship"):
        payment_held(order, "on_confirmation" if state == "confirmed" else "before_shipment")


@pytest.mark.slow
@pytest.mark.parametrize("state", list(ALLOWED))
def test_every_action_and_role_in_state(state, orders, users):
    order = orders.at(state)
    problems = []
    for action in ACTIONS:
        for role in ROLES:
            user = users[role]
            allowed = role in ALLOWED[state].get(action, set())
            savepoint = transaction.savepoint()
            try:
                prepare(state, action, order, users)
                order.refresh_from_db()
                before = trace(order.pk)
                try:
                    event = perform_action(order_id=order.pk, action_name=action, actor=user, data=payload(action, order))
                except DomainError as exc:
                    if allowed:
                        problems.append(f"{state}/{action}/{role}: refused but allowed ({exc.message})")
                    elif exc.http_status not in (403, 404, 409) or not exc.message:
                        problems.append(f"{state}/{action}/{role}: refused with {exc.http_status} {exc.message!r}")
                    elif trace(order.pk) != before:
                        problems.append(f"{state}/{action}/{role}: refused but changed the order")
                else:
                    if not allowed:
                        problems.append(f"{state}/{action}/{role}: allowed but should be refused")
                    else:
                        target = EXPECTED_TARGET.get((state, action), state)
                        if action == "cancel":
                            target = "cancelled"
                        if action == "amend":
                            target = {"pending_approval": "pending_approval", "pending_director": "pending_approval"}.get(
                                state, "pending_stock_check")
                        if event.to_status != target:
                            problems.append(f"{state}/{action}/{role}: went to {event.to_status}, expected {target}")
                        if trace(order.pk)[3] != before[3] + 1:
                            problems.append(f"{state}/{action}/{role}: no single event written")
                        if event.actor_id != user.pk or event.from_status != state:
                            problems.append(f"{state}/{action}/{role}: event does not say who and from where")
            finally:
                transaction.savepoint_rollback(savepoint)
    assert problems == []


@pytest.mark.parametrize("state", list(ALLOWED))
def test_buttons_offer_exactly_the_allowed_actions(state, orders, users):
    order = orders.at(state)
    for role in ROLES:
        expected = {a for a, roles in ALLOWED[state].items() if role in roles}
        if state == "delivered":
            expected.discard("close")  # offered only once the visit is done
        if state in ("confirmed", "in_fulfillment"):
            expected.discard("resolve_risk")  # offered only while a risk is open
        if state in ("confirmed", "ready_to_ship"):
            expected.discard("waive_payment")  # offered only while a payment holds the order (the deposit is in)
        if state == "in_fulfillment":
            expected.discard("prepare_shipment")  # offered only once every stage is done
        assert set(available_actions(order, users[role])) == expected, role
