"""Stock held for order lines (库存预留), the one place it is written: confirming a line as 现货 reserves it,
a cancellation or a short close releases it, a shipment consumes it (on hand and reserved go down together).

Race-safe: every function locks the stock rows it reads (``SELECT … FOR UPDATE``, in primary-key order so two
callers never wait on each other crosswise; on SQLite the write transaction itself serializes), so two orders
cannot both reserve the last unit — the second reads what the first reserved and is refused. Each change of a
level is kept as a ``StockAdjustment`` with its reason. Callers run inside their own transaction (a lifecycle
action's); a refusal raises before anything is written. No savepoint of their own (two statements each on the
lifecycle's path): nobody goes on after one of them fails, the caller's whole transaction rolls back. Releasing and
consuming read the reservations and lock their stock rows in one statement (``_held_and_levels``)."""
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction
from django.db.models import Q

from orderloop.core import clock
from orderloop.core.prepared import PreparedQuery, delete, insert, update
from orderloop.masterdata.models import StockAdjustment, StockLevel, StockReservation

ZERO = Decimal("0")

# Compiled once for each number of products and lines (core.prepared): the order's lines are few.
_LOCKED_LEVELS = PreparedQuery(StockLevel, lambda product_ids, line_ids: StockLevel.objects.select_for_update().filter(
    Q(product_id__in=product_ids)
    | Q(pk__in=StockReservation.objects.filter(order_line_id__in=line_ids).values("stock_id"))).order_by("pk"),
    for_write=True, params=2)
_RESERVATIONS = PreparedQuery(StockReservation, lambda line_ids: StockReservation.objects.filter(
    order_line_id__in=line_ids).order_by("stock_id", "pk"))
_HELD = PreparedQuery(StockReservation, lambda line_ids: StockReservation.objects.filter(order_line_id__in=line_ids)
                      .select_related("stock").select_for_update(of=("stock",)).order_by("stock_id", "pk"),
                      for_write=True)


@dataclass(frozen=True)
class Want:
    """``quantity`` of ``product_id`` to be held for the order line ``line_id``."""

    line_id: int
    product_id: int
    quantity: Decimal


@dataclass(frozen=True)
class Shortage:
    line_id: int
    wanted: Decimal
    available: Decimal  # what was left for this line, after the lines before it


def _locked_levels(*, product_ids=(), line_ids=()) -> dict[int, StockLevel]:
    """The stock rows of these products and those holding these lines' reservations, locked, by primary key."""
    return {level.pk: level for level in _LOCKED_LEVELS.all(sorted(product_ids), sorted(line_ids))}


def _held_and_levels(line_ids) -> tuple[list[StockReservation], dict[int, StockLevel]]:
    """What these lines hold, with the stock rows that hold it locked (in primary-key order), in one statement;
    a stock row holding several of them is one instance. Only an action on a line's order changes what the line
    holds, and it holds the order's lock: what PostgreSQL joined before waiting for a stock row is still so."""
    held = _HELD.all(sorted(line_ids))
    levels: dict[int, StockLevel] = {}
    for row in held:
        row.stock = levels.setdefault(row.stock_id, row.stock)
    return held, levels


def _record(level: StockLevel, *, on_hand_change=ZERO, reserved_change=ZERO, reason: str, actor, now) -> None:
    level.on_hand += on_hand_change
    level.reserved += reserved_change
    update(level, ["on_hand", "reserved"])
    insert(StockAdjustment(stock=level, on_hand_change=on_hand_change, reserved_change=reserved_change,
                           reason=reason[:300], actor=actor, at=now))


def stock_reserved_for(line_ids) -> dict[int, Decimal]:
    """What is held for each of these order lines."""
    held: dict[int, Decimal] = {}
    for row in _RESERVATIONS.all(sorted(line_ids)):
        held[row.order_line_id] = held.get(row.order_line_id, ZERO) + row.quantity
    return held


@transaction.atomic(savepoint=False)  # inside an action: its transaction, no savepoint of its own
def stock_reserve(*, line_ids, wants: list[Want], actor, reason: str) -> list[Shortage]:
    """Hold exactly ``wants`` for the lines ``line_ids`` (what they held before is given back first, so confirming
    stock again replaces the reservation). Returns the lines that cannot be held — available is on hand − reserved
    over every warehouse — and then writes nothing."""
    line_ids = set(line_ids) | {want.line_id for want in wants}
    levels = _locked_levels(product_ids={want.product_id for want in wants}, line_ids=line_ids)
    held = _RESERVATIONS.all(sorted(line_ids))
    free = {pk: level.available for pk, level in levels.items()}
    for row in held:  # what these lines hold is theirs to take again
        free[row.stock_id] += row.quantity
    by_product: dict[int, list[StockLevel]] = {}
    for level in levels.values():
        by_product.setdefault(level.product_id, []).append(level)
    plan: list[tuple[Want, StockLevel, Decimal]] = []
    shortages = []
    for want in wants:
        candidates = sorted(by_product.get(want.product_id, []), key=lambda level: (level.warehouse != "主仓库", level.pk))
        left = sum((max(free[level.pk], ZERO) for level in candidates), ZERO)
        if left < want.quantity:
            shortages.append(Shortage(want.line_id, want.quantity, left))
            continue
        needed = want.quantity
        for level in candidates:
            take = min(needed, max(free[level.pk], ZERO))
            if take > 0:
                plan.append((want, level, take))
                free[level.pk] -= take
                needed -= take
            if needed == 0:
                break
    if shortages:
        return shortages
    now = clock.now()
    for row in held:
        _record(levels[row.stock_id], reserved_change=-row.quantity, reason=reason, actor=actor, now=now)
        delete(row)
    for want, level, take in plan:
        _record(level, reserved_change=take, reason=reason, actor=actor, now=now)
        insert(StockReservation(stock=level, order_line_id=want.line_id, quantity=take, reserved_at=now))
    return []


@transaction.atomic(savepoint=False)
def stock_release(*, line_ids, actor, reason: str, keep: dict[int, Decimal] | None = None) -> Decimal:
    """Give back what the lines hold beyond ``keep`` (per line; nothing kept by default). Returns the quantity given back."""
    keep = dict(keep or {})
    held, levels = _held_and_levels(line_ids)
    now = clock.now()
    released = ZERO
    for row in held:
        kept = min(row.quantity, keep.get(row.order_line_id, ZERO))
        keep[row.order_line_id] = keep.get(row.order_line_id, ZERO) - kept
        give = row.quantity - kept
        if give <= 0:
            continue
        _record(levels[row.stock_id], reserved_change=-give, reason=reason, actor=actor, now=now)
        released += give
        if kept:
            row.quantity = kept
            row.save(update_fields=["quantity"])
        else:
            delete(row)
    return released


@transaction.atomic(savepoint=False)
def stock_consume(*, shipped: dict[int, Decimal], actor, reason: str) -> Decimal:
    """Goods held for order lines leave the warehouse: for each line, up to the quantity shipped, on hand and
    reserved go down together and the reservation goes away. A line holding nothing (produced to order) changes no
    level. Returns the quantity taken from stock."""
    held, levels = _held_and_levels(shipped)
    now = clock.now()
    consumed = ZERO
    left = dict(shipped)
    for row in held:
        take = min(row.quantity, left[row.order_line_id])
        if take <= 0:
            continue
        left[row.order_line_id] -= take
        _record(levels[row.stock_id], on_hand_change=-take, reserved_change=-take, reason=reason, actor=actor, now=now)
        consumed += take
        if take < row.quantity:
            row.quantity -= take
            row.save(update_fields=["quantity"])
        else:
            delete(row)
    return consumed
