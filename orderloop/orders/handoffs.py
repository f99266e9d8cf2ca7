"""Hand-off notices (SPEC section 9, "Hand-offs push"): when an order or a ticket passes to a new owner, that person
is told at once — in the app, by e-mail and in the team's chat group, as the routing table says for the notice's
event — with the order (its number or reference and the customer), what is asked of them in the seed's words and
the deadline: the order's deadline the hand-off started (its running timer), shown in Beijing time. Each notice's
key is derived from the event (or the ticket step) that caused it, so a retry never tells anyone twice; the
person who made the hand-off is not told of it.

The steps (``orders.steps``) call ``handoff_notify`` from their actions' ``notice``; intake and after-sales call it
from their services."""
from datetime import date, datetime

from django.utils.translation import gettext as _

from orderloop.core.calendar import local_text
from orderloop.notifications.services import notify
from orderloop.orders.models import OrderTimer, TimerKind
from orderloop.orders.timers import order_url

# The deadlines a hand-off never names: the customer's pre-notice is the system's own, a risk is met as it is raised.
NOT_A_HANDOFF_DEADLINE = (TimerKind.LOGISTICS_NOTICE, TimerKind.RISK)


def running_deadline(order, *, since: datetime | None = None, kind: str | None = None) -> OrderTimer | None:
    """The order's running deadline the hand-off started: the open one of ``kind``, or, without a kind, the open
    order deadline started at ``since`` (the hand-off's moment); None when the new state has none. Inside a
    lifecycle action, the deadlines it started (``timers_after_action``) are asked, not the database."""
    started = getattr(order, "started_deadlines", None)  # inside a lifecycle action: what it started
    if started is not None:
        found = [t for t in started if (t.kind == kind if kind is not None else t.kind not in NOT_A_HANDOFF_DEADLINE)
                 and (since is None or t.started_at == since)]
        return found[-1] if found else None
    timers = OrderTimer.objects.filter(order=order, ticket__isnull=True, met_at__isnull=True, stopped_at__isnull=True)
    if kind is not None:
        timers = timers.filter(kind=kind)
    else:
        timers = timers.exclude(kind__in=NOT_A_HANDOFF_DEADLINE)
        if since is not None:
            timers = timers.filter(started_at=since)
    return timers.order_by("-started_at", "-id").first()


def deadline_text(due: datetime | date | None) -> str:
    """A deadline as the notice shows it: a moment in Beijing time, a day as it is."""
    if due is None:
        return ""
    if isinstance(due, datetime):
        return _("%(when)s（北京时间）") % {"when": local_text(due)}
    return due.isoformat()


def order_label(order) -> str:
    """202405-001（科技有限公司）: the order's number, or its provisional reference, and the customer."""
    return _("%(ref)s（%(customer)s）") % {"ref": order.ref, "customer": order.customer.name}


def promised_text(order) -> str:
    """约定交期：2030-05-25, the date promised to the customer, when there is one."""
    return _("约定交期：%(date)s") % {"date": order.promised_date.isoformat()} if order.promised_date else ""


def handoff_text(order, *, asked: str, due_text: str = "", detail: str = "", customer=None) -> str:
    about = (_("订单：%(order)s") % {"order": order_label(order)} if order is not None
             else _("客户：%(customer)s") % {"customer": customer.name})
    lines = [about, _("请您：%(asked)s") % {"asked": asked}]
    lines.append(_("截止时间：%(due)s") % {"due": due_text} if due_text else _("截止时间：无时限，请尽快处理"))
    if detail:
        lines.append(detail)
    return "\n".join(lines)


def handoff_notify(order, *, event: str, key: str, step: str, asked: str, actor=None, due=None, deadline=None,
                   detail: str = "", roles: dict | None = None, url: str = "", customer=None) -> int:
    """Tell the next owner(s) of ``order`` (the routes of ``event``) that ``step`` waits for them: what is
    ``asked``, by when (``due``: a moment or a day; else the running ``deadline`` timer given, if any), and
    ``detail``. ``actor``, who handed it on, is not told. Without an order (a customer's feedback), ``customer``
    names whom it is about and ``url`` where it is. Returns the number of outbox rows written."""
    if due is None and deadline is not None:
        due = deadline.due_at
    if order is not None:
        subject = _("【%(step)s】订单 %(ref)s（%(customer)s）") % {"step": step, "ref": order.ref, "customer": order.customer.name}
    else:
        subject = _("【%(step)s】客户 %(customer)s") % {"step": step, "customer": customer.name}
    if due is not None:
        subject += _("，截止 %(due)s") % {"due": local_text(due) if isinstance(due, datetime) else due.isoformat()}
    return notify(event=event, key=key, order=order, url=url or order_url(order), subject=subject,
                  body=handoff_text(order, asked=asked, due_text=deadline_text(due), detail=detail, customer=customer),
                  roles=roles, exclude=actor)
