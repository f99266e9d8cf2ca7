"""The monthly review (订单复盘报告): opened when a month ends, filed by a sales manager within 3 working days
(otherwise the director is told once) with its figures frozen, and its action items (优化措施) tracked to done.

Who sees which figures (SPEC sections 6 and 9): the director and the admin the whole company; a sales manager
the teams they manage, every figure computed over those teams' orders (``review_scope``). Filing freezes the
company's figures and, beside them, each team's (and each manager's set of teams) in ``team_figures``."""
import re
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.accounts.models import Team
from orderloop.accounts.permissions import APPROVAL_RULE_UPDATERS, REVIEW_RUNNERS, SEE_EVERYTHING, TEMPLATE_UPDATERS
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.calendar import SHANGHAI, BusinessCalendar, local_text
from orderloop.core.dates import parse_date
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed, NotFound
from orderloop.notifications.services import notify
from orderloop.reviews.models import ActionItem, MonthlyReview
from orderloop.reviews import template_changes
from orderloop.reviews.report import relabel, review_figures

REVIEW_WORKING_DAYS = 3
DESCRIPTION_MAX = 1000


def previous_month(day: date) -> date:
    return (day.replace(day=1) - timedelta(days=1)).replace(day=1)


def review_due_at(month: date, calendar: BusinessCalendar | None = None) -> datetime:
    """3 working days after the month's last second."""
    calendar = calendar or BusinessCalendar.load()
    following = (month.replace(day=1) + timedelta(days=32)).replace(day=1)
    month_end = datetime.combine(following - timedelta(days=1), time(23, 59, 59), tzinfo=SHANGHAI)
    return calendar.add_working_days(month_end, REVIEW_WORKING_DAYS)


def review_open_due(*, now: datetime | None = None, calendar: BusinessCalendar | None = None) -> MonthlyReview:
    """Make sure last month's review exists with its due time (idempotent)."""
    now = now or clock.now()
    month = previous_month(now.astimezone(SHANGHAI).date())
    existing = MonthlyReview.objects.filter(month=month).first()
    if existing:
        return existing
    review, _created = MonthlyReview.objects.get_or_create(month=month, defaults={"due_at": review_due_at(month, calendar)})
    return review


def review_open(*, month: date) -> MonthlyReview:
    """The review of any month up to the current one (created with its due time if it did not exist yet)."""
    month = month.replace(day=1)
    if month > clock.today().replace(day=1):
        raise InvalidInput(_("不能复盘尚未开始的月份"), errors={"month": [_("月份不能晚于本月")]})
    existing = MonthlyReview.objects.filter(month=month).first()
    if existing:
        return existing
    review, _created = MonthlyReview.objects.get_or_create(month=month, defaults={"due_at": review_due_at(month)})
    return review


def review_scope(user) -> tuple[int, ...] | None:
    """The teams whose figures ``user`` sees in the review: None for the whole company (the director, the admin),
    otherwise the ids of the teams they manage, in order (none: a review of no orders)."""
    if user.has_role(*SEE_EVERYTHING):
        return None
    return tuple(Team.objects.filter(manager_id=user.pk).order_by("pk").values_list("pk", flat=True))


def scope_key(teams) -> str:
    """The key of a set of teams in ``MonthlyReview.team_figures``."""
    return ",".join(str(team) for team in sorted(teams))


def review_report(*, month: date, teams=None) -> tuple[MonthlyReview | None, dict, bool]:
    """The month's review (None if never opened), its figures for ``teams`` (see ``review_scope``; None: the whole
    company), and whether they are the ones frozen at filing. A filed month answers its frozen figures; a scope
    frozen under no key (the review was filed before teams were frozen, or the manager's teams changed since)
    is computed now, and says so. Labels are in the reader's language."""
    month = month.replace(day=1)
    review = MonthlyReview.objects.select_related("filed_by").filter(month=month).first()
    if review is not None and review.filed_at and review.figures is not None:
        if teams is None:
            return review, relabel(review.figures), True
        frozen = (review.team_figures or {}).get(scope_key(teams))
        if frozen is not None:
            return review, relabel(frozen), True
        return review, review_figures(month, teams=teams), False
    return review, review_figures(month, teams=teams), False


