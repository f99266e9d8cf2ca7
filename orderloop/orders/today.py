"""Each user's day (问题不过夜): what waits for them, what is overdue or due today,
open risks, and orders nobody has touched for more than a working day. The today
page, the morning digest and the evening roll-up all read it from here."""
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from django.db.models import Max, Prefetch, Q
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import ADMINISTRATORS, DEADLINE_OWNERS, PHONE_NOTICE_RECORDERS, TICKET_HANDLERS
from orderloop.accounts.roles import Role
from orderloop.aftersales.models import TicketState
from orderloop.aftersales.services import tickets_visible_to
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI, BusinessCalendar, calendar_alerts, local_text
from orderloop.finance.receivables import OverdueSummary, today_receivables
from orderloop.notifications.services import notify
from orderloop.orders.access import filter_visible
from orderloop.orders.models import OrderTimer, Risk, SalesOrder, Shipment, TimerState
from orderloop.orders.lifecycle.engine import available_actions
from orderloop.orders.steps.guards import guard_prefetches
from orderloop.orders.lifecycle.table import TERMINAL, TRANSITIONS
from orderloop.orders.steps import ACTIONS
from orderloop.orders.timers import notices_not_sent



@dataclass
class Today:
    waiting: list = field(default_factory=list)     # (order, [action labels], due timer or None)
    waiting_names: dict = field(default_factory=dict)  # order id → the names of the actions waiting
    overdue: list = field(default_factory=list)     # breached timers still open
    due_today: list = field(default_factory=list)   # running timers due before the day ends
    risks: list = field(default_factory=list)       # open risks
    tickets: list = field(default_factory=list)     # open customer feedback whose next step is mine
    idle: list = field(default_factory=list)        # (order, last activity)
    alerts: list = field(default_factory=list)      # for admins: CalendarAlert, a year's holidays not entered
    notices: list = field(default_factory=list)     # consignments whose 物流预告 could not be sent: phone the customer
    receivables: OverdueSummary = field(default_factory=OverdueSummary)  # overdue instalments (finance: deposits too)

    @property
    def count(self) -> int:
        return (len(self.notices) + len(self.waiting) + len(self.overdue) + len(self.due_today) + len(self.risks) + len(self.tickets)
                + len(self.idle) + len(self.alerts) + self.receivables.count + len(self.receivables.deposits))


def _states_with_work(roles) -> set[str]:
    return {s for t in TRANSITIONS if t.roles & roles for s in t.sources if not ACTIONS[t.action].incidental_in(s)}


def user_today(user, *, now: datetime | None = None, calendar: BusinessCalendar | None = None) -> Today:
    now = now or clock.now()
    calendar = calendar or BusinessCalendar.load()
    today = Today()
    visible = filter_visible(SalesOrder.objects.exclude(status__in=TERMINAL), user)
    timers = (OrderTimer.objects.filter(order__in=visible.values("pk"), met_at__isnull=True, stopped_at__isnull=True)
              .select_related("order", "order__customer").order_by("due_at"))
    mine = [t for t in timers if user.roles & (DEADLINE_OWNERS.get(t.kind, frozenset()) | {t.escalate_to})]
    end_of_day = datetime.combine(now.astimezone(SHANGHAI).date(), time(23, 59, 59), tzinfo=SHANGHAI)
    today.overdue = [t for t in mine if t.state == TimerState.BREACHED]
    today.due_today = [t for t in mine if t.state == TimerState.RUNNING and t.due_at <= end_of_day]
    next_due = {}
    for t in timers:
        next_due.setdefault(t.order_id, t)
    # what the actions' guards read of each order, fetched for them all (lines, risks, consignments, the visit)
    candidates = (visible.filter(status__in=_states_with_work(user.roles)).select_related("customer", "owner", "visit")
                  .prefetch_related("lines", "risks", Prefetch("shipments", queryset=Shipment.objects.prefetch_related("lines")),
                                    *guard_prefetches()))
    for order in candidates.order_by("created_at"):
        order.visible_to_user_id = user.pk  # read through the visibility filter: order_visible_to need not ask
        actions = [a for a in available_actions(order, user) if not ACTIONS[a].incidental_in(order.status)]
        if actions:
            today.waiting.append((order, [_(ACTIONS[a].label) for a in actions], next_due.get(order.pk)))
            today.waiting_names[order.pk] = actions
    today.risks = list(Risk.objects.filter(order__in=visible.values("pk"), resolved_at__isnull=True)
                       .select_related("order").order_by("raised_at"))
    today.tickets = _my_tickets(user)
    idle_before = _one_working_day_before(now, calendar)
    quiet = (visible.exclude(status__in={"delivered"}).annotate(last=Max("events__occurred_at"))
             .filter(last__lt=idle_before).select_related("customer").order_by("last"))
    today.idle = [(order, order.last) for order in quiet[:50]]
    if user.roles & PHONE_NOTICE_RECORDERS:
        today.notices = list(notices_not_sent(visible.values("pk"))[:100])
    if user.roles & ADMINISTRATORS:
        today.alerts = calendar_alerts(now.astimezone(SHANGHAI).date(), calendar)
    today.receivables = today_receivables(user, today=now.astimezone(SHANGHAI).date())
    return today


