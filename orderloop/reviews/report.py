"""The figures of the month's 《订单复盘报告》, computed in a fixed number of queries (none per order).

A month is a calendar month in Asia/Shanghai. Definitions:

- 订单数量 / 订单金额: orders whose 下单日期 (``order_date``) falls in the month, rejected and cancelled
  ones left out; how many were rejected (已驳回) and cancelled (已取消) is reported separately, and how many of
  them came in by the go-live import (``imported``: 上线导入, ``SalesOrder.imported_at``) rather than through
  intake, review and approval in orderloop.
- 上线导入 (imported orders): an imported order is counted as imported, never as approved: it has no 审批通过
  event (none is invented), the delivered ones are counted in ``delivery.imported``, and in 各阶段用时 the time
  in the stage it was imported at is left out (it began before orderloop knew the order: measured from the
  import it would shorten that phase, the 审批 one above all); its later stages are measured as any order's.
- 交付准时率: the orders whose 交付时间 (``delivered_at``, as a Shanghai date) falls in the month. One is
  on time when delivered on or before its 承诺交付日期 (``promised_date``, else the requested 交付日期).
  An order with neither date is left out of the rate and counted as 无交付日期.
  Rate = on time / (on time + late) × 100, one decimal (10 delivered, 7 on time → 70.0).
- 客户满意度: the 回访 scores (1–5) of the orders delivered in the month that have one: the average
  (one decimal) and how many gave each score.
- 售后问题类型: the tickets opened (反馈时间) in the month, counted by 反馈类型, feedback without an order (售前疑问,
  投诉, 建议 recorded against a customer) included.
- 客户反馈处理 (``feedback``): of the same tickets, how many concern no order, how many were answered within the
  response deadline (首次响应 no later than 24 hours after 反馈时间) and how many are closed (after the customer's
  confirmation) when the figures are computed; 响应及时率 = answered in time / opened × 100 and 关闭率 = closed /
  opened × 100, one decimal (None when none was opened).
- 期限达成率, per kind of deadline: the deadlines due in the month that were met or breached.
  On time = met no later than its due time and never flagged as breached; otherwise breached.
  Rate = on time / (on time + breached) × 100. Deadlines stopped unmet or still running are left out.
- 各阶段用时: for the orders delivered in the month, from their status timeline. The time in a status is
  the next status-changing event's time minus the time it was entered; the statuses group into phases
  (接收审核: 已接收, 待补充; 审批: 待审批, 待总监审批; 库存确认: 待确认库存, 交期协商中;
  备货生产: 已确认, 备货/生产中; 发货准备: 待发货; 物流运输: 已发货). An order's time in a phase is the
  sum over its visits; orders that never passed through a phase are not in its sample. Per phase:
  median and 90th percentile (linear between the closest ranks), in days, one decimal.
  瓶颈环节 = the phase with the largest median (a tie goes to the larger 90th percentile), named only when that
  median is above zero and at least 1.5 times the median of the other phases' medians (none otherwise).
- 延误原因: the risks raised (发现时间) in the month, counted by 风险类型.
- 按销售负责人 / 按客户: the month's orders (as 订单数量) with their amount, plus the orders delivered in
  the month and their on-time rate. 按产品: the month's order lines by product: orders, quantity, amount.
- 回款 (``money``), from the stored payment plans (finance.Instalment), the receipts allocated to them and the
  orders' timelines, in total and by 销售负责人 and by customer (the order's):
  - 到期应收 (``due``): the instalments whose due date falls in the month; 回款 (``received``): what was
    allocated to those instalments from receipts whose 到账日期 is no later than the month's last day;
    回款率 = received / due × 100, one decimal (None when nothing fell due).
  - 期末逾期应收 (``overdue``): of the instalments due no later than the month's last day, what was neither
    received (到账日期 by the last day) nor written off (尾款核销 before the month ended) at the month's end.
  - 期末应收 (``receivables``): the same, over the instalments due by the month's last day and those of orders
    delivered before the month ended (owed for goods delivered, though not due yet); instalments whose trigger
    had not come (an undelivered order's balance) are not receivables yet.
  - DSO (应收账款周转天数) = 期末应收 / the month's delivered sales (the total of the orders delivered in the
    month, ``sales``) × the month's days, one decimal (None without delivered sales).
  - 付款放行 / 尾款核销 (``waived`` / ``written_off``): how many of these events (the sales manager's release of
    an order held by its payment terms, and write-off of what is left of a plan) happened in the month.

Scope: without ``teams`` the whole company (the director, the admin, and the figures a filed review freezes);
with ``teams`` (team ids) only the orders owned or entered by a member of one of those teams, and the tickets,
risks, deadlines, order lines and status events of those orders (feedback without an order: that of the customers
a member owns, or recorded by a member): every figure, totals included, is then the
teams' (a sales manager's review, SPEC section 9). The scope is one more condition on the order set in each of
the same queries, so the number of queries does not change.

Amounts are strings with two decimals, rates and days are numbers with one decimal (None when there is
nothing to divide by); rounding is half up.
"""
import re
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import EmptyResultSet
from django.db import connection, transaction
from django.db.models import Count, F, Min, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.accounts.models import User
from orderloop.aftersales.models import Ticket, TicketType
from orderloop.aftersales.services import RESPONSE_HOURS
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.finance.models import Allocation, Instalment, Receipt
from orderloop.masterdata.models import Customer
from orderloop.orders.models import EventType, OrderEvent, OrderLine, OrderTimer, Risk, RiskType, SalesOrder, TimerKind
from orderloop.orders.models import OrderStatus as S

