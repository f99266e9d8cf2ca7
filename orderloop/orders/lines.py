"""Order lines and totals: amounts are computed from quantity × price, never typed."""
from decimal import ROUND_HALF_UP, Decimal

from django.db import models
from django.db.models import prefetch_related_objects
from django.utils.translation import gettext as _

from orderloop.core.exceptions import InvalidInput
from orderloop.core.ids import db_ids
from orderloop.core.prepared import LONGEST_LIST, PreparedQuery
from orderloop.masterdata.models import Product
from orderloop.orders.models import OrderLine, OrderStatus, SalesOrder, keep_rows

CENT = Decimal("0.01")


def line_amount(quantity: Decimal, unit_price: Decimal) -> Decimal:
    return (quantity * unit_price).quantize(CENT, rounding=ROUND_HALF_UP)


_PRODUCTS = PreparedQuery(Product, lambda ids: Product.objects.filter(pk__in=ids).order_by())


def products_for(lines, *, field_prefix: str = "lines") -> dict[int, Product]:
    """Load the products that ``lines`` name, or raise with the line that names an unknown one."""
    ids = sorted(db_ids({line.product_id for line in lines if line.product_id is not None}))  # beyond 64 bits: none
    products = {product.pk: product for product in _PRODUCTS.all(ids)} if len(ids) <= LONGEST_LIST else (
        Product.objects.in_bulk(ids))  # an import's many products: in batches the database's parameter limit allows
    errors = {}
    for index, line in enumerate(lines):
        if line.product_id is not None and (line.product_id not in products or not products[line.product_id].is_active):
            errors[f"{field_prefix}.{index}.product_id"] = [_("产品不存在或已停售：%(id)s") % {"id": line.product_id}]
    if errors:
        raise InvalidInput(_("订单行有误"), errors=errors)
    return products


def build_line(*, order, position: int, product: Product, quantity: Decimal, unit_price: Decimal | None, requested_date=None) -> OrderLine:
    price = product.list_price if unit_price is None else unit_price
    return OrderLine(
        order=order, position=position, product=product, product_name=product.name, model=product.model, unit=product.unit,
        quantity=quantity, unit_price=price, amount=line_amount(quantity, price), cost_price=product.cost_price,
        requested_date=requested_date, order_created_at=order.created_at,
    )


def replace_lines(order, lines_in) -> None:
    """Replace all lines of ``order`` with ``lines_in`` (payload LineIn items) and recompute the total."""
    products = products_for(lines_in)
    order.lines.all().delete()
    OrderLine.objects.bulk_create([
        build_line(order=order, position=index + 1, product=products[line.product_id], quantity=line.quantity,
                   unit_price=line.unit_price, requested_date=line.requested_date)
        for index, line in enumerate(lines_in)
    ])
    recompute_total(order)


def recompute_total(order) -> None:
    order.total_amount = sum((line.amount for line in order.lines.all()), Decimal("0.00"))


# Once 发货准备 is done the goods of the order's last part are prepared; they stay prepared while a later part
# (quantity added at 待发货 or after) goes through stock confirmation, fulfilment and its own 发货准备.
PREPARED_STATES = frozenset({OrderStatus.READY_TO_SHIP, OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED})


def last_part(order) -> int:
    return max((line.part for line in order.lines.all()), default=1)


def open_lines(order) -> list[OrderLine]:
    """The lines not prepared yet, those stock confirmation, the plan and 发货准备 are about: the last part's,
    unless the order is past 发货准备 (then none)."""
    if order.status in PREPARED_STATES:
        return []
    part = last_part(order)
    return [line for line in order.lines.all() if line.part == part]


def prepared_lines(order) -> list[OrderLine]:
    """The lines whose goods are prepared (on a 《发货准备单》): every part before the last, and the last one
    once the order is past 发货准备."""
    still_open = {line.pk for line in open_lines(order)}
    return [line for line in order.lines.all() if line.pk not in still_open]


def lines_snapshot(order) -> list[dict]:
    return [
        {
            "id": line.pk, "product_id": line.product_id, "model": line.model, "quantity": str(line.quantity),
            "unit_price": str(line.unit_price), "amount": str(line.amount),
            "feasible_date": line.feasible_date.isoformat() if line.feasible_date else None,
            "agreed_date": line.agreed_date.isoformat() if line.agreed_date else None,
            "availability": line.availability,
        }
        for line in order.lines.all()
    ]


def keep_lines(order: SalesOrder, lines: list) -> SalesOrder:
    """Let ``order.lines.all()`` answer ``lines`` (all of the order's lines, in their order) without a query, as
    ``prefetch_related("lines")`` would."""
    return keep_rows(order, "lines", lines)


_DECIMALS = [(f.attname, Decimal(1).scaleb(-f.decimal_places)) for f in OrderLine._meta.concrete_fields
             if isinstance(f, models.DecimalField)]


def keep_written_lines(orders: list[SalesOrder], lines: list[OrderLine]) -> None:
    """After the INSERT of new orders' ``lines`` (each order's in position order): let each ``order.lines.all()``
    answer them as a read would return them (their decimals to their columns' places), without the read. Lines
    without their ids read back (a database that cannot return them) are read instead."""
    if any(line.pk is None for line in lines):
        prefetch_related_objects(orders, "lines")
        return
    by_order: dict[int, list] = {id(order): [] for order in orders}
    for line in lines:
        for attname, places in _DECIMALS:
            setattr(line, attname, getattr(line, attname).quantize(places))
        by_order[id(line.order)].append(line)
    for order in orders:
        keep_lines(order, by_order[id(order)])


def lines_changed(order) -> None:
    """Lines were added or removed: forget the ones ``perform_action`` read with the order."""
    getattr(order, "_prefetched_objects_cache", {}).pop("lines", None)
