"""The customer's signed links: opened without an account, signed with the secret key, expiring, each for one
row — the receipt of a consignment (系统回执, ``ORDERLOOP_RECEIPT_LINK_DAYS``) and the rating of a delivered order
(``ORDERLOOP_RATING_LINK_DAYS``). What the customer does through them is in ``orders.customer``."""
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.core import clock
from orderloop.core.exceptions import DomainError, NotFound
from orderloop.orders.models import FollowUpVisit, Shipment
from orderloop.setup.site import site_url

RECEIPT, RATING = "orderloop.receipt", "orderloop.rating"  # the signatures' salts: one link never opens the other


class LinkExpired(DomainError):
    code = "link_expired"
    http_status = 410


def _token(salt: str, key: str, pk: int, days: int) -> str:
    until = clock.now() + timedelta(days=days)
    return signing.dumps({key: pk, "until": int(until.timestamp())}, salt=salt)


def _url(name: str, token: str) -> str:
    return site_url(reverse(name, args=[token]))


def _row(token: str, salt: str, key: str, queryset, *, invalid: str, expired: str):
    """The row a valid, unexpired token names; NotFound (``invalid``) or LinkExpired (``expired``) otherwise."""
    try:
        data = signing.loads(token, salt=salt)
    except signing.BadSignature as exc:
        raise NotFound(invalid) from exc
    if not isinstance(data, dict) or clock.now().timestamp() > data.get("until", 0):
        raise LinkExpired(expired)
    row = queryset.select_related("order", "order__customer").filter(pk=data.get(key)).first()
    if row is None:
        raise NotFound(invalid)
    return row


def receipt_token(shipment) -> str:
    return _token(RECEIPT, "shipment", shipment.pk, settings.ORDERLOOP_RECEIPT_LINK_DAYS)


def receipt_url(shipment) -> str:
    return _url("orders:receipt", receipt_token(shipment))


def shipment_for_token(token: str) -> Shipment:
    return _row(token, RECEIPT, "shipment", Shipment.objects, invalid=_("签收链接无效"),
                expired=_("签收链接已过期，请联系您的客户经理"))


def rating_token(visit) -> str:
    return _token(RATING, "visit", visit.pk, settings.ORDERLOOP_RATING_LINK_DAYS)


def rating_url(visit) -> str:
    return _url("orders:rating", rating_token(visit))


def visit_for_token(token: str) -> FollowUpVisit:
    return _row(token, RATING, "visit", FollowUpVisit.objects, invalid=_("评价链接无效"),
                expired=_("评价链接已过期，请联系您的客户经理"))
