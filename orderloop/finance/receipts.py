"""Receipts (回款) and their allocation to instalments (核销), each one transaction. Allocation locks the receipt and
then the instalments in id order, so two allocations at the same moment queue instead of both reading the same
outstanding amount; the database's checks (finance.models) refuse an over-allocation whatever happens. Amounts
are whole fen: what is allocated leaves the receipt's balance and enters the instalment's, nothing else moves.

When an allocation pays the last of what held an order (a deposit while it is 已确认, a payment due before shipment
while it is 待发货), the people who take the next step are told in the same transaction: the warehouse and
production that fulfilment may start (the routes of ``order_confirmed``), logistics that the goods may go (those of
``shipment_prepared``)."""
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import MONEY_RECORDERS
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.calendar import local
from orderloop.core.exceptions import InvalidInput, NotAllowed, NotFound
from orderloop.core.prepared import PreparedQuery, insert, update
from orderloop.finance.gates import HELD_IN, holding, holds
from orderloop.finance.models import Allocation, Instalment, Receipt, ReceiptSource
from orderloop.masterdata.models import Customer, Trigger
from orderloop.orders.handoffs import handoff_notify, promised_text

FEN = Decimal("0.01")
# What a receipt's texts may hold (finance.models.Receipt).
MAX_PAYER, MAX_REFERENCE, MAX_REMARK = 200, 100, 500


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
    if amount >= Decimal("1e12"):  # before rounding to the fen, which so large a number cannot take
        return _("金额过大")
    try:
        if amount != amount.quantize(FEN):
            return _("金额最多两位小数（到分）")
    except ArithmeticError:  # an exponent no amount has
        return _("金额最多两位小数（到分）")
    return None


def _check_recorder(actor) -> None:
    if actor is None or not actor.roles & MONEY_RECORDERS:
        raise NotAllowed(_("只有财务可以登记和核销回款"))


def _tell_released(released: list[tuple[Instalment, Allocation]], actor) -> None:
    """Tell the next step's people of each order that ``released`` (instalments this allocation paid in full while
    they held the order) let go, once nothing else of the same kind holds it."""
    told = set()
    for row, allocation in released:
        order = row.order
        if (order.pk, row.trigger) in told or holding(order, row.trigger):
            continue
        told.add((order.pk, row.trigger))
        if not type(order).customer.is_cached(order):  # the notice names it: read by its compiled query
            order.customer = _CUSTOMER.all(order.customer_id)[0]
        if row.trigger == Trigger.ON_CONFIRMATION:
            event, step = "order_confirmed", _("预付款已到账")
            asked = _("预付款已到账，订单可以开始备货/生产：请按确认订单安排备货或生产")
        else:
            event, step = "shipment_prepared", _("发货前应付款已到账")
            asked = _("发货前应付款已到账，订单可以发货：请安排发货")
        detail = "\n".join(filter(None, [_("第%(n)d期 %(amount)s 元已全部到账") % {
            "n": row.number, "amount": f"{row.amount:,.2f}"}, promised_text(order)]))
        handoff_notify(order, event=event, key=f"payment_received:{allocation.pk}", step=step, asked=asked,
                       actor=actor, detail=detail)


def _locked_instalments(pks: list):
    """The instalments, locked in id order, with their orders."""
    return Instalment.objects.select_for_update().filter(pk__in=pks).order_by("pk").select_related("order")


_ONE_INSTALMENT = PreparedQuery(Instalment, lambda pk: _locked_instalments([pk]), for_write=True,
                                prep=Instalment._meta.pk.get_prep_value)
_CUSTOMER = PreparedQuery(Customer, lambda pk: Customer.objects.filter(pk=pk), prep=Customer._meta.pk.get_prep_value)
_LOCKED_RECEIPT = PreparedQuery(Receipt, lambda pk: Receipt.objects.select_for_update().filter(pk=pk).order_by(),
                                for_write=True)


def _allocate(receipt: Receipt, shares: list[Share], actor, now) -> list[Allocation]:
    """Apply ``shares`` of the locked ``receipt``; every problem at once, by position, and nothing applied."""
    errors: dict[str, list[str]] = {}
    wanted: dict[int, Decimal] = {}
    for index, share in enumerate(shares):
        if problem := _money_problem(share.amount):
            errors[f"allocations.{index}.amount"] = [problem]
        else:
            wanted[share.instalment_id] = wanted.get(share.instalment_id, Decimal(0)) + Decimal(str(share.amount))
    # nearly every receipt pays one instalment: that read is compiled once (core.prepared)
    locked = _ONE_INSTALMENT.all(next(iter(wanted))) if len(wanted) == 1 else _locked_instalments(list(wanted))
    rows = {row.pk: row for row in locked}
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
    made, released = [], []
    for pk, amount in wanted.items():
        row = rows[pk]
        was_holding = holds(row, row.order)
        row.received += amount
        row.last_received_on = max(filter(None, (row.last_received_on, receipt.received_on)))
        row.settle(local(now).date(), receipt.received_on)
        # the value read under the row's lock, plus the share: written as a figure, not as received + share in SQL,
        # which SQLite computes in binary floating point (1082.92 + 550.40 > 1633.32 there, and the check refuses)
        update(row, ["received", "is_open", "settled_on", "last_received_on"])
        made.append(insert(Allocation(receipt=receipt, instalment=row, amount=amount, allocated_by=actor,
                                      allocated_at=now)))
        if was_holding and not row.is_open and row.trigger in HELD_IN:
            released.append((row, made[-1]))
    receipt.allocated += total
    update(receipt, ["allocated"])  # as above: a figure, under the lock
    for allocation in made:
        audit_record(actor=actor, obj=allocation.instalment.order, operation="payment_allocated",
                     object_type="orders.salesorder", changes={
                         "instalment": [None, allocation.instalment.number], "amount": [None, str(allocation.amount)],
                         "receipt": [None, receipt.pk]})
    _tell_released(released, actor)
    return made


