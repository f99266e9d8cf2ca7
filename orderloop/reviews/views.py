"""The monthly review pages: thin. Parse, call one service, show the result or the errors."""
from datetime import date, datetime
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.accounts.models import Team
from orderloop.accounts.permissions import REVIEW_READERS, REVIEW_RUNNERS
from orderloop.core import clock
from orderloop.core.audit import download_record
from orderloop.core.exceptions import DomainError, NotAllowed
from orderloop.reviews import services, template_changes
from orderloop.reviews.documents import review_pdf_bytes, review_xlsx_bytes
from orderloop.reviews.models import ActionItem


def _reader(request):
    if not request.user.has_role(*REVIEW_READERS):
        raise PermissionDenied(_("只有销售经理、销售总监和管理员可以查看订单复盘"))


def _not_in_future(month: date):
    if month > clock.today().replace(day=1):
        raise Http404(_("该月尚未开始"))


@login_required
def review_index(request):
    _reader(request)
    return render(request, "reviews/review_list.html", {"months": services.review_months(),
                                                         "can_run": request.user.has_role(*REVIEW_RUNNERS)})


def _report(request, month: date):
    """The review and the figures the reader may see: a sales manager's teams', the director's and admin's all."""
    teams = services.review_scope(request.user)
    review, figures, frozen = services.review_report(month=month, teams=teams)
    return review, figures, frozen, teams


def _detail_context(request, month: date, *, errors=None, values=None) -> dict:
    review, figures, frozen, teams = _report(request, month)
    items = list(review.action_items.select_related("owner", "done_by")) if review else []
    errors, values = errors or {}, values or {}
    for item in items:  # a refused 完成 shows its errors next to the item
        item.form_errors, item.form_values = errors.get(f"done-{item.pk}", {}), values.get(f"done-{item.pk}", {})
    can_run = request.user.has_role(*REVIEW_RUNNERS)
    return {
        "month": month, "review": review, "figures": figures, "items": items,
        "scope_teams": None if teams is None else list(Team.objects.filter(pk__in=teams).order_by("name")),
        "frozen": frozen,
        "computed_at": datetime.fromisoformat(figures["computed_at"]),
        "can_file": can_run and not (review and review.filed_at) and month < clock.today().replace(day=1),
        "can_add": can_run,
        "can_mark_done": {item.pk for item in items if not item.is_done and (can_run or item.owner_id == request.user.pk)},
        "people": get_user_model().objects.filter(is_active=True).order_by("display_name", "username") if can_run else [],
        "setting_options": template_changes.setting_options() if can_run else [],
        "setting_labels": template_changes.setting_options() if any(item.setting for item in items) else [],
        "template_changes": services.template_changes_of(month),
        "errors": errors, "values": values, "today": clock.today(),
        "money_tables": [(_("回款按销售负责人"), figures["money"]["by_owner"], "by-owner"),
                         (_("回款按客户"), figures["money"]["by_customer"], "by-customer")] if figures.get("money") else [],
    }


@login_required
def review_detail(request, month):
    _reader(request)
    _not_in_future(month)
    return render(request, "reviews/review_detail.html", _detail_context(request, month))


def _refused(request, month, exc: DomainError, form: str):
    """The page again with the form's errors (422 for bad input, 403/409 otherwise)."""
    context = _detail_context(request, month, errors={form: {"message": exc.message, "fields": exc.errors}},
                              values={form: request.POST})
    return render(request, "reviews/review_detail.html", context, status=exc.http_status)


@login_required
@require_POST
def review_file(request, month):
    _reader(request)
    try:
        services.review_file(month=month, actor=request.user, summary=request.POST.get("summary", ""))
    except DomainError as exc:
        return _refused(request, month, exc, "file")
    messages.success(request, _("%(month)s 订单复盘报告已提交，数据已冻结") % {"month": month.strftime("%Y-%m")})
    return redirect("reviews:detail", month=month)


@login_required
@require_POST
def action_item_add(request, month):
    _reader(request)
    _not_in_future(month)
    try:
        item = services.action_item_add(month=month, actor=request.user, description=request.POST.get("description", ""),
                                 owner_id=request.POST.get("owner"), due_date=request.POST.get("due_date"),
                                 setting=request.POST.get("setting", ""))
    except DomainError as exc:
        return _refused(request, month, exc, "add")
    messages.success(request, _("已添加优化措施：%(owner)s 负责，%(due)s 前完成；负责人完成后在「我负责的优化措施」中确认") % {
        "owner": item.owner, "due": item.due_date})
    return redirect("reviews:detail", month=month)


