"""Receivables (应收账款, SPEC section 9): what customers still owe on the orders' payment plans, by age, and what
is overdue.

- **Ageing** (账龄): the open instalments' outstanding amounts (amount − received − written off) on a given day,
  in five buckets by calendar days past the due date — 未到期 (no due date yet, or due that day or later), 1–30,
  31–60, 61–90 and over 90 days overdue — grouped by customer, by the order's owner (销售负责人) or by the
  owner's team. One aggregate statement over the open instalments (the partial index ``instalment_open_due_idx``
  holds only them), joined to the orders for the grouping; the names are read afterwards for the groups only.
- **Visibility**: the orders the reader may see (``orders.access``): finance, the director and the admin every
  order; a sales manager their team's; sales staff their own and their customers'. Only ``MONEY_READERS`` read
  receivables at all.
- **Escalation** (``receivables_escalate``, run by the worker): an open instalment overdue by at least N working
  days tells, once each, the order's account manager, the team's sales manager and the director, the N of
  ``settings.ORDERLOOP_OVERDUE_ESCALATION`` (default 1, 5, 30); ``Instalment.escalation_level`` says who was told.
- **Credit exposure** (``credit_exposures``): what the director rule of the approval counts against the
  customer's credit limit (docs/decisions.md).
"""
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connection, transaction
from django.db.models import Count, DecimalField, Exists, ExpressionWrapper, F, OuterRef, Q, Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.accounts.permissions import MONEY_READERS, MONEY_RECORDERS, RECEIVABLE_OWNERS
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI, BusinessCalendar
from orderloop.core.exceptions import InvalidInput, NotAllowed
from orderloop.finance.models import Instalment
from orderloop.masterdata.models import Trigger
from orderloop.notifications.services import notify
from orderloop.orders.access import visible_orders_q
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.models import SalesOrder

ZERO = Decimal("0.00")
OUTSTANDING = ExpressionWrapper(F("amount") - F("received") - F("written_off"),
                                output_field=DecimalField(max_digits=14, decimal_places=2))

# The buckets, in the order of the table: (key, heading, the oldest and youngest days overdue it holds).
BUCKETS = [
    ("not_due", N_("未到期"), None, 0),
    ("d1_30", N_("逾期1–30天"), 1, 30),
    ("d31_60", N_("逾期31–60天"), 31, 60),
    ("d61_90", N_("逾期61–90天"), 61, 90),
    ("over_90", N_("逾期90天以上"), 91, None),
]
BUCKET_KEYS = [key for key, *_rest in BUCKETS]
GROUPINGS = {"customer": N_("按客户"), "owner": N_("按销售负责人"), "team": N_("按团队")}
NO_TEAM = N_("未分团队")


def may_read(user) -> bool:
    return user is not None and bool(user.roles & MONEY_READERS)


def _check_reader(user) -> None:
    if not may_read(user):
        raise NotAllowed(_("只有财务、销售人员和管理员可以查看应收账款"))


def open_instalments(user):
    """The open instalments of the orders ``user`` may see (every order's for finance, the director, the admin)."""
    _check_reader(user)
    rows = Instalment.objects.filter(is_open=True)
    q = visible_orders_q(user)
    return rows if q is None else rows.filter(order_id__in=SalesOrder.objects.filter(q).values("pk"))


def _bucket_q(key: str, today: date) -> Q:
    _key, _label, oldest, youngest = next(bucket for bucket in BUCKETS if bucket[0] == key)
    if oldest is None:
        return Q(due_date__isnull=True) | Q(due_date__gte=today)
    q = Q(due_date__lte=today - timedelta(days=oldest))
    if youngest is not None:
        q &= Q(due_date__gte=today - timedelta(days=youngest))
    return q


def days_overdue(due: date | None, today: date) -> int:
    """Calendar days past the due date (0: not due, or no due date yet)."""
    return max(0, (today - due).days) if due else 0


