"""Finance's pages: thin views over ``finance`` services and reads.

Invoices: the account manager's 开票申请 form (from the order page), and the invoices list (待开票 for finance) where
finance records the issued invoice's number and date, or reverses an issued one with a red-letter invoice (红冲).
待收款 (/finance/): the open instalments, those holding an order first, each offering 登记回款; 回款
(/finance/receipts/): the receipts with what is left of each, a receipt's page allocating the rest; 导入银行流水
(/finance/statements/…): a bank statement's upload, then its suggested matches to confirm. Reading money is for
``MONEY_READERS`` (the instalments and receipts they see), recording, allocating and importing for
``MONEY_RECORDERS`` only."""
from datetime import date
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.accounts.permissions import INVOICE_REQUESTERS, MONEY_READERS, MONEY_RECORDERS
from orderloop.core import clock
from orderloop.core.audit import download_record
from orderloop.core.dates import parse_date
from orderloop.core.exceptions import DomainError, InvalidInput, NotAllowed, NotFound
from orderloop.core.ids import id_or_none
from orderloop.core.money import amount_text
from orderloop.finance import invoices as service
from orderloop.finance import receivables_export as ledger
from orderloop.finance.bank_statements import (MAX_BYTES, statement_columns, statement_confirm, statement_get,
                                               statement_import, statement_suggestions)
from orderloop.finance.models import Instalment, InvoiceKind, InvoiceStatus
from orderloop.finance.queue import (collection_queue, customer_money, customer_open_items, instalments_visible,
                                     open_items, receipt_allocations, receipt_list, receipts_visible)
from orderloop.finance.receipts import Share, receipt_allocate, receipt_record
from orderloop.finance.receivables import BUCKETS, GROUPINGS, ageing, may_read, overdue_instalments
from orderloop.finance.registers import (CODES, COLUMNS, DATE_LABEL, FILENAME, TITLE, money_reader, receipt_records,
                                         receipt_register_file, receipt_row)
from orderloop.finance.statements import customer_statement, default_range, statement_pdf
from orderloop.masterdata.models import Customer
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.models import Shipment
from orderloop.orders.registers import CONTENT_TYPES, parse_filters
from orderloop.orders.saved_filters import filter_query
from orderloop.orders.selectors import order_get
from orderloop.orders.sheets import MAX_ROWS
from orderloop.setup.models import CompanyProfile

STATUS_FILTERS = ("requested", "issued", "reversed", "withdrawn", "all")


def _order(request, ref):
    try:
        return order_get(user=request.user, ref=ref)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _form_rows(defaults: dict, post=None) -> list[dict]:
    """The lines of the request form: the defaults, or what was posted (to show it again with its errors)."""
    rows = []
    for index, line in enumerate(defaults["lines"]):
        row = {"index": index, "line": line.order_line, "description": line.description,
               "quantity": format(line.quantity.normalize(), "f"), "amount": str(line.amount),
               "tax_rate": str(line.tax_rate), "open_amount": line.open_amount, "include": True, "errors": []}
        if post is not None:
            key = f"line-{index}-"
            row.update(description=post.get(key + "description", ""), quantity=post.get(key + "quantity", ""),
                       amount=post.get(key + "amount", ""), tax_rate=post.get(key + "tax_rate", ""),
                       include=bool(post.get(key + "include")))
        rows.append(row)
    return rows


def _posted_request(post, rows: list[dict], shipment) -> tuple[dict, dict[int, int]]:
    """The request as InvoiceRequestIn reads it, and {its line index: the form's row}."""
    lines, where = [], {}
    for row in rows:
        if not row["include"]:
            continue
        where[len(lines)] = row["index"]
        line = {"line_id": row["line"].pk, "description": row["description"] or None}
        for name in ("quantity", "amount", "tax_rate"):
            value = str(row[name] or "").strip().replace(",", "")
            line[name] = value or None
        lines.append(line)
    data = {"kind": post.get("kind", ""), "shipment": shipment.position if shipment else None, "lines": lines,
            "remark": post.get("remark", "")}
    for name in ("buyer_name", "buyer_tax_id", "buyer_address_phone", "buyer_bank_account"):
        data[name] = post.get(name, "")
    return data, where


def _row_errors(errors: dict, where: dict[int, int]) -> dict:
    """Errors of ``lines.N.field`` keyed by the form's row instead (``line-R-field``)."""
    shown = {}
    for key, messages_ in errors.items():
        parts = key.split(".")
        if parts[0] == "lines" and len(parts) >= 2 and parts[1].isdigit():
            row = where.get(int(parts[1]), int(parts[1]))
            shown[f"line-{row}-{parts[2] if len(parts) > 2 else 'line_id'}"] = messages_
        else:
            shown[key] = messages_
    return shown