PHASES = [
    # (code, label, statuses)
    ("intake", N_("接收审核"), (S.RECEIVED, S.NEEDS_INFO)),
    ("approval", N_("审批"), (S.PENDING_APPROVAL, S.PENDING_DIRECTOR)),
    ("stock_check", N_("库存确认"), (S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION)),
    ("fulfilment", N_("备货生产"), (S.CONFIRMED, S.IN_FULFILLMENT)),
    ("shipment_preparation", N_("发货准备"), (S.READY_TO_SHIP,)),
    ("transport", N_("物流运输"), (S.SHIPPED,)),
]
PHASE_OF_STATUS = {status: code for code, _label, statuses in PHASES for status in statuses}
PHASE_LABEL = {code: label for code, label, _statuses in PHASES}
NOT_COUNTED = (S.REJECTED, S.CANCELLED)
SCORES = (1, 2, 3, 4, 5)
DAY = 86400


def month_bounds(month: date) -> tuple[datetime, datetime]:
    """The month's first moment and the next month's, in Shanghai."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return (datetime.combine(first, time.min, tzinfo=SHANGHAI), datetime.combine(following, time.min, tzinfo=SHANGHAI))


# On PostgreSQL, for the review's statements only (SET LOCAL: until the transaction ends): the default
# random_page_cost (4, for spinning disks) makes the planner read all 2,000,000 order lines and 860,000 visits
# rather than the month's 20,000 orders' rows by index (300 ms each instead of 40-90 at 1,000,000 orders), JIT
# compilation costs more than these statements take, and their sorts fit in memory at 64 MB (bench/review.py).
REPORT_SETTINGS = {"random_page_cost": "1.1", "jit": "off", "work_mem": "64MB"}


def team_orders_q(teams) -> Q:
    """The orders of ``teams`` (team ids): owned or entered by one of their members, as a sales manager sees
    them (orders.access); a subquery on the order's own columns, so it never multiplies rows."""
    members = User.objects.filter(team_id__in=list(teams)).values("pk")
    return Q(owner_id__in=members) | Q(entered_by_id__in=members)


def review_figures(month: date, teams=None) -> dict:
    """All figures of the month's review, JSON-serialisable (see the module docstring for what each means);
    ``teams`` (team ids) limits every figure to those teams' orders, None is the whole company.

    Eight queries, each aggregating in the database, whatever the number of orders: the month's orders grouped by
    owner and customer (every count and amount, summed up here), the order lines by product, the time in each
    phase (only the ranks the median and 90th percentile need), tickets, risks and deadlines by type, and for
    回款 the instalments with what they had received, and the payment events, each by owner and customer; on PostgreSQL one
    more before them that sets REPORT_SETTINGS for the transaction."""
    if connection.vendor != "postgresql":
        return _figures(month, teams)
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join("set_config(%s, %s, true)" for _setting in REPORT_SETTINGS),
                       [value for pair in REPORT_SETTINGS.items() for value in pair])
        return _figures(month, teams)


def _scoped(queryset, scope: Q | None, path: str = "order"):
    """``queryset`` limited to the orders of the scope (None: unchanged, the company's statement as before)."""
    if scope is None:
        return queryset
    if not path:
        return queryset.filter(scope)
    return queryset.filter(**{f"{path}__in": SalesOrder.objects.filter(scope).values("pk")})


