"""The money API (/api/finance/…): payment plans, receipts and allocations, invoices, receivables. Thin: every rule
lives in the finance services; errors in the API's one format (core.schemas.ErrorOut)."""
from datetime import date
from decimal import Decimal
from typing import Annotated, Literal

from django.http import HttpRequest
from ninja import Path, Query, Router, Schema, Status
from pydantic import Field

from orderloop.accounts.api import roles
from orderloop.accounts.permissions import INVOICE_REQUESTERS, MONEY_READERS, MONEY_RECORDERS
from orderloop.core.schemas import errors
from orderloop.finance import invoices as service
from orderloop.finance.invoices import InvoiceRequestIn
from orderloop.finance.models import Invoice, InvoiceStatus
from orderloop.finance.receivables import BUCKETS, ageing
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


class InvoiceFilters(Schema):
    status: InvoiceStatus | None = Field(None, description="requested, issued or reversed; none: all.")
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
