"""What the customer does through a signed link (``orders.links``), as lifecycle actions taken by no user: confirm
the receipt of a consignment (签收, with their remark) and rate the delivered order (回访). Each works once."""
from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.core.calendar import local_text
from orderloop.core.exceptions import DomainError, InvalidInput
from orderloop.orders.lifecycle.engine import perform_action
from orderloop.orders.links import shipment_for_token, visit_for_token
from orderloop.orders.models import FollowUpVisit, Shipment


def receipt_confirm_by_link(*, token: str, signed_by: str, address: str | None, remark: str = "") -> Shipment:
    """The customer confirms receipt: recorded with their name, their own remark, the time and the IP address the
    link was confirmed from (系统回执); once only."""
    shipment = shipment_for_token(token)
    signed_by, remark = (signed_by or "").strip(), (remark or "").strip()
    if not signed_by or len(signed_by) > 100:
        raise InvalidInput(_("请填写签收人姓名"), errors={"signed_by": [_("必填，最多 100 字")]})
    if len(remark) > 1000:
        raise InvalidInput(_("备注过长（最多 1000 字）"), errors={"remark": [_("最多 1000 字")]})
    if shipment.received_at:
        raise DomainError(_("该批货物已于 %(when)s 签收") % {"when": local_text(shipment.received_at)})
    with transaction.atomic():
        perform_action(order_id=shipment.order_id, action_name="confirm_receipt", actor=None,
                       data={"shipment_id": shipment.pk, "signed_by": signed_by, "remark": remark})
        Shipment.objects.filter(pk=shipment.pk).update(receipt_address=address)
    shipment.refresh_from_db()
    return shipment


def visit_rate_by_link(*, token: str, satisfaction, comment: str, rated_by: str, need_type: str, need: str,
                       address: str | None) -> FollowUpVisit:
    """The customer rates the delivery: recorded as the order's follow-up, once."""
    visit = visit_for_token(token)
    if visit.done_at:
        raise DomainError(_("已于 %(when)s 完成回访，感谢您的评价") % {"when": local_text(visit.done_at)})
    with transaction.atomic():
        perform_action(order_id=visit.order_id, action_name="follow_up", actor=None, data={
            "channel": "link", "satisfaction": satisfaction, "usage": (comment or "").strip() or _("客户在线评价"),
            "rated_by": rated_by, "need_type": need_type or None, "need": need or ""})
        FollowUpVisit.objects.filter(pk=visit.pk).update(rated_from=address)
    visit.refresh_from_db()
    return visit