MONTH_TEXT = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def report_month(text: str) -> date:
    """The first day of the month ``text`` (YYYY-MM) names, one that has begun: as the review's page takes it."""
    match = MONTH_TEXT.match(text or "")
    if not match:
        raise InvalidInput(_("月份格式应为 YYYY-MM"), errors={"month": [_("月份格式应为 YYYY-MM")]})
    year, month = int(match.group(1)), int(match.group(2))
    if not 1900 <= year <= 9998 or date(year, month, 1) > clock.today().replace(day=1):
        raise NotFound(_("该月尚未开始"))
    return date(year, month, 1)


def monthly_report(*, month: date, reader) -> tuple[dict, MonthlyReview | None]:
    """The month's review figures as ``reader``'s review page shows them (their scope, frozen once filed), with
    what they cover: the JSON of /api/reports/monthly/YYYY-MM and ``orderloop report``."""
    teams = review_scope(reader)
    review, figures, frozen = review_report(month=month, teams=teams)
    filed = bool(review and review.filed_at)
    return {
        "month": month.strftime("%Y-%m"), "scope": "company" if teams is None else "teams",
        "teams": [] if teams is None else list(Team.objects.filter(pk__in=teams).order_by("name").values_list("name", flat=True)),
        "frozen": frozen, "filed_at": review.filed_at if filed else None, "summary": review.summary if filed else "",
        "figures": figures,
    }, review


def _frozen_scopes() -> list[tuple[int, ...]]:
    """The sets of teams frozen at filing: each team alone, and each manager's teams together."""
    scopes = {(pk,) for pk in Team.objects.values_list("pk", flat=True)}
    managed: dict[int, list[int]] = {}
    for pk, manager_id in Team.objects.filter(manager__isnull=False).values_list("pk", "manager_id"):
        managed.setdefault(manager_id, []).append(pk)
    scopes |= {tuple(sorted(teams)) for teams in managed.values()}
    return sorted(scopes)


def review_file(*, month: date, actor, summary: str) -> MonthlyReview:
    """File the review with its conclusion (复盘结论); its figures are frozen as they are now."""
    if not actor.has_role(*REVIEW_RUNNERS):
        raise NotAllowed(_("只有销售经理或总监可以提交月度复盘"))
    summary = (summary or "").strip()
    if not summary:
        raise InvalidInput(_("请填写复盘结论"), errors={"summary": [_("必填")]})
    month = month.replace(day=1)
    now = clock.now()
    if month >= now.astimezone(SHANGHAI).date().replace(day=1):
        raise InvalidTransition(_("该月尚未结束"))
    with transaction.atomic():
        review_open(month=month)
        review = MonthlyReview.objects.select_for_update().get(month=month)
        if review.filed_at:
            raise InvalidTransition(_("该月复盘已于 %(when)s 提交") % {
                "when": local_text(review.filed_at)})
        review.filed_at, review.filed_by, review.summary = now, actor, summary
        review.figures = review_figures(month)
        review.team_figures = {scope_key(teams): review_figures(month, teams=teams) for teams in _frozen_scopes()}
        review.save()
        audit_record(actor=actor, obj=review, operation="review_filed", changes={"summary": ["", summary]})
    return review


