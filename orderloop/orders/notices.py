"""Who is told what when a lifecycle action is taken, inside its transaction:
the routing table (notifications.NotificationRoute) decides the channels."""
from django.utils.translation import gettext as _

from orderloop.notifications.services import notify
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.timers import order_url


def notices_after_action(*, order, action: str, event, event_payload: dict) -> None:
    if action == "raise_risk":  # a delay risk goes to the sales manager at once (问题不过夜)
        notify(event="risk_raised", key=f"risk:{event_payload['risk_id']}", order=order, url=order_url(order),
               subject=_("订单 %(ref)s 出现延期风险") % {"ref": order.ref}, body=event_payload.get("description", ""))
    elif action == "resolve_risk" and order.status == S.DATE_NEGOTIATION:
        notify(event="date_negotiation", key=f"event:{event.pk}", order=order, url=order_url(order),
               subject=_("订单 %(ref)s 须与客户协商延期") % {"ref": order.ref}, body=event_payload.get("mitigation", ""))
    elif action == "prepare_shipment":  # 《发货准备单》 to logistics and the sales assistant
        notify(event="shipment_prepared", key=f"event:{event.pk}", order=order, url=order_url(order),
               subject=_("订单 %(ref)s 已完成发货准备，请安排发货") % {"ref": order.ref},
               body=event_payload.get("goods", ""))
