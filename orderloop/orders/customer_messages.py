"""Every message the customer receives, by e-mail or SMS: its subject, text, link and SMS template values, each
built here from the row it is about. A customer's message links only to what the customer opens without an
account — their signed receipt or rating link (orders.links, with the site's address from setup.site) — or to
nothing; never to a page of the app behind its login. ``CUSTOMER_MESSAGES`` lists them all: the routes to the
customer (notifications.NotificationRoute, role "customer") name these kinds, and the tests read every one."""
from dataclasses import dataclass
from typing import Callable

from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from orderloop.notifications.services import CustomerMessage
from orderloop.orders.links import rating_url, receipt_url


def logistics_notice(shipment) -> CustomerMessage:
    """物流预告: the day before the consignment's ETA, with its signed receipt link."""
    order, link = shipment.order, receipt_url(shipment)
    eta = shipment.eta.isoformat()
    return CustomerMessage(
        customer=order.customer, link=link,
        subject=_("订单 %(ref)s 预计 %(eta)s 送达") % {"ref": order.ref, "eta": eta},
        body=_("承运商：%(carrier)s，物流单号：%(number)s，交付地址：%(address)s。"
               "收货后请通过以下链接确认签收：%(link)s") % {
            "carrier": shipment.carrier, "number": shipment.tracking_number, "address": order.delivery_address,
            "link": link},
        sms_params={"order": order.ref, "eta": eta, "carrier": shipment.carrier, "number": shipment.tracking_number,
                    "link": link})


def rating_request(visit) -> CustomerMessage:
    """The delivered order's rating link (客户满意度回访 by the customer)."""
    order, link = visit.order, rating_url(visit)
    return CustomerMessage(
        customer=order.customer, link=link,
        subject=_("订单 %(ref)s 已交付，请为我们的服务评分") % {"ref": order.ref},
        body=_("感谢您的订购。请在 %(days)s 天内通过以下链接为本次订单评分（1-5分）：%(link)s") % {
            "days": settings.ORDERLOOP_RATING_LINK_DAYS, "link": link},
        sms_params={"order": order.ref, "link": link})


def ticket_resolved(ticket) -> CustomerMessage:
    """The result of the customer's feedback; the account manager calls them to confirm it (no link)."""
    about = ticket.order.ref if ticket.order_id else ticket.customer.name
    owner = ticket.order.owner if ticket.order_id else ticket.customer.owner
    return CustomerMessage(
        customer=ticket.customer,
        subject=(_("订单 %(ref)s 的%(type)s问题已处理") if ticket.order_id else _("%(ref)s 反馈的%(type)s已处理")) % {
            "ref": about, "type": ticket.get_ticket_type_display()},
        body=_("处理措施：%(solution)s\n处理结果：%(result)s\n您的客户经理%(owner)s将与您联系确认处理结果。") % {
            "solution": ticket.solution, "result": ticket.result, "owner": f" {owner} " if owner else ""},
        sms_params={"order": about, "result": ticket.result[:30]})


@dataclass(frozen=True)
class CustomerMessageKind:
    label: str
    build: Callable  # (the row it is about) -> CustomerMessage
    about: str       # which row: shipment, visit or ticket
    sms_params: tuple  # the variables its SMS template uses, as 系统设置 lists them


CUSTOMER_MESSAGES = {
    "logistics_notice": CustomerMessageKind(gettext_lazy("物流预告"), logistics_notice, "shipment",
                                            ("order", "eta", "carrier", "number", "link")),
    "visit_opened": CustomerMessageKind(gettext_lazy("回访评价链接"), rating_request, "visit", ("order", "link")),
    "ticket_resolved": CustomerMessageKind(gettext_lazy("售后处理结果"), ticket_resolved, "ticket", ("order", "result")),
}
