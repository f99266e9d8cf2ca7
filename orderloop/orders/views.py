"""Pages: thin. Parse, call one service, show the result or the errors."""
import re
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from functools import cached_property, lru_cache, partial, wraps
from urllib.parse import quote, urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db import transaction
from django.http import FileResponse, Http404, HttpResponse, JsonResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from django.views.decorators.http import require_POST
from pydantic import ValidationError

from orderloop.accounts.permissions import (ADMINISTRATORS, AUDIT_READERS, INVOICE_REQUESTERS, MONEY_RECORDERS, MONEY_READERS, ORDER_ENTRY,
                                             RATING_LINK_SENDERS, PHONE_NOTICE_RECORDERS, RECEIPT_LINK_SENDERS,
                                             TICKET_OPENERS)
from orderloop.accounts.services import first_admin_needed
from orderloop.core import clock
from orderloop.core.audit import download_record
from orderloop.core.calendar import SHANGHAI
from orderloop.core.html import rows_html
from orderloop.core.exceptions import DomainError, InvalidInput, NotFound
from orderloop.core.ids import id_or_none
from orderloop.core.money import amount_text, rmb_capitals, yuan
from orderloop.core.prepared import server_prepared
from orderloop.core.validation import pydantic_errors
from orderloop.masterdata.models import Customer, Product
from orderloop.masterdata.search import customer_search, product_search
from orderloop.masterdata.services import customers_for_new_orders, customers_visible_to
from orderloop.aftersales.models import TicketType
from orderloop.finance.plans import payment_hold, plan_of
from orderloop.finance.invoices import invoices_of, open_amount, request_problem
from orderloop.orders import services
from orderloop.orders.uploads import attachment_upload, checked_upload, files_kept_on_commit
from orderloop.orders.access import filter_visible, order_visible_to
from orderloop.orders.board import board
from orderloop.orders.documents import order_confirmation_pdf, receipt_pdf_bytes
from orderloop.orders.customer import receipt_confirm_by_link
from orderloop.orders.links import receipt_url, shipment_for_token
from orderloop.orders.timers import notice_by_phone
from orderloop.orders.outcomes import action_outcome, order_saved_text
from orderloop.orders.customer import visit_rate_by_link
from orderloop.orders.links import rating_url, visit_for_token
from orderloop.orders.forms import action_form, parse_post
from orderloop.orders.labels import AUDIT_OBJECTS, LABELS, ORDER_LIST_COLUMNS, audit_display, timer_labels
from orderloop.orders.importing import import_template, orders_import
from orderloop.orders.sheets import MAX_COLUMNS, MAX_ROWS
from orderloop.orders.reading import paper
from orderloop.orders.tasks import read_paper_order
from orderloop.orders.reading.engine import engine_available
from orderloop.orders.pickers import (CUSTOMER, OWNER, PRODUCT, SOME_CUSTOMER, PickerLists, chosen_customer,
                                      picker_lists)
from orderloop.orders.mail import OPEN_STATES, mail_convert, mail_receive, mails_visible_to, refusal_text
from orderloop.orders.models import AcceptanceItem, Attachment, Channel, FollowUpVisit, IncomingMail, OrderStatus, SalesOrder
from orderloop.orders.registers import (CONTENT_TYPES, LONG_TEXT, REGISTER_2, REGISTER_3, REGISTERS, feedback_rows,
                                       listed_orders, parse_filters, progress_rows, register_export)
from orderloop.orders.saved_filters import delete_saved_filter, filter_query, save_filter, saved_filters
from orderloop.orders.review import duplicates_of, possible_duplicates, review_checklist
from orderloop.orders.steps.approval import director_reasons, percent
from orderloop.orders.steps.followup import close_ready_notice
from orderloop.orders.timers import deadline_rows
from orderloop.orders.schemas import OrderCreate, OrderPatch
from orderloop.orders.today import user_today
from orderloop.orders.work import (DECISIONS, approvals_for, decision_data, decision_result, order_page_timeline, queues_for,
                                   timeline_kept, waiting_for)
from orderloop.orders.selectors import (CappedPaginator, acceptance_items, audit_entries, customer_history, has_rows, order_get,
                                       order_shipments, order_stages, order_timeline, order_visit, sees_cost, shown_phone,
                                       timeline_data)
from orderloop.setup.models import CompanyProfile
from orderloop.orders.lifecycle.engine import available_actions, blocked_actions, perform_action
from orderloop.orders.lines import last_part
from orderloop.orders.steps import ACTIONS

INTAKE_LINE_ROWS = 3  # blank rows offered; 添加一行 adds more (in the page, or by the server without JavaScript)
APPROVAL_STATES = {OrderStatus.PENDING_APPROVAL, OrderStatus.PENDING_DIRECTOR}


@login_required
def order_index(request):
    filters, errors = parse_filters(request.GET, archived=False)
    page = CappedPaginator(listed_orders(request.user, filters), 50).get_page(request.GET.get("page"))
    sort = filters.sort if filters.sort.lstrip("-") in {key for key, _label in ORDER_LIST_COLUMNS if key} else ""
    return _list_page(request, "orders/order_list.html", "orders/_order_list_results.html", {
        "page": page, "headers": _sort_headers(request.GET, ORDER_LIST_COLUMNS, sort),
        "ff": _filter_form(request, "list", filters, errors, sort=sort, date_label=N_("下单日期"), archived=True),
    })


def _list_page(request, template, results_template, context):
    """The whole page, or for an htmx request from the page's filters, sort headers or pager only its results
    (the table, its pager, files and saved filters); the address bar follows (hx-push-url)."""
    if request.htmx and not request.htmx.history_restore_request:
        response = render(request, results_template, context)
    else:
        response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def _sort_headers(query, columns, sort: str) -> list[dict]:
    """Each column's heading and, for a column that sorts, the link that sorts by it (ascending first, then
    descending) and its aria-sort. A link is the page's query without its page number, its sort (where it was, or
    last) by the column: the rest encoded once for all the columns (a copy of the query for each was a tenth of a
    list page's time)."""
    pairs = [(key, value) for key, values in query.lists() if key != "page" for value in values]
    at = next((i for i, (key, _value) in enumerate(pairs) if key == "sort"), len(pairs))
    before, after = (urlencode([pair for pair in part if pair[0] != "sort"]) for part in (pairs[:at], pairs[at:]))
    headers = []
    for key, label in columns:
        header = {"label": _(label), "key": key, "aria": "", "url": ""}
        if key:
            header["aria"] = "ascending" if sort == key else "descending" if sort == f"-{key}" else ""
            by = urlencode([("sort", f"-{key}" if sort == key else key)])
            header["url"] = "?" + "&".join(part for part in (before, by, after) if part)
        headers.append(header)
    return headers


