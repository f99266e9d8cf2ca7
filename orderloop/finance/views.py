"""Finance's pages: thin views over ``finance`` services and reads.

待收款 (/finance/): the open instalments, those holding an order first, each offering 登记回款; 回款 (/finance/receipts/):
the receipts with what is left of each, a receipt's page allocating the rest; 导入银行流水 (/finance/statements/…):
a statement's upload, then its suggested matches to confirm. Reading is for ``MONEY_READERS`` (the instalments and
receipts they see), recording, allocating and importing for ``MONEY_RECORDERS`` only."""
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.accounts.permissions import MONEY_READERS, MONEY_RECORDERS
from orderloop.core import clock
from orderloop.core.dates import parse_date
from orderloop.core.exceptions import DomainError, InvalidInput
from orderloop.core.ids import id_or_none
from orderloop.core.money import amount_text
from orderloop.finance.models import Instalment
from orderloop.finance.queue import (collection_queue, customer_money, customer_open_items, instalments_visible,
                                     open_items, receipt_allocations, receipt_list, receipts_visible)
from orderloop.finance.receipts import Share, receipt_allocate, receipt_record
from orderloop.finance.bank_statements import (statement_columns, statement_confirm, statement_get, statement_import,
                                          statement_suggestions)
from orderloop.masterdata.models import Customer
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.sheets import MAX_ROWS

PAGE_SIZE = 50


def _readers_only(request) -> None:
    if not request.user.has_role(*MONEY_READERS):
        raise PermissionDenied(_("您的角色不能查看应收与回款"))


def _recorders_only(request) -> None:
    if not request.user.has_role(*MONEY_RECORDERS):
        raise PermissionDenied(_("只有财务可以登记回款、核销和导入银行流水"))


def _may_record(request) -> bool:
    return request.user.has_role(*MONEY_RECORDERS)


def _page(request, rows):
    return Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))


@login_required
def queue(request):
    """待收款: the open instalments, those holding an order first."""
    _readers_only(request)
    q = request.GET.get("q", "").strip()[:100]
    customer_id = id_or_none(request.GET.get("customer"))
    page = _page(request, collection_queue(request.user, customer_id=customer_id, q=q))
    return render(request, "finance/queue.html", {
        "page": page, "items": open_items(page.object_list), "q": q, "customer_id": customer_id,
        "may_record": _may_record(request)})


# --- 登记回款 ---------------------------------------------------------------------------------------------------

def _customer_for(request, customer_id) -> Customer:
    customer = customers_visible_to(request.user).filter(pk=customer_id).first() if customer_id else None
    if customer is None:
        raise Http404(_("客户不存在"))
    return customer


def _allocation_rows(items, values: dict, errors: dict, shares_index: dict[int, int]) -> list[dict]:
    """The allocation inputs, one per open instalment: its amount as typed and the messages about it."""
    rows = []
    for item in items:
        pk = item.instalment.pk
        index = shares_index.get(pk)
        row_errors = []
        if index is not None:
            row_errors = errors.get(f"allocations.{index}.amount", []) + errors.get(f"allocations.{index}.instalment_id", [])
        rows.append({"item": item, "value": values.get(pk, ""), "errors": row_errors})
    return rows


def _new_context(request, customer, *, values, allocations, errors=None, error=""):
    items = customer_open_items(customer.pk, request.user, first=values.get("instalment"))
    return {"customer": customer, "values": values, "errors": errors or {}, "error": error,
            "rows": _allocation_rows(items, allocations, errors or {}, values.get("shares_index", {})),
            "money": customer_money(customer.pk)}