def receipt_problems(*, received_on, payer: str, amount, bank_reference: str = "", remark: str = "") -> dict:
    """What is wrong with a receipt's details, by field (empty: nothing); shared with the statement import."""
    errors = {}
    if problem := _money_problem(amount):
        errors["amount"] = [problem]
    payer = (payer or "").strip()
    if not payer:
        errors["payer"] = [_("请填写付款方")]
    elif len(payer) > MAX_PAYER:
        errors["payer"] = [_("付款方最多 %(n)s 个字") % {"n": MAX_PAYER}]
    if received_on is None:
        errors["received_on"] = [_("请填写到账日期")]
    elif received_on > clock.today():
        errors["received_on"] = [_("到账日期不能晚于今天")]
    if len((bank_reference or "").strip()) > MAX_REFERENCE:
        errors["bank_reference"] = [_("银行流水号最多 %(n)s 个字符") % {"n": MAX_REFERENCE}]
    if len(remark or "") > MAX_REMARK:
        errors["remark"] = [_("备注最多 %(n)s 个字") % {"n": MAX_REMARK}]
    return errors


def _reference_taken(reference: str) -> InvalidInput:
    message = _("银行流水号 %(ref)s 已登记过回款，同一笔到账不能登记两次") % {"ref": reference}
    return InvalidInput(message, errors={"bank_reference": [message]})


def receipt_record(*, customer_id: int, received_on: date, payer: str, amount, bank_reference: str = "",
                   remark: str = "", actor, allocations: list[Share] = (), source: str = ReceiptSource.MANUAL,
                   statement=None) -> Receipt:
    """Record money received from a customer, and allocate it at once where ``allocations`` say; the rest stays
    the customer's balance. One transaction. A bank reference is recorded once: a second receipt naming it is
    refused (``statement``: the bank statement import the receipt comes from)."""
    _check_recorder(actor)
    errors = receipt_problems(received_on=received_on, payer=payer, amount=amount, bank_reference=bank_reference,
                              remark=remark)
    if errors:
        raise InvalidInput(_("回款信息有误：%(problems)s") % {"problems": "；".join(m for ms in errors.values() for m in ms)},
                           errors=errors)
    reference = (bank_reference or "").strip()
    with transaction.atomic():
        found = _CUSTOMER.all(customer_id)
        if not found:
            raise NotFound(_("客户不存在"))
        customer = found[0]
        if reference and Receipt.objects.filter(bank_reference=reference).exists():
            raise _reference_taken(reference)
        now = clock.now()
        fields = dict(customer=customer, received_on=received_on, payer=payer.strip(), amount=Decimal(str(amount)),
                      bank_reference=reference, remark=remark or "", source=source, statement=statement,
                      recorded_by=actor, recorded_at=now)
        if not reference:
            receipt = insert(Receipt(**fields))
        else:
            try:
                with transaction.atomic():  # the same bank line recorded twice at once: the second meets the constraint
                    receipt = insert(Receipt(**fields))
            except IntegrityError as exc:
                raise _reference_taken(reference) from exc
        audit_record(actor=actor, obj=receipt, operation="receipt_recorded", object_type="finance.receipt", changes={
            "customer": [None, customer.pk], "amount": [None, str(receipt.amount)], "received_on": [None, str(received_on)],
            "payer": [None, receipt.payer], "bank_reference": [None, receipt.bank_reference]})
        if allocations:
            receipt = _LOCKED_RECEIPT.all(receipt.pk)[0]
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
    left = Receipt.objects.filter(customer_id=customer_id).aggregate(
        left=Sum(F("amount") - F("allocated")))["left"]
    return (left or Decimal("0.00")).quantize(FEN)  # SQLite sums decimals as floating point: to the fen


def opening_receipt_record(*, order, amount: Decimal, received_on: date, actor, remark: str) -> Receipt:
    """Money a customer paid on ``order`` before the company went live (the go-live import's 已收款): one receipt,
    allocated to the order's open instalments in their order, what exceeds them (an order not yet confirmed has
    no plan) left as the customer's balance (预收余额) for finance to allocate. Recorded by the go-live importer
    (golive.services checks who may import) inside the import's transaction, and audited as every receipt."""
    now = clock.now()
    receipt = Receipt.objects.create(customer_id=order.customer_id, received_on=received_on,
                                     payer=order.customer.name[:MAX_PAYER], amount=amount, remark=remark[:MAX_REMARK],
                                     source=ReceiptSource.OPENING, recorded_by=actor, recorded_at=now)
    audit_record(actor=actor, obj=receipt, operation="receipt_recorded", object_type="finance.receipt", changes={
        "customer": [None, order.customer_id], "amount": [None, str(amount)], "received_on": [None, str(received_on)],
        "payer": [None, receipt.payer], "opening_for": [None, order.ref]})
    shares, left = [], amount
    for row in Instalment.objects.filter(order=order, is_open=True).order_by("number"):
        taken = min(left, row.outstanding)
        if taken > 0:
            shares.append(Share(row.pk, taken))
            left -= taken
    if shares:
        _allocate(Receipt.objects.select_for_update().get(pk=receipt.pk), shares, actor, now)
    return receipt
