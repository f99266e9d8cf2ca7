"""The customer's receipt (系统回执): a signed, expiring link per consignment that the customer opens
without an account, to confirm delivery with their name; it works once."""
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.core import clock
from orderloop.core.exceptions import DomainError, InvalidInput, NotFound
from orderloop.orders.models import Shipment

SALT = "orderloop.receipt"


class LinkExpired(DomainError):
    code = "link_expired"
    http_status = 410


def receipt_token(shipment) -> str:
    """Signed with the secret key; valid for ``ORDERLOOP_RECEIPT_LINK_DAYS`` from now."""
    until = clock.now() + timedelta(days=settings.ORDERLOOP_RECEIPT_LINK_DAYS)
    return signing.dumps({"shipment": shipment.pk, "until": int(until.timestamp())}, salt=SALT)


def receipt_url(shipment) -> str:
    return settings.ORDERLOOP_BASE_URL.rstrip("/") + reverse("orders:receipt", args=[receipt_token(shipment)])


def shipment_for_token(token: str) -> Shipment:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise NotFound(_("签收链接无效")) from exc
    if not isinstance(data, dict) or clock.now().timestamp() > data.get("until", 0):
        raise LinkExpired(_("签收链接已过期，请联系您的客户经理"))
    shipment = Shipment.objects.select_related("order", "order__customer").filter(pk=data.get("shipment")).first()
    if shipment is None:
        raise NotFound(_("签收链接无效"))
    return shipment


def receipt_confirm_by_link(*, token: str, signed_by: str, address: str | None) -> Shipment:
    """The customer confirms receipt: recorded with their name, the time and their address; once only."""
    from orderloop.orders.workflow import perform_action

    shipment = shipment_for_token(token)
    signed_by = (signed_by or "").strip()
    if not signed_by or len(signed_by) > 100:
        raise InvalidInput(_("请填写签收人姓名"), errors={"signed_by": [_("必填，最多 100 字")]})
    if shipment.received_at:
        raise DomainError(_("该批货物已于 %(when)s 签收") % {"when": shipment.received_at.strftime("%Y-%m-%d %H:%M")})
    with transaction.atomic():
        perform_action(order_id=shipment.order_id, action_name="confirm_receipt", actor=None,
                       data={"shipment_id": shipment.pk, "signed_by": signed_by})
        Shipment.objects.filter(pk=shipment.pk).update(receipt_address=address)
    shipment.refresh_from_db()
    return shipment
