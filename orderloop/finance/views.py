"""Finance's pages: thin views over ``finance`` services and reads."""
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

from orderloop.core import clock
from orderloop.core.audit import download_record
from orderloop.finance.registers import (CODES, COLUMNS, DATE_LABEL, FILENAME, TITLE, money_reader, receipt_records,
                                         receipt_register_file, receipt_row)
from orderloop.finance.statements import customer_statement, default_range, statement_pdf
from orderloop.masterdata.models import Customer
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.registers import CONTENT_TYPES, parse_filters
from orderloop.orders.saved_filters import filter_query
from orderloop.setup.models import CompanyProfile

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