def _filter_form(request, page_key, filters, errors, *, sort, date_label, archived=False, files=None):
    """The shared filter form's context (orders/_filters.html): what the user typed, the options, the messages,
    the saved filters and, for a register, its files with the same filters."""
    current = filter_query(request.GET)
    pickers = _Pickers(request.user, _read_only_stamp(request))
    return {
        # what was typed in the form's own fields, "" for those left out (no failed lookup in the template)
        "action": request.path, "raw": {key: request.GET.get(key, "") for key in ("q", "date_from", "date_to", "archived")},
        # called by the template only where the form is drawn (not for an htmx request's results)
        "status_options": partial(_status_options, filters.status),
        "customer_options": partial(_customer_options, pickers, filters.customer_id),
        "owner_options": partial(_owner_options, pickers, filters.owner),
        "product_options": partial(_product_options, pickers, filters.product_id),
        "date_label": _(date_label), "archived": archived, "errors": errors, "sort": sort, "page_key": page_key,
        "query": current, "files": files or [], "saved": saved_filters(request.user, page_key),
    }


def _read_only_stamp(request) -> int | None:
    """The master data's stamp read with the session, for a request that only reads (GET, HEAD); otherwise None:
    what a request that writes draws must not be kept under the stamp it read before writing."""
    return request.user.master_data_stamp if request.method in ("GET", "HEAD") else None


SELECTED = mark_safe(" selected")
PICKER_MAX = 300  # a picker lists at most this many options; the search box finds the rest


class _Pickers:
    """The filter form's three lists for ``user``, read together (orders.pickers) when the form is first drawn,
    kept under the master data's ``stamp`` if there is one."""

    def __init__(self, user, stamp: int | None):
        self.user, self.stamp = user, stamp

    @cached_property
    def lists(self) -> PickerLists:
        return picker_lists(self.user, PICKER_MAX, self.stamp)


def _status_options(selected) -> str:
    """订单状态: every state of the process, those chosen selected."""
    return rows_html('<option value="{}"{}>{}</option>',
                     ((code, SELECTED if code in selected else "", label) for code, label in _status_labels(get_language())))


@lru_cache(maxsize=8)
def _status_labels(language: str) -> tuple[tuple[str, str], ...]:
    """Each state and its name in ``language`` (the active one: asked with get_language())."""
    return tuple((code, str(label)) for code, label in OrderStatus.choices)


def _owner_options(pickers, selected: str | None):
    """销售负责人: the people who may own an order (ORDER_OWNERS), by name; the value is the username."""
    return pickers.lists.options(OWNER, selected)


def _product_options(pickers, selected: int | None):
    """产品: the active products by model, unless there are more than a picker should list (the search box finds a
    product by model or name); the one chosen is offered whatever."""
    if not pickers.lists[PRODUCT] and selected:
        return rows_html('<option value="{}" selected>{} {}</option>',
                         Product.objects.filter(pk=selected).values_list("id", "model", "name"))
    return pickers.lists.options(PRODUCT, selected)


def _customer_options(pickers, selected):
    """The customer filter's <option>s, drawn once for the lists kept (orders.pickers): the director picks from
    every customer (thousands), and the template engine would take longer over them than the database over the
    orders. With more than a picker lists, only the one chosen and a pointer to the search box (a user who sees
    none gets neither)."""
    if pickers.lists[CUSTOMER]:
        return pickers.lists.options(CUSTOMER, selected)
    chosen = chosen_customer(pickers.user, selected, pickers.stamp) if selected else ()
    options = rows_html('<option value="{}" selected>{}</option>', chosen)
    if options or pickers.lists[SOME_CUSTOMER]:  # someone to find, yet none listed: more than a picker lists
        return format_html('{}<option value="" disabled>{}</option>', options, _("客户较多：请在搜索框输入客户名称"))
    return options


@login_required
def audit_log(request):
    """审计日志: who changed, exported or downloaded what, filtered by person, object, operation and time."""
    if not request.user.has_role(*AUDIT_READERS):
        raise PermissionDenied(_("只有销售经理、销售总监和管理员可以查看审计日志"))
    get = request.GET
    since, until = _date(get.get("since")), _date(get.get("until"))
    entries = audit_entries(
        user=request.user, actor=get.get("actor") or None, object_type=get.get("object_type") or None,
        object_id=get.get("object") or None, operation=get.get("operation") or None,
        since=datetime.combine(since, time.min, tzinfo=SHANGHAI) if since else None,
        until=datetime.combine(until + timedelta(days=1), time.min, tzinfo=SHANGHAI) if until else None)
    query = get.copy()
    query.pop("page", None)
    page = Paginator(entries, 100).get_page(get.get("page"))
    people = {}  # one instance per person: their roles are read once
    for entry in page:
        if entry.actor_id:
            entry.actor = people.setdefault(entry.actor_id, entry.actor)
        entry.shown = audit_display(entry)
    return render(request, "orders/audit_log.html", {
        "page": page, "filters": get, "query": query.urlencode(),
        "operations": [("downloaded", _("导出/下载")), ("updated", _("修改")), ("received", _("接收订单")),
                       ("archived", _("归档"))],
        "object_types": [(key, _(label)) for key, label in AUDIT_OBJECTS.items()]})


def _date(value):
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def intake_only(view):
    """Pages of order intake and correction: sales assistants and account managers (SPEC section 1)."""
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if "ref" in kwargs:
            _get_order(request, kwargs["ref"])  # an order out of reach is not there (404), whoever asks
        if not request.user.has_role(*ORDER_ENTRY):
            raise PermissionDenied(_("只有销售助理和客户经理可以录入或修改订单"))
        return view(request, *args, **kwargs)
    return wrapper


def logged_download(what: str):
    """A view handing out a document of one order: each one handed out is in the audit log."""
    def decorate(view):
        @wraps(view)
        def wrapper(request, ref, *args, **kwargs):
            response = view(request, ref, *args, **kwargs)
            if response.status_code == 200:
                order = _get_order(request, ref)
                download_record(request, what=what, object_type="orders.salesorder", object_id=order.pk,
                                object_repr=f"{order.ref} {what}")
            return response
        return wrapper
    return decorate


def _get_order(request, ref, *, for_page=False):
    try:
        return order_get(user=request.user, ref=ref, for_page=for_page, timeline_kept=timeline_kept)
    except NotFound as exc:
        raise Http404(exc.message) from exc


