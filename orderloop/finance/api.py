"""The money API (/api/finance/…): payment plans, receipts and allocations, invoices, receivables. Thin: every rule
lives in the finance services (``finance.receipts`` recording and allocating, ``finance.bank_statements`` the bank
statement import, ``finance.invoices``; the reads in ``finance.queue``); errors in the API's one format
(core.schemas.ErrorOut). Reading is for ``MONEY_READERS`` (the instalments of the orders they see, the receipts of the
customers they see); recording, allocating and importing for ``MONEY_RECORDERS`` (finance) only, any other role 403
before the body is read. Money is a decimal string with two places ("15000.00"), dates ISO 8601."""
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from orderloop.accounts.api import roles
from orderloop.accounts.permissions import INVOICE_REQUESTERS, MONEY_READERS, MONEY_RECORDERS, ORDER_ENTRY
from orderloop.core.exceptions import NotFound
from orderloop.core.ids import MAX_ID
from orderloop.core.schemas import errors
from orderloop.finance import invoices as service
from orderloop.finance.bank_statements import MAX_BYTES, statement_import, statement_suggestions
from orderloop.finance.gates import holds
from orderloop.finance.invoices import InvoiceRequestIn
from orderloop.finance.models import Invoice, InvoiceStatus
from orderloop.finance.receivables import BUCKETS, ageing
from orderloop.finance.queue import (collection_queue, condition_of, customer_money, receipt_allocations,
                                     receipt_list, receipts_visible, with_allocations)
from orderloop.finance.receipts import Share, receipt_allocate, receipt_record
from orderloop.masterdata.models import PaymentTerm
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.payments import condition_text
from orderloop.orders.schemas import LocalTime
from orderloop.orders.selectors import order_get

router = Router(tags=["money"])  # not "finance": that is a role's code
Ref = Annotated[str, Path(pattern=r"^[^\x00]+$", description="The order's number or provisional reference.")]
InvoiceId = Annotated[int, Path(ge=1, le=2**63 - 1, description="The invoice's id.")]


class InvoiceLineOut(Schema):
    position: int = Field(description="行号, from 1.")
    line_id: int | None = Field(description="The order line invoiced (its id).")
    description: str = Field(description="项目名称.")
    model: str = Field(description="规格型号.")
    unit: str = Field(description="单位.")
    quantity: Decimal = Field(description="数量, a decimal string (negative on a red-letter invoice).")
    amount: Decimal = Field(description="价税合计, tax-inclusive: a decimal string with two places.")
    tax_rate: Decimal = Field(description="税率: 0.13, 0.09, 0.06, 0.03, 0.01 or 0.00.")
    tax: Decimal = Field(description="税额 = amount × rate / (1 + rate), rounded half-up to the fen.")
    net: Decimal = Field(description="金额 = amount − tax.")


class InvoiceOut(Schema):
    id: int
    order: str = Field(description="The order's number (or provisional reference).")
    shipment: int | None = Field(description="The consignment invoiced (发货批次 number); null: the order.")
    kind: str = Field(description="special (数电专票) or ordinary (数电普票).")
    kind_label: str
    status: str = Field(description="requested (待开票), issued (已开票) or reversed (已红冲). A red-letter invoice is issued, "
                        "with red_of set.")
    status_label: str
    buyer_name: str = Field(description="购买方名称.")
    buyer_tax_id: str = Field(description="纳税人识别号 (unified social credit code).")
    buyer_address_phone: str = Field(description="地址、电话.")
    buyer_bank_account: str = Field(description="开户行及账号.")
    remark: str
    amount: Decimal = Field(description="价税合计: the sum of the lines' amounts (negative on a red-letter invoice).")
    tax: Decimal = Field(description="税额: the sum of the lines' tax (per line, half-up to the fen).")
    net: Decimal = Field(description="金额: the sum of the lines' net amounts.")
    number: str | None = Field(description="The 20-digit 数电 invoice number, once issued.")
    issued_on: date | None = Field(description="开票日期, once issued.")
    requested_by: str = Field(description="Who requested it (username).")
    requested_at: LocalTime
    issued_by: str | None = Field(description="Who recorded it as issued (username).")
    red_of: int | None = Field(description="On a red-letter invoice: the id of the invoice it reverses.")
    red_letter: int | None = Field(description="On a reversed invoice: the id of its red-letter invoice.")
    reason: str = Field(description="On a red-letter invoice: why it was reversed.")
    lines: list[InvoiceLineOut]


