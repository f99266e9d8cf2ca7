"""Invoices (SPEC section 9, Money): the account manager's invoice request (开票申请) per order or per consignment,
the 数电 invoice finance issues for it (its 20-digit number and date), and the red-letter invoice (红字发票) that
reverses an issued one. Each is one transaction, audited on the invoice (object ``finance.invoice``).

Prices are tax-inclusive, as Chinese B2B quotes are. The tax is split out per line, as a 数电 invoice shows it:
``tax = amount × rate / (1 + rate)`` rounded half-up to the fen, ``net = amount − tax``; the invoice's 税额, 金额 and
价税合计 are the sums of its lines (docs/decisions.md: it may differ by a fen from taxing the total). A red-letter
invoice's lines are the blue one's, negated: its totals are exactly the blue one's, negated.

What an order may still be invoiced for is its total less every invoice of it — requested, issued, or reversed
(a reversed one's red-letter invoice brings it back to nothing), not a withdrawn request — and each line's the same
on the line; the order is locked while a request is checked, so two requests at the same moment cannot both take the
same rest. A request not yet issued may be withdrawn (撤回) by the side that requests invoices, or returned (退回) by
finance, with a reason; finance returning it tells the requester."""
import re
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db import IntegrityError, transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils.translation import gettext as _
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from orderloop.accounts.permissions import INVOICE_REQUESTERS, MONEY_RECORDERS
from orderloop.accounts.roles import Role as R
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed, NotFound
from orderloop.core.validation import pydantic_errors
from orderloop.finance.models import ZERO, Invoice, InvoiceKind, InvoiceLine, InvoiceStatus
from orderloop.finance.plans import PLANNED, plan_sync
from orderloop.masterdata.uscc import uscc_problem
from orderloop.orders.access import order_visible_to, visible_orders_q
from orderloop.orders.handoffs import handoff_notify
from orderloop.orders.models import SalesOrder, Shipment

FEN = Decimal("0.01")
# The VAT rates a line may carry (增值税税率/征收率): 13 % goods, 9 %, 6 % services, 3 % and 1 % (small-scale
# taxpayers' levy rates), 0 % (exports, exempt).
RATES = (Decimal("0.13"), Decimal("0.09"), Decimal("0.06"), Decimal("0.03"), Decimal("0.01"), Decimal("0.00"))
GOODS_RATE = Decimal("0.13")
SERVICES_RATE = Decimal("0.06")
# A line is a service (6 %) when its product is sold by a unit of work or time, or its name ends in 服务
# (安装调试服务; not 服务器, which is goods). The product has no category of its own; the requester changes the rate
# of any line where this guess is wrong.
SERVICE_UNITS = frozenset({"次", "项", "人天", "人日", "人月", "小时", "课时", "天", "月", "年", "套次"})
NUMBER = re.compile(r"^\d{20}$")
# The order's states in which an invoice may be requested: confirmed onwards (not rejected, not cancelled).
INVOICEABLE = PLANNED


def rate_text(rate: Decimal) -> str:
    """13%, 6%, 0%."""
    return f"{int(rate * 100)}%"


def is_service(name: str, unit: str) -> bool:
    return (unit or "").strip() in SERVICE_UNITS or (name or "").strip().endswith("服务")


def default_rate(name: str, unit: str) -> Decimal:
    return SERVICES_RATE if is_service(name, unit) else GOODS_RATE


def tax_split(amount: Decimal, rate: Decimal) -> tuple[Decimal, Decimal]:
    """(tax, net) of a tax-inclusive ``amount`` at ``rate``: tax rounded half-up to the fen, net the rest."""
    amount = Decimal(amount)
    tax = (amount * rate / (1 + rate)).quantize(FEN, rounding=ROUND_HALF_UP)
    return tax, amount - tax


def yuan_text(value: Decimal) -> str:
    return f"{value:,.2f}"


# --- what a request takes ---------------------------------------------------------------------------------------

