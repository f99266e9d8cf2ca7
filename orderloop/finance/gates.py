"""The payment terms the process obeys (SPEC section 9, Money): an instalment due on confirmation holds
``start_fulfillment`` until it is received, one due before shipment holds ``ship``, unless a sales manager
released the order (付款放行). The guards say which instalment holds the order and what is missing."""
from django.utils.translation import gettext as _

from orderloop.finance.models import Instalment
from orderloop.masterdata.models import Trigger


def holding(order, trigger: str) -> list[Instalment]:
    """The instalments of ``trigger`` not yet received in full nor released."""
    return [row for row in Instalment.objects.filter(order=order, trigger=trigger, is_open=True, waived_at__isnull=True)
            .order_by("number")]


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
