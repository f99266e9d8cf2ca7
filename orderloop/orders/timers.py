"""The deadlines of SPEC section 3 on an order: in which states each runs, which states start it, and whom a
breach is told (the actions that meet or start one say so in their ``Action``: ``meets``, ``starts``).
``timers_after_action`` runs inside every lifecycle action's transaction; the worker calls
``timers_flag_breaches`` and ``logistics_notices_send``."""
import re
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db import connections, router, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import ESCALATE_TO_DIRECTOR, ESCALATE_TO_MANAGER, PHONE_NOTICE_RECORDERS
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI, BusinessCalendar, local, local_text
from orderloop.core.prepared import Held, held_run, insert
from orderloop.core.exceptions import InvalidInput, NotAllowed
from orderloop.core.ids import id_or_none
from orderloop.core.process_cache import ProcessCache
from orderloop.notifications.models import Notification
from orderloop.notifications.services import customer_address, notify
from orderloop.orders.customer_messages import logistics_notice
from orderloop.orders.models import DeadlineSetting, EventType, OrderTimer, Shipment, TimerKind, TimerState
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.events import event_record
from orderloop.orders.lifecycle.table import AGAIN_FOR_A_PART


@dataclass(frozen=True)
class TimerRule:
    kind: str
    runs_in: frozenset                      # leaving these states stops the timer
    starts_on_entering: frozenset = field(default=frozenset())
    escalate_to: str = ESCALATE_TO_MANAGER


RULES = [
    TimerRule(TimerKind.CONTACT, frozenset({S.NEEDS_INFO}), frozenset({S.NEEDS_INFO})),
    TimerRule(TimerKind.APPROVAL, frozenset({S.PENDING_APPROVAL, S.PENDING_DIRECTOR}),
              frozenset({S.PENDING_APPROVAL, S.PENDING_DIRECTOR}), escalate_to=ESCALATE_TO_DIRECTOR),
    TimerRule(TimerKind.STOCK_CHECK, frozenset({S.PENDING_STOCK_CHECK}), frozenset({S.PENDING_STOCK_CHECK})),
    TimerRule(TimerKind.NEGOTIATION, frozenset({S.DATE_NEGOTIATION}), frozenset({S.DATE_NEGOTIATION})),
    TimerRule(TimerKind.TRACKING, frozenset({S.IN_FULFILLMENT}), frozenset({S.IN_FULFILLMENT})),
    # met by the notice itself; a consignment may be on its way while a later part is in hand
    TimerRule(TimerKind.LOGISTICS_NOTICE, frozenset({S.READY_TO_SHIP, S.SHIPPED}) | AGAIN_FOR_A_PART),
    TimerRule(TimerKind.FOLLOW_UP, frozenset({S.DELIVERED}), frozenset({S.DELIVERED})),
]
NOTICE_HOUR = time(9, 0)


def order_url(order) -> str:
    return reverse("orders:detail", args=[order.ref])


# The lengths the company set after a monthly review (DeadlineSetting), read on every deadline started and
# changed now and then: kept per process (core.process_cache) like the calendar's entries.
DEADLINES_TTL = 60.0
_DEADLINES = ProcessCache(lambda: dict(DeadlineSetting.objects.values_list("kind", "amount")), DEADLINES_TTL)


def deadline_length(kind: str) -> tuple[float, str]:
    """(amount, clock) of a deadline of SPEC section 3: the company's setting if it changed one
    (reviews.template_changes), otherwise the installation's (settings.ORDERLOOP_SLA)."""
    amount, clock_kind = settings.ORDERLOOP_SLA[kind]
    changed = _DEADLINES.get().get(kind)
    if changed is not None:
        amount = int(changed) if clock_kind == "working_days" else float(changed)
    return amount, clock_kind


def connect_signals() -> None:
    """Empty the deadlines' cache when a length changes (after its commit) and after a migrate or flush."""
    from django.db.models.signals import post_delete, post_migrate, post_save

    post_save.connect(_DEADLINES.changed, sender=DeadlineSetting, dispatch_uid="deadline_settings_saved")
    post_delete.connect(_DEADLINES.changed, sender=DeadlineSetting, dispatch_uid="deadline_settings_deleted")
    post_migrate.connect(_DEADLINES.forget, dispatch_uid="deadline_settings_migrated")


def _due(kind: str, now: datetime, calendar: BusinessCalendar) -> datetime:
    amount, clock_kind = deadline_length(kind)
    return calendar.deadline(now, amount=amount, clock=clock_kind)


