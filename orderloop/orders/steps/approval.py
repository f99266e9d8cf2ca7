"""Step 2, 订单审批: the sales manager's approval, and the director's when the director rule applies
(amount over the threshold, special terms, margin under the floor, credit limit exceeded); separation of
duties: whoever entered or owns the order, or approved it as manager, does not decide it."""
from decimal import ROUND_DOWN, Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.finance.receivables import credit_exposures
from orderloop.orders import payloads as p
from orderloop.orders.handoffs import handoff_notify, running_deadline
from orderloop.orders.lifecycle.spec import Action
from orderloop.orders.models import ApprovalPolicy, EventType, TimerKind
from orderloop.orders.models import OrderStatus as S


# Orders whose total counts against the customer's credit limit while they have no stored payment plan (from
# confirmation on, their plan's outstanding counts instead: finance.receivables.credit_exposures).
CREDIT_STATES = {
    S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION, S.CONFIRMED,
    S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED,
}


def percent(value: Decimal) -> str:
    """9.9999 % shows as 9.99 %: cut, not rounded, so a margin under the floor never looks equal to it."""
    return f"{(value * 100).quantize(Decimal('0.01'), rounding=ROUND_DOWN).normalize():f}%"


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def director_rules(order, policy: ApprovalPolicy | None = None, *, others: Decimal | None = None) -> list[tuple[str, str]]:
    """The director rules an order meets, as (rule, reason): ``amount`` (over the threshold, strictly: the seed's
    "大额订单(如超过万元)"), ``special_terms``, ``margin``, ``credit``; empty when the manager's approval is enough.
    ``credit``: the customer's unpaid receivables plus its open orders, this one included, over its credit limit
    (``finance.receivables.credit_exposures``, docs/decisions.md); ``others``: that exposure without this order's
    part, when the caller read it for many orders at once."""
    policy = policy or ApprovalPolicy.current()
    rules = []
    threshold = policy.director_threshold
    if order.total_amount > threshold:
        rules.append(("amount", _("金额 %(amount)s 元超过 %(threshold)s 元") % {
            "amount": money(order.total_amount), "threshold": money(threshold)}))
    if policy.special_terms_need_director and order.special_terms.strip():
        rules.append(("special_terms", _("含特殊条款")))
    margin = order.margin
    floor = policy.margin_floor
    if margin is not None and margin < floor:
        rules.append(("margin", _("利润率 %(margin)s 低于 %(floor)s") % {"margin": percent(margin), "floor": percent(floor)}))
    limit = order.customer.credit_limit
    if policy.credit_limit_needs_director and limit > 0:
        if others is None:
            others = credit_exposures([order], CREDIT_STATES)[order.pk]
        exposure = others + order.total_amount
        if exposure > limit:
            rules.append(("credit", _("客户未收应收款与未结订单合计 %(exposure)s 元超出信用额度 %(limit)s 元") % {
                "exposure": money(exposure), "limit": money(limit)}))
    return rules


def director_reasons(order, policy: ApprovalPolicy | None = None) -> list[str]:
    """Why an order needs the director's approval; empty when it does not."""
    return [reason for _rule, reason in director_rules(order, policy)]


def approval_conflict(order, user) -> str | None:
    """Why ``user`` may not decide on this approval level, or None."""
    if user is None:
        return _("审批必须由具体人员作出")
    if user.pk == order.entered_by_id:
        return _("录入订单的人不能审批该订单")
    if user.pk == order.owner_id or user.pk == order.customer.owner_id:
        return _("订单或客户的负责人不能审批该订单")
    if order.status == S.PENDING_DIRECTOR and user.pk == order.manager_approved_by_id:
        return _("总监审批须由另一人完成，经理审批人不能再次审批")
    return None


def approve(order, actor, payload: p.ApprovePayload):
    if order.status == S.PENDING_APPROVAL:
        reasons = director_reasons(order)
        order.manager_approved_by = actor
        if reasons:
            return S.PENDING_DIRECTOR, {"level": "manager", "comment": payload.comment, "director_reasons": reasons}
        return S.PENDING_STOCK_CHECK, {"level": "manager", "comment": payload.comment}
    return S.PENDING_STOCK_CHECK, {"level": "director", "comment": payload.comment}


def reject(order, actor, payload: p.RejectPayload):
    level = "manager" if order.status == S.PENDING_APPROVAL else "director"
    return S.REJECTED, {"level": level, "reason": payload.reason}


def _approver_guard(order, user):
    return approval_conflict(order, user)


def _tell_approval(order, event, event_payload):
    """The manager's approval under a director rule goes to the director (待总监审批); approvals complete go to
    the warehouse and production (待确认库存)."""
    if order.status == S.PENDING_DIRECTOR:
        handoff_notify(order, event="director_approval_requested", key=f"event:{event.pk}", step=_("待总监审批"),
                       actor=event.actor, asked=_("大额订单或特殊条款，请最终审批"),
                       detail=_("上报原因：%(reasons)s") % {"reasons": "；".join(event_payload.get("director_reasons", []))},
                       deadline=running_deadline(order, kind=TimerKind.APPROVAL))
    elif order.status == S.PENDING_STOCK_CHECK:
        handoff_notify(order, event="stock_check_requested", key=f"event:{event.pk}", step=_("待确认库存"),
                       actor=event.actor,
                       asked=_("确认库存状态（现货/缺货/需生产）或生产周期，反馈实际可交付日期"),
                       deadline=running_deadline(order, kind=TimerKind.STOCK_CHECK))


ACTIONS = [
    Action("approve", N_("审批通过"), EventType.APPROVED, p.ApprovePayload, approve, duty_guards=(_approver_guard,),
           meets=frozenset({TimerKind.APPROVAL}), initial=lambda order: {"comment": _("同意")}, notice=_tell_approval),
    Action("reject", N_("审批驳回"), EventType.APPROVAL_REJECTED, p.RejectPayload, reject, duty_guards=(_approver_guard,),
           meets=frozenset({TimerKind.APPROVAL}), confirm=N_("驳回后订单即终止，不能恢复。确定驳回这张订单吗？")),
]