def _detail_context(request, order, *, failed_action=None, data=None, errors=None):
    actions = available_actions(order, request.user)
    forms = [
        action_form(name, order, data=data if name == failed_action else None,
                    errors=errors if name == failed_action else None)
        for name in actions
    ]
    reviewing = "review" in actions
    stages = order_stages(order)
    timeline = order_page_timeline(order, request.user, known_users=[stage.owner for stage in stages],
                                   stamp=_read_only_stamp(request))
    events = timeline.events
    shipments = order_shipments(order)
    visit = order_visit(order)
    phone_notice = request.user.has_role(*PHONE_NOTICE_RECORDERS)
    for shipment in shipments:  # a consignment whose customer is not told yet: 已电话通知
        shipment.phone_notice = phone_notice and not shipment.notice_sent_at and not shipment.received_at
    if request.user.has_role(*RECEIPT_LINK_SENDERS):  # staff send the customer the receipt link
        for shipment in shipments:
            shipment.receipt_link = "" if shipment.received_at else receipt_url(shipment)
    return {
        "order": order,
        "checklist": review_checklist(order, phone=shown_phone(order, request.user)) if reviewing else [],
        "can_edit": order.status in services.EDITABLE_STATES and request.user.has_role(*ORDER_ENTRY),
        "can_copy": request.user.has_role(*ORDER_ENTRY),
        "duplicates": possible_duplicates(order) if reviewing else [],
        "lines": list(order.lines.all()),
        "payment_plan": plan_of(order),
        "payment_hold": payment_hold(order),
        "phone": shown_phone(order, request.user),
        "sees_cost": sees_cost(request.user),
        "margin_percent": percent(order.margin) if order.margin is not None else "—",
        "director_reasons": director_reasons(order) if sees_cost(request.user) and order.status in APPROVAL_STATES else [],
        "history": customer_history(order) if sees_cost(request.user) and order.status in APPROVAL_STATES else [],
        "events": events,
        "ended": next((e for e in reversed(events) if e["to_status"] == order.status), None)
        if order.status in (OrderStatus.REJECTED, OrderStatus.CANCELLED) else None,
        "shipment_prepared": any(e["type"] == "shipment_prepared" for e in events),
        "accepted": any(e["type"] == "accepted" for e in events),
        "can_accept": "accept" in actions,
        "forms": forms,
        "blocked": blocked_actions(order, request.user) + close_ready_notice(order),
        "today": clock.today(),
        "open_action": failed_action,
        "risks": list(order.risks.all()),
        "timers": _labelled_timers(order, events),
        "top_actions": sorted(forms, key=lambda f: ACTIONS[f["name"]].incidental_in(order.status)),
        # the button in blue is the step the order waits for; one taken in passing (a write-off) never is
        "primary_action": next((f["name"] for f in forms if not ACTIONS[f["name"]].incidental_in(order.status)), None),
        "waiting_for": waiting_for(order, request.user),
        "timeline": timeline,
        "stages": stages,
        "tickets": list(order.tickets.all()) if has_rows(order, "tickets") else [],
        "can_open_ticket": not order.archived_at and request.user.has_role(*TICKET_OPENERS),  # any state: principle 3
        "ticket_types": TicketType.choices,
        "visit": visit,
        "rating_link": rating_url(visit) if visit and not visit.done_at and request.user.has_role(*RATING_LINK_SENDERS) else "",
        "shipments": shipments,
        "attachments": list(order.attachments.all()) if has_rows(order, "attachments") else [],
        **_invoice_context(request, order),
    }


def _invoice_context(request, order) -> dict:
    """The order page's 发票 section: its invoices for those who see money, and the 开票申请 link for requesters."""
    if not request.user.has_role(*MONEY_READERS):
        return {"sees_invoices": False}
    requester = request.user.has_role(*INVOICE_REQUESTERS)
    return {"sees_invoices": True, "invoices": invoices_of(order), "invoice_open_amount": open_amount(order),
            "can_request_invoice": requester and request_problem(order) is None,
            "can_withdraw_invoice": requester or request.user.has_role(*MONEY_RECORDERS)}


def _labelled_timers(order, events):
    timers = deadline_rows(order.timers.all())
    timer_labels(timers, events)
    return timers


@login_required
def order_detail(request, ref):
    with server_prepared():  # one order's rows, by its keys: the same plan for every order
        order = _get_order(request, ref, for_page=True)
        return render(request, "orders/order_detail.html", _detail_context(request, order))


@login_required
@require_POST
def order_action(request, ref, action):
    order = _get_order(request, ref)
    if action not in ACTIONS:
        raise Http404(action)
    data = parse_post(action, request.POST)
    try:
        with files_kept_on_commit():  # an upload stays only if the action succeeds
            data = parse_post(action, _with_uploads(request, order))
            event = perform_action(order_id=order.pk, action_name=action, actor=request.user, data=data)
    except DomainError as exc:
        errors = exc.errors if isinstance(exc, InvalidInput) else {"__all__": [exc.message]}
        if isinstance(exc, InvalidInput) and exc.message and not errors.get("__all__"):
            errors = {**errors, "__all__": [exc.message]}
        order = _get_order(request, order.ref, for_page=True)
        context = _detail_context(request, order, failed_action=action, data=data, errors=errors)
        if not any(f["name"] == action for f in context["forms"]):
            messages.error(request, exc.message)
        return render(request, "orders/order_detail.html", context, status=422 if isinstance(exc, InvalidInput) else 409)
    messages.success(request, action_outcome(event, ACTIONS[action].label))
    return redirect("orders:detail", ref=event.order.ref)


@login_required
@require_POST
def phone_notice(request, ref):
    """已电话通知: the customer was told of a consignment by phone (meets its 物流预告 deadline)."""
    order = _get_order(request, ref)
    if not request.user.has_role(*PHONE_NOTICE_RECORDERS):
        raise PermissionDenied(_("只有物流专员或客户经理可以记录电话通知"))
    try:
        notice_by_phone(order=order, actor=request.user, shipment_id=request.POST.get("shipment_id"),
                        note=request.POST.get("note", ""))
    except DomainError as exc:
        messages.error(request, exc.message + "".join(f"：{m}" for ms in exc.errors.values() for m in ms[:1]))
        return redirect("orders:detail", ref=order.ref)
    messages.success(request, _("已记录电话通知：物流预告期限已完成，记录在订单时间线上"))
    return redirect("orders:detail", ref=order.ref)