def bucket_of(due: date | None, today: date) -> str:
    days = days_overdue(due, today)
    for key, _label, oldest, youngest in BUCKETS:
        if (oldest or 0) <= days and (youngest is None or days <= youngest):
            return key
    return BUCKET_KEYS[-1]


@dataclass
class AgeingRow:
    key: int | None          # the customer's, owner's or team's id (None: the owners of no team)
    label: str
    amounts: dict = field(default_factory=lambda: {key: ZERO for key in BUCKET_KEYS})
    instalments: int = 0     # open instalments counted
    overdue_instalments: int = 0

    @property
    def total(self) -> Decimal:
        return sum(self.amounts.values(), ZERO)

    @property
    def overdue(self) -> Decimal:
        return self.total - self.amounts["not_due"]

    def add(self, other: "AgeingRow") -> None:
        for key in BUCKET_KEYS:
            self.amounts[key] += other.amounts[key]
        self.instalments += other.instalments
        self.overdue_instalments += other.overdue_instalments

    def cells(self) -> list[Decimal]:
        return [self.amounts[key] for key in BUCKET_KEYS] + [self.overdue, self.total]


@dataclass
class Ageing:
    by: str
    today: date
    rows: list[AgeingRow]     # the largest overdue first, then the largest total
    total: AgeingRow


GROUP_FIELD = {"customer": "order__customer_id", "owner": "order__owner_id", "team": "order__owner_id"}
# On PostgreSQL the ageing runs with the settings the monthly review runs with (reviews.report.REPORT_SETTINGS), for
# its transaction only: random_page_cost for a database held in memory, so that the planner reads the open
# instalments from the covering index instalment_open_order_idx (finance migration 0004) instead of the table, and
# no JIT, whose compiling costs more than such a query (bench/receivables.py, docs/benchmarks.md).
AGEING_SETTINGS = {"random_page_cost": "1.1", "jit": "off"}


@contextmanager
def _ageing_settings():
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _setting in AGEING_SETTINGS),
                       [value for pair in AGEING_SETTINGS.items() for value in pair])
        yield


def ageing(user, *, by: str = "customer", today: date | None = None) -> Ageing:
    """The ageing of the receivables ``user`` may see on ``today`` (the clock's day by default), grouped ``by``
    customer, owner or team: one aggregate statement, then the groups' names."""
    if by not in GROUPINGS:
        raise InvalidInput(_("分组方式只能是 customer、owner 或 team"), errors={"by": [_("无效的分组方式")]})
    today = today or clock.today()
    if not date(1900, 1, 1) <= today <= date(9999, 12, 31) - timedelta(days=1):  # the buckets reach 91 days back
        raise InvalidInput(_("日期超出范围"), errors={"on": [_("日期超出范围")]})
    overdue = Q(due_date__lt=today)
    sums = {key: Sum(OUTSTANDING, filter=_bucket_q(key, today), default=ZERO) for key in BUCKET_KEYS}
    # only columns of instalment_open_order_idx (counts of order_id and due_date, not of id): on PostgreSQL the open
    # instalments are read from that index alone
    grouped = (open_instalments(user).order_by().values(GROUP_FIELD[by])
               .annotate(**sums, n=Count("order_id"), n_overdue=Count("due_date", filter=overdue)))
    rows: dict = {}
    with _ageing_settings():
        for values in grouped:
            row = AgeingRow(key=values[GROUP_FIELD[by]], label="")
            row.amounts = {key: values[key] or ZERO for key in BUCKET_KEYS}
            row.instalments, row.overdue_instalments = values["n"], values["n_overdue"]
            rows[row.key] = row
    rows = _labelled(by, rows)
    total = AgeingRow(key=None, label=_("合计"))
    for row in rows:
        total.add(row)
    rows.sort(key=lambda row: (-row.overdue, -row.total, row.label))
    return Ageing(by=by, today=today, rows=rows, total=total)