def _figures(month: date, teams=None) -> dict:
    first = month.replace(day=1)
    start, end = month_bounds(first)
    scope = None if teams is None else team_orders_q(teams)

    groups = _order_groups(start, end, scope)
    counted = [key for key in (groups[0] if groups else ()) if not key.endswith("_id") and "__" not in key]
    counts = defaultdict(int, {key: sum(group[key] or 0 for group in groups) for key in counted})
    in_time = Q(first_response_at__isnull=False, first_response_at__lte=F("opened_at") + timedelta(hours=RESPONSE_HOURS))
    ticket_rows = list(_feedback_scoped(Ticket.objects.filter(opened_at__gte=start, opened_at__lt=end), teams, scope)
                       .order_by()  # no ordering in GROUP BY
                       .values("ticket_type").annotate(n=Count("id"), without_order=Count("id", filter=Q(order__isnull=True)),
                                                       in_time=Count("id", filter=in_time),
                                                       closed=Count("id", filter=Q(closed_at__isnull=False))))
    tickets = {row["ticket_type"]: row["n"] for row in ticket_rows}
    risks = dict(_scoped(Risk.objects.filter(raised_at__gte=start, raised_at__lt=end), scope).order_by()
                 .values("risk_type").annotate(n=Count("id")).values_list("risk_type", "n"))

    phases = _phases(start, end, scope)
    return {
        "month": first.strftime("%Y-%m"),
        "computed_at": clock.now().astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "orders": {
            "count": counts["orders"],
            "amount": _money(counts["amount"]),
            "rejected": counts["rejected"],
            "cancelled": counts["cancelled"],
            "imported": counts["imported"],
        },
        "delivery": _delivery(counts),
        "satisfaction": _satisfaction(counts),
        "tickets": _counts(tickets, TicketType),
        "feedback": _feedback(ticket_rows),
        "deadlines": _deadlines(start, end, scope),
        "phases": phases,
        "bottleneck": _bottleneck(phases),
        "delay_reasons": _counts(risks, RiskType),
        "by_owner": _breakdown(groups, "owner_id", lambda g: g["owner__display_name"] or g["owner__username"]),
        "by_customer": _breakdown(groups, "customer_id", lambda g: g["customer__name"]),
        "by_product": _by_product(start, end, scope),
        "money": _money_figures(start, end, scope, groups),
    }


def _feedback_scoped(queryset, teams, scope: Q | None):
    """Tickets limited to the teams' (None: unchanged): those of the scope's orders, and the feedback without an
    order of the customers a member owns or recorded by a member."""
    if scope is None:
        return queryset
    members = User.objects.filter(team_id__in=list(teams)).values("pk")
    return queryset.filter(Q(order__in=SalesOrder.objects.filter(scope).values("pk"))
                           | Q(order__isnull=True) & (Q(customer__owner_id__in=members) | Q(opened_by_id__in=members)))


def _feedback(rows: list[dict]) -> dict:
    """客户反馈处理: the month's feedback, without an order, answered in time and closed (see the docstring)."""
    total = sum(row["n"] for row in rows)
    in_time, closed = sum(row["in_time"] for row in rows), sum(row["closed"] for row in rows)
    return {"total": total, "without_order": sum(row["without_order"] for row in rows),
            "responded_in_time": in_time, "response_rate": _rate(in_time, total),
            "closed": closed, "closure_rate": _rate(closed, total)}