def action_item_add(*, month: date, actor, description: str, owner_id, due_date, setting: str = "") -> ActionItem:
    """An improvement agreed in the review, with its owner and due date, and the process setting it changes if
    it changes one (a deadline, a stage template, the approval rule: reviews.template_changes)."""
    if not actor.has_role(*REVIEW_RUNNERS):
        raise NotAllowed(_("只有销售经理或总监可以提出优化措施"))
    errors: dict[str, list[str]] = {}
    description = (description or "").strip()
    if not description:
        errors["description"] = [_("必填")]
    elif len(description) > DESCRIPTION_MAX:
        errors["description"] = [_("最多 %(n)s 个字符") % {"n": DESCRIPTION_MAX}]
    owner = None
    if owner_id in (None, ""):
        errors["owner"] = [_("请选择负责人")]
    else:
        owner = get_user_model().objects.filter(pk=_int(owner_id), is_active=True).first()
        if owner is None:
            errors["owner"] = [_("用户不存在或已停用")]
    due = None
    if due_date in (None, ""):
        errors["due_date"] = [_("必填")]
    else:
        try:
            due = parse_date(due_date)
        except ValueError:
            errors["due_date"] = [_("日期格式应为 YYYY-MM-DD")]
        else:
            if due < clock.today():
                errors["due_date"] = [_("不能早于今天 %(today)s") % {"today": clock.today().isoformat()}]
    try:
        setting = template_changes.setting_check(setting)
    except InvalidInput as exc:
        errors.update(exc.errors)
    if errors:
        labels = {"description": _("优化措施"), "owner": _("负责人"), "due_date": _("完成期限"), "setting": _("涉及的设置")}
        raise InvalidInput(_("优化措施有误：%(fields)s") % {"fields": "、".join(str(labels[f]) for f in errors)},
                           errors=errors)
    with transaction.atomic():
        review = review_open(month=month)
        item = ActionItem.objects.create(review=review, description=description, owner=owner, due_date=due,
                                         created_by=actor, created_at=clock.now(), setting=setting)
        audit_record(actor=actor, obj=item, operation="action_item_added",
                     changes={"description": [None, description], "owner": [None, owner.pk], "due_date": [None, due.isoformat()],
                              **({"setting": [None, setting]} if setting else {})})
        notify(event="review_action_assigned", key=f"action_item:{item.pk}:assigned", roles={"recipient": [owner]},
               url=reverse("reviews:my_actions"),
               subject=_("%(month)s 订单复盘：请在 %(due)s 前完成优化措施") % {
                   "month": review.month.strftime("%Y-%m"), "due": due.isoformat()},
               body=description)
    return item


def action_item_done(*, item_id: int, actor, note: str) -> ActionItem:
    """Mark an action item done: by its owner, or by a sales manager or the director."""
    note = (note or "").strip()
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().select_related("review").filter(pk=item_id).first()
        if item is None:
            raise NotFound(_("优化措施不存在"))
        if item.owner_id != actor.pk and not actor.has_role(*REVIEW_RUNNERS):
            raise NotAllowed(_("只有负责人或销售经理、总监可以确认完成"))
        if item.done_at:
            raise InvalidTransition(_("该优化措施已完成"))
        if item.setting:
            raise InvalidTransition(_("该优化措施涉及设置变更：请在措施页面填写新值并应用，应用后即完成"))
        if not note:
            raise InvalidInput(_("请填写完成情况"), errors={"done_note": [_("必填")]})
        if len(note) > DESCRIPTION_MAX:
            raise InvalidInput(_("完成情况过长"), errors={"done_note": [_("最多 %(n)s 个字符") % {"n": DESCRIPTION_MAX}]})
        item.done_at, item.done_by, item.done_note = clock.now(), actor, note
        item.save(update_fields=["done_at", "done_by", "done_note"])
        audit_record(actor=actor, obj=item, operation="action_item_done", changes={"done_note": ["", note]})
    return item


def setting_updaters(reference: str) -> frozenset:
    """Who may apply a change to the setting: the approval rule is the director's (it decides which orders the
    sales manager approves alone); deadlines and stage templates are the review runners'."""
    return APPROVAL_RULE_UPDATERS if reference == template_changes.APPROVAL_RULE else TEMPLATE_UPDATERS