def _labelled(by: str, rows: dict) -> list[AgeingRow]:
    from orderloop.accounts.models import User
    from orderloop.masterdata.models import Customer

    if by == "customer":
        names = dict(Customer.objects.filter(pk__in=list(rows)).values_list("pk", "name"))
        for row in rows.values():
            row.label = names.get(row.key, "")
        return list(rows.values())
    owners = {u.pk: u for u in User.objects.filter(pk__in=list(rows)).select_related("team")}
    if by == "owner":
        for row in rows.values():
            row.label = str(owners[row.key]) if row.key in owners else ""
        return list(rows.values())
    teams: dict = {}
    for row in rows.values():  # by team: the owners' rows summed per team
        owner = owners.get(row.key)
        team = owner.team if owner is not None else None
        key = team.pk if team else None
        if key not in teams:
            teams[key] = AgeingRow(key=key, label=team.name if team else _(NO_TEAM))
        teams[key].add(row)
    return list(teams.values())


# --- the instalments themselves: a customer's overdue ones, the ledger (应收账款台账), 今日 ------------------------

def overdue_instalments(user, *, today: date | None = None, customer_ids=None, limit: int | None = None):
    """The open instalments past their due date that ``user`` may see, oldest due first, with order, customer
    and owner; of ``customer_ids`` only when given."""
    today = today or clock.today()
    rows = open_instalments(user).filter(due_date__lt=today)
    if customer_ids is not None:
        rows = rows.filter(order__customer_id__in=list(customer_ids))
    rows = (rows.select_related("order", "order__customer", "order__owner")
            .annotate(open_amount=OUTSTANDING).order_by("due_date", "order_id", "number"))
    return rows[:limit] if limit else rows


def ledger_records(user):
    """Every open instalment ``user`` may see, as the ledger (《应收账款台账》) lists them: by customer, then due
    date (no due date last)."""
    return (open_instalments(user).select_related("order", "order__customer", "order__owner", "order__owner__team")
            .annotate(open_amount=OUTSTANDING)
            .order_by("order__customer__name", F("due_date").asc(nulls_last=True), "order_id", "number"))


def condition(instalment: Instalment) -> str:
    """The instalment's trigger in words (确认订单时, 到货后60天 …)."""
    from orderloop.orders.payments import condition_text

    return condition_text({"trigger": instalment.trigger, "days": instalment.days,
                           "working_days": instalment.working_days, "date": instalment.fixed_date})


@dataclass
class OverdueSummary:
    """What 今日 shows of the receivables: the overdue instalments (the first ones, oldest due first), how many
    and how much in all; for finance also the deposits that hold production."""
    rows: list = field(default_factory=list)       # Instalment with open_amount, days_overdue
    count: int = 0
    amount: Decimal = ZERO
    deposits: list = field(default_factory=list)   # Instalment with open_amount, days_overdue
    applies: bool = False                          # the user has this section (finance, the orders' owners)
    everything: bool = False                       # every order's (finance), not only the user's own


TODAY_SHOWN = 20


def today_receivables(user, *, today: date | None = None) -> OverdueSummary:
    """今日's receivables: finance (who sees every order) all overdue instalments and the deposits holding
    production; an account manager or sales assistant those of the orders and customers they own. Others: none.
    At most three statements, whatever the number of instalments."""
    summary = OverdueSummary()
    roles = user.roles if user is not None else frozenset()
    today = today or clock.today()
    everything = bool(roles & MONEY_RECORDERS)
    if everything:
        rows = Instalment.objects.filter(is_open=True)
    elif roles & RECEIVABLE_OWNERS:
        from orderloop.masterdata.models import Customer

        rows = Instalment.objects.filter(is_open=True).filter(
            Q(order__owner_id=user.pk) | Q(order__customer_id__in=Customer.objects.filter(owner_id=user.pk).values("pk")))
    else:
        return summary
    summary.applies, summary.everything = True, everything
    overdue = rows.filter(due_date__lt=today)
    totals = overdue.aggregate(n=Count("pk"), amount=Sum(OUTSTANDING, default=ZERO))
    summary.count, summary.amount = totals["n"], totals["amount"]
    if summary.count:
        summary.rows = list(overdue.select_related("order", "order__customer").annotate(open_amount=OUTSTANDING)
                            .order_by("due_date", "order_id", "number")[:TODAY_SHOWN])
    if everything:
        summary.deposits = list(deposits_holding(rows, limit=TODAY_SHOWN))
    for row in summary.rows + summary.deposits:
        row.days_overdue = days_overdue(row.due_date, today)
    return summary