def _my_tickets(user) -> list:
    """After-sales: every open feedback; an account manager: the ones they handle or must confirm with the customer."""
    if not user.has_role(*TICKET_HANDLERS):
        return []
    tickets = tickets_visible_to(user).filter(closed_at__isnull=True).order_by("opened_at", "id")
    if not user.has_role(Role.AFTER_SALES):
        tickets = tickets.filter(Q(assignee=user) | Q(state=TicketState.RESOLVED))
    return list(tickets[:100])


def _one_working_day_before(now: datetime, calendar: BusinessCalendar) -> datetime:
    day = now.astimezone(SHANGHAI).date() - timedelta(days=1)
    while not calendar.is_working_day(day):
        day -= timedelta(days=1)
    return datetime.combine(day, now.astimezone(SHANGHAI).time(), tzinfo=SHANGHAI)


def _summary(today: Today) -> str:
    lines = []
    for shipment in today.notices[:20]:
        lines.append(_("物流预告未能发送 %(ref)s 第 %(batch)s 批：%(problem)s，请电话通知") % {
            "ref": shipment.order.ref, "batch": shipment.position, "problem": shipment.notice_problem})
    for order, actions, _timer in today.waiting[:20]:
        lines.append(_("待处理 %(ref)s %(customer)s：%(actions)s") % {
            "ref": order.ref, "customer": order.customer.name, "actions": "、".join(actions)})
    for timer in today.overdue[:20]:
        lines.append(_("已超时 %(ref)s「%(kind)s」截止 %(due)s") % {
            "ref": timer.order.ref, "kind": timer.get_kind_display(),
            "due": local_text(timer.due_at, "%m-%d %H:%M")})
    for timer in today.due_today[:20]:
        lines.append(_("今日到期 %(ref)s「%(kind)s」%(due)s") % {
            "ref": timer.order.ref, "kind": timer.get_kind_display(),
            "due": local_text(timer.due_at, "%H:%M")})
    for ticket in today.tickets[:20]:
        lines.append(_("客户反馈 %(ref)s：%(type)s（%(state)s）") % {
            "ref": ticket.ref or ticket.customer.name, "type": ticket.get_ticket_type_display(),
            "state": ticket.get_state_display()})
    for row in today.receivables.rows:
        lines.append(_("应收逾期 %(ref)s %(customer)s 第%(n)d期：尚欠 %(open)s 元，已逾期 %(days)d 天") % {
            "ref": row.order.ref, "customer": row.order.customer.name, "n": row.number,
            "open": f"{row.open_amount:,.2f}", "days": row.days_overdue})
    for row in today.receivables.deposits:
        lines.append(_("预付款未到账 %(ref)s %(customer)s：尚欠 %(open)s 元，待收款后开始备货/生产") % {
            "ref": row.order.ref, "customer": row.order.customer.name, "open": f"{row.open_amount:,.2f}"})
    for risk in today.risks[:20]:
        lines.append(_("风险 %(ref)s：%(risk)s") % {"ref": risk.order.ref, "risk": str(risk)})
    for order, last in today.idle[:20]:
        lines.append(_("停滞 %(ref)s：自 %(last)s 无进展") % {
            "ref": order.ref, "last": local_text(last, "%m-%d %H:%M")})
    return "\n".join(lines)


def daily_digest_send(*, now: datetime | None = None) -> int:
    """The morning digest: each user's today, on working days, once a day."""
    return _send_to_everyone("daily_digest", _("今日待办"), now=now, only_problems=False)


def daily_rollup_send(*, now: datetime | None = None) -> int:
    """The end-of-day roll-up of what is still unresolved: overdue, risks, idle orders."""
    return _send_to_everyone("daily_rollup", _("今日未解决问题"), now=now, only_problems=True)


def _send_to_everyone(event: str, title: str, *, now, only_problems: bool) -> int:
    from orderloop.accounts.models import User

    now = now or clock.now()
    calendar = BusinessCalendar.load()
    day = now.astimezone(SHANGHAI).date()
    if not calendar.is_working_day(day):
        return 0
    sent = 0
    for user in User.objects.filter(is_active=True).prefetch_related("groups"):
        today = user_today(user, now=now, calendar=calendar)
        if only_problems:
            today.waiting, today.due_today = [], []
        if not today.count:
            continue
        notify(event=event, key=f"{event}:{user.pk}:{day.isoformat()}", roles={"recipient": [user]},
               subject=f"{title}（{day.isoformat()}）：{today.count} 项", body=_summary(today), url="/today/")
        sent += 1
    return sent


def calendar_alert_send(*, now: datetime | None = None) -> int:
    """Tell the admins, once a day, which year's holidays they must enter."""
    now = now or clock.now()
    day = now.astimezone(SHANGHAI).date()
    sent = 0
    for alert in calendar_alerts(day):
        sent += notify(event="calendar_alert", key=f"calendar_alert:{alert.year}:{day.isoformat()}",
                       subject=_("%(year)s 年放假安排待录入") % {"year": alert.year}, body=alert.message,
                       url=reverse("setup:calendar_year", args=[alert.year]))
    return sent
