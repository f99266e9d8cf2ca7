"""The payment terms the process obeys (SPEC section 9, Money): an instalment due on confirmation holds
``start_fulfillment`` until it is received, one due before shipment holds ``ship``, unless a sales manager
released the order (付款放行). The guards say which instalment holds the order and what is missing."""
from django.db.models import Q
from django.utils.translation import gettext as _

from orderloop.core.prepared import PreparedQuery
from orderloop.finance.models import Instalment
from orderloop.masterdata.models import Trigger
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.models import has_rows

# The state in which an open instalment of each trigger holds its order, and what it holds there: a deposit holds
# 开始备货/生产 while the order is 已确认, a payment before shipment holds 发货 while it is 待发货.
HELD_IN = {Trigger.ON_CONFIRMATION: S.CONFIRMED, Trigger.BEFORE_SHIPMENT: S.READY_TO_SHIP}


def holding_q(prefix: str = "") -> Q:
    """Instalments (``prefix``: the path to them, e.g. ``"instalments__"``) that hold their order now."""
    held = Q(pk__in=[])
    for trigger, state in HELD_IN.items():
        held |= Q(**{f"{prefix}trigger": trigger, f"{prefix}order__status": state})
    return held & Q(**{f"{prefix}is_open": True, f"{prefix}waived_at__isnull": True})


def holds(row: Instalment, order=None) -> bool:
    """Whether ``row`` holds its order now (``order``: the row's order, already read)."""
    order = order or row.order
    return row.is_open and row.waived_at is None and HELD_IN.get(row.trigger) == order.status


# Asked by the guards of start_fulfillment and ship and after each allocation: compiled once (core.prepared).
_HOLDING = PreparedQuery(Instalment, lambda order_id, trigger: Instalment.objects.filter(
    order_id=order_id, trigger=trigger, is_open=True, waived_at__isnull=True).order_by("number"), params=2)


def holding(order, trigger: str) -> list[Instalment]:
    """The instalments of ``trigger`` not yet received in full nor released."""
    return _HOLDING.all(order.pk, trigger) if has_rows(order, "instalments") else []


def _why(rows: list[Instalment], what: str) -> str | None:
    if not rows:
        return None
    owed = "、".join(_("第%(n)d期 %(amount)s 元尚欠 %(open)s 元") % {
        "n": row.number, "amount": f"{row.amount:,.2f}", "open": f"{row.outstanding:,.2f}"} for row in rows)
    return _("%(what)s未到账（%(owed)s），待财务登记回款或销售经理付款放行") % {"what": what, "owed": owed}


def deposit_hold(order, user=None) -> str | None:
    """Why production may not start yet for want of the deposit, or None."""
    return _why(holding(order, Trigger.ON_CONFIRMATION), _("预付款"))


def shipment_hold(order, user=None) -> str | None:
    """Why the goods may not leave yet for want of payment before shipment, or None."""
    return _why(holding(order, Trigger.BEFORE_SHIPMENT), _("发货前应付款"))
