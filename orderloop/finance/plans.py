"""Each order's stored payment plan (付款计划), kept in step with the order inside every lifecycle action.

The plan is stored when the order is confirmed (确认订单: its deposit falls due that day) from what
``orders.payments`` computes of its terms and total. An amendment that changes the total or the terms recomputes
it, instalment by instalment; what was received beyond an instalment's new amount goes back to the customer's
balance (the allocation shrinks, the receipt keeps its money), so no fen is created or lost. Entering 待发货
makes a "before shipment" instalment due, delivery the instalments counted from delivery; an issued invoice those
counted from the invoice (``finance.invoices`` syncs the plan when one is issued or reversed). A rejected or
cancelled order's plan goes, its receipts back to the customer's balance."""
from datetime import date, timedelta
from decimal import Decimal

from orderloop.core.calendar import BusinessCalendar, local
from orderloop.core.prepared import PreparedQuery, insert, update
from orderloop.finance.gates import deposit_hold, shipment_hold
from orderloop.finance.models import Allocation, Instalment, Invoice, InvoiceStatus, Receipt
from orderloop.masterdata.models import Trigger
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.models import has_rows, rows_read
from orderloop.orders.payments import Instalment as PlannedInstalment
from orderloop.orders.payments import PaymentPlan, condition_text, order_term, order_term_name, payment_plan, plan_for

PLANNED = frozenset({S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED, S.CLOSED})
DROPPED = frozenset({S.REJECTED, S.CANCELLED})
# Entering these stores the plan (确认) or dates its instalments (before shipment, on and after delivery).
DATED = frozenset({S.CONFIRMED, S.READY_TO_SHIP, S.DELIVERED})


# Read by every action that stores or dates the plan, and by the order's page: compiled once (core.prepared).
INSTALMENTS = PreparedQuery(Instalment, lambda order_id: Instalment.objects.filter(order_id=order_id).order_by("number"))
_OPEN_INSTALMENTS = PreparedQuery(Instalment, lambda order_id: Instalment.objects.filter(order_id=order_id, is_open=True)
                                  .order_by().only("amount", "received", "written_off"))
# What plan_sync sets on a row (save() would write every column; these are the ones it may have changed).
_SYNCED = ["trigger", "share", "amount", "days", "working_days", "fixed_date", "due_date", "received", "is_open",
           "settled_on"]


def instalments_of(order) -> list[Instalment]:
    return rows_read(order, "instalments", INSTALMENTS)


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
        # counted from the first invoice still standing; none (not yet issued, or reversed): not yet due
        return _counted(invoiced_on, row.days, row.working_days) if invoiced_on else None
    return row.due_date


def _give_back(row: Instalment, excess: Decimal) -> None:
    """Take ``excess`` of what was allocated to ``row`` back to the receipts' balance, latest allocation first."""
    for allocation in Allocation.objects.filter(instalment=row).select_related("receipt").order_by("-allocated_at", "-id"):
        if excess <= 0:
            break
        taken = min(excess, allocation.amount)
        # figures computed here under the receipt's lock, not in SQL (SQLite's arithmetic is floating point)
        receipt = Receipt.objects.select_for_update().get(pk=allocation.receipt_id)
        Receipt.objects.filter(pk=receipt.pk).update(allocated=receipt.allocated - taken)
        if taken == allocation.amount:
            allocation.delete()
        else:
            Allocation.objects.filter(pk=allocation.pk).update(amount=allocation.amount - taken)
        row.received -= taken
        excess -= taken


def _state(row: Instalment) -> tuple:
    return (row.amount, row.due_date, row.trigger, row.share, row.days, row.working_days, row.fixed_date, row.received,
            row.is_open, row.settled_on)


def _moved_later(before: date | None, after: date | None) -> bool:
    """The due date moved later or fell away (an invoice reversed): no longer overdue since the old date."""
    return before != after and (before is None or after is None or after > before)