@login_required
def invoice_request(request, ref):
    """开票申请: the buyer's invoicing details and the lines (rate per line), per order or per consignment."""
    if not request.user.has_role(*INVOICE_REQUESTERS):
        raise PermissionDenied(_("只有客户经理和销售助理可以申请开票"))
    order = _order(request, ref)
    shipment = None
    position = id_or_none(request.GET.get("shipment") or request.POST.get("shipment"))
    if position is not None:
        shipment = Shipment.objects.filter(order=order, position=position).first()
        if shipment is None:
            raise Http404(_("订单没有这一批发货"))
    defaults = service.invoice_defaults(order, shipment)
    problem = service.request_problem(order)
    error, errors, status, post = "", {}, 200, None
    if request.method == "POST":
        post = request.POST
        rows = _form_rows(defaults, post)
        data, where = _posted_request(post, rows, shipment)
        try:
            invoice = service.invoice_request(order_id=order.pk, actor=request.user, data=data)
        except NotAllowed as exc:
            raise PermissionDenied(exc.message) from exc
        except DomainError as exc:
            error, status = exc.message, exc.http_status
            errors = _row_errors(exc.errors, where) if isinstance(exc, InvalidInput) else {}
            for row in rows:
                row["errors"] = [m for key, ms in errors.items() if key.startswith(f"line-{row['index']}-") for m in ms]
        else:
            messages.success(request, _("已提交开票申请：价税合计 %(amount)s 元，已通知财务开票") % {
                "amount": service.yuan_text(invoice.amount)})
            return redirect("orders:detail", ref=order.ref)
    else:
        rows = _form_rows(defaults)
    return render(request, "finance/invoice_request.html", {
        "order": order, "shipment": shipment, "shipments": list(order.shipments.all()), "rows": rows,
        "buyer": post or defaults, "kind": (post.get("kind") if post else defaults["kind"]), "kinds": InvoiceKind.choices,
        "rates": [(str(rate), service.rate_text(rate)) for rate in service.RATES], "problem": problem,
        "open_amount": service.open_amount(order), "invoiced": service.invoiced_amount(order),
        "error": error, "errors": errors, "remark": post.get("remark", "") if post else ""}, status=status)


def _list_context(request, *, failed=None, error="", errors=None) -> dict:
    recorder = request.user.has_role(*MONEY_RECORDERS)
    status = request.GET.get("status") or request.POST.get("status") or ("requested" if recorder else "all")
    if status not in STATUS_FILTERS:
        status = "all"
    rows = service.invoices_visible_to(request.user)
    if status != "all":
        rows = rows.filter(status=status)
    if status == "requested":  # a queue: the oldest request first
        rows = rows.order_by("requested_at", "id")
    page = Paginator(rows, 50).get_page(request.GET.get("page"))
    return {"page": page, "status": status, "statuses": InvoiceStatus.choices, "recorder": recorder,
            "withdrawer": recorder or request.user.has_role(*INVOICE_REQUESTERS),
            "failed": failed, "error": error, "errors": errors or {}, "post": request.POST}


@login_required
def invoice_list(request):
    """The invoices of the orders the user sees; for finance 待开票 first, with the forms to record them."""
    if not request.user.has_role(*MONEY_READERS):
        raise PermissionDenied(_("您的角色不能查看发票"))
    return render(request, "finance/invoice_list.html", _list_context(request))


def _invoice_post(request, invoice_id, take, done):
    invoice_id = id_or_none(invoice_id)
    try:
        invoice = take(invoice_id)
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        context = _list_context(request, failed=invoice_id, error=exc.message, errors=exc.errors)
        return render(request, "finance/invoice_list.html", context, status=exc.http_status)
    messages.success(request, done(invoice))
    if request.POST.get("back") == "order":
        return redirect(reverse("orders:detail", args=[invoice.order.ref]) + "#invoices")
    status = request.POST.get("status", "")
    return redirect(reverse("finance:invoices") + (f"?status={status}" if status in STATUS_FILTERS else ""))


