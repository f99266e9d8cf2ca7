"""After-sales pages: the feedback list (售后问题处理记录) with the photos taken at acceptance, one ticket
with the steps its handler may take now (``ticket_available_actions``: the page offers nothing the server
would refuse), and feedback recorded from the order page. Thin: the rules live in aftersales.services and
aftersales.lifecycle."""
from datetime import datetime

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST

from orderloop.accounts.permissions import TICKET_OPENERS
from orderloop.aftersales import services
from orderloop.aftersales.lifecycle import ticket_available_actions, ticket_close_problems
from orderloop.aftersales.models import WITHOUT_ORDER, SolutionType, TicketState, TicketType
from orderloop.core.audit import download_record
from orderloop.core.calendar import SHANGHAI
from orderloop.core.exceptions import DomainError, InvalidInput, NotAllowed, NotFound
from orderloop.core.models import AuditEntry
from orderloop.orders.events import event_label
from orderloop.orders.labels import event_details
from orderloop.orders.selectors import event_data, order_get


@login_required
def ticket_index(request):
    state = request.GET.get("state", "open")
    tickets = services.tickets_visible_to(request.user).prefetch_related("photos")
    if state == "open":
        tickets = tickets.filter(closed_at__isnull=True)
    elif state in TicketState.values:
        tickets = tickets.filter(state=state)
    page = Paginator(tickets, 50).get_page(request.GET.get("page"))
    return render(request, "aftersales/ticket_list.html", {"page": page, "state": state, "states": TicketState.choices})


def _local_datetime(value: str):
    try:
        return datetime.fromisoformat(value).replace(tzinfo=SHANGHAI) if value else None
    except ValueError:
        return None


# What each step did and who acts next in the state it leaves the ticket in (the message after a step).
STEP_DONE = {"respond": gettext_noop("已响应"), "solution": gettext_noop("已给出解决方案"),
             "resolve": gettext_noop("已处理完成"), "follow_up": gettext_noop("已回访客户"), "close": gettext_noop("已关闭")}
NEXT_STEP = {
    TicketState.OPEN: gettext_noop("售后专员在24小时内响应"),
    TicketState.RESPONDED: gettext_noop("售后专员制定解决方案并承诺完成时间"),
    TicketState.SOLUTION_GIVEN: gettext_noop("售后专员在承诺时间内完成处理"),
    TicketState.RESOLVED: gettext_noop("客户经理回访客户，确认问题已解决"),
    TicketState.CLOSED: gettext_noop("流程结束"),
}


def ticket_outcome(done: str, ticket) -> str:
    """「已响应：售后问题（202405-003）现为「已响应」；下一步：售后专员制定解决方案并承诺完成时间」"""
    return _("%(done)s：售后问题 %(about)s 现为「%(state)s」；下一步：%(next)s") % {
        "done": done, "about": ticket.ref or ticket.customer.name, "state": ticket.get_state_display(),
        "next": _(NEXT_STEP[ticket.state])}


def _take_step(step: str, ticket_id: int, actor, post):
    if step == "respond":
        return services.ticket_respond(ticket_id=ticket_id, actor=actor, note=post.get("note", ""))
    if step == "solution":
        promised_at = _local_datetime(post.get("promised_at", ""))
        if promised_at is None:
            raise InvalidInput(_("解决方案有误"), errors={"promised_at": [_("请填写承诺完成时间")]})
        return services.ticket_give_solution(ticket_id=ticket_id, actor=actor, solution_type=post.get("solution_type", ""),
                                             solution=post.get("solution", ""), promised_at=promised_at)
    if step == "resolve":
        return services.ticket_resolve(ticket_id=ticket_id, actor=actor, result=post.get("result", ""))
    if step == "follow_up":
        score = post.get("satisfaction", "")
        return services.ticket_follow_up(ticket_id=ticket_id, actor=actor, confirmed=post.get("confirmed") == "yes",
                                         satisfaction=int(score) if score in {"1", "2", "3", "4", "5"} else None, note=post.get("note", ""))
    if step == "close":
        return services.ticket_close(ticket_id=ticket_id, actor=actor)
    raise Http404(_("未知操作"))


