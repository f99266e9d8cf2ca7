"""Customer pages (客户): the customers a user may see, and one customer with its basics, its qualification (the
licence and credit record, uploaded by the account manager and decided by the sales manager: masterdata.qualification)
and its orders. Thin: parse, call one service, show the result or the errors."""
from decimal import Decimal, InvalidOperation

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pydantic import ValidationError

from orderloop.accounts.permissions import (CUSTOMER_EDITORS, CUSTOMER_READERS, MONEY_READERS, OWNER_ASSIGNERS,
                                            PRODUCT_EDITORS, PRODUCT_READERS, QUALIFICATION_SUBMITTERS, QUALIFIERS, STOCK_KEEPERS)
from orderloop.core import clock
from orderloop.core.exceptions import DomainError
from orderloop.core.validation import pydantic_errors
from orderloop.masterdata.models import Customer, NoticeChannel, Product, Qualification, StockAdjustment
from orderloop.masterdata.qualification import (customer_create_with_papers, may_decide_qualification,
                                                may_submit_qualification, qualification_decide, qualification_submit)
from orderloop.masterdata.schemas import CustomerIn, CustomerPatch, ProductIn, ProductPatch
from orderloop.masterdata.services import (customer_authority_problems, customer_owner_candidates,
                                           customer_qualification_problems, customer_update, customers_visible_to,
                                           payment_term_choices, product_create, product_update, stock_adjust)
from orderloop.orders.selectors import sees_cost
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
        "owner", "owner__team", "payment_term", "qualification_submitted_by", "qualification_decided_by")).filter(pk=customer_id).first()
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
        rows = rows.filter(Q(name__icontains=q) | Q(code__icontains=q) | Q(uscc__icontains=q)
                           | Q(contacts__phone__icontains=q) | Q(contacts__name__icontains=q)).distinct()
    if state in Qualification.values:
        rows = rows.filter(qualification=state)
    page = Paginator(rows.order_by("name"), 50).get_page(request.GET.get("page"))
    return render(request, "masterdata/customer_list.html", {
        "page": page, "q": q, "state": state, "states": Qualification.choices,
        "may_create": request.user.has_role(*CUSTOMER_EDITORS)})


