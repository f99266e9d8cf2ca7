"""An order's payment plan (SPEC section 9, Money), computed from its term and total, not stored (yet).

The term is the one the order's 付款方式 text names, else (no text) the customer's structured term. Amounts are exact
to the fen: a percentage instalment is its share of the total rounded half-up to the fen, a fixed amount is
taken as it is, and the last instalment takes the remainder, so the instalments always sum to the total."""
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import gettext as _

from orderloop.core.calendar import BusinessCalendar, local
from orderloop.masterdata.models import Trigger
from orderloop.masterdata.payment_terms import term_for_text, term_name_for_text

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Instalment:
    number: int
    trigger: str
    condition: str  # the trigger in words: 确认订单时, 到货后60天 …
    share: str  # 30% or a fixed amount's figure, as the term says
    amount: Decimal
    due: date | None  # where the order's dates tell it
    # once the plan is stored (finance.plans): what came in, what a manager wrote off, whether it was released
    received: Decimal = Decimal("0.00")
    written_off: Decimal = Decimal("0.00")
    waived: bool = False
    id: int | None = None

    @property
    def outstanding(self) -> Decimal:
        return self.amount - self.received - self.written_off


@dataclass(frozen=True)
class PaymentPlan:
    term: str  # the term's name
    instalments: list[Instalment]
    stored: bool = False  # the order's own plan (from its confirmation on), not a preview of its terms

    @property
    def total(self) -> Decimal:
        return sum((i.amount for i in self.instalments), Decimal("0.00"))


def condition_text(item: dict) -> str:
    trigger = item.get("trigger")
    days = item.get("days") or 0
    unit = _("个工作日") if item.get("working_days") else _("天")
    if trigger == Trigger.DAYS_AFTER_DELIVERY:
        return _("到货后%(days)d%(unit)s") % {"days": days, "unit": unit}
    if trigger == Trigger.DAYS_AFTER_INVOICE:
        return _("开票后%(days)d%(unit)s") % {"days": days, "unit": unit}
    if trigger == Trigger.FIXED_DATE:
        return _("%(date)s 前") % {"date": item.get("date")}
    return str(Trigger(trigger).label)


def split_amounts(total: Decimal, instalments: list[dict]) -> list[Decimal]:
    """Each instalment's amount, exact to the fen; the last takes the remainder (the rounding rule above)."""
    total = Decimal(total).quantize(FEN)
    amounts = []
    for item in instalments[:-1]:
        if item.get("percent") not in (None, ""):
            amounts.append((total * Decimal(str(item["percent"])) / 100).quantize(FEN, rounding=ROUND_HALF_UP))
        else:
            amounts.append(Decimal(str(item["amount"])).quantize(FEN, rounding=ROUND_HALF_UP))
    amounts.append(total - sum(amounts, Decimal("0.00")))
    return amounts


def _due(item: dict, delivered: date | None, calendar_cache: list) -> date | None:
    trigger = item.get("trigger")
    if trigger == Trigger.FIXED_DATE:
        return date.fromisoformat(str(item["date"]))
    if trigger == Trigger.ON_DELIVERY:
        return delivered
    if trigger == Trigger.DAYS_AFTER_DELIVERY and delivered:
        days = int(item.get("days") or 0)
        if not item.get("working_days"):
            return delivered + timedelta(days=days)
        if not calendar_cache:
            calendar_cache.append(BusinessCalendar.load())
        day = delivered
        for _n in range(days):
            day = calendar_cache[0].next_working_day(day)
        return day
    return None  # confirmation, shipment and invoices: their dates come with the next slice's records


def plan_for(total: Decimal, term_name: str, instalments: list[dict], *, delivered: date | None = None) -> PaymentPlan:
    amounts = split_amounts(total, instalments)
    cache: list = []
    return PaymentPlan(term=term_name, instalments=[
        Instalment(number=n, trigger=item["trigger"], condition=condition_text(item),
                   share=f"{Decimal(str(item['percent'])).normalize():f}%" if item.get("percent") not in (None, "")
                   else f"{Decimal(str(item['amount'])).quantize(FEN):,}",
                   amount=amount, due=_due(item, delivered, cache))
        for n, (item, amount) in enumerate(zip(instalments, amounts, strict=True), start=1)])


def order_term(order):
    """The term ``order`` follows: the one its own 付款方式 (filled from the customer at intake, then what was
    agreed for this order) names; an order without one follows the customer's structured term. A text that names
    no term gives None (the page says 付款方式未能识别): the customer's default is not put in its place. At most one
    query (the preset)."""
    if (order.payment_terms or "").strip():
        return term_for_text(order.payment_terms)
    return order.customer.payment_term if order.customer.payment_term_id else None


def order_term_name(order) -> str:
    """The name of the term ``order`` follows (order_term's), as its stored plan is headed: no statement for an
    order's own 付款方式, which names the preset its plan was made from (whether it is still offered or not)."""
    if (order.payment_terms or "").strip():
        return term_name_for_text(order.payment_terms) or order.payment_terms
    term = order_term(order)
    return term.name if term is not None else order.payment_terms


def payment_plan(order) -> PaymentPlan | None:
    """The order's payment plan as its terms say, or None when they name none."""
    term = order_term(order)
    if term is None:
        return None
    delivered = local(order.delivered_at).date() if order.delivered_at else None
    return plan_for(order.total_amount, term.name, term.instalments, delivered=delivered)
