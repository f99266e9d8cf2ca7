"""The figures of the month's 《订单复盘报告》, computed in a fixed number of queries (none per order).

A month is a calendar month in Asia/Shanghai. Definitions:

- 订单数量 / 订单金额: orders whose 下单日期 (``order_date``) falls in the month, rejected and cancelled
  ones left out; how many were rejected (已驳回) and cancelled (已取消) is reported separately.
- 交付准时率: the orders whose 交付时间 (``delivered_at``, as a Shanghai date) falls in the month. One is
  on time when delivered on or before its 承诺交付日期 (``promised_date``, else the requested 交付日期).
  An order with neither date is left out of the rate and counted as 无交付日期.
  Rate = on time / (on time + late) × 100, one decimal (10 delivered, 7 on time → 70.0).
- 客户满意度: the 回访 scores (1–5) of the orders delivered in the month that have one: the average
  (one decimal) and how many gave each score.
- 售后问题类型: the tickets opened (反馈时间) in the month, counted by 反馈类型.
- 期限达成率, per kind of deadline: the deadlines due in the month that were met or breached.
  On time = met no later than its due time and never flagged as breached; otherwise breached.
  Rate = on time / (on time + breached) × 100. Deadlines stopped unmet or still running are left out.
- 各阶段用时: for the orders delivered in the month, from their status timeline. The time in a status is
  the next status-changing event's time minus the time it was entered; the statuses group into phases
  (接收审核: 已接收, 待补充; 审批: 待审批, 待总监审批; 库存确认: 待确认库存, 交期协商中;
  备货生产: 已确认, 备货/生产中; 发货准备: 待发货; 物流运输: 已发货). An order's time in a phase is the
  sum over its visits; orders that never passed through a phase are not in its sample. Per phase:
  median and 90th percentile (linear between the closest ranks), in days, one decimal.
  瓶颈环节 = the phase with the largest median (a tie goes to the larger 90th percentile).
- 延误原因: the risks raised (发现时间) in the month, counted by 风险类型.
- 按销售负责人 / 按客户: the month's orders (as 订单数量) with their amount, plus the orders delivered in
  the month and their on-time rate. 按产品: the month's order lines by product: orders, quantity, amount.

Amounts are strings with two decimals, rates and days are numbers with one decimal (None when there is
nothing to divide by); rounding is half up.
"""
import statistics
from collections import defaultdict
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, F, Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.aftersales.models import Ticket, TicketType
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.orders.models import OrderEvent, OrderLine, OrderTimer, Risk, RiskType, SalesOrder, TimerKind
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


def review_figures(month: date) -> dict:
    """All figures of the month's review, JSON-serialisable (see the module docstring for what each means)."""
    first = month.replace(day=1)
    start, end = month_bounds(first)

    ordered_in_month = SalesOrder.objects.filter(order_date__gte=start.date(), order_date__lt=end.date())
    delivered_in_month = SalesOrder.objects.filter(delivered_at__gte=start, delivered_at__lt=end)
    people = ("owner_id", "owner__display_name", "owner__username", "customer_id", "customer__name")
    month_orders = list(ordered_in_month.values("id", "status", "total_amount", *people))
    counted = [o for o in month_orders if o["status"] not in NOT_COUNTED]
    delivered = list(delivered_in_month.values("id", "delivered_at", "promised_date", "requested_date", "visit__satisfaction",
                                               *people))
    for order in delivered:
        order["on_time"] = _on_time(order)
    lines = list(OrderLine.objects.filter(order__in=ordered_in_month.exclude(status__in=NOT_COUNTED).values("pk"))
                 .values("order_id", "product_id", "product_name", "model", "quantity", "amount"))
    events = list(OrderEvent.objects.filter(order__in=delivered_in_month.values("pk"))
                  .exclude(to_status=F("from_status"))
                  .order_by("order_id", "occurred_at", "id").values("order_id", "to_status", "occurred_at"))
    tickets = dict(Ticket.objects.filter(opened_at__gte=start, opened_at__lt=end).order_by()  # no ordering in GROUP BY
                   .values("ticket_type").annotate(n=Count("id")).values_list("ticket_type", "n"))
    risks = dict(Risk.objects.filter(raised_at__gte=start, raised_at__lt=end).order_by()
                 .values("risk_type").annotate(n=Count("id")).values_list("risk_type", "n"))
    timers = list(OrderTimer.objects.filter(due_at__gte=start, due_at__lt=end)
                  .filter(Q(met_at__isnull=False) | Q(breached_at__isnull=False))
                  .values("kind", "due_at", "met_at", "breached_at"))

    phases = _phases(events)
    return {
        "month": first.strftime("%Y-%m"),
        "computed_at": clock.now().astimezone(SHANGHAI).isoformat(timespec="seconds"),
        "orders": {
            "count": len(counted),
            "amount": _money(sum((o["total_amount"] for o in counted), Decimal("0"))),
            "rejected": sum(1 for o in month_orders if o["status"] == S.REJECTED),
            "cancelled": sum(1 for o in month_orders if o["status"] == S.CANCELLED),
        },
        "delivery": _delivery(delivered),
        "satisfaction": _satisfaction([o["visit__satisfaction"] for o in delivered if o["visit__satisfaction"]]),
        "tickets": _counts(tickets, TicketType),
        "deadlines": _deadlines(timers),
        "phases": phases,
        "bottleneck": _bottleneck(phases),
        "delay_reasons": _counts(risks, RiskType),
        "by_owner": _breakdown(counted, delivered, "owner_id", lambda o: o["owner__display_name"] or o["owner__username"]),
        "by_customer": _breakdown(counted, delivered, "customer_id", lambda o: o["customer__name"]),
        "by_product": _by_product(lines),
    }


