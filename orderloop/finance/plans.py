"""Each order's stored payment plan (付款计划), kept in step with the order inside every lifecycle action.

The plan is stored when the order is confirmed (确认订单: its deposit falls due that day) from what
``orders.payments`` computes of its terms and total. An amendment that changes the total or the terms recomputes
it, instalment by instalment; what was received beyond an instalment's new amount goes back to the customer's
balance (the allocation shrinks, the receipt keeps its money), so no fen is created or lost. Entering 待发货
makes a "before shipment" instalment due, delivery the instalments counted from delivery; an issued invoice those
counted from the invoice (``set_invoice_dates``). A rejected or cancelled order's plan goes, its receipts back to
the customer's balance."""
from datetime import date, timedelta
from decimal import Decimal

from django.db.models import F

from orderloop.core.calendar import BusinessCalendar, local
from orderloop.finance.models import Allocation, Instalment, Receipt
from orderloop.masterdata.models import Trigger
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.payments import order_term, plan_for

PLANNED = frozenset({S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED, S.CLOSED})
DROPPED = frozenset({S.REJECTED, S.CANCELLED})


def instalments_of(order) -> list[Instalment]:
    return list(Instalment.objects.filter(order=order).order_by("number"))


def _counted(start: date, days: int, working: bool) -> date:
    if not working:
        return start + timedelta(days=days)
    calendar, day = BusinessCalendar.load(), start
    for _n in range(days):
        day = calendar.next_working_day(day)
    return day


def _due(row: Instalment, order, today: date, invoiced_on: date | None) -> date | None:
    """When ``row`` falls due, as far as the order's progress tells; the date it already has otherwise."""
    delivered = local(order.delivered_at).date() if order.delivered_at else None
    if row.trigger == Trigger.FIXED_DATE:
        return row.fixed_date
    if row.trigger == Trigger.ON_CONFIRMATION:
        return row.due_date or today
    if row.trigger == Trigger.BEFORE_SHIPMENT:
        return row.due_date or (today if order.status in (S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED, S.CLOSED) else None)
    if row.trigger == Trigger.ON_DELIVERY:
        return delivered
    if row.trigger == Trigger.DAYS_AFTER_DELIVERY:
        return _counted(delivered, row.days, row.working_days) if delivered else None
    if row.trigger == Trigger.DAYS_AFTER_INVOICE:
        return _counted(invoiced_on, row.days, row.working_days) if invoiced_on else row.due_date
    return row.due_date


def _give_back(row: Instalment, excess: Decimal) -> None:
    """Take ``excess`` of what was allocated to ``row`` back to the receipts' balance, latest allocation first."""
    for allocation in Allocation.objects.filter(instalment=row).select_related("receipt").order_by("-allocated_at", "-id"):
        if excess <= 0:
            break
        taken = min(excess, allocation.amount)
        Receipt.objects.filter(pk=allocation.receipt_id).update(allocated=F("allocated") - taken)
        if taken == allocation.amount:
            allocation.delete()
        else:
            Allocation.objects.filter(pk=allocation.pk).update(amount=F("amount") - taken)
        row.received -= taken
        excess -= taken


def _set_open(row: Instalment) -> None:
    row.is_open = row.outstanding > 0


def plan_sync(order, *, now) -> list[dict]:
    """Store or refresh ``order``'s plan; the changes as [{number, field: [before, after]}] (empty: none)."""
    rows = {row.number: row for row in instalments_of(order)}
    today = local(now).date()
    if order.status in DROPPED or (order.status not in PLANNED and not rows):
        changes = []
        for row in rows.values():
            _give_back(row, row.received)
            changes.append({"number": row.number, "amount": [str(row.amount), None]})
            row.delete()
        return changes
    term = order_term(order)
    items = term.instalments if term is not None else []
    wanted = plan_for(order.total_amount, term.name, items).instalments if term is not None else []
    invoiced_on = first_invoice_date(order)
    changes = []
    for item, planned in zip(items, wanted, strict=True):
        row = rows.pop(planned.number, None)
        before = None if row is None else (str(row.amount), row.trigger, row.due_date)
        if row is None:
            row = Instalment(order=order, number=planned.number, created_at=now)
        row.trigger, row.share, row.amount = planned.trigger, planned.share, planned.amount
        row.days, row.working_days = int(item.get("days") or 0), bool(item.get("working_days"))
        row.fixed_date = date.fromisoformat(str(item["date"])) if item.get("date") else None
        row.due_date = _due(row, order, today, invoiced_on)
        if row.received + row.written_off > row.amount:
            _give_back(row, row.received + row.written_off - row.amount)
        _set_open(row)
        row.save()
        after = (str(row.amount), row.trigger, row.due_date)
        if before != after:
            changes.append({"number": row.number, "amount": [before and before[0], after[0]],
                            "due_date": [before and before[2] and before[2].isoformat(), after[2] and after[2].isoformat()]})
    for row in rows.values():  # the term now has fewer instalments
        _give_back(row, row.received)
        changes.append({"number": row.number, "amount": [str(row.amount), None]})
        row.delete()
    return changes


def plan_outstanding(order) -> Decimal:
    """What is still owed on ``order``'s plan (neither received nor written off)."""
    from django.db.models import Sum
    owed = Instalment.objects.filter(order=order, is_open=True).aggregate(
        owed=Sum(F("amount") - F("received") - F("written_off")))["owed"]
    return owed or Decimal("0.00")


def first_invoice_date(order) -> date | None:
    from orderloop.finance.models import Invoice, InvoiceStatus
    return (Invoice.objects.filter(order=order, status=InvoiceStatus.ISSUED, red_of__isnull=True)
            .order_by("issued_on").values_list("issued_on", flat=True).first())


def plan_after_action(order, *, source: str, money_changed: bool, now) -> list[dict]:
    """Called by every lifecycle action inside its transaction: the plan is stored on confirmation and kept in
    step when the state, the total or the terms change; nothing is read otherwise."""
    if order.status == source and not money_changed:
        return []
    if order.status not in PLANNED and order.status not in DROPPED:
        return []
    return plan_sync(order, now=now)