def _logistics_due(eta_iso: str, now: datetime) -> datetime:
    """The end of the day the customer is to be told: ``ORDERLOOP_LOGISTICS_NOTICE_DAYS`` before the ETA."""
    eve = datetime.fromisoformat(eta_iso).date() - timedelta(days=settings.ORDERLOOP_LOGISTICS_NOTICE_DAYS)
    return max(datetime.combine(eve, time(18, 0), tzinfo=SHANGHAI), now + timedelta(hours=1))


def _meet_or_stop_open_timers(*, order, meets: frozenset, now: datetime) -> Held | None:
    """Meet the order's open timers of the kinds ``meets`` names and stop those that do not run in the order's new state,
    as the timer rules say: one UPDATE and no read (after-sales deadlines follow their ticket, not the order's
    state, and are left alone), held to go out with the first deadline started (``core.prepared.Held``: the new
    one is not among those it touches); None when there is nothing to meet or stop. A breached timer stays
    breached and gets its ``met_at`` or ``stopped_at`` all the same. The statement is written out rather than
    built by the ORM: it runs in every action, and its CASE expressions cost the ORM more than the rest of the
    action's statements."""
    met = tuple(rule.kind for rule in RULES if rule.kind in meets)
    stopped = tuple(rule.kind for rule in RULES if rule.kind not in meets and order.status not in rule.runs_in)
    if not (met or stopped):
        return None
    using = router.db_for_write(OrderTimer)
    connection = connections[using]
    at = connection.ops.adapt_datetimefield_value(now)
    sql = _OPEN_TIMERS_UPDATE.get((met, stopped))
    if sql is None:
        table, qn = OrderTimer._meta.db_table, connection.ops.quote_name
        marks = lambda kinds: ", ".join(["%s"] * len(kinds))  # noqa: E731 (one line, used twice)
        is_met = f"{qn('kind')} IN ({marks(met)})" if met else "1 = 0"
        sql = _OPEN_TIMERS_UPDATE[(met, stopped)] = (
            f"UPDATE {qn(table)} SET "
            f"{qn('met_at')} = CASE WHEN {is_met} THEN %s ELSE NULL END, "
            f"{qn('stopped_at')} = CASE WHEN {is_met} THEN NULL ELSE %s END, "
            f"{qn('state')} = CASE WHEN {qn('state')} = %s THEN (CASE WHEN {is_met} THEN %s ELSE %s END) "
            f"ELSE {qn('state')} END "
            f"WHERE {qn('order_id')} = %s AND {qn('kind')} IN ({marks(met + stopped)}) AND {qn('met_at')} IS NULL "
            f"AND {qn('stopped_at')} IS NULL AND {qn('state')} IN (%s, %s)")
    params = [*met, at, *met, at, TimerState.RUNNING, *met, TimerState.MET, TimerState.STOPPED, order.pk, *met, *stopped,
              TimerState.RUNNING, TimerState.BREACHED]
    return Held(using, sql, params, must_change=False)


_OPEN_TIMERS_UPDATE: dict[tuple, str] = {}


def timers_after_action(*, order, meets: frozenset, starts: frozenset, source: str, event_payload: dict,
                        now: datetime, calendar: BusinessCalendar | None = None) -> list[OrderTimer]:
    """Meet the open timers the action meets, stop those that do not run in the order's new state, and start the
    ones the action starts or its new state starts; returns those started."""
    started = []
    held = _meet_or_stop_open_timers(order=order, meets=meets, now=now)
    for rule in RULES:
        entered = order.status != source and order.status in rule.starts_on_entering
        if not (entered or (rule.kind in starts and order.status in rule.runs_in)):  # started only where it runs
            continue
        calendar = calendar or BusinessCalendar.load()
        shipment_id = None
        if rule.kind == TimerKind.LOGISTICS_NOTICE:  # one per consignment
            due, shipment_id = _logistics_due(event_payload["eta"], now), event_payload["shipment_id"]
        else:
            due = _due(rule.kind, now, calendar)
        started.append(insert(OrderTimer(
            order=order, kind=rule.kind, started_at=now, due_at=due, escalate_to=rule.escalate_to,
            estimated=rule.kind != TimerKind.LOGISTICS_NOTICE and calendar.estimated_between(local(now).date(), local(due).date()),
            shipment_id=shipment_id, note=_tracked_stage(event_payload) if rule.kind == TimerKind.TRACKING else ""),
            after=held))
        held = None
    held_run(held)  # no deadline started: the open ones met or stopped on their own
    order.started_deadlines = started  # for the action's notice: the deadline a hand-off names, without a read
    return started