def _on_time(order) -> bool | None:
    """On or before the promised date (else the requested one); None without either."""
    due = order["promised_date"] or order["requested_date"]
    if due is None:
        return None
    return order["delivered_at"].astimezone(SHANGHAI).date() <= due


def _rate(part: int, whole: int) -> float | None:
    if not whole:
        return None
    return _one_decimal(Decimal(part) * 100 / Decimal(whole))


def _one_decimal(value) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _money(value) -> str:
    return str(Decimal(value).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP))


def _delivery(delivered: list[dict]) -> dict:
    on_time = sum(1 for o in delivered if o["on_time"] is True)
    late = sum(1 for o in delivered if o["on_time"] is False)
    return {"delivered": len(delivered), "on_time": on_time, "late": late,
            "no_date": sum(1 for o in delivered if o["on_time"] is None), "on_time_rate": _rate(on_time, on_time + late)}


def _satisfaction(scores: list[int]) -> dict:
    return {
        "rated": len(scores),
        "average": _one_decimal(Decimal(sum(scores)) / len(scores)) if scores else None,
        "distribution": [{"score": score, "count": scores.count(score)} for score in SCORES],
    }


def _counts(by_code: dict, choices) -> dict:
    """Counts by a choice, most first (ties in the choices' order), only the ones that occurred."""
    order = {code: index for index, code in enumerate(choices.values)}
    rows = sorted(((code, n) for code, n in by_code.items() if n), key=lambda item: (-item[1], order.get(item[0], 99)))
    return {"total": sum(by_code.values()),
            "by_type": [{"type": code, "label": _label(choices, code), "count": n} for code, n in rows]}


def _label(choices, code: str) -> str:
    return str(choices(code).label) if code in choices.values else code


def _deadlines(timers: list[dict]) -> list[dict]:
    tally = defaultdict(lambda: [0, 0])
    for timer in timers:
        on_time = timer["breached_at"] is None and timer["met_at"] is not None and timer["met_at"] <= timer["due_at"]
        tally[timer["kind"]][0 if on_time else 1] += 1
    return [{"kind": kind, "label": _label(TimerKind, kind), "on_time": tally[kind][0], "breached": tally[kind][1],
             "rate": _rate(tally[kind][0], sum(tally[kind]))}
            for kind in TimerKind.values if kind in tally]


def _phases(events: list[dict]) -> list[dict]:
    """Median and 90th percentile of the days each order spent in each phase."""
    per_order: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    previous = None
    for event in events:  # ordered by order, then time
        if previous is not None and previous["order_id"] == event["order_id"]:
            phase = PHASE_OF_STATUS.get(previous["to_status"])
            if phase:
                per_order[event["order_id"]][phase] += (event["occurred_at"] - previous["occurred_at"]).total_seconds()
        previous = event
    rows = []
    for code, label, _statuses in PHASES:
        days = sorted(spent[code] / DAY for spent in per_order.values() if code in spent)
        rows.append({"phase": code, "label": _(label), "orders": len(days),
                     "median_days": _one_decimal(statistics.median(days)) if days else None,
                     "p90_days": _one_decimal(_percentile(days, 0.9)) if days else None})
    return rows


def _percentile(ordered: list[float], share: float) -> float:
    """Linear interpolation between the closest ranks (numpy's default)."""
    position = (len(ordered) - 1) * share
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def _bottleneck(phases: list[dict]) -> dict | None:
    measured = [p for p in phases if p["median_days"] is not None]
    if not measured:
        return None
    slowest = max(measured, key=lambda p: (p["median_days"], p["p90_days"]))  # max keeps the first of equals
    return {key: slowest[key] for key in ("phase", "label", "median_days", "p90_days")}


def _breakdown(counted: list[dict], delivered: list[dict], key: str, name) -> list[dict]:
    rows: dict[int, dict] = {}

    def row(order):
        return rows.setdefault(order[key], {"name": name(order), "orders": 0, "amount": Decimal("0"), "delivered": 0,
                                            "on_time": 0, "_dated": 0})

    for order in counted:
        entry = row(order)
        entry["orders"] += 1
        entry["amount"] += order["total_amount"]
    for order in delivered:
        entry = row(order)
        entry["delivered"] += 1
        if order["on_time"] is not None:
            entry["_dated"] += 1
            entry["on_time"] += 1 if order["on_time"] else 0
    result = []
    for entry in sorted(rows.values(), key=lambda e: (-e["amount"], -e["delivered"], e["name"])):
        dated = entry.pop("_dated")
        result.append({**entry, "amount": _money(entry["amount"]), "on_time_rate": _rate(entry["on_time"], dated)})
    return result


def _by_product(lines: list[dict]) -> list[dict]:
    rows: dict[int, dict] = {}
    for line in lines:
        entry = rows.setdefault(line["product_id"], {"product": line["product_name"], "model": line["model"],
                                                     "_orders": set(), "quantity": Decimal("0"), "amount": Decimal("0")})
        entry["_orders"].add(line["order_id"])
        entry["quantity"] += line["quantity"]
        entry["amount"] += line["amount"]
    result = []
    for entry in sorted(rows.values(), key=lambda e: (-e["amount"], e["product"], e["model"])):
        orders = entry.pop("_orders")
        result.append({**entry, "orders": len(orders), "quantity": f"{entry['quantity'].normalize():f}",
                       "amount": _money(entry["amount"])})
    return result


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