def _order_groups(start: datetime, end: datetime, scope: Q | None = None) -> list[dict]:
    """The orders taken or delivered in the month, counted per (owner, customer): one row per pair."""
    ordered = Q(order_date__gte=start.date(), order_date__lt=end.date())
    counted = ordered & ~Q(status__in=NOT_COUNTED)
    # delivered in the month; not an order brought in as delivered (上线导入 at 已交付): it was delivered before
    # going live, on a day orderloop does not know, and counted there it would make the month late and its sales large
    delivered = Q(delivered_at__gte=start, delivered_at__lt=end) & (Q(imported_at__isnull=True) | ~Q(delivered_at=F("imported_at")))
    due = Coalesce("promised_date", "requested_date")
    dated = delivered & (Q(promised_date__isnull=False) | Q(requested_date__isnull=False))
    on_time = dated & Q(LessThanOrEqual(TruncDate("delivered_at", tzinfo=SHANGHAI), due))
    rated = delivered & Q(visit__satisfaction__gt=0)  # a score of 0 (none) is not a rating
    return list(
        _scoped(SalesOrder.objects.filter(ordered | delivered), scope, path="").order_by()
        .values("owner_id", "owner__display_name", "owner__username", "customer_id", "customer__name")
        .annotate(orders=Count("id", filter=counted), amount=Sum("total_amount", filter=counted),
                  rejected=Count("id", filter=ordered & Q(status=S.REJECTED)),
                  cancelled=Count("id", filter=ordered & Q(status=S.CANCELLED)),
                  imported=Count("id", filter=counted & Q(imported_at__isnull=False)),
                  delivered=Count("id", filter=delivered), delivered_amount=Sum("total_amount", filter=delivered),
                  delivered_imported=Count("id", filter=delivered & Q(imported_at__isnull=False)),
                  dated=Count("id", filter=dated),
                  on_time=Count("id", filter=on_time), rated=Count("id", filter=rated),
                  score_sum=Sum("visit__satisfaction", filter=rated),
                  **{f"score_{score}": Count("id", filter=delivered & Q(visit__satisfaction=score)) for score in SCORES}))


