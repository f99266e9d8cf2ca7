"""What the person who just took a lifecycle action is told (the success message of the order page): what was done,
where the order is now and who acts next, by when — "初步审核通过：订单 202405-001 现为「待审批」；下一步：销售经理审批，
截止 2024-05-21 17:00". Built here once from the action, the order's new state and its running deadline (the one
the hand-off notice names, ``handoffs.running_deadline``)."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.core.calendar import local_text
from orderloop.orders.handoffs import running_deadline
from orderloop.orders.lifecycle.table import status_label
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.models import SalesOrder

# Who acts next in each state, in the seed's words.
NEXT_STEP = {
    S.RECEIVED: N_("销售助理初步审核"),
    S.NEEDS_INFO: N_("销售助理联系客户补充后重新提交"),
    S.PENDING_APPROVAL: N_("销售经理审批"),
    S.PENDING_DIRECTOR: N_("销售总监最终审批"),
    S.PENDING_STOCK_CHECK: N_("仓储/生产部门确认库存和可交付日期"),
    S.DATE_NEGOTIATION: N_("客户经理与客户协商交付日期"),
    S.CONFIRMED: N_("仓储/生产部门制定备货/生产计划"),
    S.IN_FULFILLMENT: N_("仓储/生产部门按计划备货/生产，完成后做发货准备"),
    S.READY_TO_SHIP: N_("物流部门发货"),
    S.SHIPPED: N_("客户签收，客户经理组织客户验收"),
    S.DELIVERED: N_("客户经理回访客户，销售经理完成订单"),
}
ENDED = {
    S.CLOSED: N_("流程结束"),
    S.REJECTED: N_("流程结束；销售助理将结果告知客户"),
    S.CANCELLED: N_("流程结束"),
}
VERDICTS = {"pass": N_("初步审核通过"), "needs_info": N_("初步审核需补充"), "reject": N_("初步审核驳回")}


def action_done_text(action_label: str, payload: dict) -> str:
    """What was done: the action, and for a review its verdict."""
    if "verdict" in payload and payload["verdict"] in VERDICTS:
        return _(VERDICTS[payload["verdict"]])
    return _(action_label)


def action_outcome(event, action_label: str) -> str:
    """The message after ``event`` (the action labelled ``action_label``): what was done, the state, what is next."""
    order = SalesOrder.objects.get(pk=event.order_id)  # as committed: its open deadlines asked of the database
    payload = event.payload or {}
    done = action_done_text(action_label, payload)
    where = _("订单 %(ref)s 现为「%(status)s」") % {"ref": order.ref, "status": status_label(order.status)}
    if order.status in ENDED:
        return _("%(done)s：%(where)s。%(next)s") % {"done": done, "where": where, "next": _(ENDED[order.status])}
    text = _("%(done)s：%(where)s；下一步：%(next)s") % {"done": done, "where": where, "next": _(NEXT_STEP[order.status])}
    if payload.get("verdict") == "needs_info" and payload.get("missing"):
        text += _("（需补充：%(missing)s）") % {"missing": "、".join(payload["missing"])}
    deadline = running_deadline(order)
    if deadline is not None and deadline.due_at:
        text += _("，截止 %(due)s") % {"due": local_text(deadline.due_at)}
    return text


def order_saved_text(order) -> str:
    """After the order's fields are edited: saved, where it is, what is next."""
    where = _("订单 %(ref)s 已保存，现为「%(status)s」") % {"ref": order.ref, "status": status_label(order.status)}
    if order.status in ENDED:
        return where
    return _("%(where)s；下一步：%(next)s") % {"where": where, "next": _(NEXT_STEP[order.status])}
