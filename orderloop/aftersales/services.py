"""Customer feedback and after-sales tickets (客户反馈与售后记录): opened from any feedback, answered within
24 hours, a solution with a promised time, the result told to the account manager and the customer, and
the customer's confirmation before the ticket closes. Each step is one transaction, recorded on the
order's timeline, with its deadline."""
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.accounts.roles import Role
from orderloop.aftersales.models import SolutionType, Ticket, TicketState, TicketType
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed, NotFound
from orderloop.notifications.services import notify
from orderloop.orders.access import order_visible_to, visible_orders_q
from orderloop.orders.events import event_record
from orderloop.orders.models import EventType, SalesOrder, TimerKind
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.timers import order_url, timer_meet, timer_start, timer_stop

RESPONSE_HOURS = 24
OPENERS = {Role.AFTER_SALES, Role.ACCOUNT_MANAGER, Role.SALES_ASSISTANT, Role.SALES_MANAGER, Role.LOGISTICS}
HANDLERS = {Role.AFTER_SALES, Role.ACCOUNT_MANAGER}  # after-sales for problems, the account manager for the rest
NOT_FOR_TICKETS = {S.REJECTED, S.CANCELLED}


def tickets_visible_to(user):
    """The tickets of the orders ``user`` may see, newest first."""
    q = visible_orders_q(user)
    tickets = Ticket.objects.select_related("order", "order__customer")
    return tickets if q is None else tickets.filter(order__in=SalesOrder.objects.filter(q).values("pk"))


def _record(order, ticket, actor, event_type, now, payload):
    event_record(order, event_type, {"ticket_id": ticket.pk, **payload}, actor=actor, at=now)


def ticket_open(*, order_id: int, actor, ticket_type: str, description: str) -> Ticket:
    """Record a customer's feedback; ``actor`` None: the customer, through the rating link."""
    if actor is not None and not actor.has_role(*OPENERS):
        raise NotAllowed(_("您的角色不能登记售后问题"))
    errors = {}
    if ticket_type not in TicketType.values:
        errors["ticket_type"] = [_("无效的选项")]
    if not description.strip():
        errors["description"] = [_("必填")]
    if errors:
        raise InvalidInput(_("售后问题信息有误"), errors=errors)
    now = clock.now()
    with transaction.atomic():
        order = (SalesOrder.objects.select_for_update(of=("self",)).select_related("customer", "owner", "entered_by")
                 .filter(pk=order_id).first())
        if order is None or (actor is not None and not order_visible_to(order, actor)):
            raise NotFound(_("订单不存在"))
        if order.archived_at:
            raise InvalidTransition(_("订单已归档，只能查看"))
        if order.status in NOT_FOR_TICKETS:
            raise InvalidTransition(_("订单已「%(status)s」，不能登记售后问题") % {"status": order.get_status_display()})
        ticket = Ticket.objects.create(order=order, ticket_type=ticket_type, description=description.strip(),
                                       opened_at=now, opened_by=actor)
        _record(order, ticket, actor, EventType.TICKET_OPENED, now, {"ticket_type": ticket_type, "description": ticket.description})
        timer_start(order=order, ticket=ticket, kind=TimerKind.AFTERSALES_RESPONSE, now=now,
                    due=now + timedelta(hours=RESPONSE_HOURS))
        notify(event=EventType.TICKET_OPENED, key=f"ticket:{ticket.pk}:opened", order=order, url=order_url(order),
               subject=_("订单 %(ref)s 新售后问题：%(type)s") % {"ref": order.ref, "type": ticket.get_ticket_type_display()},
               body=ticket.description)
    return ticket


def _locked_ticket(ticket_id, actor) -> Ticket:
    if not actor.has_role(*HANDLERS):
        raise NotAllowed(_("只有售后工程师或客户经理可以处理客户反馈"))
    ticket = Ticket.objects.select_for_update(of=("self",)).select_related("order").filter(pk=ticket_id).first()
    if ticket is None or not order_visible_to(ticket.order, actor):
        raise NotFound(_("售后问题不存在"))
    if ticket.closed_at:
        raise InvalidTransition(_("该反馈已关闭"))
    return ticket


def ticket_respond(*, ticket_id: int, actor, note: str) -> Ticket:
    if not note.strip():
        raise InvalidInput(_("请填写响应记录"), errors={"note": [_("必填")]})
    now = clock.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id, actor)
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        ticket.response_note = note.strip()
        ticket.assignee = ticket.assignee or actor
        if ticket.state == TicketState.OPEN:
            ticket.state = TicketState.RESPONDED
        ticket.save()
        timer_meet(ticket=ticket, kind=TimerKind.AFTERSALES_RESPONSE, now=now)
        _record(ticket.order, ticket, actor, EventType.TICKET_RESPONDED, now, {"note": ticket.response_note})
    return ticket


