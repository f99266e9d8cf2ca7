"""数据导入: the go-live pages, thin over ``golive.services``. The index offers each kind of file with its template
and an upload; an upload leads to its preview (what would be created, updated, skipped, the look-alikes to check,
every problem by row and column), and the preview's one button imports it. After it, 数据质量 (golive.quality)
lists what the data still lacks, and 导出到财务软件 (golive.accounting) gives finance its .xlsx for 金蝶/用友."""
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_POST

from orderloop.accounts.permissions import ACCOUNTING_EXPORTERS, DATA_QUALITY_READERS, GO_LIVE_IMPORTERS
from orderloop.core import clock
from orderloop.core.audit import download_record
from orderloop.core.exceptions import DomainError
from orderloop.golive.accounting import EXPORTS, export_file, export_filename, export_range
from orderloop.golive.kinds import KINDS
from orderloop.golive.models import ImportKind, ImportRun
from orderloop.golive.quality import SHOWN, quality_report
from orderloop.golive.services import import_apply, import_preview, import_template
from orderloop.golive.tables import MAX_BYTES
from orderloop.orders.sheets import MAX_ROWS
from orderloop.orders.registers import CONTENT_TYPES, parse_filters


def _importers_only(request) -> None:
    if not request.user.has_role(*GO_LIVE_IMPORTERS):
        raise PermissionDenied(_("只有系统管理员可以导入上线数据"))


@login_required
def index(request):
    _importers_only(request)
    kinds = [(kind, ImportKind(kind).label, KINDS[kind]) for kind in KINDS]
    runs = ImportRun.objects.select_related("uploaded_by")[:20]
    return render(request, "golive/index.html", {"kinds": kinds, "runs": runs, "max_rows": MAX_ROWS,
                                                 "max_mb": MAX_BYTES // (1024 * 1024)})


@login_required
def template(request, kind):
    _importers_only(request)
    if kind not in KINDS:
        raise Http404()
    response = HttpResponse(import_template(kind), content_type=CONTENT_TYPES["xlsx"])
    filename = _("%(kind)s导入模板.xlsx") % {"kind": ImportKind(kind).label}
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response


@login_required
@require_POST
def upload(request, kind):
    _importers_only(request)
    if kind not in KINDS:
        raise Http404()
    file = request.FILES.get("file")
    if file is None:
        messages.error(request, _("请选择要导入的 .xlsx 或 .csv 文件"))
        return redirect("golive:index")
    try:
        run = import_preview(actor=request.user, kind=kind, content=file.read(MAX_BYTES + 1), filename=file.name or "")
    except DomainError as exc:
        messages.error(request, "；".join(m for msgs in exc.errors.values() for m in msgs) or exc.message)
        return redirect("golive:index")
    return redirect("golive:run", run_id=run.pk)


@login_required
def run_detail(request, run_id):
    _importers_only(request)
    run = get_object_or_404(ImportRun.objects.select_related("uploaded_by"), pk=run_id)
    if request.method == "POST":
        try:
            run = import_apply(actor=request.user, run_id=run.pk)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if run.state == ImportRun.State.APPLIED:
                messages.success(request, _("已导入：新建 %(create)s，更新 %(update)s，跳过 %(skip)s") % run.summary)
            else:
                messages.error(request, _("数据已变化，文件有误，未导入任何内容；请修改后重新上传"))
        return redirect("golive:run", run_id=run.pk)
    status = 422 if run.state == ImportRun.State.REFUSED else 200
    return render(request, "golive/run.html", {"run": run, "summary": run.summary, "states": ImportRun.State},
                  status=status)


# --- 数据质量 and the accountant's exports ------------------------------------------------------------------------

@login_required
def quality(request):
    """数据质量: what the data still lacks, each row a link to where it is fixed (golive.quality)."""
    if not request.user.has_role(*DATA_QUALITY_READERS):
        raise PermissionDenied(_("只有系统管理员和销售总监可以查看数据质量"))
    findings = quality_report(today=clock.today())
    return render(request, "golive/quality.html", {"findings": findings, "shown": SHOWN,
                                                   "may_import": request.user.has_role(*GO_LIVE_IMPORTERS)})


def _exporters_only(request) -> None:
    if not request.user.has_role(*ACCOUNTING_EXPORTERS):
        raise PermissionDenied(_("只有财务和系统管理员可以导出财务软件数据"))


def _export_range(request):
    filters, errors = parse_filters(request.GET, date_label=N_("日期"))
    date_from, date_to = export_range(filters.date_from, filters.date_to, clock.today())
    return date_from, date_to, errors


@login_required
def accounting(request):
    """导出到财务软件: the range (last month unless asked otherwise) and the two files, with their columns."""
    _exporters_only(request)
    date_from, date_to, errors = _export_range(request)
    for error in errors:
        messages.error(request, error)
    query = urlencode({"date_from": date_from.isoformat(), "date_to": date_to.isoformat()})
    exports = [(name, _(title), [(_(heading), kind) for heading, kind in columns],
                reverse("golive:accounting_file", args=[name]) + "?" + query)
               for name, (title, columns, _rows) in EXPORTS.items()]
    return render(request, "golive/accounting.html", {"date_from": date_from, "date_to": date_to, "exports": exports})


@login_required
def accounting_file(request, name):
    _exporters_only(request)
    if name not in EXPORTS:
        raise Http404()
    date_from, date_to, errors = _export_range(request)
    if errors:  # not a file of other rows than asked for: the page says what is wrong
        for error in errors:
            messages.error(request, error)
        return redirect(reverse("golive:accounting") + "?" + request.GET.urlencode())
    out, count = export_file(name, date_from, date_to)
    filename = export_filename(name, date_from, date_to)
    download_record(request, what=filename, rows=count)
    response = FileResponse(out, content_type=CONTENT_TYPES["xlsx"])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(filename)}"
    return response