class InvoicePage(Schema):
    count: int
    page: int
    page_size: int
    items: list[InvoiceOut]


class InvoiceIssueIn(Schema):
    number: str = Field(max_length=40, description="The 20-digit 数电 invoice number (unique).")
    issued_on: date = Field(description="开票日期, not in the future.")


class RedLetterIn(Schema):
    number: str = Field(max_length=40, description="The red-letter invoice's own 20-digit number (unique).")
    issued_on: date = Field(description="Its date: not in the future, not before the reversed invoice's.")
    reason: str = Field(max_length=500, description="红冲原因.")


class WithdrawIn(Schema):
    reason: str = Field(max_length=500, description="Why the request is withdrawn (撤回) or returned (退回).")


class InvoiceFilters(Schema):
    status: InvoiceStatus | None = Field(None, description="requested, issued, reversed or withdrawn; none: all.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=200)


def invoice_data(invoice: Invoice) -> dict:
    red_letter = getattr(invoice, "red_letter", None) if invoice.status == InvoiceStatus.REVERSED else None
    return {
        "id": invoice.pk, "order": invoice.order.ref, "shipment": invoice.shipment.position if invoice.shipment_id else None,
        "kind": invoice.kind, "kind_label": invoice.get_kind_display(), "status": invoice.status,
        "status_label": invoice.get_status_display(), "buyer_name": invoice.buyer_name, "buyer_tax_id": invoice.buyer_tax_id,
        "buyer_address_phone": invoice.buyer_address_phone, "buyer_bank_account": invoice.buyer_bank_account,
        "remark": invoice.remark, "amount": invoice.amount, "tax": invoice.tax, "net": invoice.net, "number": invoice.number,
        "issued_on": invoice.issued_on, "requested_by": invoice.requested_by.username, "requested_at": invoice.requested_at,
        "issued_by": invoice.issued_by.username if invoice.issued_by_id else None, "red_of": invoice.red_of_id,
        "red_letter": red_letter.pk if red_letter else None, "reason": invoice.reason,
        "lines": [{"position": line.position, "line_id": line.order_line_id, "description": line.description,
                   "model": line.model, "unit": line.unit, "quantity": line.quantity, "amount": line.amount,
                   "tax_rate": line.tax_rate, "tax": line.tax, "net": line.net} for line in invoice.lines.all()],
    }


def _one(invoice_id: int) -> dict:
    invoice = (Invoice.objects.select_related("order", "shipment", "requested_by", "issued_by")
               .prefetch_related("lines").get(pk=invoice_id))
    return invoice_data(invoice)


@router.post("/orders/{ref}/invoices", auth=roles(*INVOICE_REQUESTERS),
             response={201: InvoiceOut, **errors(400, 401, 403, 404, 409, 422)}, summary="Request an invoice (开票申请)",
             description="The account manager's invoice request for an order they see (confirmed onwards), or one of its "
             "consignments (`shipment`). Refused (422) beyond what of the order is not yet invoiced (net of red-letter "
             "invoices); finance is told.")
def invoice_create(request: HttpRequest, ref: Ref, data: InvoiceRequestIn):
    order = order_get(user=request.auth, ref=ref)
    invoice = service.invoice_request(order_id=order.pk, actor=request.auth, data=data)
    return Status(201, _one(invoice.pk))


@router.get("/orders/{ref}/invoices", auth=roles(*MONEY_READERS), response={200: list[InvoiceOut], **errors(401, 403, 404, 422)},
            summary="The order's invoices")
def invoice_index_of_order(request: HttpRequest, ref: Ref):
    order = order_get(user=request.auth, ref=ref)
    return [invoice_data(invoice) for invoice in service.invoices_of(order)]


@router.get("/invoices", auth=roles(*MONEY_READERS), response={200: InvoicePage, **errors(401, 403, 422)},
            summary="Invoices of the orders the caller sees (status=requested: finance's queue, oldest first)")
def invoice_index(request: HttpRequest, filters: Query[InvoiceFilters]):
    rows = service.invoices_visible_to(request.auth).prefetch_related("lines")
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.status == InvoiceStatus.REQUESTED:
        rows = rows.order_by("requested_at", "id")
    start = (filters.page - 1) * filters.page_size
    return {"count": rows.count(), "page": filters.page, "page_size": filters.page_size,
            "items": [invoice_data(invoice) for invoice in rows[start:start + filters.page_size]]}


@router.post("/invoices/{invoice_id}/issue", auth=roles(*MONEY_RECORDERS),
             response={200: InvoiceOut, **errors(400, 401, 403, 404, 409, 422)}, summary="Record the issued invoice (登记发票)",
             description="Finance records the 20-digit 数电 number and the date of the invoice issued for a request; "
             "instalments counted from the invoice fall due. A number already recorded is refused (422).")
def invoice_issue(request: HttpRequest, invoice_id: InvoiceId, data: InvoiceIssueIn):
    invoice = service.invoice_issue(invoice_id=invoice_id, number=data.number, issued_on=data.issued_on, actor=request.auth)
    return _one(invoice.pk)


@router.post("/invoices/{invoice_id}/red-letter", auth=roles(*MONEY_RECORDERS),
             response={201: InvoiceOut, **errors(400, 401, 403, 404, 409, 422)}, summary="Reverse an issued invoice (红冲)",
             description="Finance records the red-letter invoice (红字发票) reversing an issued one: its lines are the "
             "original's, negated; the original becomes reversed. Returns the red-letter invoice.")
def invoice_reverse(request: HttpRequest, invoice_id: InvoiceId, data: RedLetterIn):
    red = service.invoice_red_letter(invoice_id=invoice_id, number=data.number, issued_on=data.issued_on,
                                     reason=data.reason, actor=request.auth)
    return Status(201, _one(red.pk))


@router.post("/invoices/{invoice_id}/withdraw", auth=roles(*(INVOICE_REQUESTERS | MONEY_RECORDERS)),
             response={200: InvoiceOut, **errors(400, 401, 403, 404, 409, 422)},
             summary="Withdraw an invoice request (撤回 / 退回)",
             description="An invoice request not yet issued is withdrawn by an account manager or sales assistant who sees "
             "its order, or returned by finance (the requester is told), with a reason; its amount may be requested "
             "again. Anything but a request is refused (409).")
def invoice_withdraw(request: HttpRequest, invoice_id: InvoiceId, data: WithdrawIn):
    invoice = service.invoice_withdraw(invoice_id=invoice_id, reason=data.reason, actor=request.auth)
    return _one(invoice.pk)


# --- receivables (应收账款) ------------------------------------------------------------------------------------

class ReceivablesQuery(Schema):
    by: Literal["customer", "owner", "team"] = Field("customer", description="Group by customer, by the orders' "
                                                     "owner (销售负责人) or by the owner's team.")
    on: date | None = Field(None, description="The day the ageing is taken on (default: today, Beijing time).")


class AgeingAmounts(Schema):
    not_due: str = Field(description="未到期: no due date yet, or due on the day or later. Money: a decimal string with two places.")
    d1_30: str = Field(description="1–30 calendar days overdue.")
    d31_60: str = Field(description="31–60 days overdue.")
    d61_90: str = Field(description="61–90 days overdue.")
    over_90: str = Field(description="More than 90 days overdue.")
    overdue: str = Field(description="Every overdue bucket together.")
    total: str = Field(description="Everything outstanding.")
    instalments: int = Field(description="Open instalments counted.")
    overdue_instalments: int = Field(description="Of them, overdue.")


class AgeingRowOut(AgeingAmounts):
    id: int | None = Field(description="The customer's, owner's or team's id (null: owners in no team).")
    name: str


class AgeingOut(Schema):
    by: str
    on: date
    buckets: list[str] = Field(description="The buckets' keys, in order.")
    rows: list[AgeingRowOut] = Field(description="The largest overdue amount first.")
    total: AgeingAmounts


def _amounts(row) -> dict:
    values = {key: f"{row.amounts[key]:.2f}" for key, *_rest in BUCKETS}
    return {**values, "overdue": f"{row.overdue:.2f}", "total": f"{row.total:.2f}", "instalments": row.instalments,
            "overdue_instalments": row.overdue_instalments}


@router.get("/receivables", auth=roles(*MONEY_READERS), response={200: AgeingOut, **errors(401, 403, 422)},
            summary="Receivables ageing (应收账款账龄) by customer, owner or team")
def receivables_ageing(request: HttpRequest, query: Query[ReceivablesQuery]):
    """The open instalments' outstanding amounts of the orders the caller may see, by bucket of calendar days past
    their due date, grouped as asked; finance, the director and the admin see every order."""
    result = ageing(request.auth, by=query.by, today=query.on)
    return {"by": result.by, "on": result.today, "buckets": [key for key, *_rest in BUCKETS],
            "rows": [{"id": row.key, "name": row.label, **_amounts(row)} for row in result.rows],
            "total": _amounts(result.total)}


# --- receipts (回款), their allocation, a customer's balance, bank statements ---------------------------------

Id = Annotated[int, Path(ge=1, le=MAX_ID)]
MONEY = "A decimal string with two places (yuan and fen), e.g. \"15000.00\"."


class InstalmentRow(Schema):
    """One instalment of an order's payment plan (付款计划分期)."""
    id: int = Field(description="The instalment's id: what an allocation names.")
    order_ref: str = Field(description="The order's number.")
    order_status: str = Field(description="The order's state (SPEC section 2).")
    customer_id: int
    customer_name: str
    number: int = Field(description="期次, from 1.")
    trigger: str = Field(description="on_confirmation, before_shipment, on_delivery, days_after_delivery, "
                         "days_after_invoice or fixed_date.")
    condition: str = Field(description="The trigger in words, e.g. 确认订单时, 到货后60天.")
    amount: Decimal = Field(description=f"What is due. {MONEY}")
    received: Decimal = Field(description=f"The sum of its allocations. {MONEY}")
    written_off: Decimal = Field(description=f"Written off by a manager (尾款核销). {MONEY}")
    outstanding: Decimal = Field(description=f"amount − received − written_off. {MONEY}")
    due_date: date | None = Field(description="When it falls due, as far as the order's progress tells; else null.")
    holds: bool = Field(description="It holds its order now: a deposit (on_confirmation) while the order is confirmed "
                        "holds start_fulfillment, a before_shipment instalment while it is ready_to_ship holds ship.")
    is_open: bool = Field(description="Something is outstanding.")


class InstalmentQuery(Schema):
    open: bool = Field(True, description="Only instalments with something outstanding (待收款).")
    customer: int | None = Field(None, ge=1, le=MAX_ID, description="Only this customer's.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=200)


class InstalmentPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[InstalmentRow] = Field(description="Those holding an order first, then by due date (undated last).")


class ShareIn(Schema):
    instalment_id: int = Field(ge=1, le=MAX_ID, description="An open instalment of the receipt's customer.")
    amount: Decimal = Field(description=f"What of the receipt pays it: at most its outstanding amount. {MONEY}")


class ReceiptIn(Schema):
    customer_id: int = Field(ge=1, le=MAX_ID, description="Who paid.")
    received_on: date = Field(description="到账日期: not after today.")
    payer: str | None = Field(None, max_length=200, description="付款方 as the bank names it; the customer's name when omitted.")
    amount: Decimal = Field(description=f"What came in, more than 0. {MONEY}")
    bank_reference: str = Field("", max_length=100, description="银行流水号: one bank line is recorded once (a second "
                                "receipt naming it is refused).")
    remark: str = Field("", max_length=500)
    allocations: list[ShareIn] = Field(default_factory=list, max_length=200, description=(
        "Allocate at once (回款核销), in the same transaction; the rest stays the customer's balance (预收余额)."))


class AllocationsIn(Schema):
    allocations: list[ShareIn] = Field(min_length=1, max_length=200, description="What of the receipt's balance pays "
                                       "which instalment; all or nothing.")


class AllocationOut(Schema):
    id: int
    instalment_id: int
    order_ref: str
    number: int = Field(description="The instalment's 期次.")
    amount: Decimal = Field(description=MONEY)
    allocated_by: str = Field(description="Username.")
    allocated_at: LocalTime


class ReceiptOut(Schema):
    """A receipt (回款) and what of it is allocated."""
    id: int
    customer_id: int
    customer_name: str
    received_on: date
    payer: str
    amount: Decimal = Field(description=MONEY)
    allocated: Decimal = Field(description=f"The sum of its allocations. {MONEY}")
    unallocated: Decimal = Field(description=f"What is left: part of the customer's balance (预收余额). {MONEY}")
    bank_reference: str
    remark: str
    source: str = Field(description="manual (登记) or statement (a bank statement import).")
    statement_id: int | None = Field(description="The bank statement import it comes from.")
    recorded_by: str = Field(description="Username.")
    recorded_at: LocalTime
    allocations: list[AllocationOut]


class ReceiptQuery(Schema):
    customer_id: int | None = Field(None, ge=1, le=MAX_ID)
    q: str | None = Field(None, max_length=100, description="Search: payer, customer name, bank reference.")
    open: bool = Field(False, description="Only receipts with something left to allocate.")
    date_from: date | None = Field(None, description="Received on or after.")
    date_to: date | None = Field(None, description="Received on or before.")
    page: int = Field(1, ge=1, le=1_000_000)
    page_size: int = Field(50, ge=1, le=200)


class ReceiptPage(Schema):
    count: int
    page: int
    page_size: int
    items: list[ReceiptOut]


class BalanceOut(Schema):
    customer_id: int
    customer_name: str
    received: Decimal = Field(description=f"Every receipt of the customer. {MONEY}")
    allocated: Decimal = Field(description=f"What of it is allocated to instalments. {MONEY}")
    balance: Decimal = Field(description=f"预收余额: received − allocated. {MONEY}")
    owed: Decimal = Field(description=f"What the customer's open instalments still owe. {MONEY}")


class SkippedLine(Schema):
    row: int = Field(description="The line's row in the file.")
    bank_reference: str
    reason: str


class SuggestedReceipt(Schema):
    receipt: ReceiptOut
    suggestions: list[InstalmentRow] = Field(description="Exact matches: open instalments of its customer whose "
                                             "outstanding amount equals what is left of the receipt. Allocate the one "
                                             "confirmed with POST /api/finance/receipts/{id}/allocations.")


class StatementOut(Schema):
    id: int = Field(description="The import's id.")
    filename: str
    imported: int = Field(description="How many lines became receipts.")
    receipts: list[SuggestedReceipt]
    skipped: list[SkippedLine] = Field(description="Lines not imported: their 流水号 was recorded already, or no money "
                                       "came in (an empty credit, a payment out).")


def _instalment(row) -> dict:
    order = row.order
    held = getattr(row, "holds", None)  # annotated by the queue
    return {"id": row.pk, "order_ref": order.ref, "order_status": order.status, "customer_id": order.customer_id,
            "customer_name": order.customer.name, "number": row.number, "trigger": row.trigger,
            "condition": condition_of(row), "amount": row.amount, "received": row.received,
            "written_off": row.written_off, "outstanding": row.outstanding, "due_date": row.due_date,
            "holds": holds(row, order) if held is None else bool(held), "is_open": row.is_open}


def _receipt(receipt) -> dict:
    return {
        "id": receipt.pk, "customer_id": receipt.customer_id, "customer_name": receipt.customer.name,
        "received_on": receipt.received_on, "payer": receipt.payer, "amount": receipt.amount,
        "allocated": receipt.allocated, "unallocated": receipt.unallocated, "bank_reference": receipt.bank_reference,
        "remark": receipt.remark, "source": receipt.source, "statement_id": receipt.statement_id,
        "recorded_by": receipt.recorded_by.username, "recorded_at": receipt.recorded_at,
        "allocations": [{"id": a.pk, "instalment_id": a.instalment_id, "order_ref": a.instalment.order.ref,
                         "number": a.instalment.number, "amount": a.amount, "allocated_by": a.allocated_by.username,
                         "allocated_at": a.allocated_at} for a in receipt_allocations(receipt)],
    }


def _receipt_read(request, receipt_id: int) -> dict:
    receipt = receipts_visible(request.auth).select_related("customer", "recorded_by").filter(pk=receipt_id).first()
    if receipt is None:
        raise NotFound(_("回款不存在"))
    return _receipt(receipt)


def _shares(items: list[ShareIn]) -> list[Share]:
    return [Share(item.instalment_id, item.amount) for item in items]


class TermInstalmentOut(Schema):
    percent: str | None = Field(None, description="The share of the order's total, e.g. \"30\"; null for a fixed amount.")
    amount: str | None = Field(None, description="A fixed amount (decimal string); null for a percentage.")
    trigger: str = Field(description="on_confirmation, before_shipment, on_delivery, days_after_delivery, days_after_invoice or fixed_date.")
    days: int = Field(0, description="For the counted triggers: N days after delivery or the invoice.")
    working_days: bool = Field(False, description="N counts working days of the business calendar.")
    date: str | None = Field(None, description="For fixed_date: the day, ISO 8601.")
    condition: str = Field(description="The trigger in words, e.g. 确认订单时, 开票后30天.")


class PaymentTermOut(Schema):
    id: int
    name: str = Field(description="The term's name, e.g. 30%预付,余款到付 (an order's 付款方式 naming it follows it).")
    instalments: list[TermInstalmentOut]


@router.get("/payment-terms", auth=roles(*(MONEY_READERS | ORDER_ENTRY)), response={200: list[PaymentTermOut], **errors(401, 403)},
            summary="The structured payment terms in use (付款条件): presets and the company's own")
def payment_term_index(request: HttpRequest):
    return [{"id": term.pk, "name": term.name, "instalments": [
        {"percent": None if item.get("percent") in (None, "") else str(item["percent"]),
         "amount": None if item.get("amount") in (None, "") else str(item["amount"]),
         "trigger": item["trigger"], "days": int(item.get("days") or 0), "working_days": bool(item.get("working_days")),
         "date": str(item["date"]) if item.get("date") else None, "condition": condition_text(item)}
        for item in term.instalments]} for term in PaymentTerm.objects.filter(is_active=True).order_by("name")]


@router.get("/instalments", auth=roles(*MONEY_READERS), response={200: InstalmentPage, **errors(401, 403, 422)},
            summary="Instalments of the orders the caller sees (待收款: open ones, those holding an order first)")
def instalment_index(request: HttpRequest, query: Query[InstalmentQuery]):
    rows = collection_queue(request.auth, customer_id=query.customer, open_only=query.open)
    count = rows.count()
    items = rows[(query.page - 1) * query.page_size: query.page * query.page_size]
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": [_instalment(r) for r in items]}


@router.post("/receipts", auth=roles(*MONEY_RECORDERS), response={201: ReceiptOut, **errors(400, 401, 403, 404, 422)},
             summary="Record a receipt (登记回款), allocating it at once where asked")
def receipt_create(request: HttpRequest, data: ReceiptIn):
    customer = customers_visible_to(request.auth).filter(pk=data.customer_id).first()
    if customer is None:
        raise NotFound(_("客户不存在"))
    receipt = receipt_record(customer_id=customer.pk, received_on=data.received_on,
                             payer=customer.name if data.payer is None else data.payer, amount=data.amount,
                             bank_reference=data.bank_reference, remark=data.remark, actor=request.auth,
                             allocations=_shares(data.allocations))
    return Status(201, _receipt_read(request, receipt.pk))


@router.get("/receipts", auth=roles(*MONEY_READERS), response={200: ReceiptPage, **errors(401, 403, 422)},
            summary="Receipts of the customers the caller sees, newest first")
def receipt_index(request: HttpRequest, query: Query[ReceiptQuery]):
    rows = receipt_list(request.auth, customer_id=query.customer_id, q=(query.q or "").strip(),
                        unallocated_only=query.open, date_from=query.date_from, date_to=query.date_to)
    count = rows.count()
    items = with_allocations(rows[(query.page - 1) * query.page_size: query.page * query.page_size])
    return {"count": count, "page": query.page, "page_size": query.page_size, "items": [_receipt(r) for r in items]}


@router.post("/receipts/{receipt_id}/allocations", auth=roles(*MONEY_RECORDERS),
             response={200: ReceiptOut, **errors(400, 401, 403, 404, 422)},
             summary="Allocate what is left of a receipt (核销余额) to open instalments")
def receipt_allocations_create(request: HttpRequest, receipt_id: Id, data: AllocationsIn):
    _receipt_read(request, receipt_id)  # 404 when there is none
    receipt_allocate(receipt_id=receipt_id, allocations=_shares(data.allocations), actor=request.auth)
    return _receipt_read(request, receipt_id)


@router.get("/customers/{customer_id}/balance", auth=roles(*MONEY_READERS), response={200: BalanceOut, **errors(401, 403, 404, 422)},
            summary="A customer's money: received, allocated, balance (预收余额) and what is owed")
def customer_balance_read(request: HttpRequest, customer_id: Id):
    customer = customers_visible_to(request.auth).filter(pk=customer_id).first()
    if customer is None:
        raise NotFound(_("客户不存在"))
    money = customer_money(customer.pk)
    return {"customer_id": customer.pk, "customer_name": customer.name, "received": money.received,
            "allocated": money.allocated, "balance": money.balance, "owed": money.owed}


@router.post("/statements", auth=roles(*MONEY_RECORDERS), response={201: StatementOut, **errors(400, 401, 403, 422)},
             summary="Import a bank statement (.xlsx or .csv): every line a receipt, or none",
             description="Columns 交易日期/到账日期, 付款方/对方户名, 金额/贷方金额, 流水号/交易流水号 and, optional, 摘要/备注. "
             "A malformed line is reported by row and column (`errors`, keyed 第N行「列」) and nothing is imported. "
             "Each receipt comes with its suggested exact matches.")
def statement_create(request: HttpRequest, file: File[UploadedFile]):
    result = statement_import(actor=request.auth, content=file.read(MAX_BYTES + 1), filename=file.name or "")
    suggestions = {s.receipt.pk: s for s in statement_suggestions(result.statement)}
    receipts = []
    for receipt in result.receipts:
        found = suggestions.get(receipt.pk)
        receipts.append({"receipt": _receipt_read(request, receipt.pk),
                         "suggestions": [_instalment(item.instalment) for item in found.candidates]
                         if found else []})
    return Status(201, {"id": result.statement.pk, "filename": result.statement.filename,
                        "imported": len(result.receipts), "receipts": receipts, "skipped": result.skipped})