def plan_sync(order, *, now) -> list[dict]:
    """Store or refresh ``order``'s plan; the changes as [{number, field: [before, after]}] (empty: none)."""
    rows = {row.number: row for row in instalments_of(order)}
    today = local(now).date()
    if order.status in DROPPED or (order.status not in PLANNED and not rows):
        changes = []
        for row in rows.values():
            _give_back(row, row.received)
            changes.append({"instalment": row.number, "amount": [str(row.amount), None]})
            row.delete()
        order.has_instalments = False  # has_rows
        return changes
    term = order_term(order)
    items = term.instalments if term is not None else []
    wanted = plan_for(order.total_amount, term.name, items).instalments if term is not None else []
    invoiced = []  # read once, and only for a term counted from the invoice

    def invoiced_on():
        if not invoiced:
            invoiced.append(first_invoice_date(order))
        return invoiced[0]

    changes = []
    for item, planned in zip(items, wanted, strict=True):
        row = rows.pop(planned.number, None)
        before = None if row is None else _state(row)
        if row is None:
            row = Instalment(order=order, number=planned.number, owner_id=order.owner_id, customer_id=order.customer_id,
                             created_at=now)
        row.trigger, row.share, row.amount = planned.trigger, planned.share, planned.amount
        row.days, row.working_days = int(item.get("days") or 0), bool(item.get("working_days"))
        row.fixed_date = date.fromisoformat(str(item["date"])) if item.get("date") else None
        row.due_date = _due(row, order, today, invoiced_on() if row.trigger == Trigger.DAYS_AFTER_INVOICE else None)
        restarted = before is not None and _moved_later(before[1], row.due_date) and row.escalation_level > 0
        if restarted:
            row.escalation_level = 0  # a new due date: who was told of the old one is told again once it passes
        if row.received + row.written_off > row.amount:
            _give_back(row, row.received + row.written_off - row.amount)
        row.settle(today)
        if before is None:
            insert(row)
        elif before != _state(row):
            update(row, _SYNCED + ["escalation_level"] if restarted else _SYNCED)
        if before is None or before[:2] != (row.amount, row.due_date):
            changes.append({"instalment": row.number, "amount": [before and str(before[0]), str(row.amount)],
                            "due_date": [before and before[1] and before[1].isoformat(),
                                         row.due_date and row.due_date.isoformat()]})
    for row in rows.values():  # the term now has fewer instalments
        _give_back(row, row.received)
        changes.append({"instalment": row.number, "amount": [str(row.amount), None]})
        row.delete()
    order.has_instalments = bool(wanted)  # has_rows: what an order read with it finds from now on
    return changes


def plan_outstanding(order) -> Decimal:
    """What is still owed on ``order``'s plan (neither received nor written off)."""
    if hasattr(order, "open_instalments"):  # fetched with a list of orders (steps.guards)
        rows = order.open_instalments
    else:
        rows = _OPEN_INSTALMENTS.all(order.pk) if has_rows(order, "instalments") else []
    return sum((row.amount - row.received - row.written_off for row in rows), Decimal("0.00"))


def first_invoice_date(order) -> date | None:
    """The date of ``order``'s first invoice still standing: issued and not reversed (a red-letter invoice is
    no invoice to count from, and its reversed blue one no longer is), or None."""
    return (Invoice.objects.filter(order=order, status=InvoiceStatus.ISSUED, red_of__isnull=True)
            .order_by("issued_on", "id").values_list("issued_on", flat=True).first())


def plan_after_action(order, *, source: str, money_changed: bool, now) -> list[dict]:
    """Called by every lifecycle action inside its transaction: the plan is stored on confirmation and kept in
    step when the state, the total or the terms change; nothing is read otherwise."""
    if money_changed and order.status in PLANNED | DROPPED or order.status != source and order.status in DATED | DROPPED:
        return plan_sync(order, now=now)
    return []


def plan_of(order) -> PaymentPlan | None:
    """The order's plan as people read it: the stored one with what came in, once the order is confirmed; before
    that what its terms will give (None when they name no term)."""
    rows = instalments_of(order)
    if not rows:
        return payment_plan(order)
    return PaymentPlan(term=order_term_name(order), stored=True, instalments=[
        PlannedInstalment(number=row.number, trigger=row.trigger, share=row.share, amount=row.amount, due=row.due_date,
                          condition=condition_text({"trigger": row.trigger, "days": row.days,
                                                    "working_days": row.working_days, "date": row.fixed_date}),
                          received=row.received, written_off=row.written_off, waived=row.waived_at is not None,
                          id=row.pk)
        for row in rows])


def payment_hold(order) -> str | None:
    """Which payment holds the order now, in words (the order page says it to everyone), or None."""
    if order.status == S.CONFIRMED:
        return deposit_hold(order)
    if order.status == S.READY_TO_SHIP:
        return shipment_hold(order)
    return None
