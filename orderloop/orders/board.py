"""The board by stage (晨会看板): every order in stocking or production under its current stage."""
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils.translation import gettext as _

from orderloop.core import clock
from orderloop.orders.access import filter_visible
from orderloop.orders.models import FulfillmentStage, Risk, SalesOrder
from orderloop.orders.models import OrderStatus as S


@dataclass
class Card:
    order: SalesOrder
    stage: FulfillmentStage | None
    late: bool
    risks: list = field(default_factory=list)  # open risks


@dataclass
class Column:
    name: str
    cards: list = field(default_factory=list)


def board(*, user, owner: str | None = None, customer_id: int | None = None, stage: str | None = None) -> list[Column]:
    today = clock.today()
    orders = (filter_visible(SalesOrder.objects.filter(status=S.IN_FULFILLMENT), user)
              .select_related("customer", "owner")
              .prefetch_related(Prefetch("stages", queryset=FulfillmentStage.objects.filter(superseded=False)
                                         .select_related("owner").order_by("position", "id")),
                                Prefetch("risks", queryset=Risk.objects.filter(resolved_at__isnull=True), to_attr="open_risks"))
              .order_by("created_at", "id"))
    if customer_id:
        orders = orders.filter(customer_id=customer_id)
    columns: dict[str, Column] = {}
    for order in orders:
        current = next((s for s in order.stages.all() if not s.is_done), None)
        name = current.name if current else _("待发货准备")
        if stage and name != stage:
            continue
        if owner and not (current and current.owner and current.owner.username == owner):
            continue
        late = bool(current and current.planned_date < today)
        columns.setdefault(name, Column(name)).cards.append(Card(order, current, late, order.open_risks))
    return list(columns.values())
