"""Finance's reads of money coming in: the queue of open instalments (待收款) with the ones holding an order first,
a customer's open instalments (what a receipt may be allocated to), the receipts (回款) with what is left of each,
and a customer's balance. Who sees what: the instalments of the orders a user sees (``orders.access``), the
receipts of the customers a user sees (``masterdata.services.customers_visible_to``)."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import BooleanField, Case, F, Prefetch, Q, Sum, Value, When

from orderloop.core.money import yuan
from orderloop.finance.gates import holding_q
from orderloop.finance.models import Allocation, Instalment, Receipt
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.access import visible_orders_q
from orderloop.orders.payments import condition_text

ZERO = Decimal("0.00")


def instalments_visible(user, queryset=None):
    """The instalments of the orders ``user`` may see."""
    queryset = Instalment.objects.all() if queryset is None else queryset
    q = visible_orders_q(user)
    if q is None:
        return queryset
    from orderloop.orders.models import SalesOrder

    return queryset.filter(order_id__in=SalesOrder.objects.filter(q).values("pk"))


def collection_queue(user, *, customer_id: int | None = None, q: str = "", open_only: bool = True):
    """待收款: the open instalments ``user`` sees, each marked ``holds`` when it holds its order (a deposit holding
    开始备货/生产, a payment due before shipment holding 发货); those first, then by due date (undated last) and
    order number."""
    rows = instalments_visible(user, Instalment.objects.select_related("order", "order__customer"))
    if open_only:
        rows = rows.filter(is_open=True)
    if customer_id is not None:
        rows = rows.filter(order__customer_id=customer_id)
    if q:
        rows = rows.filter(Q(order__number__icontains=q) | Q(order__customer__name__icontains=q))
    rows = rows.annotate(holds=Case(When(holding_q(), then=Value(True)), default=Value(False),
                                    output_field=BooleanField()))
    return rows.order_by("-holds", F("due_date").asc(nulls_last=True), "order__number", "number")


def condition_of(row: Instalment) -> str:
    """The instalment's trigger in words: 确认订单时, 到货后60天 …"""
    return condition_text({"trigger": row.trigger, "days": row.days, "working_days": row.working_days,
                           "date": row.fixed_date.isoformat() if row.fixed_date else None})


@dataclass(frozen=True)
class OpenItem:
    """One open instalment as finance reads it."""
    instalment: Instalment
    condition: str
    holds: bool

    @property
    def order(self):
        return self.instalment.order

    @property
    def outstanding(self) -> Decimal:
        return self.instalment.outstanding

    @property
    def overdue(self) -> bool:
        from orderloop.core import clock

        due = self.instalment.due_date
        return due is not None and due < clock.today()


def open_items(rows) -> list[OpenItem]:
    return [OpenItem(row, condition_of(row), bool(getattr(row, "holds", False))) for row in rows]


def customer_open_items(customer_id: int, user=None, *, first: int | None = None) -> list[OpenItem]:
    """The customer's open instalments (what a receipt of theirs may pay), holding ones first; ``first`` (an
    instalment's id) at the top."""
    rows = collection_queue(user, customer_id=customer_id) if user is not None else \
        Instalment.objects.filter(order__customer_id=customer_id, is_open=True).select_related("order", "order__customer")
    items = open_items(rows)
    if first is not None:
        items.sort(key=lambda item: item.instalment.pk != first)
    return items


def receipts_visible(user, queryset=None):
    """The receipts of the customers ``user`` may see."""
    queryset = Receipt.objects.all() if queryset is None else queryset
    return queryset.filter(customer__in=customers_visible_to(user))


def receipt_list(user, *, customer_id: int | None = None, q: str = "", unallocated_only: bool = False,
                 date_from: date | None = None, date_to: date | None = None):
    """The receipts ``user`` sees, newest first: filtered by customer, a search (payer, customer, bank reference),
    what is left to allocate, and the date received."""
    rows = receipts_visible(user, Receipt.objects.select_related("customer", "recorded_by", "statement"))
    if customer_id is not None:
        rows = rows.filter(customer_id=customer_id)
    if q:
        rows = rows.filter(Q(payer__icontains=q) | Q(customer__name__icontains=q) | Q(bank_reference__icontains=q))
    if unallocated_only:
        rows = rows.filter(allocated__lt=F("amount"))
    if date_from:
        rows = rows.filter(received_on__gte=date_from)
    if date_to:
        rows = rows.filter(received_on__lte=date_to)
    return rows.order_by("-received_on", "-id")


def _allocations():
    return Allocation.objects.select_related("instalment", "instalment__order", "allocated_by").order_by("allocated_at", "id")


def with_allocations(receipts):
    """``receipts`` with their allocations fetched in one statement for the lot (``receipt_allocations``)."""
    return receipts.prefetch_related(Prefetch("allocations", queryset=_allocations(), to_attr="allocation_rows"))


def receipt_allocations(receipt) -> list:
    rows = getattr(receipt, "allocation_rows", None)  # fetched with the page's receipts (with_allocations)
    return rows if rows is not None else list(_allocations().filter(receipt=receipt))


@dataclass(frozen=True)
class Balance:
    """A customer's money with us: received, allocated, the rest (预收余额), and what their open instalments owe."""
    received: Decimal
    allocated: Decimal
    owed: Decimal

    @property
    def balance(self) -> Decimal:
        return self.received - self.allocated


def customer_money(customer_id: int) -> Balance:
    paid = Receipt.objects.filter(customer_id=customer_id).aggregate(received=Sum("amount"), allocated=Sum("allocated"))
    owed = Instalment.objects.filter(order__customer_id=customer_id, is_open=True).aggregate(
        owed=Sum(F("amount") - F("received") - F("written_off")))["owed"]
    return Balance(received=yuan(paid["received"] or ZERO), allocated=yuan(paid["allocated"] or ZERO),
                   owed=yuan(owed or ZERO))  # to the fen: SQLite sums decimals as floating point