@login_required
@require_POST
def action_item_done(request, item_id):
    item = ActionItem.objects.select_related("review").filter(pk=item_id).first()
    if item is None:
        raise Http404(item_id)
    from_review = request.POST.get("back") != "mine" and request.user.has_role(*REVIEW_READERS)
    try:
        services.action_item_done(item_id=item_id, actor=request.user, note=request.POST.get("done_note", ""))
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        if from_review:
            return _refused(request, item.review.month, exc, f"done-{item_id}")
        messages.error(request, exc.message)
        return redirect("reviews:my_actions")
    messages.success(request, _("优化措施已完成：复盘报告中显示为已完成"))
    if from_review:
        return redirect("reviews:detail", month=item.review.month)
    return redirect("reviews:my_actions")


def _item_visible(request, item) -> bool:
    return item.owner_id == request.user.pk or request.user.has_role(*REVIEW_READERS)


def _item_context(request, item, *, error=None, values=None) -> dict:
    fields = template_changes.setting_fields(item.setting) if item.setting and not item.is_done else []
    values = values or {}
    errors = (error.errors if error else {}) or {}
    return {
        "item": item, "setting_label": template_changes.setting_label(item.setting) if item.setting else "",
        "fields": [{"field": f, "value": values.get(f.name, f.current), "errors": errors.get(f.name, [])} for f in fields],
        "can_apply": bool(fields) and request.user.has_role(*services.setting_updaters(item.setting)),
        "error": error, "note": values.get("done_note", ""), "note_errors": errors.get("done_note", []),
        "can_mark_done": not item.is_done and not item.setting and (
            item.owner_id == request.user.pk or request.user.has_role(*REVIEW_RUNNERS)),
        "can_read_review": request.user.has_role(*REVIEW_READERS), "today": clock.today(),
    }


@login_required
def action_item_detail(request, item_id):
    """One action item: what it is, and for one that names a setting, the setting's values now and the form that
    applies the new ones (and so completes the item)."""
    item = ActionItem.objects.select_related("review", "owner", "created_by", "done_by").filter(pk=item_id).first()
    if item is None or not _item_visible(request, item):
        raise Http404(_("优化措施不存在"))
    return render(request, "reviews/action_item.html", _item_context(request, item))


@login_required
@require_POST
def action_item_apply(request, item_id):
    item = ActionItem.objects.select_related("review", "owner", "created_by", "done_by").filter(pk=item_id).first()
    if item is None or not _item_visible(request, item):
        raise Http404(_("优化措施不存在"))
    try:
        services.action_item_apply(item_id=item.pk, actor=request.user, values=request.POST,
                                   note=request.POST.get("done_note", ""))
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        return render(request, "reviews/action_item.html", _item_context(request, item, error=exc, values=request.POST),
                      status=exc.http_status)
    messages.success(request, _("设置已更新：此后开始的期限和新的订单按新设置执行；优化措施已完成"))
    return redirect("reviews:action", item_id=item.pk)


@login_required
def my_action_items(request):
    """The action items the user owns, for people who do not see the review itself."""
    items = ActionItem.objects.filter(owner=request.user).select_related("review", "created_by", "done_by")
    return render(request, "reviews/my_action_items.html", {"items": items, "today": clock.today()})


def _download(request, content: bytes, month: date, extension: str, content_type: str, *, inline=False) -> HttpResponse:
    download_record(request, what=f"订单复盘报告 {month:%Y-%m}.{extension}", object_type="reviews.monthlyreview",
                    object_id=f"{month:%Y-%m}")
    response = HttpResponse(content, content_type=content_type)
    name = quote(f"订单复盘报告-{month.strftime('%Y-%m')}.{extension}")
    response["Content-Disposition"] = f"{'inline' if inline else 'attachment'}; filename*=UTF-8''{name}"
    return response


@login_required
def review_xlsx(request, month):
    _reader(request)
    _not_in_future(month)
    review, figures, _frozen, _teams = _report(request, month)
    return _download(request, review_xlsx_bytes(month, review, figures), month, "xlsx",
                     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


@login_required
def review_pdf(request, month):
    _reader(request)
    _not_in_future(month)
    review, figures, _frozen, teams = _report(request, month)
    scope = None if teams is None else list(Team.objects.filter(pk__in=teams).order_by("name").values_list("name", flat=True))
    return _download(request, review_pdf_bytes(month, review, figures, scope), month, "pdf", "application/pdf")