def deposits_holding(rows=None, *, limit: int | None = None):
    """The deposits (due on confirmation) not received nor released while their order waits to start production."""
    rows = Instalment.objects.filter(is_open=True) if rows is None else rows
    rows = (rows.filter(trigger=Trigger.ON_CONFIRMATION, waived_at__isnull=True, order__status=S.CONFIRMED)
            .select_related("order", "order__customer").annotate(open_amount=OUTSTANDING).order_by("due_date", "order_id"))
    return rows[:limit] if limit else rows


# --- overdue escalation ---------------------------------------------------------------------------------------

# Level n (1, 2, 3) is told to…, by the event of the routing table (finance migration 0004 adds its routes).
ESCALATIONS = [
    (1, "receivable_overdue"),            # the account manager: the order's owner and the customer's
    (2, "receivable_overdue:manager"),    # the sales manager of the owner's team
    (3, "receivable_overdue:director"),   # the director
]


def escalation_thresholds() -> tuple[int, int, int]:
    """Working days overdue at which the account manager, the sales manager and the director are told
    (``ORDERLOOP_OVERDUE_ESCALATION``, "1,5,30" by default): three ascending positive whole numbers."""
    value = settings.ORDERLOOP_OVERDUE_ESCALATION
    try:
        days = tuple(int(part) for part in (value.split(",") if isinstance(value, str) else value))
    except (TypeError, ValueError):
        days = ()
    if len(days) != 3 or days[0] < 1 or not days[0] < days[1] < days[2]:
        raise ImproperlyConfigured(
            f"ORDERLOOP_OVERDUE_ESCALATION must be three ascending whole numbers of working days, e.g. 1,5,30; got {value!r}")
    return days


def _counting_day(now: datetime, calendar: BusinessCalendar) -> date:
    """The last day that counts at ``now``: today once business hours have begun, else yesterday (so that an
    escalation goes out in the morning, not at midnight)."""
    local_now = now.astimezone(SHANGHAI)
    return local_now.date() if local_now.time() >= calendar.day_start else local_now.date() - timedelta(days=1)


def _latest_due_for(working_days: int, day: date, calendar: BusinessCalendar) -> date:
    """The due dates before the returned day are overdue by at least ``working_days`` working days on ``day``: the
    ``working_days``-th working day counted back from ``day`` (included)."""
    found, current = 0, day
    while True:
        if calendar.is_working_day(current):
            found += 1
            if found == working_days:
                return current
        current -= timedelta(days=1)


def working_days_overdue(due: date, day: date, calendar: BusinessCalendar) -> int:
    """Working days after ``due`` up to ``day`` (included)."""
    count, current = 0, due + timedelta(days=1)
    while current <= day:
        count += calendar.is_working_day(current)
        current += timedelta(days=1)
    return count


