"""Step 6, 客户回访 and 订单完成: the follow-up visit opened when the order is delivered and due by the end
of the 3rd working day, done by the account manager or by the customer through the rating link (an
after-sales need opens a ticket); the order closes once the visit is done and no feedback is open."""
from django.db.models import Count, Exists, OuterRef, Subquery
from django.db.models.functions import Coalesce
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.finance.plans import plan_outstanding
from orderloop.aftersales.models import Ticket, TicketType
from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.core.calendar import local_text
from orderloop.core.exceptions import InvalidInput
from orderloop.core.prepared import PreparedQuery, insert, update
from orderloop.notifications.services import notify
from orderloop.orders import payloads as p
from orderloop.orders.handoffs import handoff_notify
from orderloop.orders.lifecycle.spec import Action
from orderloop.orders.lifecycle.table import STAY
from orderloop.orders.customer_messages import rating_request
from orderloop.orders.models import EventType, FollowUpVisit, SalesOrder, TimerKind, VisitChannel
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.models import has_rows


def visit_of(order) -> FollowUpVisit | None:
    """The order's follow-up visit, or None; kept on the order (``order.visit``), so that the follow-up's guard
    and its handler read it once."""
    related = type(order).visit.related
    if not related.is_cached(order):
        visit = next(iter(_VISIT.all(order.pk)), None) if has_rows(order, "visit") else None
        related.set_cached_value(order, visit)  # as ``order.visit`` keeps it
        if visit is not None:
            related.field.set_cached_value(visit, order)
    return related.get_cached_value(order)


# Read when an order is delivered: compiled once (core.prepared).
_VISIT = PreparedQuery(FollowUpVisit, lambda order_id: FollowUpVisit.objects.filter(order_id=order_id).order_by("pk")[:1])


def visit_open(order, now, started: list) -> FollowUpVisit:
    """On entering 已交付, inside the delivering action: the visit, due when the follow-up deadline just started
    (``started``: the deadlines the action started) is, and the customer's rating link by e-mail. The caller
    holds the order's lock, so the visit is read, then updated or created, without savepoints."""
    timer = next((t for t in reversed(started) if t.kind == TimerKind.FOLLOW_UP), None)
    timer = timer or order.timers.filter(kind=TimerKind.FOLLOW_UP).order_by("-started_at", "-id").first()
    due_at = timer.due_at
    found = _VISIT.all(order.pk) if has_rows(order, "visit") else []
    if not found:
        visit = insert(FollowUpVisit(order=order, due_at=due_at))
        order.has_visit = True  # has_rows
    else:
        visit = found[0]
        visit.due_at = due_at
        update(visit, ["due_at"])
    message = rating_request(visit)
    notify(event="visit_opened", key=f"visit:{visit.pk}:opened", order=order, url=message.link,
           subject=message.subject, body=message.body, customer=message)
    _tell_visit_due(order, visit, timer)
    return visit


def _tell_visit_due(order, visit, timer):
    """The delivered order goes to the account manager for the follow-up visit, by its deadline; one notice per
    time the order is delivered (its follow-up deadline)."""
    handoff_notify(order, event="follow_up_due", key=f"visit:{visit.pk}:timer:{timer.pk}", step=_("客户回访"),
                   asked=_("交付后3个工作日内通过电话或邮件回访客户，确认产品使用情况、满意度及是否有售后需求，"
                           "并填写《客户满意度回访表》"), deadline=timer)


def follow_up(order, actor, payload: p.FollowUpPayload):
    """客户满意度回访: by the account manager, or by the customer through the rating link (``actor`` None).
    An after-sales need opens a ticket in the same transaction."""
    errors = {}
    if (actor is None) != (payload.channel == VisitChannel.LINK):
        errors["channel"] = [_("无效的选项")]
    if actor is None and not payload.rated_by.strip():
        errors["rated_by"] = [_("请填写您的姓名")]
    if payload.need.strip() and payload.need_type not in TicketType.values:
        errors["need_type"] = [_("请选择售后需求类型")]
    if payload.need_type and not payload.need.strip():
        errors["need"] = [_("请填写售后需求")]
    if errors:
        raise InvalidInput(_("回访记录有误"), errors=errors)
    visit = visit_of(order) or FollowUpVisit(order=order, due_at=clock.now())  # under the order's lock: no race
    visit.done_at, visit.visited_by = clock.now(), actor
    visit.channel, visit.usage, visit.satisfaction = payload.channel, payload.usage.strip(), payload.satisfaction
    visit.aftersales_need, visit.rated_by_name = payload.need.strip(), payload.rated_by.strip()
    if visit.pk is None:
        insert(visit)
        order.has_visit = True
    else:  # what save() would write: the other columns are as read, under the order's lock
        update(visit, ["done_at", "visited_by", "channel", "usage", "satisfaction", "aftersales_need", "rated_by_name"])
    event = payload.model_dump(mode="json", exclude={"version"})
    if payload.need_type:
        ticket = ticket_open(order_id=order.pk, actor=actor, ticket_type=payload.need_type, description=visit.aftersales_need)
        event["ticket_id"] = ticket.pk
    return STAY, event


