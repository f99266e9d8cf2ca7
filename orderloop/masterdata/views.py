"""Customer pages (客户): the customers a user may see, and one customer with its basics, its qualification (the
licence and credit record, uploaded by the account manager and decided by the sales manager: masterdata.qualification)
and its orders. Thin: parse, call one service, show the result or the errors."""
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from orderloop.accounts.permissions import CUSTOMER_READERS
from orderloop.core import clock
from orderloop.core.exceptions import DomainError
from orderloop.masterdata.models import Customer, Qualification
from orderloop.masterdata.qualification import (may_decide_qualification, may_submit_qualification,
                                                qualification_decide, qualification_submit)
from orderloop.masterdata.services import customer_qualification_problems, customers_visible_to
from orderloop.orders.selectors import order_list
from orderloop.orders.uploads import sniff

ORDERS_SHOWN = 50
FILES = {"licence": "business_licence", "credit": "credit_report"}  # the address's kind → the customer's file


def _readers_only(request) -> None:
    if not request.user.has_role(*CUSTOMER_READERS):
        raise PermissionDenied(_("您的角色不能查看客户资料"))


def _customer(request, customer_id) -> Customer:
    _readers_only(request)
    customer = customers_visible_to(request.user, Customer.objects.select_related(
        "owner", "owner__team", "qualification_submitted_by", "qualification_decided_by")).filter(pk=customer_id).first()
    if customer is None:
        raise Http404(_("客户不存在"))
    return customer


@login_required
def customer_index(request):
    _readers_only(request)
    q = request.GET.get("q", "").strip()
    state = request.GET.get("qualification", "")
    rows = customers_visible_to(request.user, Customer.objects.select_related("owner"))
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(uscc__icontains=q))
    if state in Qualification.values:
        rows = rows.filter(qualification=state)
    page = Paginator(rows.order_by("name"), 50).get_page(request.GET.get("page"))
    return render(request, "masterdata/customer_list.html", {
        "page": page, "q": q, "state": state, "states": Qualification.choices})


def _detail(request, customer, *, status=200, failed="", errors=None, error="", post=None):
    orders = order_list(user=request.user, customer_id=customer.pk, archived=True)
    return render(request, "masterdata/customer_detail.html", {
        "customer": customer,
        "contacts": list(customer.contacts.all()),
        "problems": customer_qualification_problems(customer, today=clock.today()),
        "may_submit": may_submit_qualification(request.user, customer),
        "may_decide": may_decide_qualification(request.user, customer),
        "owns": customer.owner_id == request.user.pk,
        "orders": list(orders[:ORDERS_SHOWN]), "more_orders": orders.count() > ORDERS_SHOWN,
        "failed": failed, "errors": errors or {}, "error": error, "post": post or {},
    }, status=status)


@login_required
def customer_detail(request, customer_id):
    return _detail(request, _customer(request, customer_id))


@login_required
@require_POST
def qualification_upload(request, customer_id):
    customer = _customer(request, customer_id)
    try:
        qualification_submit(actor=request.user, customer_id=customer.pk, licence=request.FILES.get("business_licence"),
                             licence_expiry=request.POST.get("licence_expiry", ""),
                             credit_record=request.POST.get("credit_record", ""),
                             credit_report=request.FILES.get("credit_report"))
    except DomainError as exc:
        return _detail(request, _customer(request, customer_id), status=exc.http_status, failed="upload",
                       errors=exc.errors, error=exc.message, post=request.POST)
    messages.success(request, _("资质资料已提交，等待销售经理审核"))
    return redirect("masterdata:customer", customer_id=customer.pk)


@login_required
@require_POST
def qualification_decision(request, customer_id):
    customer = _customer(request, customer_id)
    try:
        decided = qualification_decide(actor=request.user, customer_id=customer.pk,
                                       verdict=request.POST.get("verdict", ""), reason=request.POST.get("reason", ""))
    except DomainError as exc:
        return _detail(request, _customer(request, customer_id), status=exc.http_status, failed="decision",
                       errors=exc.errors, error=exc.message, post=request.POST)
    messages.success(request, _("客户资质已审核：%(state)s") % {"state": decided.get_qualification_display()})
    return redirect("masterdata:customer", customer_id=customer.pk)


@login_required
def customer_file(request, customer_id, kind):
    """The licence or credit report of a customer the user may see: an image shown, anything else downloaded."""
    customer = _customer(request, customer_id)
    if kind not in FILES:
        raise Http404(kind)
    fieldfile = getattr(customer, FILES[kind])
    if not fieldfile:
        raise Http404(kind)
    with fieldfile.open("rb") as handle:
        content_type = sniff(handle.read(16)) or "application/octet-stream"
    name = fieldfile.name.rsplit("/", 1)[-1]
    return FileResponse(fieldfile.open("rb"), content_type=content_type, filename=name,
                        as_attachment=content_type not in ("image/png", "image/jpeg"))