def _with_uploads(request, order):
    """The posted form with each uploaded file stored and named by its id (fields ``…_attachment_id``)."""
    post = request.POST.copy()
    for name, upload in request.FILES.items():
        if name.endswith("_attachment_id") and upload:
            kind = name.rsplit(".", 1)[-1].removesuffix("_attachment_id")
            post[name] = str(attachment_upload(order=order, actor=request.user, upload=upload, field=name, kind=kind).pk)
    for name in request.FILES:  # several files of one field (``…_photo_attachment_ids``: photos), their ids one a line
        if name.endswith("_photo_attachment_ids"):
            post[name] = "\n".join(
                str(attachment_upload(order=order, actor=request.user, upload=upload, field=name, kind="photo").pk)
                for upload in request.FILES.getlist(name) if upload)
    return post


@login_required
@intake_only
def order_new(request):
    products = list(Product.objects.filter(is_active=True))
    customers = list(customers_for_new_orders(request.user))
    errors: dict = {}
    rows: list[int] = []
    values: dict = {"order_date": clock.today().isoformat(), "lines": [{} for _ in range(INTAKE_LINE_ROWS)]}
    reading = paper.reading_of(request.user, request.POST.get("reading") or request.GET.get("reading"))
    uncertain: list = []
    if reading is not None and reading.state == reading.State.READ and request.method == "GET":
        read_values, uncertain, _flags = paper.reading_form_values(reading)
        values |= read_values
        values["lines"] = read_values["lines"] + [{} for _ in range(max(1, INTAKE_LINE_ROWS - len(read_values["lines"])))]
    if request.method == "POST" and "read_scan" in request.POST:  # 识别扫描件: the worker reads it, the page shows how far
        try:
            reading = paper.paper_reading_start(actor=request.user, upload=request.FILES.get("scan"))
        except DomainError as exc:
            errors = exc.errors or {"__all__": [exc.message]}
            values = _intake_values(request.POST)
        else:
            transaction.on_commit(lambda: read_paper_order(reading.pk))
            return redirect(f"{reverse('orders:new')}?reading={reading.pk}")
    elif request.method == "POST" and "add_line" in request.POST:  # 添加一行 without JavaScript: nothing saved yet
        values = _intake_values(request.POST, add_line=True)
    elif request.method == "POST":
        values = _intake_values(request.POST)
        payload, rows = _intake_payload(values)
        try:
            data = OrderCreate.model_validate(payload)
            scan = request.FILES.get("scan")
            attachments = [checked_upload(scan, field="scan")] if scan else []
            if not scan and reading is not None and reading.order_id is None:
                attachments = [paper.reading_scan(reading)]
            order = services.order_receive(actor=request.user, data=data, attachments=attachments)
            if reading is not None and reading.order_id is None:
                reading.order = order
                reading.save(update_fields=["order"])
        except ValidationError as exc:
            errors = pydantic_errors(exc)
        except DomainError as exc:
            errors = exc.errors or {"__all__": [exc.message]}
        else:
            messages.success(request, _("订单已接收，临时编号 %(ref)s。下一步：初步审核——核对关键信息和客户资质，"
                                        "给出结论（通过/需补充/驳回）") % {"ref": order.ref})
            return redirect("orders:detail", ref=order.ref)
    chosen = id_or_none(values.get("customer_id"))
    if chosen and not any(c.pk == chosen for c in customers):  # keep what was chosen even if it is no longer offered
        customers += list(customers_visible_to(request.user).filter(pk=chosen))
    return render(request, "orders/order_new.html", {
        "customers": customers, "products": products, "values": values, "channels": Channel.choices,
        "reading": reading, "reading_uncertain": uncertain, "can_read": engine_available(),
        "reading_flags": reading.result.get("flags", []) if reading is not None and reading.state == reading.State.READ else [],
        "reading_pages": paper.reading_pages(reading) if reading is not None and reading.state == reading.State.READ
        and not reading.order_id else [],
        **_intake_errors(errors, values, rows), **_intake_totals(values, products),
    }, status=422 if errors else 200)


INTAKE_FIELDS = ("customer_id", "contact_name", "contact_phone", "order_date", "channel", "payment_terms",
                 "delivery_address", "requested_date", "special_requirements", "special_terms", "remarks")
INTAKE_LABELS = {"customer_id": N_("客户名称"), "channel": N_("接收渠道"), "order_date": N_("下单日期"),
                 "scan": N_("书面订单扫描件"), "lines": N_("产品/服务")}
LINE_KEYS = ("product_id", "quantity", "unit_price")
LINE_NAME = re.compile(r"lines\.([0-9]{1,6})\.(?:product_id|quantity|unit_price)")
MAX_INTAKE_LINES = 500


def _intake_values(post, *, add_line: bool = False) -> dict:
    """The posted fields, and the posted lines in their order (any number of rows, blank ones dropped, a few
    blank ones added to fill in; with ``add_line`` (添加一行 without JavaScript) one blank row more than posted)."""
    values = {name: post.get(name, "").strip() for name in INTAKE_FIELDS}
    indices = sorted({int(match[1]) for match in map(LINE_NAME.fullmatch, post) if match})[:MAX_INTAKE_LINES]
    lines = [{key: post.get(f"lines.{i}.{key}", "").strip() for key in LINE_KEYS} for i in indices]
    filled = [line for line in lines if any(line.values())]
    blank = len(lines) - len(filled) + 1 if add_line else max(1, INTAKE_LINE_ROWS - len(filled))
    values["lines"] = filled + [{} for _ in range(blank)]
    return values


LINE_LABELS = {"product_id": N_("产品"), "quantity": N_("数量"), "unit_price": N_("单价")}


def _intake_payload(values: dict) -> tuple[dict, list[int]]:
    """The payload, and for each of its lines the form row it came from (blank rows are skipped)."""
    payload = {k: v for k, v in values.items() if k != "lines" and v != ""}
    lines, rows = [], []
    for index, line in enumerate(values["lines"]):
        if not any(line.values()):
            continue
        lines.append({k: v for k, v in line.items() if v != ""})
        rows.append(index)
    payload["lines"] = lines
    return payload, rows


def _intake_errors(errors: dict, values: dict, rows: list[int]) -> dict:
    """Every problem named by its field (and line), for the banner at the top, each linked to its field; the
    fields marked where they are."""
    problems = [{"field": "", "text": m} for m in errors.get("__all__", [])]
    for key, msgs in errors.items():
        parts = key.split(".")
        if key == "__all__":
            continue
        if parts[0] == "lines" and len(parts) == 3 and parts[1].isdigit() and int(parts[1]) < len(rows):
            row = rows[int(parts[1])]
            line = values["lines"][row]
            label = _("第 %(n)s 行 %(field)s") % {"n": row + 1, "field": _(LINE_LABELS.get(parts[2], parts[2]))}
            line.setdefault("errors", []).extend(f"{_(LINE_LABELS.get(parts[2], parts[2]))}：{m}" for m in msgs)
            line.setdefault("invalid", []).append(parts[2])
            problems += [{"field": f"lines.{row}.{parts[2]}", "text": f"{label}：{m}"} for m in msgs]
            continue
        name = parts[0]
        label = _(INTAKE_LABELS.get(name) or LABELS.get(name, name))
        field = "lines.0.product_id" if name == "lines" else name
        problems += [{"field": field, "text": f"{label}：{m}"} for m in msgs]
    return {"errors": errors, "problems": problems, "form_errors": errors.get("__all__", [])}


