"""The money API (/api/finance/…): payment plans, receipts and allocations, invoices, receivables.

Thin, as the order API: the rules live in ``finance.receipts`` (recording and allocating), ``finance.bank_statements``
(bank statement import) and the reads in ``finance.queue``. Reading is for ``MONEY_READERS`` (the instalments of the
orders they see, the receipts of the customers they see); recording, allocating and importing for
``MONEY_RECORDERS`` (finance) only, any other role 403 before the body is read. Money is a decimal string with two
places ("15000.00"), dates ISO 8601."""
from datetime import date
from decimal import Decimal
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from orderloop.accounts.api import roles
from orderloop.accounts.permissions import MONEY_READERS, MONEY_RECORDERS
from orderloop.core.exceptions import NotFound
from orderloop.core.ids import MAX_ID
from orderloop.core.schemas import errors
from orderloop.finance.gates import holds
from orderloop.finance.queue import (collection_queue, condition_of, customer_money, receipt_allocations,
                                     receipt_list, receipts_visible)
from orderloop.finance.receipts import Share, receipt_allocate, receipt_record
from orderloop.finance.bank_statements import statement_import, statement_suggestions
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.schemas import LocalTime

router = Router(tags=["finance"])
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
    items = rows[(query.page - 1) * query.page_size: query.page * query.page_size]
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
    result = statement_import(actor=request.auth, content=file.read(), filename=file.name or "")
    suggestions = {s.receipt.pk: s for s in statement_suggestions(result.statement)}
    receipts = []
    for receipt in result.receipts:
        found = suggestions.get(receipt.pk)
        receipts.append({"receipt": _receipt_read(request, receipt.pk),
                         "suggestions": [_instalment(item.instalment) for item in found.candidates]
                         if found else []})
    return Status(201, {"id": result.statement.pk, "filename": result.statement.filename,
                        "imported": len(result.receipts), "receipts": receipts, "skipped": result.skipped})