def _rate(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return _one_decimal(Decimal(part) * 100 / Decimal(whole))


def _one_decimal(value) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _money(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _delivery(counts: dict) -> dict:
    on_time, late = counts["on_time"], counts["dated"] - counts["on_time"]
    return {"delivered": counts["delivered"], "on_time": on_time, "late": late,
            "no_date": counts["delivered"] - counts["dated"], "on_time_rate": _rate(on_time, on_time + late),
            "imported": counts["delivered_imported"]}


def _satisfaction(counts: dict) -> dict:
    rated = counts["rated"]
    return {
        "rated": rated,
        "average": _one_decimal(Decimal(counts["score_sum"]) / rated) if rated else None,
        "distribution": [{"score": score, "count": counts[f"score_{score}"]} for score in SCORES],
    }


def _counts(by_code: dict, choices) -> dict:
    """Counts by a choice, most first (ties in the choices' order), only the ones that occurred."""
    order = {code: index for index, code in enumerate(choices.values)}
    rows = sorted(((code, n) for code, n in by_code.items() if n), key=lambda item: (-item[1], order.get(item[0], 99)))
    return {"total": sum(by_code.values()),
            "by_type": [{"type": code, "label": _label(choices, code), "count": n} for code, n in rows]}


def _label(choices, code: str) -> str:
    return str(choices(code).label) if code in choices.values else code


def _deadlines(start: datetime, end: datetime, scope: Q | None = None) -> list[dict]:
    met = Q(breached_at__isnull=True, met_at__isnull=False, met_at__lte=F("due_at"))
    tally = {row["kind"]: (row["on_time"], row["total"] - row["on_time"]) for row in
             _scoped(OrderTimer.objects.filter(due_at__gte=start, due_at__lt=end), scope)
             .filter(Q(met_at__isnull=False) | Q(breached_at__isnull=False)).order_by()
             .values("kind").annotate(on_time=Count("id", filter=met), total=Count("id"))}
    return [{"kind": kind, "label": _label(TimerKind, kind), "on_time": tally[kind][0], "breached": tally[kind][1],
             "rate": _rate(tally[kind][0], sum(tally[kind]))}
            for kind in TimerKind.values if kind in tally]


# One order's microseconds in phase {k}, exactly: on PostgreSQL the intervals are summed and converted once, on
# SQLite each visit's whole seconds plus the stored fraction.
PHASE_MICROSECONDS = {
    "postgresql": "CAST(EXTRACT(EPOCH FROM SUM(CASE WHEN phase = {k} THEN left_at - occurred_at END)) * 1000000 AS BIGINT)",
    "sqlite": "CAST(SUM(CASE WHEN phase = {k} THEN ROUND(((CAST(strftime('%%s', left_at) AS INTEGER)"
              " - CAST(strftime('%%s', occurred_at) AS INTEGER)) + (CAST(substr(left_at, 20) AS REAL)"
              " - CAST(substr(occurred_at, 20) AS REAL))) * 1000000) END) AS INTEGER)",
}
# The time in each phase of each order delivered in the month (one row per order, one column per phase, NULL if
# it never passed through it), then per phase how many orders (n{k}) and each order's rank (r{k}, from 0); only
# the rows at the ranks the median and the 90th percentile need come back: n/2 - 1, n/2, floor((n-1)·0.9) and
# the next. Integers throughout, the events grouped in the order the window function leaves them.
PHASE_SQL = """
SELECT {columns} FROM (
  SELECT {ranks}
  FROM (
    SELECT order_id, {sums}
    FROM (
      SELECT e.order_id, {phase} AS phase, e.occurred_at,
             LEAD(e.occurred_at) OVER (PARTITION BY e.order_id ORDER BY e.occurred_at, e.id) AS left_at
      FROM {event} e JOIN {order} o ON o.id = e.order_id
      WHERE o.delivered_at >= %s AND o.delivered_at < %s AND e.to_status <> e.from_status
        AND e.type <> '{imported}'{scope}
    ) visits
    WHERE left_at IS NOT NULL AND phase IS NOT NULL
    GROUP BY order_id
  ) per_order
) ranked
WHERE {wanted}
"""


def _phase_sql(vendor: str, scope_sql: str = "") -> str:
    """PHASE_SQL for the database, ``scope_sql`` a condition on the order ``o`` (empty: every order)."""
    position = {code: index for index, (code, _label, _statuses) in enumerate(PHASES)}
    phases = range(len(PHASES))
    quote = connection.ops.quote_name
    return PHASE_SQL.format(
        columns=", ".join(f"n{k}, r{k}, p{k}" for k in phases),
        ranks=", ".join(f"p{k}, COUNT(p{k}) OVER () AS n{k}, ROW_NUMBER() OVER (ORDER BY p{k} NULLS LAST) - 1 AS r{k}"
                        for k in phases),
        sums=", ".join(PHASE_MICROSECONDS[vendor].format(k=k) + f" AS p{k}" for k in phases),
        phase="CASE e.to_status " + " ".join(f"WHEN '{status}' THEN {position[code]}"
                                             for status, code in PHASE_OF_STATUS.items()) + " END",
        event=quote(OrderEvent._meta.db_table), order=quote(SalesOrder._meta.db_table),
        scope=scope_sql, imported=EventType.IMPORTED.value,
        wanted=" OR ".join(f"r{k} IN (n{k} / 2 - 1, n{k} / 2, (n{k} - 1) * 9 / 10, (n{k} - 1) * 9 / 10 + 1)"
                           for k in phases))


def _phases(start: datetime, end: datetime, scope: Q | None = None) -> list[dict]:
    """Median and 90th percentile of the days each order delivered in the month spent in each phase.

    The database sums each order's time per phase (the time in a status runs until the next status-changing
    event) and returns, per phase, how many orders and the sums at the ranks the two percentiles need; the
    interpolation is done here as statistics.median and _percentile do it on the whole sorted list."""
    sizes = [0] * len(PHASES)
    ranked: list[dict[int, float]] = [{} for _phase in PHASES]
    scope_sql, scope_params = _scope_sql(scope, "o.id")
    with connection.cursor() as cursor:
        cursor.execute(_phase_sql(connection.vendor, scope_sql),
                       [connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end),
                        *scope_params])
        for row in cursor.fetchall():
            for k in range(len(PHASES)):
                n, rank, micros = row[3 * k:3 * k + 3]
                sizes[k] = n
                if micros is not None:
                    ranked[k][rank] = micros / 1_000_000 / DAY
    rows = []
    for k, (code, label, _statuses) in enumerate(PHASES):
        n, days = sizes[k], ranked[k]
        rows.append({"phase": code, "label": _(label), "orders": n,
                     "median_days": _one_decimal(_median(days, n)) if n else None,
                     "p90_days": _one_decimal(_percentile(days, n, 0.9)) if n else None})
    return rows


def _median(ordered: dict[int, float], n: int) -> float:
    """statistics.median of n sorted values, given the ones at the middle ranks."""
    if n % 2:
        return ordered[n // 2]
    return (ordered[n // 2 - 1] + ordered[n // 2]) / 2


def _percentile(ordered: dict[int, float], n: int, share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default), given the values at those ranks."""
    position = (n - 1) * share
    low = int(position)
    high = min(low + 1, n - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


BOTTLENECK_FACTOR = 1.5  # how far above the other phases a phase must be to be named the bottleneck


def _bottleneck(phases: list[dict]) -> dict | None:
    """The phase that stands out: the largest median (a tie goes to the larger 90th percentile), named only when it
    is above zero and at least BOTTLENECK_FACTOR times the median of the other measured phases' medians (alone:
    above zero). None when every phase took about as long, or no time at all."""
    measured = [p for p in phases if p["median_days"] is not None]
    if not measured:
        return None
    slowest = max(measured, key=lambda p: (p["median_days"], p["p90_days"]))  # max keeps the first of equals
    others = sorted(p["median_days"] for p in measured if p is not slowest)
    if slowest["median_days"] <= 0:
        return None
    if others:
        middle = len(others) // 2
        typical = others[middle] if len(others) % 2 else (others[middle - 1] + others[middle]) / 2
        if slowest["median_days"] < BOTTLENECK_FACTOR * typical:
            return None
    return {key: slowest[key] for key in ("phase", "label", "median_days", "p90_days")}


def _breakdown(groups: list[dict], key: str, name) -> list[dict]:
    rows: dict[int, dict] = {}
    for group in groups:
        if not group["orders"] and not group["delivered"]:  # only rejected or cancelled orders
            continue
        entry = rows.setdefault(group[key], {"name": name(group), "orders": 0, "amount": Decimal("0"), "delivered": 0,
                                             "on_time": 0, "_dated": 0})
        entry["orders"] += group["orders"]
        entry["amount"] += group["amount"] or 0
        entry["delivered"] += group["delivered"]
        entry["on_time"] += group["on_time"]
        entry["_dated"] += group["dated"]
    result = []
    for entry in sorted(rows.values(), key=lambda e: (-e["amount"], -e["delivered"], e["name"])):
        dated = entry.pop("_dated")
        result.append({**entry, "amount": _money(entry["amount"]), "on_time_rate": _rate(entry["on_time"], dated)})
    return result


def _by_product(start: datetime, end: datetime, scope: Q | None = None) -> list[dict]:
    lines = (_scoped(OrderLine.objects.filter(order__order_date__gte=start.date(), order__order_date__lt=end.date()), scope)
             .exclude(order__status__in=NOT_COUNTED).order_by()
             .values("product_id").annotate(product=Min("product_name"), model=Min("model"),
                                            orders=Count("order_id", distinct=True),
                                            quantity=Sum("quantity"), amount=Sum("amount")))
    result = []
    for entry in sorted(lines, key=lambda e: (-e["amount"], e["product"], e["model"])):
        result.append({"product": entry["product"], "model": entry["model"], "quantity": f"{entry['quantity'].normalize():f}",
                       "amount": _money(entry["amount"]), "orders": entry["orders"]})
    return result


MONEY_SUMS = ("due", "received", "past_due", "past_due_received", "past_due_written_off", "receivable",
              "receivable_received", "receivable_written_off", "sales")
MONEY_COUNTS = ("waived", "written_off")


# 回款's instalments, one row per owner and customer (the order's, kept on each instalment). The inner query reads
# the instalments due in the month and those not settled by its end (settled_on, see finance.Instalment), of
# orders delivered by then unless due by then (the order read for those rows alone: a value, not an EXISTS, which
# PostgreSQL would answer by hashing every order delivered by then), each with what it had received by the
# month's end: all it has when
# its latest 到账日期 (last_received_on) is before the following month, else the sum of its allocations from the
# receipts in by then; the fence (OFFSET 0) keeps that sum from being computed once per figure. The names are
# joined to the groups.
MONEY_SQL = """
SELECT g.owner_id, g.customer_id, u.display_name, u.username, c.name, {sums}
FROM (
  SELECT i.owner_id, i.customer_id, {inner_sums}
  FROM (
    SELECT i.owner_id, i.customer_id, i.amount, i.due_date,
           CASE WHEN i.written_off_at < %(end)s THEN i.written_off ELSE 0 END AS off,
           CASE WHEN i.received = 0 OR i.last_received_on < %(following)s THEN i.received
                ELSE COALESCE((SELECT SUM(a.amount) FROM {allocation} a JOIN {receipt} r ON r.id = a.receipt_id
                               WHERE a.instalment_id = i.id AND r.received_on < %(following)s), 0) END AS got
    FROM {instalment} i
    WHERE i.created_at < %(end)s
      AND ((i.due_date >= %(first)s AND i.due_date < %(following)s) OR i.settled_on IS NULL OR i.settled_on >= %(following)s)
      AND (i.due_date < %(following)s OR (SELECT o.delivered_at FROM {order} o WHERE o.id = i.order_id) < %(end)s){scope}
    {fence}
  ) i
  GROUP BY i.owner_id, i.customer_id
) g
LEFT JOIN {user} u ON u.id = g.owner_id
LEFT JOIN {customer} c ON c.id = g.customer_id
"""
# what each figure sums, of the instalment ``i`` (see the module docstring)
MONEY_TERMS = {
    "due": "CASE WHEN i.due_date >= %(first)s AND i.due_date < %(following)s THEN i.amount ELSE 0 END",
    "received": "CASE WHEN i.due_date >= %(first)s AND i.due_date < %(following)s THEN i.got ELSE 0 END",
    "past_due": "CASE WHEN i.due_date < %(following)s THEN i.amount ELSE 0 END",
    "past_due_received": "CASE WHEN i.due_date < %(following)s THEN i.got ELSE 0 END",
    "past_due_written_off": "CASE WHEN i.due_date < %(following)s THEN i.off ELSE 0 END",
    "receivable": "i.amount",
    "receivable_received": "i.got",
    "receivable_written_off": "i.off",
}


def _money_sql(vendor: str, scope_sql: str) -> str:
    quote = connection.ops.quote_name
    return MONEY_SQL.format(
        sums=", ".join(f"g.{name}" for name in MONEY_TERMS),
        inner_sums=", ".join(f"SUM({term}) AS {name}" for name, term in MONEY_TERMS.items()),
        fence="OFFSET 0" if vendor == "postgresql" else "LIMIT -1 OFFSET 0",
        scope=scope_sql,
        instalment=quote(Instalment._meta.db_table), allocation=quote(Allocation._meta.db_table),
        receipt=quote(Receipt._meta.db_table), order=quote(SalesOrder._meta.db_table),
        user=quote(User._meta.db_table), customer=quote(Customer._meta.db_table))


def _scope_sql(scope: Q | None, order_id: str) -> tuple[str, tuple]:
    """The scope as a condition on the order id ``order_id`` of a hand-written statement (the scope's orders as a
    subquery of the same statement), and its parameters."""
    if scope is None:
        return "", ()
    try:
        sql, params = SalesOrder.objects.filter(scope).values("pk").query.sql_with_params()
    except EmptyResultSet:  # no teams (a manager of none): no order is in the scope
        return " AND 1 = 0", ()
    return f" AND {order_id} IN ({sql})", params


def _named_to_positional(sql: str, values: dict, positional) -> tuple[str, list]:
    """``sql`` with its %(name)s markers made %s, and the parameters in the order of the markers: the named ones
    from ``values``, the plain %s ones (a scope's subquery) from ``positional`` in turn."""
    params, rest = [], iter(positional)

    def marker(match):
        if match.group(0) == "%%":
            return "%%"
        params.append(values[match.group(1)] if match.group(1) else next(rest))
        return "%s"

    return re.sub(r"%\((\w+)\)s|%s|%%", marker, sql), params


def _fen(value) -> Decimal:
    """A sum as the database gives it, to the fen (SQLite sums decimals as floating point)."""
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _money_figures(start: datetime, end: datetime, scope: Q | None, groups: list[dict]) -> dict:
    """回款 (see the module docstring): two queries — the instalments due in the month or owed at its end, with
    what they had received by then (``MONEY_SQL``), and the month's 付款放行 and 尾款核销 events — each grouped by
    owner and customer; the delivered sales come from the order groups (``groups``). An instalment settled before
    the following month added as much to what was owed as to what was received and written off by then: of those
    only the ones due in the month are read, not the whole history."""
    first, following = start.date(), end.date()
    rows: dict[tuple, dict] = {}

    def entry(owner_id, customer_id, display_name, username, customer_name) -> dict:
        found = rows.get((owner_id, customer_id))
        if found is None:
            found = rows[owner_id, customer_id] = {"owner_id": owner_id, "customer_id": customer_id,
                                                   "owner": display_name or username, "customer": customer_name,
                                                   **_MONEY_ZERO}
        return found

    scope_sql, scope_params = _scope_sql(scope, "i.order_id")
    ops = connection.ops
    values = {"first": ops.adapt_datefield_value(first), "following": ops.adapt_datefield_value(following),
              "end": ops.adapt_datetimefield_value(end)}
    sql, params = _named_to_positional(_money_sql(connection.vendor, scope_sql), values, scope_params)
    # PostgreSQL sums the numeric amounts exactly, as Decimal: only SQLite's floating-point sums are converted
    exact = connection.vendor == "postgresql"
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        for owner_id, customer_id, display_name, username, customer_name, *sums in cursor.fetchall():
            found = entry(owner_id, customer_id, display_name, username, customer_name)
            for name, value in zip(MONEY_TERMS, sums, strict=True):
                found[name] += value if exact else _fen(value)
    order = "order__"
    events = OrderEvent.objects.filter(type__in=[EventType.PAYMENT_WAIVED, EventType.WRITTEN_OFF],
                                       occurred_at__gte=start, occurred_at__lt=end)
    for row in (_scoped(events, scope).order_by()
                .values_list(*(f"{order}{name}" for name in ("owner_id", "customer_id", "owner__display_name",
                                                              "owner__username", "customer__name")))
                .annotate(waived=Count("id", filter=Q(type=EventType.PAYMENT_WAIVED)),
                          written_off=Count("id", filter=Q(type=EventType.WRITTEN_OFF)))):
        found = entry(*row[:5])
        found["waived"] += row[5]
        found["written_off"] += row[6]
    for group in groups:
        if group["delivered_amount"]:
            found = entry(group["owner_id"], group["customer_id"], group["owner__display_name"],
                          group["owner__username"], group["customer__name"])
            found["sales"] += group["delivered_amount"]
    days = (following - first).days
    whole = _money_total(rows.values(), lambda row: "", lambda row: "").get("", {"name": "", **_MONEY_ZERO})
    everything = _money_row(whole, days)
    return {**{key: value for key, value in everything.items() if key != "name"}, "days": days,
            "by_owner": _money_breakdown(rows.values(), "owner_id", "owner", days),
            "by_customer": _money_breakdown(rows.values(), "customer_id", "customer", days)}


_MONEY_ZERO = {**dict.fromkeys(MONEY_SUMS, Decimal("0")), **dict.fromkeys(MONEY_COUNTS, 0)}


def _money_total(rows, key, name) -> dict:
    """The rows' 回款 sums and counts added up per ``key(row)``, each total named ``name`` of its first row."""
    totals: dict = {}
    for row in rows:
        total = totals.get(key(row))
        if total is None:
            total = totals[key(row)] = {"name": name(row), **_MONEY_ZERO}
        for figure in _MONEY_ZERO:
            total[figure] += row[figure]
    return totals


def _money_row(total: dict, days: int) -> dict:
    """The 回款 figures of one total of _money_total."""
    receivables = total["receivable"] - total["receivable_received"] - total["receivable_written_off"]
    return {
        "name": total["name"], "due": _money(total["due"]), "received": _money(total["received"]),
        "collection_rate": _rate(total["received"], total["due"]) if total["due"] else None,
        "overdue": _money(total["past_due"] - total["past_due_received"] - total["past_due_written_off"]),
        "receivables": _money(receivables), "sales": _money(total["sales"]),
        "dso": _one_decimal(receivables * days / total["sales"]) if total["sales"] else None,
        "waived": total["waived"], "written_off": total["written_off"],
    }


def _money_breakdown(rows, key: str, name: str, days: int) -> list[dict]:
    """The 回款 figures per owner or per customer: only those with something due, owed, sold or released, the
    most overdue first (every amount is to the fen: compared as it is shown)."""
    ranked = []
    for total in _money_total(rows, lambda row: row[key], lambda row: row[name]).values():
        overdue = total["past_due"] - total["past_due_received"] - total["past_due_written_off"]
        receivables = total["receivable"] - total["receivable_received"] - total["receivable_written_off"]
        if (total["due"] or total["received"] or overdue or receivables or total["sales"] or total["waived"]
                or total["written_off"]):
            ranked.append(((-overdue, -receivables, -total["due"], total["name"]), total))
    ranked.sort(key=lambda item: item[0])
    return [_money_row(total, days) for _rank, total in ranked]


def relabel(figures: dict) -> dict:
    """The figures with their labels in the active language (frozen figures keep codes; labels follow the reader)."""
    figures = {**figures}
    for group, choices in (("tickets", TicketType), ("delay_reasons", RiskType)):
        figures[group] = {**figures[group], "by_type": [{**row, "label": _label(choices, row["type"])}
                                                        for row in figures[group]["by_type"]]}
    figures["deadlines"] = [{**row, "label": _label(TimerKind, row["kind"])} for row in figures["deadlines"]]
    figures["phases"] = [{**row, "label": _(PHASE_LABEL[row["phase"]])} for row in figures["phases"]]
    if figures.get("bottleneck"):
        figures["bottleneck"] = {**figures["bottleneck"], "label": _(PHASE_LABEL[figures["bottleneck"]["phase"]])}
    return figures