@login_required
@require_POST
def invoice_issue(request, invoice_id):
    """登记发票: the issued invoice's 20-digit number and its date."""
    if not request.user.has_role(*MONEY_RECORDERS):
        raise PermissionDenied(_("只有财务可以登记发票"))
    return _invoice_post(request, invoice_id, lambda pk: service.invoice_issue(
        invoice_id=pk, number=request.POST.get("number", ""), issued_on=request.POST.get("issued_on", ""),
        actor=request.user), lambda invoice: _("已登记发票 %(number)s（订单 %(ref)s，价税合计 %(amount)s 元）") % {
        "number": invoice.number, "ref": invoice.order.ref, "amount": service.yuan_text(invoice.amount)})


@login_required
@require_POST
def invoice_red_letter(request, invoice_id):
    """红冲: a red-letter invoice reversing an issued one."""
    if not request.user.has_role(*MONEY_RECORDERS):
        raise PermissionDenied(_("只有财务可以登记发票"))
    return _invoice_post(request, invoice_id, lambda pk: service.invoice_red_letter(
        invoice_id=pk, number=request.POST.get("number", ""), issued_on=request.POST.get("issued_on", ""),
        reason=request.POST.get("reason", ""), actor=request.user),
        lambda red: _("已登记红字发票 %(number)s，发票 %(blue)s 已红冲") % {"number": red.number, "blue": red.red_of.number})


@login_required
@require_POST
def invoice_withdraw(request, invoice_id):
    """撤回 (the requesting side) or 退回 (finance): a request not yet issued taken back, with a reason."""
    if not request.user.has_role(*(INVOICE_REQUESTERS | MONEY_RECORDERS)):
        raise PermissionDenied(_("只有财务、客户经理和销售助理可以撤回开票申请"))
    return _invoice_post(request, invoice_id, lambda pk: service.invoice_withdraw(
        invoice_id=pk, reason=request.POST.get("reason", ""), actor=request.user),
        lambda invoice: _("订单 %(ref)s 的开票申请（价税合计 %(amount)s 元）已撤回") % {
            "ref": invoice.order.ref, "amount": service.yuan_text(invoice.amount)})


REGISTER_PAGE = 100  # rows on screen; the files hold them all
CUSTOMER_PICKER_MAX = 300


def _money_readers_only(request) -> None:
    if not money_reader(request.user):
        raise PermissionDenied(_("您的角色不能查看回款与对账"))


