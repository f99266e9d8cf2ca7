"""The follow-up visit (客户满意度回访): opened when an order is delivered and due by the end of the
3rd working day; done by the account manager, or by the customer through a signed rating link
that works once and expires after ``ORDERLOOP_RATING_LINK_DAYS``."""
from datetime import timedelta

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.core.exceptions import DomainError, NotFound
from orderloop.notifications.services import notify
from orderloop.orders.models import FollowUpVisit, TimerKind
from orderloop.orders.receipts import LinkExpired

SALT = "orderloop.rating"


def visit_of(order) -> FollowUpVisit | None:
    """The order's follow-up visit, or None; kept on the order (``order.visit``), so that the follow-up's guard
    and its handler read it once."""
    try:
        return order.visit
    except FollowUpVisit.DoesNotExist:
        return None


def visit_open(order, now, *, due_at=None) -> FollowUpVisit:
    """At delivery, inside the delivering action: the visit, due when the follow-up deadline is (``due_at``,
    the follow-up timer just started; read from the order's timers if not given), and the customer's rating
    link by e-mail. The caller holds the order's lock, so the visit is read, then updated or created, without
    savepoints."""
    if due_at is None:
        due_at = order.timers.filter(kind=TimerKind.FOLLOW_UP).order_by("-started_at", "-id").first().due_at
    visit = FollowUpVisit.objects.filter(order=order).first()
    if visit is None:
        visit = FollowUpVisit.objects.create(order=order, due_at=due_at)
    else:
        visit.due_at = due_at
        visit.save(update_fields=["due_at"])
    link = rating_url(visit)
    notify(event="visit_opened", key=f"visit:{visit.pk}:opened", order=order, url=link,
           subject=_("订单 %(ref)s 已交付，请为我们的服务评分") % {"ref": order.ref},
           body=_("感谢您的订购。请在 %(days)s 天内通过以下链接为本次订单评分（1-5分）：%(link)s") % {
               "days": settings.ORDERLOOP_RATING_LINK_DAYS, "link": link})
    return visit


def rating_token(visit) -> str:
    until = clock.now() + timedelta(days=settings.ORDERLOOP_RATING_LINK_DAYS)
    return signing.dumps({"visit": visit.pk, "until": int(until.timestamp())}, salt=SALT)


def rating_url(visit) -> str:
    return settings.ORDERLOOP_BASE_URL.rstrip("/") + reverse("orders:rating", args=[rating_token(visit)])


def visit_for_token(token: str) -> FollowUpVisit:
    try:
        data = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise NotFound(_("评价链接无效")) from exc
    if not isinstance(data, dict) or clock.now().timestamp() > data.get("until", 0):
        raise LinkExpired(_("评价链接已过期，请联系您的客户经理"))
    visit = FollowUpVisit.objects.select_related("order", "order__customer").filter(pk=data.get("visit")).first()
    if visit is None:
        raise NotFound(_("评价链接无效"))
    return visit


def visit_rate_by_link(*, token: str, satisfaction, comment: str, rated_by: str, need_type: str, need: str,
                       address: str | None) -> FollowUpVisit:
    """The customer rates the delivery: recorded as the order's follow-up, once."""
    from orderloop.orders.workflow import perform_action

    visit = visit_for_token(token)
    if visit.done_at:
        raise DomainError(_("已于 %(when)s 完成回访，感谢您的评价") % {
            "when": visit.done_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")})
    with transaction.atomic():
        perform_action(order_id=visit.order_id, action_name="follow_up", actor=None, data={
            "channel": "link", "satisfaction": satisfaction, "usage": (comment or "").strip() or _("客户在线评价"),
            "rated_by": rated_by, "need_type": need_type or None, "need": need or ""})
        FollowUpVisit.objects.filter(pk=visit.pk).update(rated_from=address)
    visit.refresh_from_db()
    return visit