def _tracked_stage(event_payload: dict) -> str:
    """The stage a progress deadline follows: the one a progress record names, or the plan's first stage."""
    stage = event_payload.get("stage") or next(iter(event_payload.get("stages") or []), {}).get("name", "")
    return str(stage)[:200]


def deadline_rows(timers) -> list[OrderTimer]:
    """The order page's deadlines, in their order: each deadline once, but the progress deadlines (进度跟进: one
    per progress record, every one kept for the escalations and the monthly review) one row per stage, the latest,
    with ``records`` (how many the stage had) and ``breaches`` (how many of them breached)."""
    timers = list(timers)
    groups: dict[str, list[OrderTimer]] = {}
    for timer in timers:
        if timer.kind == TimerKind.TRACKING:
            groups.setdefault(timer.note, []).append(timer)
    latest = {}
    for stage, group in groups.items():
        last = max(group, key=lambda t: (t.started_at, t.pk))
        last.records, last.breaches = len(group), sum(1 for t in group if t.breached_at)
        latest[stage] = last
    return [t for t in timers if t.kind != TimerKind.TRACKING or latest[t.note] is t]


@dataclass(frozen=True)
class DeadlineChange:
    """An open deadline counted again after the calendar changed."""

    ref: str
    kind: str  # the deadline's name, e.g. 审批
    before: datetime
    after: datetime

    def as_row(self) -> list[str]:
        return [self.ref, self.kind, local_text(self.before),
                local_text(self.after)]


def timers_recompute(*, calendar: BusinessCalendar, years: set[int], now: datetime) -> list[DeadlineChange]:
    """Count again, on ``calendar``, the open deadlines counted in working days or business hours that were
    estimated or run through ``years``; returns those whose due time moved. A breached deadline whose new due
    time is still ahead runs again (its escalation stays in the record)."""
    counted = {kind for kind, (_amount, kind_clock) in settings.ORDERLOOP_SLA.items() if kind_clock != "clock_hours"}
    begin = datetime(min(years), 1, 1, tzinfo=SHANGHAI)
    end = datetime(max(years) + 1, 1, 1, tzinfo=SHANGHAI)
    timers = (OrderTimer.objects.filter(kind__in=counted, ticket__isnull=True, met_at__isnull=True, stopped_at__isnull=True)
              .filter(Q(estimated=True) | Q(started_at__lt=end, due_at__gte=begin))
              .select_related("order").order_by("due_at", "pk"))
    changes = []
    for timer in timers:
        amount, kind_clock = deadline_length(timer.kind)
        due = calendar.deadline(timer.started_at, amount=amount, clock=kind_clock)
        estimated = calendar.deadline_estimated(timer.started_at, due, clock=kind_clock)
        if due == timer.due_at and estimated == timer.estimated:
            continue
        if due != timer.due_at:
            changes.append(DeadlineChange(timer.order.ref, str(timer.get_kind_display()), timer.due_at, due))
        timer.due_at, timer.estimated = due, estimated
        if timer.state == TimerState.BREACHED and due > now:
            timer.state, timer.breached_at = TimerState.RUNNING, None
        timer.save(update_fields=["due_at", "estimated", "state", "breached_at"])
    return changes


def timer_start(*, order, kind: str, now: datetime, due: datetime, escalate_to: str = ESCALATE_TO_MANAGER,
                ticket=None, estimated: bool = False) -> OrderTimer:
    """Start a deadline that no lifecycle action starts (after-sales tickets; ``order`` None for feedback without
    an order)."""
    return OrderTimer.objects.create(order=order, ticket=ticket, kind=kind, started_at=now, due_at=due,
                                     escalate_to=escalate_to, estimated=estimated)


def timer_meet(*, ticket, kind: str, now: datetime) -> None:
    for timer in OrderTimer.objects.filter(ticket=ticket, kind=kind, met_at__isnull=True, stopped_at__isnull=True):
        timer.met_at = now
        if timer.state == TimerState.RUNNING:
            timer.state = TimerState.MET
        timer.save(update_fields=["met_at", "state"])


def timer_stop(*, ticket, kind: str, now: datetime) -> None:
    for timer in OrderTimer.objects.filter(ticket=ticket, kind=kind, met_at__isnull=True, stopped_at__isnull=True):
        timer.stopped_at = now
        if timer.state == TimerState.RUNNING:
            timer.state = TimerState.STOPPED
        timer.save(update_fields=["stopped_at", "state"])