@login_required
def receipt_new(request):
    """登记回款: the receipt's details and, for the customer's open instalments, what of it pays each."""
    _recorders_only(request)
    source = request.POST if request.method == "POST" else request.GET
    instalment = None
    instalment_id = id_or_none(source.get("instalment"))
    if instalment_id is not None:
        instalment = instalments_visible(request.user, Instalment.objects.select_related("order")).filter(
            pk=instalment_id).first()
    customer_id = instalment.order.customer_id if instalment else id_or_none(source.get("customer"))
    if customer_id is None:  # first the customer
        customers = customers_visible_to(request.user).filter(is_active=True).order_by("name")
        posted = request.method == "POST"
        return render(request, "finance/receipt_customer.html", {
            "customers": customers, "error": _("请选择付款的客户") if posted else ""}, status=422 if posted else 200)
    customer = _customer_for(request, customer_id)
    if request.method != "POST":
        values = {"received_on": clock.today().isoformat(), "payer": customer.name, "amount": "",
                  "bank_reference": "", "remark": "", "instalment": instalment.pk if instalment else None}
        allocations = {}
        if instalment is not None and instalment.is_open:
            values["amount"] = f"{instalment.outstanding:.2f}"
            allocations[instalment.pk] = f"{instalment.outstanding:.2f}"
        return render(request, "finance/receipt_new.html", _new_context(request, customer, values=values,
                                                                        allocations=allocations))
    values = {name: request.POST.get(name, "").strip() for name in
              ("received_on", "payer", "amount", "bank_reference", "remark")}
    values["instalment"] = instalment.pk if instalment else None
    allocations, shares = {}, []
    for item in customer_open_items(customer.pk, request.user):
        typed = request.POST.get(f"alloc-{item.instalment.pk}", "").strip()
        allocations[item.instalment.pk] = typed
        if typed:
            shares.append(Share(item.instalment.pk, typed.replace(",", "")))
    values["shares_index"] = {share.instalment_id: index for index, share in enumerate(shares)}
    received_on, date_error = None, None
    if values["received_on"]:
        try:
            received_on = parse_date(values["received_on"])
        except ValueError:
            date_error = _("到账日期格式应为 YYYY-MM-DD")
    try:
        receipt = receipt_record(customer_id=customer.pk, received_on=received_on, payer=values["payer"],
                                 amount=values["amount"].replace(",", ""), bank_reference=values["bank_reference"],
                                 remark=values["remark"], actor=request.user, allocations=shares)
    except InvalidInput as exc:
        errors = dict(exc.errors)
        if date_error:
            errors["received_on"] = [date_error]
        context = _new_context(request, customer, values=values, allocations=allocations, errors=errors,
                               error=exc.message)
        return render(request, "finance/receipt_new.html", context, status=422)
    allocated = receipt.allocated
    messages.success(request, _("已登记回款 %(amount)s 元（%(payer)s），核销 %(allocated)s 元，余额 %(left)s 元") % {
        "amount": amount_text(receipt.amount), "payer": receipt.payer, "allocated": amount_text(allocated),
        "left": amount_text(receipt.amount - allocated)})
    return redirect(reverse("finance:receipt", args=[receipt.pk]))


# --- 回款 ----------------------------------------------------------------------------------------------------------

def _date_or_none(value):
    try:
        return parse_date(value) if value else None
    except ValueError:
        return None


@login_required
def receipts(request):
    """回款: the receipts, newest first, with what is left of each (the customer's balance)."""
    _readers_only(request)
    q = request.GET.get("q", "").strip()[:100]
    open_only = request.GET.get("open") == "1"
    date_from, date_to = _date_or_none(request.GET.get("from", "")), _date_or_none(request.GET.get("to", ""))
    customer_id = id_or_none(request.GET.get("customer"))
    rows = receipt_list(request.user, customer_id=customer_id, q=q, unallocated_only=open_only, date_from=date_from,
                        date_to=date_to)
    return render(request, "finance/receipt_list.html", {
        "page": _page(request, rows), "q": q, "open_only": open_only, "date_from": date_from, "date_to": date_to,
        "customer_id": customer_id, "may_record": _may_record(request)})


def _receipt(request, receipt_id):
    receipt = receipts_visible(request.user).select_related("customer", "recorded_by", "statement").filter(
        pk=receipt_id).first()
    if receipt is None:
        raise Http404(_("回款不存在"))
    return receipt


def _receipt_page(request, receipt, *, allocations=None, errors=None, error="", status=200):
    items = customer_open_items(receipt.customer_id, request.user) if _may_record(request) and receipt.unallocated > 0 else []
    index = {pk: i for i, pk in enumerate(pk for pk, typed in (allocations or {}).items() if typed)}
    return render(request, "finance/receipt_detail.html", {
        "receipt": receipt, "allocations": receipt_allocations(receipt), "may_record": _may_record(request),
        "rows": _allocation_rows(items, allocations or {}, errors or {}, index), "errors": errors or {},
        "error": error, "money": customer_money(receipt.customer_id)}, status=status)