def _intake_totals(values: dict, products: list) -> dict:
    """Each line's amount and the total as the page shows them before submitting (the saved order recomputes);
    a value that is no amount (junk, beyond any order) shows none."""
    prices = {str(p.pk): p.list_price for p in products}
    total = Decimal("0")
    for line in values["lines"]:
        try:
            quantity = Decimal(line.get("quantity") or "0")
            price = Decimal(line["unit_price"]) if line.get("unit_price") else prices.get(line.get("product_id", ""))
            if price is None or not line.get("product_id") or not (abs(quantity) < SHOWN_LIMIT and abs(price) < SHOWN_LIMIT):
                continue
            amount = yuan(quantity * price)
        except (ArithmeticError, ValueError):
            continue
        line["amount"] = amount_text(amount)
        total += amount
    if abs(total) >= SHOWN_LIMIT:
        return {"total": "", "total_capitals": "", "total_value": None}
    return {"total": amount_text(total), "total_capitals": rmb_capitals(total), "total_value": total}


SHOWN_LIMIT = Decimal("1e14")  # amounts up to 万亿 (what 大写 can say); beyond, the server's own check refuses


@login_required
@intake_only
def intake_customers(request):
    """Customers found as one types (intake's customer search), with what choosing one fills in."""
    results = []
    for customer in customer_search(request.user, request.GET.get("q", "")):
        contact = next(iter(customer.contacts.all()), None)
        note = "" if customer.is_qualified else _("资质：%(state)s") % {"state": customer.get_qualification_display()}
        results.append({"id": customer.pk, "name": customer.name,
                        "detail": " · ".join(x for x in (customer.code, contact.phone if contact else "", note) if x),
                        "fill": {"contact_name": contact.name if contact else "", "contact_phone": contact.phone if contact else "",
                                 "delivery_address": customer.address, "payment_terms": customer.payment_terms}})
    return JsonResponse({"results": results})


@login_required
@intake_only
def intake_products(request):
    """Products found as one types (a line's product search), with the list price a choice fills in."""
    return JsonResponse({"results": [
        {"id": p.pk, "name": f"{p.name} {p.model}", "detail": f"{p.list_price}/{p.unit}", "price": f"{p.list_price}"}
        for p in product_search(request.GET.get("q", ""))]})


@login_required
@intake_only
def intake_duplicates(request):
    """The warning shown while an order is entered: orders of the same customer within 7 days with the same
    amount or the same lines (the check the review makes), before anything is saved."""
    values = _intake_values(request.GET)
    customer_id = id_or_none(values.get("customer_id"))
    duplicates = []
    if customer_id:
        products = list(Product.objects.filter(pk__in=[id_or_none(l.get("product_id")) or 0 for l in values["lines"]]))
        total = _intake_totals(values, products)["total_value"]
        lines = []
        for line in values["lines"]:
            try:
                product_id, quantity = id_or_none(line.get("product_id")), Decimal(line["quantity"])
            except (KeyError, ArithmeticError):
                continue
            if product_id and quantity.is_finite():
                lines.append((product_id, quantity))
        if lines:
            duplicates = duplicates_of(customer_id=customer_id, total=total, lines=lines, at=clock.now(),
                                       among=filter_visible(SalesOrder.objects.all(), request.user))
    return render(request, "orders/partials/_intake_duplicates.html", {"duplicates": duplicates})


def home(request):
    return redirect(reverse("setup:guide" if first_admin_needed() else "orders:today"))




@login_required
def today(request):
    context = {"today": user_today(request.user)}
    if request.user.has_role(*ADMINISTRATORS):
        from orderloop.setup.services import ready_for_first_order

        context["setup_pending"] = not ready_for_first_order()
    return render(request, "orders/today.html", context)


SHEET_LIMITS = {"max_rows": MAX_ROWS, "max_columns": MAX_COLUMNS}  # stated on the import and mail pages


@login_required
@intake_only
def order_import(request):
    result, error = None, ""
    if request.method == "POST":
        upload = request.FILES.get("file")
        if upload is None:
            error = _("请选择要导入的 .xlsx 文件")
        else:
            try:
                result = orders_import(actor=request.user, content=upload.read())
            except DomainError as exc:
                error = "；".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
            else:
                if not result.errors:
                    messages.success(request, _("已导入 %(n)s 个订单，状态为「已接收」") % {"n": len(result.created)})
                    return redirect(reverse("orders:list") + "?status=received")
    status = 422 if error or (result and result.errors) else 200
    return render(request, "orders/order_import.html", {"result": result, "error": error, **SHEET_LIMITS}, status=status)


