"""The monthly review's deadline: opened when a month ends, filed by a sales manager
within 3 working days, otherwise the director is told once."""
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.accounts.roles import Role
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI, BusinessCalendar
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed
from orderloop.notifications.services import notify
from orderloop.reviews.models import MonthlyReview

REVIEW_WORKING_DAYS = 3


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def review_open_due(*, now: datetime | None = None, calendar: BusinessCalendar | None = None) -> MonthlyReview:
    """Make sure last month's review exists with its due time (idempotent)."""
    now = now or clock.now()
    month = previous_month(now.astimezone(SHANGHAI).date())
    existing = MonthlyReview.objects.filter(month=month).first()
    if existing:
        return existing
    calendar = calendar or BusinessCalendar.load()
    month_end = datetime.combine(now.astimezone(SHANGHAI).date().replace(day=1) - timedelta(days=1), time(23, 59, 59),
                                 tzinfo=SHANGHAI)
    review, _created = MonthlyReview.objects.get_or_create(
        month=month, defaults={"due_at": calendar.add_working_days(month_end, REVIEW_WORKING_DAYS)})
    return review


def review_file(*, month: date, actor, summary: str) -> MonthlyReview:
    if not actor.has_role(Role.SALES_MANAGER, Role.SALES_DIRECTOR):
        raise NotAllowed(_("只有销售经理或总监可以提交月度复盘"))
    if not summary.strip():
        raise InvalidInput(_("请填写复盘结论"), errors={"summary": [_("必填")]})
    now = clock.now()
    with transaction.atomic():
        review = MonthlyReview.objects.select_for_update().filter(month=month).first()
        if review is None:
            raise InvalidTransition(_("该月尚未结束"))
        review.filed_at, review.filed_by, review.summary = now, actor, summary.strip()
        review.save()
    return review


def reviews_flag_breaches(*, now: datetime | None = None) -> int:
    now = now or clock.now()
    flagged = 0
    for review_id in MonthlyReview.objects.filter(filed_at__isnull=True, breached_at__isnull=True, due_at__lt=now) \
            .values_list("pk", flat=True):
        with transaction.atomic():
            review = MonthlyReview.objects.select_for_update(skip_locked=True).filter(
                pk=review_id, filed_at__isnull=True, breached_at__isnull=True).first()
            if review is None:
                continue
            review.breached_at = now
            review.save(update_fields=["breached_at"])
            notify(event="review_overdue", key=f"review:{review.pk}:breached",
                   subject=_("%(month)s 月度订单复盘报告已超时未提交") % {"month": review.month.strftime("%Y-%m")},
                   body=_("截止时间 %(due)s") % {"due": review.due_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")})
            flagged += 1
    return flagged