class InvoiceLineIn(BaseModel):
    """One line of an invoice request: an order line, how much of it, at which rate."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    line_id: int = Field(ge=1, le=2**63 - 1, description="The order line's id (lines[].id of the order).")
    description: str | None = Field(None, max_length=200, description="项目名称; default: the product's name.")
    quantity: Decimal | None = Field(None, gt=0, max_digits=12, decimal_places=3,
                                     description="数量 (a decimal string); default: what is not yet invoiced of the line "
                                     "(of a consignment: what it shipped).")
    amount: Decimal | None = Field(None, gt=0, max_digits=14, decimal_places=2,
                                   description="价税合计, tax-inclusive, a decimal string with two places; default: what "
                                   "is not yet invoiced of the line (of a consignment: quantity shipped × unit price).")
    tax_rate: Decimal | None = Field(None, max_digits=4, decimal_places=2,
                                     description="税率: 0.13, 0.09, 0.06, 0.03, 0.01 or 0; default 0.13 for goods, 0.06 "
                                     "for services (a product sold by 次, 项, 人天, 小时 … or named …服务).")


class InvoiceRequestIn(BaseModel):
    """An invoice request (开票申请). Buyer fields left out are taken from the customer's last invoice, else the
    customer's record (name, credit code, address); lines left out are the order's (or the consignment's)."""
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    kind: InvoiceKind = Field(description="发票类型: special (数电发票 增值税专用发票) or ordinary (数电发票 普通发票).")
    shipment: int | None = Field(None, ge=1, le=32767,
                                 description="The consignment (发货批次) invoiced, by its number on the order; null: "
                                 "the order.")
    buyer_name: str | None = Field(None, max_length=200, description="购买方名称.")
    buyer_tax_id: str | None = Field(None, max_length=18, description="纳税人识别号: the buyer's unified social credit "
                                     "code (18 characters, check character verified).")
    buyer_address_phone: str | None = Field(None, max_length=300, description="地址、电话.")
    buyer_bank_account: str | None = Field(None, max_length=300, description="开户行及账号.")
    remark: str = Field("", max_length=500, description="备注.")
    lines: list[InvoiceLineIn] | None = Field(None, description="The lines; null: every line not yet invoiced.")


@dataclass
class LineDefault:
    order_line: object
    description: str
    model: str
    unit: str
    quantity: Decimal
    amount: Decimal
    tax_rate: Decimal
    open_amount: Decimal  # what is not yet invoiced of the order line


def invoiced_amount(order) -> Decimal:
    """What of ``order`` is requested or invoiced, net of red-letter invoices."""
    if not getattr(order, "has_invoices", True):  # read by orders.selectors.order_get, which found none
        return ZERO
    return Invoice.objects.filter(order=order).exclude(status=InvoiceStatus.WITHDRAWN).aggregate(
        total=Sum("amount"))["total"] or ZERO


def open_amount(order) -> Decimal:
    """What of ``order``'s total is not yet requested or invoiced."""
    return order.total_amount - invoiced_amount(order)


def _invoiced_by_line(order) -> dict[int, tuple[Decimal, Decimal]]:
    """{order line id: (amount, quantity)} requested or invoiced, net of red-letter lines."""
    rows = (InvoiceLine.objects.filter(invoice__order=order, order_line__isnull=False)
            .exclude(invoice__status=InvoiceStatus.WITHDRAWN).values("order_line_id")
            .annotate(amount=Sum("amount"), quantity=Sum("quantity")))
    return {row["order_line_id"]: (row["amount"] or ZERO, row["quantity"] or ZERO) for row in rows}


def last_buyer(customer_id: int) -> Invoice | None:
    """The customer's latest invoice request (not a red-letter one): its buyer information is the default."""
    return (Invoice.objects.filter(order__customer_id=customer_id, red_of__isnull=True)
            .exclude(status=InvoiceStatus.WITHDRAWN).order_by("-requested_at", "-id").first())


def _state_problem(order) -> str | None:
    if order.status not in INVOICEABLE:
        return _("订单%(state)s，确认订单后才能申请开票") % {"state": order.get_status_display()}
    if order.archived_at:
        return _("订单已归档，不能再申请开票")
    return None


def request_problem(order) -> str | None:
    """Why no invoice may be requested for ``order`` now, or None."""
    if problem := _state_problem(order):
        return problem
    if open_amount(order) <= 0:
        return _("订单总额 %(total)s 元已全部申请或开具发票") % {"total": yuan_text(order.total_amount)}
    return None


def invoice_defaults(order, shipment: Shipment | None = None) -> dict:
    """What the request form starts from: the buyer (the customer's last invoice, else its record), the kind of
    that invoice (else 专票), and the lines not yet invoiced — of the order, or of ``shipment`` (quantity shipped ×
    unit price, at most what is open of the line)."""
    last = last_buyer(order.customer_id)
    customer = order.customer
    buyer = ({"buyer_name": last.buyer_name, "buyer_tax_id": last.buyer_tax_id,
              "buyer_address_phone": last.buyer_address_phone, "buyer_bank_account": last.buyer_bank_account}
             if last else {"buyer_name": customer.name, "buyer_tax_id": customer.uscc,
                           "buyer_address_phone": customer.address, "buyer_bank_account": ""})
    done = _invoiced_by_line(order)
    lines = []
    if shipment is None:
        for line in order.lines.all():
            invoiced, quantity = done.get(line.pk, (ZERO, ZERO))
            left = line.amount - invoiced
            if left > 0:
                lines.append(LineDefault(line, line.product_name, line.model, line.unit,
                                         max(line.quantity - quantity, Decimal("0.001")), left,
                                         default_rate(line.product_name, line.unit), left))
    else:
        for shipped in shipment.lines.select_related("order_line"):
            line = shipped.order_line
            left = line.amount - done.get(line.pk, (ZERO, ZERO))[0]
            if left > 0:
                amount = min(left, (shipped.quantity * line.unit_price).quantize(FEN, rounding=ROUND_HALF_UP))
                lines.append(LineDefault(line, line.product_name, line.model, line.unit, shipped.quantity, amount,
                                         default_rate(line.product_name, line.unit), left))
    return {**buyer, "kind": last.kind if last else InvoiceKind.SPECIAL, "lines": lines}


def _checked(data) -> InvoiceRequestIn:
    if isinstance(data, InvoiceRequestIn):
        return data
    try:
        return InvoiceRequestIn.model_validate(data)
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        raise InvalidInput(_("开票申请有误：%(problems)s") % {"problems": _problems(errors)}, errors=errors) from exc


def _problems(errors: dict[str, list[str]]) -> str:
    return "；".join(m for ms in errors.values() for m in ms)


def invoice_request(*, order_id: int, actor, data) -> Invoice:
    """The account manager's invoice request (开票申请) for an order they see, or one of its consignments; finance
    is told. One transaction; every problem at once, by field or line, and nothing stored."""
    if actor is None or not actor.roles & INVOICE_REQUESTERS:
        raise NotAllowed(_("只有客户经理和销售助理可以申请开票"))
    data = _checked(data)
    with transaction.atomic():
        order = SalesOrder.objects.select_for_update().filter(pk=order_id).first()
        if order is None or not order_visible_to(order, actor):
            raise NotFound(_("订单不存在"))
        if problem := _state_problem(order):
            raise InvalidTransition(problem)
        errors: dict[str, list[str]] = {}
        shipment = None
        if data.shipment is not None:
            shipment = Shipment.objects.filter(order=order, position=data.shipment).first()
            if shipment is None:
                errors["shipment"] = [_("订单没有第 %(n)s 批发货") % {"n": data.shipment}]
        defaults = invoice_defaults(order, shipment)
        buyer = {key: (getattr(data, key) if getattr(data, key) is not None else defaults[key]).strip()
                 for key in ("buyer_name", "buyer_tax_id", "buyer_address_phone", "buyer_bank_account")}
        buyer["buyer_tax_id"] = buyer["buyer_tax_id"].upper()
        if not buyer["buyer_name"]:
            errors["buyer_name"] = [_("请填写购买方名称")]
        if problem := uscc_problem(buyer["buyer_tax_id"]):
            errors["buyer_tax_id"] = [_("纳税人识别号有误：%(problem)s") % {"problem": problem} if buyer["buyer_tax_id"]
                                      else _("请填写纳税人识别号（统一社会信用代码）")]
        lines = _lines(order, shipment, data, defaults, errors)
        total = sum((line.amount for line in lines), ZERO)
        left = open_amount(order)
        if lines and total > left:
            errors.setdefault("lines", []).append(
                _("开票金额 %(total)s 元超过订单尚未开票的 %(left)s 元（订单总额 %(order)s 元，已申请或已开票 %(done)s 元）") % {
                    "total": yuan_text(total), "left": yuan_text(left), "order": yuan_text(order.total_amount),
                    "done": yuan_text(order.total_amount - left)})
        if errors:
            raise InvalidInput(_("开票申请有误：%(problems)s") % {"problems": _problems(errors)}, errors=errors)
        now = clock.now()
        invoice = Invoice.objects.create(order=order, shipment=shipment, kind=data.kind, remark=data.remark,
                                         requested_by=actor, requested_at=now, **buyer)
        _store_lines(invoice, lines)
        audit_record(actor=actor, obj=invoice, operation="invoice_requested", object_type="finance.invoice", changes={
            "order": [None, order.pk], "shipment": [None, shipment.pk if shipment else None],
            "kind": [None, invoice.kind], "status": [None, invoice.status], "buyer_name": [None, invoice.buyer_name],
            "buyer_tax_id": [None, invoice.buyer_tax_id], "amount": [None, str(invoice.amount)],
            "tax": [None, str(invoice.tax)], "net": [None, str(invoice.net)]})
        _tell_finance(order, invoice, actor)
    return invoice


def _lines(order, shipment, data: InvoiceRequestIn, defaults: dict, errors: dict) -> list[InvoiceLine]:
    """The request's lines, checked against the order's (``errors`` by ``lines.N.field``)."""
    order_lines = {line.pk: line for line in order.lines.all()}
    by_line = {d.order_line.pk: d for d in defaults["lines"]}
    shipped = set(shipment.lines.values_list("order_line_id", flat=True)) if shipment is not None else None
    if data.lines is None:
        wanted = [InvoiceLineIn(line_id=d.order_line.pk) for d in defaults["lines"]]
    else:
        wanted = data.lines
    if not wanted:
        errors.setdefault("lines", []).append(_("没有可开票的订单行"))
        return []
    done = _invoiced_by_line(order)
    asked: dict[int, Decimal] = {}
    made = []
    for index, item in enumerate(wanted):
        line = order_lines.get(item.line_id)
        where = f"lines.{index}"
        if line is None:
            errors.setdefault(f"{where}.line_id", []).append(_("不是该订单的订单行"))
            continue
        if shipped is not None and line.pk not in shipped:
            errors.setdefault(f"{where}.line_id", []).append(_("该批发货没有这一行"))
            continue
        default = by_line.get(line.pk)
        rate = item.tax_rate if item.tax_rate is not None else default_rate(line.product_name, line.unit)
        if rate not in RATES:
            errors.setdefault(f"{where}.tax_rate", []).append(
                _("税率应为 %(rates)s 之一") % {"rates": "、".join(rate_text(r) for r in RATES)})
        quantity = item.quantity if item.quantity is not None else (default.quantity if default else line.quantity)
        if item.amount is not None:
            amount = item.amount
        elif item.quantity is not None:  # a quantity without an amount: at the line's unit price
            amount = (item.quantity * line.unit_price).quantize(FEN, rounding=ROUND_HALF_UP)
        else:
            amount = default.amount if default else ZERO
        description = item.description if item.description else line.product_name
        left = line.amount - done.get(line.pk, (ZERO, ZERO))[0]
        asked[line.pk] = asked.get(line.pk, ZERO) + amount
        if amount <= 0:
            errors.setdefault(f"{where}.amount", []).append(_("该行已全部开票"))
        elif asked[line.pk] > left:
            errors.setdefault(f"{where}.amount", []).append(
                _("第 %(n)s 行开票金额超过该行尚未开票的 %(left)s 元") % {"n": line.position, "left": yuan_text(left)})
        tax, net = tax_split(amount, rate)
        made.append(InvoiceLine(position=index + 1, order_line=line, description=description[:200], model=line.model,
                                unit=line.unit, quantity=quantity, amount=amount, tax_rate=rate, tax=tax, net=net))
    return made


def _store_lines(invoice: Invoice, lines: list[InvoiceLine]) -> None:
    for line in lines:
        line.invoice = invoice
    InvoiceLine.objects.bulk_create(lines)
    invoice.amount = sum((line.amount for line in lines), ZERO)
    invoice.tax = sum((line.tax for line in lines), ZERO)
    invoice.net = sum((line.net for line in lines), ZERO)
    invoice.save(update_fields=["amount", "tax", "net"])


def _tell_finance(order, invoice: Invoice, actor) -> None:
    what = (_("第 %(n)s 批发货") % {"n": invoice.shipment.position}) if invoice.shipment_id else _("整单")
    detail = _("%(kind)s，%(what)s，价税合计 %(amount)s 元；购买方：%(buyer)s（%(tax_id)s）") % {
        "kind": invoice.get_kind_display(), "what": what, "amount": yuan_text(invoice.amount),
        "buyer": invoice.buyer_name, "tax_id": invoice.buyer_tax_id}
    handoff_notify(order, event="invoice_requested", key=f"invoice:{invoice.pk}:requested", step=_("开票申请"),
                   asked=_("开具发票，并登记发票号码和开票日期"), actor=actor, detail=detail,
                   url=reverse("finance:invoices") + "?status=requested")


# --- finance: the issued invoice and its reversal ----------------------------------------------------------------

def _check_recorder(actor) -> None:
    if actor is None or not actor.roles & MONEY_RECORDERS:
        raise NotAllowed(_("只有财务可以登记发票"))


def _number_and_date(number, issued_on, errors: dict, *, after: date | None = None) -> tuple[str, date | None]:
    number = re.sub(r"\s", "", str(number or ""))
    if not NUMBER.match(number):
        errors["number"] = [_("发票号码应为20位数字（数电发票号码）")]
    elif (taken := Invoice.objects.filter(number=number).select_related("order").first()) is not None:
        errors["number"] = [_("发票号码 %(number)s 已登记（订单 %(ref)s）") % {"number": number, "ref": taken.order.ref}]
    if isinstance(issued_on, str):
        try:
            issued_on = date.fromisoformat(issued_on.strip()) if issued_on.strip() else None
        except ValueError:
            issued_on = None
            errors["issued_on"] = [_("日期格式应为 YYYY-MM-DD")]
    if "issued_on" not in errors:
        if issued_on is None:
            errors["issued_on"] = [_("请填写开票日期")]
        elif issued_on > clock.today():
            errors["issued_on"] = [_("开票日期不能晚于今天")]
        elif after is not None and issued_on < after:
            errors["issued_on"] = [_("红字发票的开票日期不能早于原发票的开票日期 %(date)s") % {"date": after.isoformat()}]
    return number, issued_on


def _duplicate_number(number: str) -> InvalidInput:
    message = _("发票号码 %(number)s 已登记") % {"number": number}
    return InvalidInput(message, errors={"number": [message]})


def _locked(invoice_id) -> Invoice:
    invoice = Invoice.objects.select_for_update().filter(pk=invoice_id).first()
    if invoice is None:
        raise NotFound(_("发票不存在"))
    return invoice


def invoice_issue(*, invoice_id: int, number, issued_on, actor) -> Invoice:
    """Finance records the invoice issued for a request: its 20-digit 数电 number and date. The order's
    instalments counted from the invoice (开票后N天) then fall due. One transaction."""
    _check_recorder(actor)
    if not Invoice.objects.filter(pk=invoice_id).exists():
        raise NotFound(_("发票不存在"))
    errors: dict[str, list[str]] = {}
    number, issued_on = _number_and_date(number, issued_on, errors)
    if errors:
        raise InvalidInput(_("发票信息有误：%(problems)s") % {"problems": _problems(errors)}, errors=errors)
    try:
        with transaction.atomic():
            invoice = _locked(invoice_id)
            if invoice.status != InvoiceStatus.REQUESTED or invoice.red_of_id:
                raise InvalidTransition(_("发票%(state)s，不能再登记") % {"state": invoice.get_status_display()})
            now = clock.now()
            invoice.status, invoice.number, invoice.issued_on = InvoiceStatus.ISSUED, number, issued_on
            invoice.issued_by, invoice.issued_at = actor, now
            invoice.save(update_fields=["status", "number", "issued_on", "issued_by", "issued_at"])
            audit_record(actor=actor, obj=invoice, operation="invoice_issued", object_type="finance.invoice", changes={
                "status": [InvoiceStatus.REQUESTED, InvoiceStatus.ISSUED], "number": [None, number],
                "issued_on": [None, issued_on.isoformat()]})
            _plan_after_invoice(invoice, actor, now)
    except IntegrityError as exc:  # the same number recorded at the same moment by someone else
        raise _duplicate_number(number) from exc
    return invoice


def invoice_red_letter(*, invoice_id: int, number, issued_on, reason: str, actor) -> Invoice:
    """Finance reverses an issued invoice with a red-letter one (红字发票): its own 20-digit number and date, the
    blue one's lines negated; the blue one becomes 已红冲 and its amount is open to be invoiced again. One
    transaction; returns the red-letter invoice."""
    _check_recorder(actor)
    errors: dict[str, list[str]] = {}
    reason = (reason or "").strip()
    if not reason:
        errors["reason"] = [_("请填写红冲原因")]
    elif len(reason) > 500:
        errors["reason"] = [_("最多 %(n)s 个字符") % {"n": 500}]
    blue = Invoice.objects.filter(pk=invoice_id).first()
    if blue is None:
        raise NotFound(_("发票不存在"))
    number, issued_on = _number_and_date(number, issued_on, errors, after=blue.issued_on)
    if errors:
        raise InvalidInput(_("红字发票信息有误：%(problems)s") % {"problems": _problems(errors)}, errors=errors)
    try:
        with transaction.atomic():
            blue = _locked(invoice_id)
            if blue.red_of_id:
                raise InvalidTransition(_("这是一张红字发票，不能再红冲"))
            if blue.status != InvoiceStatus.ISSUED:
                raise InvalidTransition(_("发票%(state)s，只有已开具的发票可以红冲") % {"state": blue.get_status_display()})
            now = clock.now()
            red = Invoice.objects.create(
                order_id=blue.order_id, shipment_id=blue.shipment_id, kind=blue.kind, status=InvoiceStatus.ISSUED,
                buyer_name=blue.buyer_name, buyer_tax_id=blue.buyer_tax_id, buyer_address_phone=blue.buyer_address_phone,
                buyer_bank_account=blue.buyer_bank_account,
                amount=-blue.amount, tax=-blue.tax, net=-blue.net, requested_by=actor, requested_at=now, number=number,
                issued_on=issued_on, issued_by=actor, issued_at=now, red_of=blue, reason=reason)
            InvoiceLine.objects.bulk_create([
                InvoiceLine(invoice=red, position=line.position, order_line_id=line.order_line_id,
                            description=line.description, model=line.model, unit=line.unit, quantity=-line.quantity,
                            amount=-line.amount, tax_rate=line.tax_rate, tax=-line.tax, net=-line.net)
                for line in blue.lines.all()])
            blue.status = InvoiceStatus.REVERSED
            blue.save(update_fields=["status"])
            audit_record(actor=actor, obj=blue, operation="invoice_reversed", object_type="finance.invoice", changes={
                "status": [InvoiceStatus.ISSUED, InvoiceStatus.REVERSED], "reason": [None, reason]})
            audit_record(actor=actor, obj=red, operation="invoice_issued", object_type="finance.invoice", changes={
                "red_of": [None, blue.pk], "number": [None, number], "issued_on": [None, issued_on.isoformat()],
                "amount": [None, str(red.amount)], "tax": [None, str(red.tax)], "net": [None, str(red.net)]})
            _plan_after_invoice(red, actor, now)
    except IntegrityError as exc:
        raise _duplicate_number(number) from exc
    return red


def invoice_withdraw(*, invoice_id: int, reason: str, actor) -> Invoice:
    """A request not yet issued taken back, with a reason: withdrawn (撤回) by an account manager or sales assistant
    who sees its order, or returned (退回) by finance, which tells the requester. Its amount may be requested again.
    One transaction, audited on the invoice."""
    recorder = actor is not None and bool(actor.roles & MONEY_RECORDERS)
    if actor is None or not (recorder or actor.roles & INVOICE_REQUESTERS):
        raise NotAllowed(_("只有财务、客户经理和销售助理可以撤回开票申请"))
    reason = (reason or "").strip()
    if not reason:
        raise InvalidInput(_("请填写原因"), errors={"reason": [_("请填写原因")]})
    if len(reason) > 500:
        raise InvalidInput(_("原因最多 %(n)s 个字符") % {"n": 500}, errors={"reason": [_("最多 %(n)s 个字符") % {"n": 500}]})
    with transaction.atomic():
        invoice = _locked(invoice_id)
        order = SalesOrder.objects.select_related("customer").get(pk=invoice.order_id)
        if not recorder and not order_visible_to(order, actor):
            raise NotFound(_("发票不存在"))
        if invoice.status != InvoiceStatus.REQUESTED or invoice.red_of_id:
            raise InvalidTransition(_("发票%(state)s，只有待开票的申请可以撤回") % {"state": invoice.get_status_display()})
        invoice.status, invoice.reason = InvoiceStatus.WITHDRAWN, reason
        invoice.save(update_fields=["status", "reason"])
        audit_record(actor=actor, obj=invoice, operation="invoice_withdrawn", object_type="finance.invoice", changes={
            "status": [InvoiceStatus.REQUESTED, InvoiceStatus.WITHDRAWN], "reason": [None, reason]})
        if recorder and invoice.requested_by_id and invoice.requested_by_id != actor.pk:
            detail = _("价税合计 %(amount)s 元，购买方：%(buyer)s；退回原因：%(reason)s") % {
                "amount": yuan_text(invoice.amount), "buyer": invoice.buyer_name, "reason": reason}
            handoff_notify(order, event="invoice_returned", key=f"invoice:{invoice.pk}:returned", step=_("开票申请被退回"),
                           asked=_("按退回原因核对后，重新提交开票申请"), actor=actor, detail=detail,
                           roles={R.ACCOUNT_MANAGER: [invoice.requested_by]},
                           url=reverse("finance:invoice_request", args=[order.ref]))
    return invoice


def _plan_after_invoice(invoice: Invoice, actor, now) -> None:
    """The order's plan after an invoice is issued or reversed: instalments counted from the invoice fall due."""
    order = SalesOrder.objects.select_for_update().get(pk=invoice.order_id)
    if order.status not in PLANNED:
        return
    changes = plan_sync(order, now=now)
    if changes:  # each instalment as it is now (its due date counted from the invoice)
        now_due = [{"instalment": change["instalment"], "due_date": (change.get("due_date") or [None, None])[1]}
                   for change in changes]
        audit_record(actor=actor, obj=order, operation="plan_changed", object_type="orders.salesorder",
                     changes={"instalments": [None, now_due], "invoice": [None, invoice.number]})


# --- reads ------------------------------------------------------------------------------------------------------

def invoices_of(order) -> list[Invoice]:
    if not getattr(order, "has_invoices", True):  # read by orders.selectors.order_get, which found none
        return []
    return list(Invoice.objects.filter(order=order).select_related("shipment", "red_of").prefetch_related("lines")
                .order_by("requested_at", "id"))


def invoices_visible_to(user):
    """The invoices of the orders ``user`` sees, newest request first."""
    rows = Invoice.objects.select_related("order", "order__customer", "shipment", "red_of", "requested_by", "issued_by")
    q = visible_orders_q(user)
    return rows if q is None else rows.filter(order__in=SalesOrder.objects.filter(q).values("pk"))
