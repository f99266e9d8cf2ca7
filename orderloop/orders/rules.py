"""Approval rules and separation of duties (SPEC section 2)."""
from decimal import Decimal

from django.conf import settings
from django.utils.translation import gettext as _

from orderloop.orders.models import OrderStatus as S

# Orders whose amount counts against the customer's credit limit.
CREDIT_STATES = {
    S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION, S.CONFIRMED,
    S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED,
}


def money(value: Decimal) -> str:
    return f"{value:,.2f}"


def director_reasons(order) -> list[str]:
    """Why an order needs the director's approval; empty when it does not."""
    reasons = []
    threshold = settings.ORDERLOOP_DIRECTOR_THRESHOLD
    if order.total_amount > threshold:
        reasons.append(_("金额 %(amount)s 元超过 %(threshold)s 元") % {"amount": money(order.total_amount), "threshold": money(threshold)})
    if order.special_terms.strip():
        reasons.append(_("含特殊条款"))
    margin = order.margin
    floor = settings.ORDERLOOP_MARGIN_FLOOR
    if margin is not None and margin < floor:
        reasons.append(_("利润率 %(margin)s 低于 %(floor)s") % {"margin": f"{margin:.1%}", "floor": f"{floor:.0%}"})
    limit = order.customer.credit_limit
    if limit > 0:
        exposure = sum(
            order.customer.orders.filter(status__in=CREDIT_STATES).exclude(pk=order.pk).values_list("total_amount", flat=True),
            Decimal("0"),
        ) + order.total_amount
        if exposure > limit:
            reasons.append(_("客户未结订单 %(exposure)s 元超出信用额度 %(limit)s 元") % {"exposure": money(exposure), "limit": money(limit)})
    return reasons


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
