"""Finance's pages: thin views over ``finance`` services and reads. Invoices: the account manager's 开票申请 form
(from the order page), and the invoices list (待开票 for finance) where finance records the issued invoice's number
and date, or reverses an issued one with a red-letter invoice (红冲)."""
from datetime import date

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
from orderloop.core.exceptions import DomainError, InvalidInput, NotAllowed, NotFound
from orderloop.core.ids import id_or_none
from orderloop.finance import invoices as service
from orderloop.finance import receivables_export as ledger
from orderloop.finance.models import InvoiceKind, InvoiceStatus
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
from orderloop.setup.models import CompanyProfile

STATUS_FILTERS = ("requested", "issued", "reversed", "all")


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
            "failed": failed, "error": error, "errors": errors or {}, "post": request.POST}


@login_required
def invoice_list(request):
    """The invoices of the orders the user sees; for finance 待开票 first, with the forms to record them."""
    if not request.user.has_role(*MONEY_READERS):
        raise PermissionDenied(_("您的角色不能查看发票"))
    return render(request, "finance/invoice_list.html", _list_context(request))


def _finance_post(request, invoice_id, take, done):
    if not request.user.has_role(*MONEY_RECORDERS):
        raise PermissionDenied(_("只有财务可以登记发票"))
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
    status = request.POST.get("status", "")
    return redirect(reverse("finance:invoices") + (f"?status={status}" if status in STATUS_FILTERS else ""))


@login_required
@require_POST
def invoice_issue(request, invoice_id):
    """登记发票: the issued invoice's 20-digit number and its date."""
    return _finance_post(request, invoice_id, lambda pk: service.invoice_issue(
        invoice_id=pk, number=request.POST.get("number", ""), issued_on=request.POST.get("issued_on", ""),
        actor=request.user), lambda invoice: _("已登记发票 %(number)s（订单 %(ref)s，价税合计 %(amount)s 元）") % {
        "number": invoice.number, "ref": invoice.order.ref, "amount": service.yuan_text(invoice.amount)})


@login_required
@require_POST
def invoice_red_letter(request, invoice_id):
    """红冲: a red-letter invoice reversing an issued one."""
    return _finance_post(request, invoice_id, lambda pk: service.invoice_red_letter(
        invoice_id=pk, number=request.POST.get("number", ""), issued_on=request.POST.get("issued_on", ""),
        reason=request.POST.get("reason", ""), actor=request.user),
        lambda red: _("已登记红字发票 %(number)s，发票 %(blue)s 已红冲") % {"number": red.number, "blue": red.red_of.number})


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