def timers_flag_breaches(*, now: datetime | None = None) -> int:
    """Mark running timers past their due time as breached and tell the person named, once."""
    now = now or clock.now()
    flagged = 0
    due_ids = list(OrderTimer.objects.filter(state=TimerState.RUNNING, due_at__lt=now).values_list("pk", flat=True))
    for timer_id in due_ids:
        with transaction.atomic():
            timer = (OrderTimer.objects.select_for_update(skip_locked=True, of=("self",))
                     .select_related("order", "order__customer", "ticket__customer")
                     .filter(pk=timer_id, state=TimerState.RUNNING).first())
            if timer is None:
                continue
            timer.state, timer.breached_at = TimerState.BREACHED, now
            timer.save(update_fields=["state", "breached_at"])
            order = timer.order
            if order is None:  # the deadline of feedback without an order: about its customer
                ticket = timer.ticket
                notify(event=f"timer_breached:{timer.kind}", key=f"timer:{timer.pk}:breached",
                       url=reverse("aftersales:detail", args=[ticket.pk]),
                       subject=_("客户 %(customer)s 的反馈「%(kind)s」已超时") % {
                           "customer": ticket.customer.name, "kind": timer.get_kind_display()},
                       body=_("截止时间 %(due)s，反馈：%(description)s") % {
                           "due": local_text(timer.due_at), "description": ticket.description[:200]})
                flagged += 1
                continue
            notify(event=f"timer_breached:{timer.kind}", key=f"timer:{timer.pk}:breached", order=order, url=order_url(order),
                   subject=_("订单 %(ref)s 「%(kind)s」已超时") % {"ref": order.ref, "kind": timer.get_kind_display()},
                   body=_("截止时间 %(due)s，订单状态「%(status)s」。") % {
                       "due": local_text(timer.due_at),
                       "status": order.get_status_display()})
            flagged += 1
    return flagged


def _meet_notice_timer(timer, now) -> None:
    timer.met_at = now
    if timer.state == TimerState.RUNNING:
        timer.state = TimerState.MET
    timer.save(update_fields=["met_at", "state"])


def _notice_failed(order, shipment, problem: str, now) -> None:
    """A notice no channel could carry: kept on the consignment (shown on 今日 to logistics and the account manager
    until someone tells the customer, 已电话通知) and recorded on the order's timeline once per reason."""
    if shipment.notice_problem == problem[:300]:
        return
    shipment.notice_problem = problem[:300]
    shipment.save(update_fields=["notice_problem"])
    event_record(order, EventType.LOGISTICS_NOTICE_FAILED, {
        "batch": shipment.position, "eta": shipment.eta.isoformat(), "problem": problem[:300]}, actor=None, at=now)


def logistics_notices_send(*, now: datetime | None = None) -> int:
    """Before each consignment's ETA, tell the customer (by e-mail or SMS, orders.customer_messages) and the account
    manager where the goods are; returns how many were sent. A notice no channel can carry (no e-mail, no mobile
    or SMS not set up) is not sent: its deadline runs on, and logistics and the account manager see it on 今日 to
    phone the customer (``notice_by_phone``): once it could not be sent, the worker leaves it to them."""
    now = now or clock.now()
    sent = 0
    notice_failures_record(now=now)
    candidates = (OrderTimer.objects.filter(kind=TimerKind.LOGISTICS_NOTICE, met_at__isnull=True, stopped_at__isnull=True)
                  .filter(shipment__notice_problem=""))
    for timer_id in candidates.values_list("pk", flat=True):
        with transaction.atomic():
            timer = (OrderTimer.objects.select_for_update(skip_locked=True, of=("self",))
                     .select_related("order", "order__customer", "shipment")
                     .filter(pk=timer_id, met_at__isnull=True, stopped_at__isnull=True).first())
            if timer is None or timer.shipment.notice_problem:
                continue
            notice_at = datetime.combine(timer.due_at.astimezone(SHANGHAI).date(), NOTICE_HOUR, tzinfo=SHANGHAI)
            if now < notice_at:
                continue
            order, shipment = timer.order, timer.shipment
            reach = customer_address(order.customer, "logistics_notice")
            if not reach.channel:
                _notice_failed(order, shipment, reach.problem, now)
                continue
            message = logistics_notice(shipment)
            notify(event="logistics_notice", key=f"timer:{timer.pk}:notice", order=order, url=order_url(order),
                   subject=message.subject, body=message.body, customer=message)
            _meet_notice_timer(timer, now)
            shipment.notice_sent_at, shipment.notice_problem = now, ""
            shipment.save(update_fields=["notice_sent_at", "notice_problem"])
            event_record(order, EventType.LOGISTICS_NOTICE_SENT, {
                "batch": shipment.position, "eta": shipment.eta.isoformat(), "tracking_number": shipment.tracking_number,
                "channel": reach.channel}, actor=None, at=now)
            sent += 1
    return sent