def action_item_apply(*, item_id: int, actor, values: dict, note: str = "") -> ActionItem:
    """Make the change an action item names and mark the item done, in one transaction: the setting's new values
    (checked all first; a wrong one changes nothing), the setting's own audit entry and the item's, old → new."""
    note = (note or "").strip()
    with transaction.atomic():
        item = ActionItem.objects.select_for_update().select_related("review").filter(pk=item_id).first()
        if item is None:
            raise NotFound(_("优化措施不存在"))
        if not actor.has_role(*setting_updaters(item.setting)):
            raise NotAllowed(_("只有销售总监可以修改审批规则") if item.setting == template_changes.APPROVAL_RULE
                             else _("只有销售经理或销售总监可以更新期限和环节模板"))
        if not item.setting:
            raise InvalidTransition(_("该优化措施不涉及设置变更"))
        if item.done_at:
            raise InvalidTransition(_("该优化措施已完成"))
        if len(note) > DESCRIPTION_MAX:
            raise InvalidInput(_("完成情况过长"), errors={"done_note": [_("最多 %(n)s 个字符") % {"n": DESCRIPTION_MAX}]})
        change = template_changes.setting_apply(reference=item.setting, values=values, actor=actor)
        item.done_at, item.done_by, item.setting_change = clock.now(), actor, change
        item.done_note = note or _("已更新%(setting)s") % {"setting": change["setting"]}
        item.save(update_fields=["done_at", "done_by", "done_note", "setting_change"])
        audit_record(actor=actor, obj=item, operation="action_item_applied",
                     changes={"done_note": ["", item.done_note], "setting": item.setting,
                              **{label: [old, new] for label, old, new in change["changes"]}})
    return item


def template_changes_of(month: date):
    """上月优化措施带来的模板变更: the changes the previous month's review's action items made, in the order made."""
    previous = previous_month(month.replace(day=1))
    return list(ActionItem.objects.filter(review__month=previous, setting_change__isnull=False, done_at__isnull=False)
                .select_related("done_by", "review").order_by("done_at", "pk"))


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


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
                   body=_("截止时间 %(due)s") % {"due": local_text(review.due_at)})
            flagged += 1
    return flagged


def review_months(*, limit: int = 36) -> list[dict]:
    """The months worth reviewing, newest first: this month, and every month with data (orders placed, orders
    delivered, customer feedback) or with a review filed or holding action items; with the state of each month's
    review and how many of its action items are still open."""
    from django.db.models import Count, DateField, Q
    from django.db.models.functions import TruncMonth

    from orderloop.aftersales.models import Ticket
    from orderloop.core.calendar import SHANGHAI
    from orderloop.orders.models import SalesOrder

    def months_of(queryset, field: str, **trunc) -> set:
        return set(queryset.filter(**{f"{field}__isnull": False})
                   .annotate(m=TruncMonth(field, output_field=DateField(), **trunc)).values_list("m", flat=True).distinct())

    this_month = clock.today().replace(day=1)
    reviews = {r.month: r for r in MonthlyReview.objects.select_related("filed_by").annotate(
        open_items=Count("action_items", filter=Q(action_items__done_at__isnull=True)), items=Count("action_items"))}
    with_data = (months_of(SalesOrder.objects.all(), "order_date")
                 | months_of(SalesOrder.objects.all(), "delivered_at", tzinfo=SHANGHAI)
                 | months_of(Ticket.objects.all(), "opened_at", tzinfo=SHANGHAI)
                 | {month for month, review in reviews.items() if review.filed_at or review.items}
                 | {this_month})
    wanted = sorted((m.replace(day=1) for m in with_data if m and m.replace(day=1) <= this_month), reverse=True)[:limit]
    return [{"month": month, "review": reviews.get(month), "current": month == this_month} for month in wanted]
