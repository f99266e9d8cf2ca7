"""Receipts (回款) and their allocation to instalments (核销), each one transaction. Allocation locks the receipt and
then the instalments in id order, so two allocations at the same moment queue instead of both reading the same
outstanding amount; the database's checks (finance.models) refuse an over-allocation whatever happens. Amounts
are whole fen: what is allocated leaves the receipt's balance and enters the instalment's, nothing else moves."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import MONEY_RECORDERS
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.exceptions import InvalidInput, NotAllowed, NotFound
from orderloop.finance.models import Allocation, Instalment, Receipt, ReceiptSource
from orderloop.masterdata.models import Customer

FEN = Decimal("0.01")


@dataclass(frozen=True)
class Share:
    instalment_id: int
    amount: Decimal


def _money_problem(amount) -> str | None:
    if not isinstance(amount, Decimal):
        try:
            amount = Decimal(str(amount))
        except ArithmeticError:
            return _("金额不是数字")
    if not amount.is_finite() or amount <= 0:
        return _("金额须大于0")
    if amount != amount.quantize(FEN):
        return _("金额最多两位小数（到分）")
    if amount >= Decimal("1e12"):
        return _("金额过大")
    return None


def _check_recorder(actor) -> None:
    if actor is None or not actor.roles & MONEY_RECORDERS:
        raise NotAllowed(_("只有财务可以登记回款"))


def _allocate(receipt: Receipt, shares: list[Share], actor, now) -> list[Allocation]:
    """Apply ``shares`` of the locked ``receipt``; every problem at once, by position, and nothing applied."""
    errors: dict[str, list[str]] = {}
    wanted: dict[int, Decimal] = {}
    for index, share in enumerate(shares):
        if problem := _money_problem(share.amount):
            errors[f"allocations.{index}.amount"] = [problem]
        else:
            wanted[share.instalment_id] = wanted.get(share.instalment_id, Decimal(0)) + Decimal(str(share.amount))
    rows = {row.pk: row for row in Instalment.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
            .select_related("order")}
    for index, share in enumerate(shares):
        row = rows.get(share.instalment_id)
        if row is None or row.order.customer_id != receipt.customer_id:
            errors.setdefault(f"allocations.{index}.instalment_id", []).append(_("不是该客户的应收款"))
        elif share.instalment_id in wanted and wanted[share.instalment_id] > row.outstanding:
            errors.setdefault(f"allocations.{index}.amount", []).append(
                _("超过该期未收金额 %(open)s 元") % {"open": f"{row.outstanding:,.2f}"})
    total = sum(wanted.values(), Decimal("0.00"))
    if not errors and total > receipt.unallocated:
        errors["allocations"] = [_("核销合计 %(total)s 元超过该笔回款未核销的 %(open)s 元") % {
            "total": f"{total:,.2f}", "open": f"{receipt.unallocated:,.2f}"}]
    if errors:
        raise InvalidInput(_("核销有误：%(problems)s") % {"problems": "；".join(m for ms in errors.values() for m in ms)},
                           errors=errors)
    made = []
    for pk, amount in wanted.items():
        row = rows[pk]
        row.received += amount
        row.is_open = row.outstanding > 0
        Instalment.objects.filter(pk=pk).update(received=F("received") + amount, is_open=row.is_open)
        made.append(Allocation.objects.create(receipt=receipt, instalment=row, amount=amount, allocated_by=actor,
                                              allocated_at=now))
    receipt.allocated += total
    Receipt.objects.filter(pk=receipt.pk).update(allocated=F("allocated") + total)
    for allocation in made:
        audit_record(actor=actor, obj=allocation.instalment.order, operation="payment_allocated",
                     object_type="orders.salesorder", changes={
                         "instalment": [None, allocation.instalment.number], "amount": [None, str(allocation.amount)],
                         "receipt": [None, receipt.pk]})
    return made


def receipt_record(*, customer_id: int, received_on: date, payer: str, amount, bank_reference: str = "",
                   remark: str = "", actor, allocations: list[Share] = (), source: str = ReceiptSource.MANUAL) -> Receipt:
    """Record money received from a customer, and allocate it at once where ``allocations`` say; the rest stays
    the customer's balance. One transaction."""
    _check_recorder(actor)
    errors = {}
    if problem := _money_problem(amount):
        errors["amount"] = [problem]
    if not (payer or "").strip():
        errors["payer"] = [_("请填写付款方")]
    if received_on is None or received_on > clock.today():
        errors["received_on"] = [_("到账日期不能晚于今天")]
    if errors:
        raise InvalidInput(_("回款信息有误：%(problems)s") % {"problems": "；".join(m for ms in errors.values() for m in ms)},
                           errors=errors)
    with transaction.atomic():
        customer = Customer.objects.filter(pk=customer_id).first()
        if customer is None:
            raise NotFound(_("客户不存在"))
        now = clock.now()
        receipt = Receipt.objects.create(customer=customer, received_on=received_on, payer=payer.strip(),
                                         amount=Decimal(str(amount)), bank_reference=(bank_reference or "").strip(),
                                         remark=remark or "", source=source, recorded_by=actor, recorded_at=now)
        audit_record(actor=actor, obj=receipt, operation="receipt_recorded", object_type="finance.receipt", changes={
            "customer": [None, customer.pk], "amount": [None, str(receipt.amount)], "received_on": [None, str(received_on)],
            "payer": [None, receipt.payer], "bank_reference": [None, receipt.bank_reference]})
        if allocations:
            receipt = Receipt.objects.select_for_update().get(pk=receipt.pk)
            _allocate(receipt, list(allocations), actor, now)
    return receipt


def receipt_allocate(*, receipt_id: int, allocations: list[Share], actor) -> list[Allocation]:
    """Allocate more of a recorded receipt's balance (the customer's 预收余额) to open instalments."""
    _check_recorder(actor)
    with transaction.atomic():
        receipt = Receipt.objects.select_for_update().filter(pk=receipt_id).first()
        if receipt is None:
            raise NotFound(_("回款不存在"))
        return _allocate(receipt, list(allocations), actor, clock.now())


def customer_balance(customer_id: int) -> Decimal:
    """What the customer paid and is not yet allocated (预收余额)."""
    from django.db.models import Sum
    left = Receipt.objects.filter(customer_id=customer_id).aggregate(
        left=Sum(F("amount") - F("allocated")))["left"]
    return left or Decimal("0.00")