def ticket_give_solution(*, ticket_id: int, actor, solution_type: str, solution: str, promised_at: datetime) -> Ticket:
    errors = {}
    if solution_type not in SolutionType.values:
        errors["solution_type"] = [_("无效的选项")]
    if not solution.strip():
        errors["solution"] = [_("必填")]
    now = clock.now()
    if promised_at <= now:
        errors["promised_at"] = [_("承诺完成时间须晚于现在")]
    if errors:
        raise InvalidInput(_("解决方案有误"), errors=errors)
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id, actor)
        if ticket.first_response_at is None:  # a solution is also an answer
            ticket.first_response_at = now
            timer_meet(ticket=ticket, kind=TimerKind.AFTERSALES_RESPONSE, now=now)
        ticket.assignee = ticket.assignee or actor
        ticket.solution_type, ticket.solution, ticket.promised_at = solution_type, solution.strip(), promised_at
        ticket.state = TicketState.SOLUTION_GIVEN
        ticket.save()
        timer_stop(ticket=ticket, kind=TimerKind.AFTERSALES_RESOLUTION, now=now)  # a new promise replaces the old
        timer_start(order=ticket.order, ticket=ticket, kind=TimerKind.AFTERSALES_RESOLUTION, now=now, due=promised_at)
        _record(ticket.order, ticket, actor, EventType.TICKET_SOLUTION_GIVEN, now, {
            "solution_type": solution_type, "solution": ticket.solution, "promised_at": promised_at.isoformat()})
    return ticket


def ticket_resolve(*, ticket_id: int, actor, result: str) -> Ticket:
    """The result of the solution, told to the account manager and the customer; the customer confirms it next."""
    if not result.strip():
        raise InvalidInput(_("请填写处理结果"), errors={"result": [_("必填")]})
    now = clock.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id, actor)
        if ticket.state != TicketState.SOLUTION_GIVEN:
            raise InvalidTransition(_("须先给出解决方案"))
        ticket.result, ticket.resolved_at, ticket.state = result.strip(), now, TicketState.RESOLVED
        ticket.save()
        timer_meet(ticket=ticket, kind=TimerKind.AFTERSALES_RESOLUTION, now=now)
        _record(ticket.order, ticket, actor, EventType.TICKET_RESOLVED, now, {"result": ticket.result})
        notify(event=EventType.TICKET_RESOLVED, key=f"ticket:{ticket.pk}:resolved:{now.timestamp()}", order=ticket.order,
               url=order_url(ticket.order),
               subject=_("订单 %(ref)s 的%(type)s问题已处理") % {"ref": ticket.order.ref, "type": ticket.get_ticket_type_display()},
               body=_("处理措施：%(solution)s\n处理结果：%(result)s") % {"solution": ticket.solution, "result": ticket.result})
    return ticket


def ticket_follow_up(*, ticket_id: int, actor, confirmed: bool, satisfaction: int | None, note: str) -> Ticket:
    """Ask the customer about the result (跟进): confirmed, with a score, or not solved, back to a new solution."""
    errors = {}
    if confirmed and satisfaction not in range(1, 6):
        errors["satisfaction"] = [_("请填写 1-5 分")]
    if not note.strip():
        errors["note"] = [_("必填")]
    if errors:
        raise InvalidInput(_("回访记录有误"), errors=errors)
    now = clock.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id, actor)
        if ticket.state != TicketState.RESOLVED:
            raise InvalidTransition(_("尚未填写处理结果，不能回访客户"))
        ticket.followed_up_at, ticket.follow_up_note, ticket.customer_confirmed = now, note.strip(), confirmed
        ticket.customer_satisfaction = satisfaction if confirmed else None
        if not confirmed:  # not solved for the customer: a new solution is needed
            ticket.state, ticket.result, ticket.resolved_at = TicketState.RESPONDED, "", None
        ticket.save()
        _record(ticket.order, ticket, actor, EventType.TICKET_FOLLOWED_UP, now, {
            "confirmed": confirmed, "satisfaction": ticket.customer_satisfaction, "note": ticket.follow_up_note})
    return ticket


def ticket_close_problems(ticket: Ticket) -> list[str]:
    problems = []
    if not ticket.result:
        problems.append(_("尚未填写处理结果"))
    if not (ticket.followed_up_at and ticket.customer_confirmed):
        problems.append(_("尚未回访客户确认处理结果"))
    return problems


def ticket_close(*, ticket_id: int, actor) -> Ticket:
    now = clock.now()
    with transaction.atomic():
        ticket = _locked_ticket(ticket_id, actor)
        problems = ticket_close_problems(ticket)
        if problems:
            raise InvalidTransition(_("不能关闭：%(reasons)s") % {"reasons": "；".join(problems)})
        ticket.closed_at, ticket.state = now, TicketState.CLOSED
        ticket.save()
        _record(ticket.order, ticket, actor, EventType.TICKET_CLOSED, now, {})
    return ticket