def close(order, actor, payload: p.ClosePayload):
    return S.CLOSED, {"note": payload.note}


def _follow_up_initial(order) -> dict:
    """The customer's score is asked once: one already given when confirming an after-sales result on this order
    (the latest) is filled in."""
    score = (Ticket.objects.filter(order=order, customer_confirmed=True, customer_satisfaction__gt=0)
             .order_by("-followed_up_at", "-id").values_list("customer_satisfaction", flat=True).first())
    return {"channel": "phone", "satisfaction": str(score) if score else ""}


def close_ready_notice(order) -> list[tuple[str, str]]:
    """(label, why) for the order page: a delivered order that meets every condition to close is closed by the
    system (``services.orders_close_completed``, every few minutes), said so until it is."""
    if order.status != S.DELIVERED or _close_guard(order, None):
        return []
    return [(_("完成订单"), _("完成条件均已满足（已完成客户回访，没有未关闭的客户反馈/售后问题，付款计划已结清）："
                           "系统将在几分钟内自动完成订单，并记入时间线。"))]


def _visit_due_guard(order, user):
    visit = visit_of(order)
    if visit is not None and visit.done_at:
        return _("已于 %(when)s 完成回访") % {"when": local_text(visit.done_at)}
    return None


# The guard of 完成订单, asked on the order's page and by the automatic close too: whether the visit is done and
# how many of the order's tickets are open, one statement compiled once (core.prepared).
_CLOSE_FACTS = PreparedQuery(SalesOrder, lambda order_id: SalesOrder.objects.filter(pk=order_id).order_by().only(
    "pk").annotate(visit_done=Exists(FollowUpVisit.objects.filter(order=OuterRef("pk"), done_at__isnull=False)),
                   open_tickets=Coalesce(Subquery(Ticket.objects.filter(order=OuterRef("pk"), closed_at__isnull=True)
                                                  .order_by().values("order").annotate(n=Count("pk")).values("n")), 0)))


def _close_guard(order, user):
    """An order closes when its visit is done and no feedback is open; every reason is given at once."""
    reasons = []
    if hasattr(order, "open_tickets"):  # a list fetched its visit and open tickets (steps.guards)
        visit = visit_of(order)
        visit_done = visit is not None and visit.done_at is not None
        open_tickets = len(order.open_tickets)
    else:
        facts = _CLOSE_FACTS.all(order.pk)[0]
        visit_done, open_tickets = facts.visit_done, facts.open_tickets
    if not visit_done:
        reasons.append(_("尚未完成客户回访"))
    if open_tickets:
        reasons.append(_("还有 %(n)s 个客户反馈/售后问题未关闭") % {"n": open_tickets})
    if owed := plan_outstanding(order):
        reasons.append(_("付款计划尚欠 %(amount)s 元（待财务登记回款，或销售经理尾款核销）") % {"amount": f"{owed:,.2f}"})
    return "；".join(reasons) or None


# What entering a state sets going, whichever action led there.
ENTERING = {S.DELIVERED: visit_open}

ACTIONS = [
    Action("follow_up", N_("客户回访"), EventType.FOLLOWED_UP, p.FollowUpPayload, follow_up, guards=(_visit_due_guard,),
           meets=frozenset({TimerKind.FOLLOW_UP}), initial=_follow_up_initial,
           web_skip=frozenset({"rated_by"}), quiet=True),
    Action("close", N_("完成订单"), EventType.CLOSED, p.ClosePayload, close, guards=(_close_guard,),
           confirm=N_("完成后订单归入已完成，不能再修改。确定完成这张订单吗？")),
]