def ticket_history(ticket, user) -> list[dict]:
    """The ticket's steps, oldest first: its events on the order's timeline, or, for feedback without an order,
    the audit record its steps wrote (``aftersales.lifecycle._ticket_write``) in the same shape."""
    if ticket.order_id:
        return [event_data(e) for e in ticket.order.events.filter(payload__ticket_id=ticket.pk).select_related("actor")
                .order_by("occurred_at", "id")]
    entries = (AuditEntry.objects.filter(object_type="aftersales.ticket", object_id=str(ticket.pk))
               .select_related("actor").order_by("occurred_at", "id"))
    return [{"occurred_at": e.occurred_at, "actor_name": str(e.actor) if e.actor else "", "label": event_label(e.operation),
             "details": event_details({k: v for k, v in e.changes.items() if k != "state"})} for e in entries]


@login_required
def ticket_detail(request, ticket_id):
    ticket = services.tickets_visible_to(request.user).prefetch_related("photos").filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404(_("售后问题不存在"))
    error, errors, status, step = "", {}, 200, request.POST.get("step", "")
    if request.method == "POST":
        try:
            ticket = _take_step(step, ticket.pk, request.user, request.POST)
            messages.success(request, ticket_outcome(_(STEP_DONE[step]), ticket))
            return redirect("aftersales:detail", ticket_id=ticket.pk)
        except DomainError as exc:
            error, errors, status = exc.message, exc.errors, exc.http_status
    events = ticket_history(ticket, request.user)
    return render(request, "aftersales/ticket_detail.html", {
        "ticket": ticket, "events": events, "actions": ticket_available_actions(ticket, request.user),
        "close_problems": ticket_close_problems(ticket), "solution_types": SolutionType.choices,
        "error": error, "errors": errors, "failed_step": step if error else "", "post": request.POST,
        "scores": range(5, 0, -1), "known_satisfaction": services.visit_satisfaction(ticket)}, status=status)


@login_required
def ticket_record(request, ticket_id):
    """《售后问题处理记录表》 of one ticket, printable."""
    ticket = services.tickets_visible_to(request.user).select_related("assignee").filter(pk=ticket_id).first()
    if ticket is None:
        raise Http404(_("售后问题不存在"))
    download_record(request, what="售后问题处理记录表", object_type="aftersales.ticket", object_id=ticket.pk,
                    object_repr=f"{ticket.ref or ticket.customer.name} {ticket.get_ticket_type_display()}")
    timers = {t.kind: t for t in ticket.timers.order_by("started_at")}
    return render(request, "aftersales/ticket_record.html", {
        "ticket": ticket, "response_timer": timers.get("aftersales_response"),
        "resolution_timer": timers.get("aftersales_resolution")})


@login_required
@require_POST
def ticket_new(request, ref):
    """Feedback recorded from the order page."""
    try:
        order = order_get(user=request.user, ref=ref)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    try:
        ticket = services.ticket_open(order_id=order.pk, actor=request.user, ticket_type=request.POST.get("ticket_type", ""),
                                      description=request.POST.get("description", ""))
    except NotAllowed as exc:
        raise PermissionDenied(exc.message) from exc
    except DomainError as exc:
        messages.error(request, "；".join([exc.message] + [m for msgs in exc.errors.values() for m in msgs]))
        return redirect("orders:detail", ref=order.ref)
    messages.success(request, ticket_outcome(_("已登记客户反馈"), ticket))
    return redirect("aftersales:detail", ticket_id=ticket.pk)



@login_required
def record_feedback(request):
    """记录客户反馈: feedback from a customer, with or without an order (a pre-sales question, a complaint, a
    suggestion); the order, when given, may be in any state."""
    if not request.user.has_role(*TICKET_OPENERS):
        raise PermissionDenied(_("您的角色不能登记售后问题"))
    error, errors, status, post = "", {}, 200, request.POST
    if request.method == "POST":
        ref = post.get("order_ref", "").strip()
        try:
            order_id = order_get(user=request.user, ref=ref).pk if ref else None
            ticket = services.ticket_open(order_id=order_id, customer_id=post.get("customer_id") or None, actor=request.user,
                                          ticket_type=post.get("ticket_type", ""), description=post.get("description", ""))
        except DomainError as exc:
            error, errors, status = exc.message, exc.errors, exc.http_status
            if isinstance(exc, NotFound) and ref:
                errors = {"order_ref": [exc.message]}
        else:
            messages.success(request, ticket_outcome(_("已登记客户反馈"), ticket))
            return redirect("aftersales:detail", ticket_id=ticket.pk)
    return render(request, "aftersales/record_feedback.html", {
        "customers": services.feedback_customers(request.user).only("id", "name").order_by("name"),
        "ticket_types": TicketType.choices, "without_order": [str(TicketType(t).label) for t in WITHOUT_ORDER],
        "error": error, "errors": errors, "post": post}, status=status)