@login_required
def receipt_register(request, fmt="html"):
    """《回款登记表》 of the receipts the user may see, by 到账日期 and customer, on screen or as .xlsx / .csv."""
    _money_readers_only(request)
    filters, errors = parse_filters(request.GET, date_label=DATE_LABEL)
    records = receipt_records(request.user, filters)
    if fmt in CONTENT_TYPES:
        if errors:  # not a file of other rows than asked for: the page says what is wrong
            for error in errors:
                messages.error(request, error)
            return redirect(reverse("finance:receipt_register") + "?" + request.GET.urlencode())
        out, count = receipt_register_file(fmt, records)
        download_record(request, what=f"{TITLE}.{fmt}", rows=count)
        response = FileResponse(out, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{FILENAME}.{fmt}"
        return response
    page = Paginator(records, REGISTER_PAGE).get_page(request.GET.get("page"))
    totals = records.order_by().aggregate(amount=Sum("amount"), allocated=Sum("allocated"))
    query = filter_query(request.GET)
    customers = customers_visible_to(request.user, Customer.objects.all()).order_by("name").values_list("id", "name")
    options = list(customers[:CUSTOMER_PICKER_MAX])
    if filters.customer_id and all(pk != filters.customer_id for pk, _name in options):
        options += list(customers.filter(pk=filters.customer_id))
    files = [(_("下载 .xlsx"), reverse("finance:receipt_register_xlsx")), (_("下载 .csv"), reverse("finance:receipt_register_csv"))]
    return render(request, "finance/receipt_register.html", {
        "title": _(TITLE), "headers": [_(heading) for heading, _key, _kind in COLUMNS],
        "rows": [[{"value": value, "kind": kind, "label": _(heading), "code": key in CODES}
                  for value, (heading, key, kind) in zip(receipt_row(r), COLUMNS)]
                 for r in page.object_list],
        "page": page, "query": query, "errors": errors, "raw": request.GET, "customers": options,
        "selected_customer": filters.customer_id, "date_label": _(DATE_LABEL),
        "files": [(label, f"{url}?{query}" if query else url) for label, url in files],
        "total_amount": totals["amount"] or 0, "total_allocated": totals["allocated"] or 0,
        "total_unallocated": (totals["amount"] or 0) - (totals["allocated"] or 0),
    })


def _day(value: str | None, name: str) -> date | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ValueError(_("%(field)s：“%(value)s”不是有效日期，请按 年-月-日 填写") % {"field": name, "value": value}) from None


@login_required
def customer_statement_pdf(request, customer_id):
    """《对账单》 of a customer the user may see, for ?from=YYYY-MM-DD&to=YYYY-MM-DD (default: the month so far)."""
    _money_readers_only(request)
    customer = customers_visible_to(request.user, Customer.objects.all()).filter(pk=customer_id).first()
    if customer is None:
        raise Http404(_("客户不存在"))
    start, end = default_range(clock.today())
    try:
        start = _day(request.GET.get("from"), _("开始日期")) or start
        end = _day(request.GET.get("to"), _("结束日期")) or end
    except ValueError as exc:
        return HttpResponse(str(exc), status=400, content_type="text/plain; charset=utf-8")
    if end < start:
        return HttpResponse(_("结束日期 %(to)s 早于开始日期 %(from)s") % {"to": end, "from": start}, status=400,
                            content_type="text/plain; charset=utf-8")
    content = statement_pdf(customer_statement(customer, start, end), seller=CompanyProfile.current())
    what = f"对账单 {start.isoformat()}—{end.isoformat()}"
    download_record(request, what=what, object_type="masterdata.customer", object_id=customer.pk,
                    object_repr=f"{customer.name} {what}")
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=statement-{customer.pk}-{start:%Y%m%d}-{end:%Y%m%d}.pdf"
    return response


# --- 应收账款: the ageing and 《应收账款台账》 ---------------------------------------------------------------------

AGEING_PAGE = 50  # groups on screen; the files hold them all
OVERDUE_SHOWN = 20  # a customer's overdue instalments listed under its row


def _receivables_reader(request):
    if not may_read(request.user):
        raise PermissionDenied(_("只有财务、销售人员和管理员可以查看应收账款"))


def _by(request) -> str:
    by = request.GET.get("by") or "customer"
    return by if by in GROUPINGS else "customer"


@login_required
def receivables(request):
    """应收账款: the ageing of what the user may see by customer (each with its overdue instalments), owner or
    team, with the totals; the files below it."""
    _receivables_reader(request)
    by = _by(request)
    result = ageing(request.user, by=by)
    page = Paginator(result.rows, AGEING_PAGE).get_page(request.GET.get("page"))
    overdue = {}
    if by == "customer":
        keys = [row.key for row in page.object_list if row.overdue_instalments]
        for row in overdue_instalments(request.user, today=result.today, customer_ids=keys) if keys else []:
            row.days_overdue = (result.today - row.due_date).days
            overdue.setdefault(row.order.customer_id, []).append(row)
    labels = [_(label) for _key, label, *_days in BUCKETS] + [_("逾期合计"), _("应收合计")]

    def cells(row):  # (heading, amount, overdue) per column: the heading labels the cell on a phone
        return [{"label": label, "value": value, "bad": 0 < index < len(BUCKETS) and value > 0}
                for index, (label, value) in enumerate(zip(labels, row.cells()))]

    rows = [{"row": row, "cells": cells(row), "overdue": overdue.get(row.key, [])[:OVERDUE_SHOWN],
             "more": max(0, len(overdue.get(row.key, [])) - OVERDUE_SHOWN)} for row in page.object_list]
    return render(request, "finance/receivables.html", {
        "result": result, "by": by, "groupings": [(key, _(label)) for key, label in GROUPINGS.items()],
        "headings": labels, "rows": rows, "total": cells(result.total), "page": page, "query": f"by={by}",
        "columns": len(labels) + 2,
    })


@login_required
def receivables_download(request, fmt: str):
    """The ageing (the page's grouping) and 《应收账款台账》 as .xlsx, or the ledger as .csv; recorded in the audit
    log like every export."""
    _receivables_reader(request)
    result = ageing(request.user, by=_by(request))
    out, count = ledger.receivables_file(request.user, fmt, result)
    download_record(request, what=f"{_(ledger.LEDGER_TITLE)}.{fmt}", rows=count)
    response = FileResponse(out, content_type=ledger.CONTENT_TYPES[fmt])
    response["Content-Disposition"] = (f"attachment; filename*=UTF-8''{ledger.FILENAME}-{date.isoformat(result.today)}"
                                       f".{fmt}")
    return response


# --- 待收款, 登记回款, 回款, 导入银行流水 -------------------------------------------------------------------------

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
                content = upload.read(MAX_BYTES + 1)  # beyond the limit: refused, never read whole
                result = statement_import(actor=request.user, content=content, filename=upload.name or "")
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