def _detail(request, customer, *, status=200, failed="", errors=None, error="", post=None):
    orders = order_list(user=request.user, customer_id=customer.pk, archived=True)
    return render(request, "masterdata/customer_detail.html", {
        "customer": customer,
        "contacts": list(customer.contacts.all()),
        "problems": customer_qualification_problems(customer, today=clock.today()),
        "may_submit": may_submit_qualification(request.user, customer),
        "may_decide": may_decide_qualification(request.user, customer),
        "owns": customer.owner_id == request.user.pk,
        "may_edit": request.user.has_role(*CUSTOMER_EDITORS),
        # 《对账单》: the month so far unless another range is chosen
        "may_read_money": request.user.has_role(*MONEY_READERS), "statement_from": clock.today().replace(day=1),
        "statement_to": clock.today(),
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


# --- creating and changing a customer (新建客户, 编辑) ----------------------------------------------------------------

CONTACT_ROWS_BLANK = 2  # empty contact rows offered below the existing ones
MAX_CONTACT_ROWS = 50


def _editors_only(request) -> None:
    if not request.user.has_role(*CUSTOMER_EDITORS):
        raise PermissionDenied(_("您的角色不能新建或修改客户"))


def _contact_rows(post) -> list[dict]:
    """The contact rows of the form as typed: ``contacts-N-name`` … with the row chosen as 主要联系人 (``primary``)
    and those ticked for removal (``contacts-N-remove``)."""
    rows = []
    for index in range(MAX_CONTACT_ROWS):
        prefix = f"contacts-{index}-"
        if not any(f"{prefix}{name}" in post for name in ("name", "phone", "email")):
            continue
        rows.append({"index": index, "name": post.get(f"{prefix}name", "").strip(),
                     "phone": post.get(f"{prefix}phone", "").strip(), "email": post.get(f"{prefix}email", "").strip(),
                     "remove": bool(post.get(f"{prefix}remove")), "is_primary": post.get("primary") == str(index)})
    return rows


def _contacts_payload(rows) -> tuple[list[dict], list[dict]]:
    """(the contacts to keep, as the schema takes them; the rows they came from) — a removed or empty row is none."""
    kept = [row for row in rows if not row["remove"] and (row["name"] or row["phone"] or row["email"])]
    return ([{"name": r["name"], "phone": r["phone"], "email": r["email"], "is_primary": r["is_primary"]} for r in kept],
            kept)


def _row_errors(rows, kept, errors) -> None:
    """Move the errors of ``contacts.N.field`` to the row they belong to, so that each shows at its field."""
    for position, row in enumerate(kept):
        for key in list(errors):
            if key.startswith(f"contacts.{position}."):
                row.setdefault("errors", []).extend(errors.pop(key))
    for row in rows:
        row.setdefault("errors", [])


def _blank_rows(rows) -> list[dict]:
    start = max((row["index"] for row in rows), default=-1) + 1
    return rows + [{"index": start + n, "name": "", "phone": "", "email": "", "remove": False, "is_primary": False,
                    "errors": []} for n in range(CONTACT_ROWS_BLANK)]


def _form_fields(post, *, financial: bool, owner: bool) -> dict:
    payload = {name: post.get(name, "").strip() for name in ("name", "code", "uscc", "address", "payment_terms", "payment_term")}
    if post.get("notice_channel", "").strip():
        payload["notice_channel"] = post.get("notice_channel", "").strip()
    if financial and post.get("credit_limit", "").strip():
        payload["credit_limit"] = post.get("credit_limit", "").strip()
    if owner and "owner" in post:
        payload["owner"] = post.get("owner", "").strip()
    return payload


def _form(request, *, customer=None, values=None, rows=None, errors=None, error="", status=200):
    actor = request.user
    creating = customer is None
    financial = (actor.has_role(*QUALIFIERS) if creating else
                 not customer_authority_problems(actor=actor, customer=customer, credit_limit=-1))
    may_owner = (actor.has_role(*OWNER_ASSIGNERS) or not actor.has_role(*QUALIFICATION_SUBMITTERS)) if creating else \
        not customer_authority_problems(actor=actor, customer=customer, owner_changes=True,
                                        new_owner=customer.owner)
    candidates = customer_owner_candidates()
    if not actor.has_role(*OWNER_ASSIGNERS):
        candidates = candidates.filter(team_id=actor.team_id) if actor.team_id else candidates.none()
    if values is None:
        values = {"name": "", "code": "", "uscc": "", "address": "", "payment_terms": "", "payment_term": "", "credit_limit": "",
                  "owner": "", "notice_channel": NoticeChannel.EMAIL} if creating else {
            "name": customer.name, "code": customer.code, "uscc": customer.uscc, "address": customer.address,
            "payment_terms": customer.payment_terms, "credit_limit": customer.credit_limit,
            "payment_term": customer.payment_term.name if customer.payment_term_id else "",
            "notice_channel": customer.notice_channel,
            "owner": customer.owner.username if customer.owner else ""}
    if rows is None:
        rows = [] if creating else [{"index": n, "name": c.name, "phone": c.phone, "email": c.email, "remove": False,
                                     "is_primary": c.is_primary, "errors": []}
                                    for n, c in enumerate(customer.contacts.all())]
        rows = _blank_rows(rows)
    return render(request, "masterdata/customer_form.html", {
        "customer": customer, "values": values, "rows": rows, "errors": errors or {}, "error": error,
        "financial": financial, "may_owner": may_owner, "candidates": candidates, "notice_channels": NoticeChannel.choices,
        "payment_term_choices": payment_term_choices(),
        "papers": creating and actor.has_role(*(QUALIFICATION_SUBMITTERS | QUALIFIERS)),
    }, status=status)


@login_required
def customer_new(request):
    _editors_only(request)
    if request.method != "POST":
        return _form(request)
    rows = _contact_rows(request.POST)
    contacts, kept = _contacts_payload(rows)
    values = {**_form_fields(request.POST, financial=True, owner=True), "licence_expiry": request.POST.get("licence_expiry", ""),
              "credit_record": request.POST.get("credit_record", "")}
    payload = _form_fields(request.POST, financial=request.user.has_role(*QUALIFIERS), owner=True)
    if not payload.get("owner"):
        payload.pop("owner", None)
    try:
        data = CustomerIn.model_validate({**payload, "contacts": contacts})
        customer = customer_create_with_papers(
            actor=request.user, data=data, licence=request.FILES.get("business_licence"),
            licence_expiry=request.POST.get("licence_expiry", ""), credit_record=request.POST.get("credit_record", ""),
            credit_report=request.FILES.get("credit_report"))
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        _row_errors(rows, kept, errors)
        return _form(request, values=values, rows=_blank_rows(rows), errors=errors,
                     error=_("客户信息有误，未保存：请按提示修改"), status=422)
    except DomainError as exc:
        errors = dict(exc.errors)
        _row_errors(rows, kept, errors)
        return _form(request, values=values, rows=_blank_rows(rows), errors=errors, error=exc.message,
                     status=exc.http_status)
    if customer.qualification_submitted_at:
        messages.success(request, _("客户「%(name)s」已新建，资质资料已提交，等待销售经理审核；审核合格后该客户的订单才能通过初步审核") % {
            "name": customer.name})
    else:
        messages.success(request, _("客户「%(name)s」已新建；请在客户页上传营业执照和信用记录，提交资质审核") % {"name": customer.name})
    return redirect("masterdata:customer", customer_id=customer.pk)


@login_required
def customer_edit(request, customer_id):
    _editors_only(request)
    customer = _customer(request, customer_id)
    if request.method != "POST":
        return _form(request, customer=customer)
    rows = _contact_rows(request.POST)
    contacts, kept = _contacts_payload(rows)
    values = _form_fields(request.POST, financial=True, owner=True)
    payload = _form_fields(request.POST, financial="credit_limit" in request.POST, owner=True)
    try:
        data = CustomerPatch.model_validate({**payload, "contacts": contacts})
        customer_update(actor=request.user, customer_id=customer.pk, data=data)
    except ValidationError as exc:
        errors = pydantic_errors(exc)
        _row_errors(rows, kept, errors)
        return _form(request, customer=customer, values=values, rows=_blank_rows(rows), errors=errors,
                     error=_("客户信息有误，未保存：请按提示修改"), status=422)
    except DomainError as exc:
        errors = dict(exc.errors)
        _row_errors(rows, kept, errors)
        return _form(request, customer=customer, values=values, rows=_blank_rows(rows), errors=errors,
                     error=exc.message, status=exc.http_status)
    messages.success(request, _("客户「%(name)s」的资料已保存；新录入的订单将带出新的联系人和付款方式") % {"name": data.name or customer.name})
    return redirect("masterdata:customer", customer_id=customer.pk)


@login_required
@require_POST
def customer_active(request, customer_id):
    """停用 (no new orders for the customer; its orders go on) or 启用 again."""
    _editors_only(request)
    customer = _customer(request, customer_id)
    if request.POST.get("active") not in ("0", "1"):
        return HttpResponse(_("请选择停用或启用"), status=422, content_type="text/plain; charset=utf-8")
    active = request.POST.get("active") == "1"
    try:
        customer_update(actor=request.user, customer_id=customer.pk, data=CustomerPatch(is_active=active))
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("masterdata:customer", customer_id=customer.pk)
    if active:
        messages.success(request, _("客户「%(name)s」已启用，可以再为它录入订单") % {"name": customer.name})
    else:
        messages.success(request, _("客户「%(name)s」已停用：不能再为它录入新订单，已有订单照常处理") % {"name": customer.name})
    return redirect("masterdata:customer", customer_id=customer.pk)


# --- products (产品) and their stock ---------------------------------------------------------------------------------

PRODUCT_TEXT = ("name", "model", "unit", "list_price", "cost_price")
MAX_STOCK_CHANGE = Decimal("100000000000")  # what a stock level holds: 14 digits, 3 of them decimals
STOCK_STEP = Decimal("0.001")


def _product_readers_only(request) -> None:
    if not request.user.has_role(*PRODUCT_READERS):
        raise PermissionDenied(_("您的角色不能查看产品资料"))


def _product_editors_only(request) -> None:
    if not request.user.has_role(*PRODUCT_EDITORS):
        raise PermissionDenied(_("只有系统管理员可以维护产品"))


def _product(product_id) -> Product:
    product = Product.objects.filter(pk=product_id).first()
    if product is None:
        raise Http404(_("产品不存在"))
    return product


def _stock_rows(product) -> list:
    return list(product.stock_levels.order_by("warehouse"))


@login_required
def product_index(request):
    _product_readers_only(request)
    q = request.GET.get("q", "").strip()
    state = request.GET.get("state", "active")
    rows = Product.objects.prefetch_related("stock_levels")
    if q:
        rows = rows.filter(Q(name__icontains=q) | Q(model__icontains=q))
    if state == "active":
        rows = rows.filter(is_active=True)
    elif state == "inactive":
        rows = rows.filter(is_active=False)
    page = Paginator(rows.order_by("model"), 50).get_page(request.GET.get("page"))
    for product in page:
        levels = list(product.stock_levels.all())
        product.on_hand_total = sum((level.on_hand for level in levels), 0)
        product.available_total = sum((level.available for level in levels), 0)
    return render(request, "masterdata/product_list.html", {
        "page": page, "q": q, "state": state, "sees_cost": sees_cost(request.user),
        "may_create": request.user.has_role(*PRODUCT_EDITORS)})


def _product_page(request, product, *, status=200, errors=None, error="", post=None):
    return render(request, "masterdata/product_detail.html", {
        "product": product, "levels": _stock_rows(product), "sees_cost": sees_cost(request.user),
        "adjustments": list(StockAdjustment.objects.filter(stock__product=product).select_related("stock", "actor")[:20]),
        "may_edit": request.user.has_role(*PRODUCT_EDITORS), "may_adjust": request.user.has_role(*STOCK_KEEPERS),
        "errors": errors or {}, "error": error, "post": post or {},
    }, status=status)


@login_required
def product_detail(request, product_id):
    _product_readers_only(request)
    return _product_page(request, _product(product_id))


def _product_form(request, *, product=None, values=None, errors=None, error="", status=200):
    if values is None:
        values = {name: getattr(product, name) for name in PRODUCT_TEXT} if product else {"unit": "台"}
    return render(request, "masterdata/product_form.html", {
        "product": product, "values": values, "errors": errors or {}, "error": error}, status=status)


def _product_payload(post) -> dict:
    payload = {name: post.get(name, "").strip() for name in PRODUCT_TEXT}
    if not payload["cost_price"]:
        payload.pop("cost_price")
    return payload


@login_required
def product_new(request):
    _product_editors_only(request)
    if request.method != "POST":
        return _product_form(request)
    payload = _product_payload(request.POST)
    try:
        product = product_create(actor=request.user, data=ProductIn.model_validate(payload))
    except ValidationError as exc:
        return _product_form(request, values=payload, errors=pydantic_errors(exc),
                             error=_("产品信息有误，未保存：请按提示修改"), status=422)
    except DomainError as exc:
        return _product_form(request, values=payload, errors=exc.errors, error=exc.message, status=exc.http_status)
    messages.success(request, _("产品「%(name)s %(model)s」已新建，录入订单时即可选择；请仓储录入库存") % {
        "name": product.name, "model": product.model})
    return redirect("products:detail", product_id=product.pk)


@login_required
def product_edit(request, product_id):
    _product_editors_only(request)
    product = _product(product_id)
    if request.method != "POST":
        return _product_form(request, product=product)
    payload = _product_payload(request.POST)
    try:
        product = product_update(actor=request.user, product_id=product.pk, data=ProductPatch.model_validate(payload))
    except ValidationError as exc:
        return _product_form(request, product=product, values=payload, errors=pydantic_errors(exc),
                             error=_("产品信息有误，未保存：请按提示修改"), status=422)
    except DomainError as exc:
        return _product_form(request, product=product, values=payload, errors=exc.errors, error=exc.message,
                             status=exc.http_status)
    messages.success(request, _("产品「%(name)s %(model)s」已保存；已录入的订单不受影响") % {
        "name": product.name, "model": product.model})
    return redirect("products:detail", product_id=product.pk)


@login_required
@require_POST
def product_active(request, product_id):
    """停用 (no longer choosable for new orders; the orders that have it keep it) or 启用 again."""
    _product_editors_only(request)
    product = _product(product_id)
    if request.POST.get("active") not in ("0", "1"):
        return HttpResponse(_("请选择停用或启用"), status=422, content_type="text/plain; charset=utf-8")
    active = request.POST.get("active") == "1"
    product = product_update(actor=request.user, product_id=product.pk, data=ProductPatch(is_active=active))
    if active:
        messages.success(request, _("产品「%(name)s %(model)s」已启用，录入订单时可以选择") % {
            "name": product.name, "model": product.model})
    else:
        messages.success(request, _("产品「%(name)s %(model)s」已停用：录入新订单时不能再选择，已有订单不受影响") % {
            "name": product.name, "model": product.model})
    return redirect("products:detail", product_id=product.pk)


@login_required
@require_POST
def product_stock(request, product_id):
    """A stock adjustment (入库、盘点): the change of the quantity on hand in a warehouse, with its reason."""
    _product_readers_only(request)
    if not request.user.has_role(*STOCK_KEEPERS):
        raise PermissionDenied(_("只有系统管理员或仓储可以调整库存"))
    product = _product(product_id)
    warehouse = request.POST.get("warehouse", "").strip() or "主仓库"
    text = request.POST.get("on_hand_change", "").strip()
    try:
        change = Decimal(text)
        if not change.is_finite() or change == 0 or abs(change) >= MAX_STOCK_CHANGE or change != change.quantize(STOCK_STEP):
            raise InvalidOperation
    except InvalidOperation:
        return _product_page(request, product, status=422, error=_("库存调整有误，未保存"),
                             errors={"on_hand_change": [_("请填写不为 0 的数量（最多 3 位小数），入库为正数、出库或盘亏为负数")]},
                             post=request.POST)
    if len(warehouse) > 50:
        return _product_page(request, product, status=422, error=_("库存调整有误，未保存"),
                             errors={"warehouse": [_("仓库名称最多 50 字")]}, post=request.POST)
    try:
        level = stock_adjust(actor=request.user, product_id=product.pk, warehouse=warehouse, on_hand_change=change,
                             reason=request.POST.get("reason", "")[:300])
    except DomainError as exc:
        return _product_page(request, product, status=exc.http_status, error=exc.message, errors=exc.errors,
                             post=request.POST)
    messages.success(request, _("库存已调整：%(product)s 在%(warehouse)s 现有 %(on_hand)s，可用 %(available)s") % {
        "product": product.model, "warehouse": level.warehouse, "on_hand": f"{level.on_hand.normalize():f}",
        "available": f"{level.available.normalize():f}"})
    return redirect("products:detail", product_id=product.pk)
