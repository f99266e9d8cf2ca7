"""Finance's pages: thin views over ``finance`` services and reads."""
from datetime import date

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

from orderloop.core.audit import download_record
from orderloop.finance.receivables import BUCKETS, GROUPINGS, ageing, may_read, overdue_instalments
from orderloop.finance.receivables_export import CONTENT_TYPES, FILENAME, LEDGER_TITLE, receivables_file

AGEING_PAGE = 50  # groups on screen; the files hold them all
OVERDUE_SHOWN = 20  # a customer's overdue instalments listed under its row


def _reader(request):
    if not may_read(request.user):
        raise PermissionDenied(_("只有财务、销售人员和管理员可以查看应收账款"))


def _by(request) -> str:
    by = request.GET.get("by") or "customer"
    return by if by in GROUPINGS else "customer"


@login_required
def receivables(request):
    """应收账款: the ageing of what the user may see by customer (each with its overdue instalments), owner or
    team, with the totals; the files below it."""
    _reader(request)
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
    _reader(request)
    result = ageing(request.user, by=_by(request))
    out, count = receivables_file(request.user, fmt, result)
    download_record(request, what=f"{_(LEDGER_TITLE)}.{fmt}", rows=count)
    response = FileResponse(out, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{FILENAME}-{date.isoformat(result.today)}.{fmt}"
    return response