@login_required
@intake_only
def order_import_template(request):
    response = HttpResponse(import_template(),
                            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response["Content-Disposition"] = "attachment; filename*=UTF-8''%E8%AE%A2%E5%8D%95%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
    return response


def _mail_taken_in(request, incoming):
    """Where a mail just taken in (or taken in before) leads; another team's order or customer is not named."""
    if incoming.order_id and order_visible_to(incoming.order, request.user):
        messages.success(request, _("已根据邮件生成订单 %(ref)s，请补全信息后审核") % {"ref": incoming.order.ref})
        return redirect("orders:detail", ref=incoming.order.ref)
    if incoming.order_id:
        messages.info(request, _("该邮件已生成订单"))
    elif not mails_visible_to(request.user).filter(pk=incoming.pk).exists():
        messages.info(request, _("邮件已保存，将由负责该客户的同事生成订单"))
    elif incoming.state == IncomingMail.State.REFUSED:
        messages.warning(request, _("该邮件未能接收：%(reason)s") % {"reason": incoming.reason})
    else:
        messages.info(request, _("未能根据发件人匹配客户，请选择客户后生成订单"))
    return redirect("orders:mail")


@login_required
@intake_only
def order_mail(request):
    error = ""
    if request.method == "POST":
        try:
            if "incoming" in request.POST:
                incoming = mail_convert(incoming_id=id_or_none(request.POST["incoming"]) or 0, actor=request.user,
                                        customer_id=id_or_none(request.POST.get("customer_id")) or 0)
            else:
                upload = request.FILES.get("file")
                if upload is None:
                    raise InvalidInput(_("请选择 .eml 文件"), errors={"file": [_("请选择 .eml 文件")]})
                customer = customers_visible_to(request.user).filter(pk=id_or_none(request.POST.get("customer_id")) or 0).first()
                incoming = mail_receive(raw=upload.read(), actor=request.user, customer=customer)
        except NotFound as exc:  # another team's mail is not there
            raise Http404(exc.message) from exc
        except DomainError as exc:
            error = refusal_text(exc)
        else:
            return _mail_taken_in(request, incoming)
    waiting = mails_visible_to(request.user).filter(state__in=OPEN_STATES).select_related("customer")[:100]
    return render(request, "orders/order_mail.html", {
        "waiting": waiting, "customers": customers_visible_to(request.user, Customer.objects.only("id", "name")), "error": error,
        **SHEET_LIMITS}, status=422 if error else 200)


@login_required
@logged_download("附件")
def attachment_download(request, ref, attachment_id):
    order = _get_order(request, ref)
    attachment = order.attachments.filter(pk=attachment_id).first()
    if attachment is None:
        raise Http404(attachment_id)
    if request.GET.get("inline") and attachment.content_type in INLINE_TYPES:  # a photo shown as an image
        return FileResponse(attachment.file.open("rb"), content_type=attachment.content_type)
    # otherwise always a download, never rendered by the browser (no inline HTML or SVG)
    return FileResponse(attachment.file.open("rb"), as_attachment=True, filename=attachment.filename,
                        content_type="application/octet-stream")


INLINE_TYPES = {"image/png", "image/jpeg"}  # as recognised from the content when uploaded


@login_required
@logged_download("订单初步审核表")
def review_form(request, ref):
    """《订单初步审核表》, printable."""
    order = _get_order(request, ref)
    events = timeline_data(order.events.select_related("actor").filter(type__in=["reviewed", "contact_logged", "supplemented"]), request.user)
    return render(request, "orders/documents/review_form.html", {
        "order": order, "checklist": review_checklist(order, phone=shown_phone(order, request.user)), "events": events,
        "verdict": next((e for e in reversed(events) if e["type"] == "reviewed"), None),
    })


@login_required
@intake_only
def order_edit(request, ref):
    """Complete or correct an order before review passes (the web side of PATCH)."""
    order = _get_order(request, ref)
    errors: dict = {}
    rows: list[int] = []
    if request.method == "POST" and "add_line" in request.POST:
        values = _intake_values(request.POST, add_line=True)
    elif request.method == "POST":
        values = _intake_values(request.POST)
        payload, rows = _intake_payload(values)
        payload.pop("customer_id", None)
        payload.pop("channel", None)
        payload.pop("order_date", None)
        fields = {name: payload.get(name, "") for name in EDITABLE_FIELDS}
        fields["requested_date"] = payload.get("requested_date")
        try:
            data = OrderPatch.model_validate({**fields, "lines": payload["lines"] or None,
                                              "version": _int(request.POST.get("version"))})
            services.order_update(order_id=order.pk, actor=request.user, data=data)
        except ValidationError as exc:
            errors = pydantic_errors(exc)
        except DomainError as exc:
            errors = exc.errors if isinstance(exc, InvalidInput) else {"__all__": [exc.message]}
            if exc.message and "__all__" not in errors and not isinstance(exc, InvalidInput):
                errors["__all__"] = [exc.message]
        else:
            messages.success(request, order_saved_text(SalesOrder.objects.get(pk=order.pk)))
            return redirect("orders:detail", ref=order.ref)
    else:
        values = {name: getattr(order, name) or "" for name in INTAKE_FIELDS if name not in ("customer_id",)}
        values["requested_date"] = order.requested_date.isoformat() if order.requested_date else ""
        values["order_date"] = order.order_date.isoformat()
        existing = [{"product_id": str(line.product_id), "quantity": f"{line.quantity.normalize():f}",
                     "unit_price": f"{line.unit_price}"} for line in order.lines.all()]
        values["lines"] = (existing + [{} for _ in range(INTAKE_LINE_ROWS)])[:max(INTAKE_LINE_ROWS, len(existing))]
    products = list(Product.objects.filter(is_active=True))
    return render(request, "orders/order_new.html", {
        "editing": order, "customers": [order.customer], "products": products, "values": values,
        "channels": Channel.choices, **_intake_errors(errors, values, rows), **_intake_totals(values, products),
    }, status=422 if errors else 200)


EDITABLE_FIELDS = ("contact_name", "contact_phone", "payment_terms", "delivery_address", "special_requirements",
                   "special_terms", "remarks")


@login_required
@logged_download("订单确认单")
def confirmation_pdf(request, ref):
    """《订单确认单》 as PDF, once the order has its formal number."""
    order = _get_order(request, ref)
    if not order.number:
        raise Http404(_("初步审核通过后才有订单确认单"))
    response = HttpResponse(order_confirmation_pdf(order, user=request.user, seller=CompanyProfile.current()), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=confirmation-{order.number}.pdf"
    return response


@login_required
@logged_download("内部流转单")
def internal_slip(request, ref):
    """《订单内部流转单》, printable."""
    order = _get_order(request, ref)
    events = timeline_data(order_timeline(order), request.user)
    return render(request, "orders/documents/internal_slip.html", {"order": order, "events": events,
                                                                     "lines": list(order.lines.all())})


@login_required
def acceptance(request, ref):
    """验收 on a phone: the acceptance form alone, with the camera for photos."""
    order = _get_order(request, ref)
    if "accept" not in available_actions(order, request.user):
        messages.error(request, _("当前没有待您验收的发货批次"))
        return redirect("orders:detail", ref=order.ref)
    return render(request, "orders/acceptance.html", {"order": order, "form": action_form("accept", order),
                                                      "open_action": "accept"})


@login_required
@logged_download("验收问题记录表")
def acceptance_record(request, ref):
    """《验收问题记录表》, printable: each consignment's checks, the issues found, their photos and tickets."""
    order = _get_order(request, ref)
    events = timeline_data(order.events.select_related("actor").filter(type="accepted").order_by("occurred_at", "id"), request.user)
    tickets = {t.pk: t for t in order.tickets.prefetch_related("photos")}
    items = dict(AcceptanceItem.Item.choices)
    for event in events:
        event["tickets"] = [tickets[pk] for pk in event["payload"].get("ticket_ids", []) if pk in tickets]
        for answer in event["payload"].get("answers", []):
            answer["item_label"] = items.get(answer.get("item"), answer.get("item"))
    return render(request, "orders/documents/acceptance_record.html", {"order": order, "events": events})


@login_required
@logged_download("客户签收单")
def receipt_pdf(request, ref, batch):
    """《客户签收单》 of one consignment, as PDF, once it is received."""
    order = _get_order(request, ref)
    shipment = order.shipments.filter(position=batch, received_at__isnull=False).first()
    if shipment is None:
        raise Http404(_("该批次尚未签收"))
    response = HttpResponse(receipt_pdf_bytes(shipment), content_type="application/pdf")
    response["Content-Disposition"] = f"inline; filename=receipt-{order.ref}-{batch}.pdf"
    return response


def receipt_by_link(request, token):
    """系统回执: the customer, without an account, confirms the delivery with their name."""
    try:
        shipment = shipment_for_token(token)
    except DomainError as exc:
        return render(request, "orders/receipt.html", {"error": exc.message}, status=exc.http_status)
    error, done = "", shipment.received_at is not None
    if request.method == "POST" and not done:
        try:
            shipment = receipt_confirm_by_link(token=token, signed_by=request.POST.get("signed_by", ""),
                                               remark=request.POST.get("remark", ""), address=request.META.get("REMOTE_ADDR"))
            done = True
        except DomainError as exc:
            error = "；".join(m for msgs in exc.errors.values() for m in msgs) or exc.message
    checks = acceptance_items(shipment)
    return render(request, "orders/receipt.html", {
        "shipment": shipment, "order": shipment.order, "items": shipment.lines.select_related("order_line"),
        "checks": checks, "issues": [item for item in checks if not item.passed], "token": token,
        "done": done, "error": error, "post": request.POST if error else {}}, status=422 if error else 200)


def receipt_photo(request, token, attachment_id):
    """A photo of an issue recorded at the acceptance of the consignment the receipt link is for, for the
    customer to see with the same link (PNG or JPEG, as recognised at upload)."""
    try:
        shipment = shipment_for_token(token)
    except DomainError as exc:
        return HttpResponse(exc.message, status=exc.http_status, content_type="text/plain; charset=utf-8")
    photo = Attachment.objects.filter(pk=attachment_id, shipment=shipment, kind=Attachment.Kind.PHOTO,
                                      ticket__isnull=False, content_type__in=INLINE_TYPES).first()
    if photo is None:
        raise Http404(attachment_id)
    return FileResponse(photo.file.open("rb"), content_type=photo.content_type)


def rating_by_link(request, token):
    """The customer rates the delivered order (1-5) without an account; an after-sales need opens a ticket."""
    try:
        visit = visit_for_token(token)
    except DomainError as exc:
        return render(request, "orders/rating.html", {"error": exc.message}, status=exc.http_status)
    error, errors, done = "", {}, visit.done_at is not None
    if request.method == "POST" and not done:
        post = request.POST
        try:
            visit = visit_rate_by_link(token=token, satisfaction=post.get("satisfaction"), comment=post.get("usage", ""),
                                       rated_by=post.get("rated_by", ""), need_type=post.get("need_type", ""),
                                       need=post.get("need", ""), address=request.META.get("REMOTE_ADDR"))
            done = True
        except DomainError as exc:
            error, errors = exc.message, exc.errors
    return render(request, "orders/rating.html", {
        "visit": visit, "order": visit.order, "done": done, "error": error, "errors": errors, "post": request.POST,
        "scores": range(5, 0, -1), "need_types": TicketType.choices}, status=422 if error else 200)


@login_required
@logged_download("生产备货进度表")
def progress_sheet(request, ref):
    """《生产备货进度表》 of one order, printable: its stages, progress records and risks."""
    order = _get_order(request, ref)
    return render(request, "orders/documents/progress_sheet.html", {
        "order": order, "stages": list(order.stages.filter(superseded=False).select_related("owner")),
        "headers": [_(h) for h in REGISTER_2[1:]], "records": [row[1:] for row in progress_rows(SalesOrder.objects.filter(pk=order.pk))],
        "risks": list(order.risks.all()), "today": clock.today(), "printed_at": clock.now(),
    })


@login_required
@logged_download("客户满意度回访表")
def visit_sheet(request, ref):
    """《客户满意度回访表》 of one order, printable, with the order's feedback as register 3 rows."""
    order = _get_order(request, ref)
    visit = FollowUpVisit.objects.filter(order=order).select_related("visited_by").first()
    if visit is None:
        raise Http404(_("订单尚未交付"))
    return render(request, "orders/documents/visit_sheet.html", {
        "order": order, "visit": visit, "lines": list(order.lines.all()), "headers": [_(h) for h in REGISTER_3[2:]],
        "tickets": [row[2:] for row in feedback_rows(SalesOrder.objects.filter(pk=order.pk))]})


@login_required
@logged_download("发货准备单")
def shipment_slip(request, ref):
    """《发货准备单》, printable, once the warehouse has prepared the shipment."""
    order = _get_order(request, ref)
    prepared = order.events.filter(type="shipment_prepared").select_related("actor").order_by("-occurred_at", "-id").first()
    if prepared is None:
        raise Http404(_("尚未完成发货准备"))
    report_id = prepared.payload.get("qc_report_attachment_id")
    part = last_part(order)  # the latest 发货准备 is of the last part (a later part has its own)
    return render(request, "orders/documents/shipment_slip.html", {
        "order": order, "prepared": prepared, "lines": [line for line in order.lines.all() if line.part == part],
        "report": order.attachments.filter(pk=report_id).first() if report_id else None,
    })


@login_required
@intake_only
@require_POST
def order_copy(request, ref):
    order = _get_order(request, ref)
    try:
        copy = services.order_copy(order_id=order.pk, actor=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("orders:detail", ref=order.ref)
    messages.success(request, _("已复制为新订单 %(ref)s，需重新审核和审批") % {"ref": copy.ref})
    return redirect("orders:detail", ref=copy.ref)


REGISTER_PAGE = 100  # rows on screen; the files hold them all


@login_required
def register(request, name, fmt="html"):
    """A register of the orders the user may see, filtered and sorted, on screen (100 rows a page, printable) or
    as .xlsx / .csv with the same filters and order."""
    if name not in REGISTERS:
        raise Http404(name)
    reg = REGISTERS[name]
    filters, errors = parse_filters(request.GET, date_label=reg.date_label or "下单日期")
    if fmt in CONTENT_TYPES:
        if errors:  # not a file of other rows than asked for: the page says what is wrong
            for error in errors:
                messages.error(request, error)
            return redirect(reverse("orders:register", args=[name]) + "?" + request.GET.urlencode())
        records = reg.records_filtered(request.user, filters)
        out, count = register_export(reg, fmt, records, request.user)
        download_record(request, what=f"{reg.title}.{fmt}", rows=count)
        response = FileResponse(out, content_type=CONTENT_TYPES[fmt])
        response["Content-Disposition"] = f"attachment; filename*=UTF-8''{reg.filename}.{fmt}"
        return response
    records = reg.records_filtered(request.user, filters)
    page = Paginator(records, REGISTER_PAGE).get_page(request.GET.get("page"))
    rows = [[cell.isoformat() if isinstance(cell, date) else cell for cell in reg.row(record, request.user)]
            for record in page.object_list]
    sort = reg.sort_key(filters.sort)
    query = filter_query(request.GET)
    files = [(_("下载 .xlsx"), reverse("orders:register_xlsx", args=[name])), (_("下载 .csv"), reverse("orders:register_csv", args=[name]))]
    return _list_page(request, "orders/register.html", "orders/_register_results.html", {
        "name": name, "title": _(reg.title), "rows": rows, "cells": _register_cells(reg, rows), "page": page, "registers": REGISTER_LINKS,
        "columns": len(reg.headers), "query": query,
        "headers": _sort_headers(request.GET, [(key if key in (reg.sorts or {}) else "", heading)
                                               for key, heading, _kind in reg.columns], sort),
        "ff": _filter_form(request, name, filters, errors, sort=sort, date_label=reg.date_label or "下单日期",
                           files=[(label, f"{url}?{query}" if query else url) for label, url in files]),
    })


def _register_cells(reg, rows) -> list[list[dict]]:
    """The cells of a register's page: the value, its kind (money shown as ¥1,234.00, dates and numbers on one
    line), the order page's link on 订单编号, and for long free text the whole text as the cell's title."""
    detail = reverse("orders:detail", args=["REF"]).replace("REF", "{}")
    columns = reg.columns
    shown = []
    for row in rows:
        cells = []
        for (key, _heading, kind), value in zip(columns, row):
            cell = {"value": value, "kind": kind, "long": key in LONG_TEXT, "label": _(_heading)}
            if key == "ref" and value:
                cell["url"] = detail.format(quote(str(value), safe=""))
            cells.append(cell)
        shown.append(cells)
    return shown


@login_required
@require_POST
def saved_filter_save(request, name):
    """保存筛选: the current filter of a list (``name``: "list" or a register) under a name; back to it."""
    target = _list_url(name)
    query = QueryDict(request.POST.get("query", ""))
    try:
        saved = save_filter(request.user, name, request.POST.get("name", ""), query)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{target}?{filter_query(query)}")
    messages.success(request, _("已保存筛选「%(name)s」：以后在“已保存的筛选”中点它即可再次使用") % {"name": saved.name})
    return redirect(f"{target}?{saved.query}")


@login_required
@require_POST
def saved_filter_delete(request, name, filter_id):
    target = _list_url(name)
    delete_saved_filter(request.user, filter_id)
    messages.success(request, _("已删除保存的筛选"))
    return redirect(target)


def _list_url(page_key: str) -> str:
    if page_key == "list":
        return reverse("orders:list")
    if page_key not in REGISTERS:
        raise Http404(page_key)
    return reverse("orders:register", args=[page_key])


REGISTER_LINKS = [(name, reg.title) for name, reg in REGISTERS.items()]


@login_required
def stage_board(request):
    columns = board(user=request.user, owner=request.GET.get("owner") or None,
                    customer_id=id_or_none(request.GET.get("customer")), stage=request.GET.get("stage") or None)
    return render(request, "orders/board.html", {
        "columns": columns, "customers": customers_visible_to(request.user, Customer.objects.only("id", "name")),
        "filters": {"owner": request.GET.get("owner", ""), "customer": id_or_none(request.GET.get("customer")),
                    "stage": request.GET.get("stage", "")},
    })


@login_required
def approvals(request):
    """待我审批: the orders waiting for this user's approval, decided from the list."""
    return _approvals_page(request)


def _approvals_page(request, *, failed=None, status=200):
    rows = approvals_for(request.user)
    if failed and not any(row.order.ref == failed["ref"] for row in rows):  # no longer in the list: said on top
        messages.error(request, f"{failed['ref']}：{failed['error']}")
    return render(request, "orders/approvals.html", {
        "rows": rows, "sees_cost": sees_cost(request.user), "failed": failed or {}}, status=status)


@login_required
@require_POST
def approval_decide(request, ref):
    """Approve or reject one order of the inbox with a comment: the order page's action (perform_action, the
    version read), answered with the row's result line (htmx) or back to the list."""
    order = _get_order(request, ref)
    action = request.POST.get("decision")
    if action not in DECISIONS:
        raise Http404(action)
    try:
        data = parse_post(action, decision_data(action, request.POST))
        event = perform_action(order_id=order.pk, action_name=action, actor=request.user, data=data)
    except DomainError as exc:
        message = "；".join(m for msgs in (exc.errors or {}).values() for m in msgs) or exc.message
        failed = {"ref": order.ref, "error": message, "comment": request.POST.get("comment", "")}
        if request.htmx:
            row = next((r for r in approvals_for(request.user) if r.order.pk == order.pk), None)
            return render(request, "orders/partials/_approval_row.html", {
                "row": row, "failed": failed, "sees_cost": sees_cost(request.user), "ref": order.ref})
        return _approvals_page(request, failed=failed, status=exc.http_status)
    result = decision_result(action, event.order)
    if request.htmx:
        return render(request, "orders/partials/_approval_row.html", {
            "done": result, "order": event.order, "sees_cost": sees_cost(request.user), "ref": event.order.ref})
    messages.success(request, _("%(ref)s %(result)s") % {"ref": event.order.ref, "result": result})
    return redirect("orders:approvals")


@login_required
def order_summary(request, ref):
    """An order at a glance for the inbox's side panel; asked for without htmx, the order page."""
    order = _get_order(request, ref)
    if not request.htmx:
        return redirect("orders:detail", ref=order.ref)
    events = timeline_data(order.events.select_related("actor").order_by("-occurred_at", "-id")[:5], request.user)
    return render(request, "orders/partials/_order_summary.html", {
        "order": order, "lines": list(order.lines.all()), "events": events, "sees_cost": sees_cost(request.user),
        "margin_percent": percent(order.margin) if order.margin is not None else "—",
        "director_reasons": director_reasons(order) if sees_cost(request.user) and order.status in APPROVAL_STATES else [],
        "phone": shown_phone(order, request.user)})


@login_required
def my_work(request):
    """我的待办: what waits for this user, a tab per kind of work (待确认库存, 待发货, 待回访 …)."""
    queues = queues_for(request.user)
    chosen = next((q for q in queues if q.key == request.GET.get("queue")), queues[0] if queues else None)
    return render(request, "orders/work.html", {"queues": queues, "chosen": chosen})