NOTICE_KEY = re.compile(r"^timer:(\d+):notice:customer:")
FAILURE_RECORDED = "failure_recorded"  # the outbox row's claim once the order's side has shown its failure


def notice_failures_record(*, now: datetime | None = None) -> int:
    """The customer's notices the provider refused for good or the mail server never took (the outbox gave them
    up): each consignment's notice counts as not sent — its deadline runs again, the failure goes on the timeline
    and on 今日 — until someone phones the customer. Each given-up row is looked at once; returns how many
    notices were found not sent."""
    now = now or clock.now()
    found = 0
    given_up = (Notification.objects.filter(event="logistics_notice", state=Notification.State.FAILED,
                                            recipient__isnull=True, key__contains=":notice:customer:")
                .exclude(claim=FAILURE_RECORDED).values_list("pk", "key", "channel", "last_error"))
    for pk, key, channel, error in given_up:
        match = NOTICE_KEY.match(key)
        with transaction.atomic():
            Notification.objects.filter(pk=pk).update(claim=FAILURE_RECORDED)
            timer = match and (OrderTimer.objects.select_for_update(of=("self",)).select_related("order", "shipment")
                               .filter(pk=int(match.group(1)), kind=TimerKind.LOGISTICS_NOTICE, stopped_at__isnull=True)
                               .first())
            if not timer or timer.shipment is None or timer.shipment.received_at:
                continue
            problem = (_("短信发送失败：%(error)s") if channel == "sms" else _("邮件发送失败：%(error)s")) % {
                "error": (error or "")[:200]}
            timer.met_at = None
            timer.state = TimerState.BREACHED if timer.breached_at else TimerState.RUNNING
            timer.save(update_fields=["met_at", "state"])
            timer.shipment.notice_sent_at = None
            timer.shipment.save(update_fields=["notice_sent_at"])
            _notice_failed(timer.order, timer.shipment, problem, now)
            found += 1
    return found


@transaction.atomic
def notice_by_phone(*, order, actor, shipment_id, note: str) -> None:
    """已电话通知: logistics or the account manager told the customer of a consignment by phone; it meets the
    consignment's 物流预告 deadline as a sent notice does, and goes on the timeline with its note."""
    if not actor.has_role(*PHONE_NOTICE_RECORDERS):
        raise NotAllowed(_("只有物流专员或客户经理可以记录电话通知"))
    note = (note or "").strip()
    if not note:
        raise InvalidInput(_("请填写电话通知的说明"), errors={"note": [_("请写明通知了谁、说了什么，如：已电话告知李经理明日送达")]})
    shipment = order.shipments.filter(pk=id_or_none(shipment_id) or 0).first()
    if shipment is None:
        raise InvalidInput(_("没有这个发货批次"), errors={"shipment_id": [_("批次不存在")]})
    now = clock.now()
    timer = (OrderTimer.objects.select_for_update(of=("self",))
             .filter(shipment=shipment, kind=TimerKind.LOGISTICS_NOTICE, stopped_at__isnull=True).order_by("-id").first())
    if timer is not None and timer.met_at is None:
        _meet_notice_timer(timer, now)
    shipment.notice_sent_at, shipment.notice_problem = now, ""
    shipment.save(update_fields=["notice_sent_at", "notice_problem"])
    event_record(order, EventType.PHONE_NOTICE, {"batch": shipment.position, "eta": shipment.eta.isoformat(),
                                                 "note": note[:500]}, actor=actor, at=now)


def notices_not_sent(orders):
    """The consignments of ``orders`` whose day-before notice could not be sent and nobody has phoned yet (今日)."""
    return (Shipment.objects.filter(order__in=orders, notice_sent_at__isnull=True, received_at__isnull=True)
            .exclude(notice_problem="").select_related("order", "order__customer").order_by("eta", "id"))