@login_required
def receipt_detail(request, receipt_id):
    """One receipt: its allocations, and (finance) the rest of it to allocate."""
    _readers_only(request)
    return _receipt_page(request, _receipt(request, receipt_id))


@login_required
@require_POST
def receipt_allocate_view(request, receipt_id):
    _recorders_only(request)
    receipt = _receipt(request, receipt_id)
    allocations, shares = {}, []
    for item in customer_open_items(receipt.customer_id, request.user):
        typed = request.POST.get(f"alloc-{item.instalment.pk}", "").strip()
        allocations[item.instalment.pk] = typed
        if typed:
            shares.append(Share(item.instalment.pk, typed.replace(",", "")))
    if not shares:
        message = _("请填写要核销到各期的金额")
        return _receipt_page(request, receipt, allocations=allocations, errors={"allocations": [message]},
                             error=message, status=422)
    try:
        made = receipt_allocate(receipt_id=receipt.pk, allocations=shares, actor=request.user)
    except DomainError as exc:
        return _receipt_page(request, _receipt(request, receipt_id), allocations=allocations, errors=exc.errors,
                             error=exc.message, status=exc.http_status)
    total = sum((allocation.amount for allocation in made), Decimal("0.00"))
    messages.success(request, _("已核销 %(amount)s 元") % {"amount": amount_text(total)})
    return redirect(reverse("finance:receipt", args=[receipt.pk]))


# --- 导入银行流水 -------------------------------------------------------------------------------------------------

@login_required
def statement_upload(request):
    _recorders_only(request)
    error, errors = "", {}
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("请选择要导入的银行流水文件（.xlsx 或 .csv）")
        else:
            try:
                result = statement_import(actor=request.user, content=upload.read(), filename=upload.name or "")
            except DomainError as exc:
                error, errors = exc.message, exc.errors
            else:
                messages.success(request, _("已导入 %(n)s 笔回款，跳过 %(skipped)s 行") % {
                    "n": len(result.receipts), "skipped": len(result.skipped)})
                return redirect(reverse("finance:statement", args=[result.statement.pk]))
    return render(request, "finance/statement_import.html", {"error": error, "errors": errors, "max_rows": MAX_ROWS,
                                                             "columns": statement_columns()},
                  status=422 if error else 200)


def _statement(request, statement_id):
    try:
        return statement_get(statement_id, request.user)
    except DomainError as exc:
        if exc.http_status == 403:
            raise PermissionDenied(exc.message) from exc
        raise Http404(exc.message) from exc


def _statement_page(request, statement, *, error="", errors=None, ticked=None, status=200):
    suggestions = statement_suggestions(statement)
    if ticked is None:
        ticked = {f"{s.receipt.pk}:{s.chosen}" for s in suggestions if s.chosen is not None}
    rows = [{"receipt": s.receipt, "options": [
        {"item": item, "value": f"{s.receipt.pk}:{item.instalment.pk}",
         "checked": f"{s.receipt.pk}:{item.instalment.pk}" in ticked} for item in s.candidates]} for s in suggestions]
    return render(request, "finance/statement_detail.html", {
        "statement": statement, "rows": rows, "error": error, "errors": errors or {},
        "to_confirm": sum(1 for s in suggestions if s.candidates)}, status=status)


@login_required
def statement_detail(request, statement_id):
    """The import's receipts, each with its exact matches to tick."""
    _recorders_only(request)
    return _statement_page(request, _statement(request, statement_id))


@login_required
@require_POST
def statement_confirm_view(request, statement_id):
    _recorders_only(request)
    statement = _statement(request, statement_id)
    picks, ticked = [], set()
    for value in request.POST.getlist("match"):
        receipt_part, _sep, instalment_part = value.partition(":")
        receipt_id, instalment_id = id_or_none(receipt_part), id_or_none(instalment_part)
        if receipt_id is not None and instalment_id is not None:
            picks.append((receipt_id, instalment_id))
            ticked.add(f"{receipt_id}:{instalment_id}")
    try:
        made = statement_confirm(actor=request.user, statement_id=statement.pk, picks=picks)
    except DomainError as exc:
        return _statement_page(request, statement, error=exc.message, errors=exc.errors, ticked=ticked,
                               status=exc.http_status)
    messages.success(request, _("已确认 %(n)s 笔核销") % {"n": made})
    return redirect(reverse("finance:statement", args=[statement.pk]))
