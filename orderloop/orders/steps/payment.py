"""付款放行 and 尾款核销: the sales manager's two decisions about money the order is waiting for. Releasing lets an
order held by its payment terms go on (production before the deposit, shipment before payment); writing off lets
a delivered order close with part of its plan unpaid. Both need a reason, are on the timeline and in the audit,
and are counted in the review. Recording the money itself is finance's (``finance.receipts``), not an action on
the order."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.calendar import local
from orderloop.finance.gates import holding
from orderloop.finance.models import Instalment
from orderloop.masterdata.models import Trigger
from orderloop.orders import payloads as p
from orderloop.orders.lifecycle.spec import Action
from orderloop.orders.lifecycle.table import STAY
from orderloop.orders.models import EventType
from orderloop.orders.models import OrderStatus as S


def _audit(order, actor, operation, rows, reason) -> None:
    """The decision in the audit log, with the instalments and amounts it concerns (the order's own fields do not
    change, so the action's audit of them would say nothing)."""
    audit_record(actor=actor, obj=order, operation=operation, object_type="orders.salesorder", changes={
        "reason": [None, reason], "instalments": [None, [f"{row.number}:{row.outstanding}" for row in rows]]})


def _held(order) -> list[Instalment]:
    if order.status == S.CONFIRMED:
        return holding(order, Trigger.ON_CONFIRMATION)
    if order.status == S.READY_TO_SHIP:
        return holding(order, Trigger.BEFORE_SHIPMENT)
    return []


def _held_guard(order, user):
    return None if _held(order) else _("没有因付款条件而暂停的环节")


def waive_payment(order, actor, payload: p.WaivePaymentPayload):
    now = clock.now()
    rows = _held(order)
    Instalment.objects.filter(pk__in=[row.pk for row in rows]).update(waived_by=actor, waived_at=now,
                                                                      waive_reason=payload.reason)
    _audit(order, actor, EventType.PAYMENT_WAIVED, rows, payload.reason)
    return STAY, {"reason": payload.reason, "instalments": [
        {"instalment": row.number, "amount": str(row.amount), "outstanding": str(row.outstanding)} for row in rows]}


def _open_rows(order) -> list[Instalment]:
    if hasattr(order, "open_instalments"):  # fetched with a list of orders (steps.guards)
        return order.open_instalments
    return list(Instalment.objects.filter(order=order, is_open=True).order_by("number"))


def _open_guard(order, user):
    return None if _open_rows(order) else _("付款计划已结清，无需核销")


def write_off(order, actor, payload: p.WriteOffPayload):
    now = clock.now()
    rows = _open_rows(order)
    for row in rows:
        Instalment.objects.filter(pk=row.pk).update(written_off=row.amount - row.received, is_open=False,
                                                    settled_on=local(now).date(),
                                                    write_off_reason=payload.reason, written_off_by=actor,
                                                    written_off_at=now)
    _audit(order, actor, EventType.WRITTEN_OFF, rows, payload.reason)
    return STAY, {"reason": payload.reason, "instalments": [
        {"instalment": row.number, "amount": str(row.outstanding)} for row in rows]}


ACTIONS = [
    Action("waive_payment", N_("付款放行"), EventType.PAYMENT_WAIVED, p.WaivePaymentPayload, waive_payment,
           guards=(_held_guard,), quiet=True, incidental=True,
           confirm=N_("放行后，订单不等回款即可继续（开始备货/生产或发货），并记入审计与月度复盘。确定放行吗？")),
    Action("write_off", N_("尾款核销"), EventType.WRITTEN_OFF, p.WriteOffPayload, write_off,
           guards=(_open_guard,), quiet=True, incidental=True,
           confirm=N_("核销后，付款计划中未收的金额不再催收，订单可以完成。确定核销吗？")),
]