def receivables_escalate(*, now: datetime | None = None) -> int:
    """Tell each level once about the open instalments overdue by its number of working days; the number of
    instalments whose level rose. Each instalment in its own transaction; its level rises only if it is still the
    one read (a second worker at the same moment changes nothing and tells nobody)."""
    now = now or clock.now()
    calendar = BusinessCalendar.load()
    day = _counting_day(now, calendar)
    thresholds = escalation_thresholds()
    cutoffs = [_latest_due_for(days, day, calendar) for days in thresholds]  # due before cutoff n: level n is due
    candidates = (Instalment.objects.filter(is_open=True, due_date__lt=cutoffs[0], escalation_level__lt=len(ESCALATIONS))
                  .filter(Q(escalation_level=0) | Q(escalation_level=1, due_date__lt=cutoffs[1])
                          | Q(escalation_level=2, due_date__lt=cutoffs[2]))
                  .order_by("due_date", "pk").values_list("pk", "due_date", "escalation_level"))
    raised = 0
    for pk, due, level in candidates.iterator(chunk_size=2000):
        wanted = sum(1 for cutoff in cutoffs if due < cutoff)
        if wanted <= level:
            continue
        with transaction.atomic():
            if not Instalment.objects.filter(pk=pk, escalation_level=level, is_open=True).update(escalation_level=wanted):
                continue
            row = Instalment.objects.select_related("order", "order__customer", "order__owner", "order__entered_by").get(pk=pk)
            for step, event in ESCALATIONS[level:wanted]:
                _tell(row, step, event, day, calendar)
        raised += 1
    return raised


def _tell(row: Instalment, step: int, event: str, day: date, calendar: BusinessCalendar) -> None:
    order = row.order
    outstanding = row.outstanding
    values = {"ref": order.ref, "customer": order.customer.name, "n": row.number, "open": f"{outstanding:,.2f}",
              "due": row.due_date.isoformat(), "days": (day - row.due_date).days,
              "working": working_days_overdue(row.due_date, day, calendar)}
    subject = (_("订单 %(ref)s 第%(n)d期应收款逾期 %(working)d 个工作日：%(customer)s 尚欠 %(open)s 元") if step == 1 else
               _("订单 %(ref)s 第%(n)d期应收款逾期 %(working)d 个工作日未收回，已上报：%(customer)s 尚欠 %(open)s 元")) % values
    body = _("到期日 %(due)s，已逾期 %(days)d 天（%(working)d 个工作日）。请联系客户催收，收到后由财务登记回款。") % values
    notify(event=event, key=f"instalment:{row.pk}:overdue:{step}:{row.due_date.isoformat()}", order=order, subject=subject, body=body,
           url=reverse("orders:detail", args=[order.ref]))


# --- the credit rule ------------------------------------------------------------------------------------------

def credit_exposures(orders, credit_states) -> dict[int, Decimal]:
    """For each of ``orders`` (being approved), what its customer owes or has open apart from what the order
    itself adds (docs/decisions.md, 信用额度): the outstanding of the customer's open instalments on its other
    orders, plus the totals of its other orders in ``credit_states`` that have no stored plan yet, less what was
    already received or written off on this order's own plan. The director rule adds the order's total to it.
    Three statements, whatever the number of orders."""
    orders = list(orders)
    if not orders:
        return {}
    customers = {order.customer_id for order in orders}
    owed = dict(Instalment.objects.filter(is_open=True, order__customer_id__in=customers).order_by()
                .values("order__customer_id").annotate(owed=Sum(OUTSTANDING)).values_list("order__customer_id", "owed"))
    planless = (SalesOrder.objects.filter(customer_id__in=customers, status__in=credit_states)
                .exclude(Exists(Instalment.objects.filter(order_id=OuterRef("pk")))))
    open_orders = dict(planless.order_by().values("customer_id").annotate(total=Sum("total_amount"))
                       .values_list("customer_id", "total"))
    own = {values["order_id"]: values for values in Instalment.objects.filter(order_id__in=[o.pk for o in orders])
           .order_by().values("order_id").annotate(
               owed=Sum(OUTSTANDING, filter=Q(is_open=True), default=ZERO),
               paid=Sum(F("received") + F("written_off"), default=ZERO))}
    result = {}
    for order in orders:
        mine = own.get(order.pk)
        others = (owed.get(order.customer_id) or ZERO) + (open_orders.get(order.customer_id) or ZERO)
        if mine is None:  # no plan: the order's total was counted among the open orders if its state counts
            if order.status in credit_states:
                others -= order.total_amount
        else:  # a plan: its outstanding was counted among the receivables; what was paid on it is not owed
            others -= mine["owed"] + mine["paid"]
        result[order.pk] = others
    return result
