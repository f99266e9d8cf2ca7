"""Customer feedback and after-sales tickets (客户反馈与售后记录): opened from any feedback, answered within
24 hours, a solution with a promised time, the result told to the account manager and the customer, and
the customer's confirmation before the ticket closes. Each step is one transaction, recorded on the
order's timeline, with its deadline; who may take it from which state is the table of ``aftersales.lifecycle``,
whose ``ticket_perform`` (``ticket_enter`` for the opening) locks, checks and writes the state. Here: each
step's input checks, what it changes, its deadlines and notices."""
from datetime import datetime, timedelta

from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.aftersales.lifecycle import STAY, ticket_enter, ticket_perform, ticket_refusal
from orderloop.aftersales.models import SolutionType, Ticket, TicketState, TicketType
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotFound
from orderloop.notifications.services import notify
from orderloop.orders.handoffs import handoff_notify
from orderloop.orders.access import order_visible_to, visible_orders_q
from orderloop.orders.models import EventType, SalesOrder, TimerKind
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.timers import order_url, timer_meet, timer_start, timer_stop

RESPONSE_HOURS = 24
NOT_FOR_TICKETS = {S.REJECTED, S.CANCELLED}


def tickets_visible_to(user):
    """The tickets of the orders ``user`` may see, newest first."""
    q = visible_orders_q(user)
    tickets = Ticket.objects.select_related("order", "order__customer")
    return tickets if q is None else tickets.filter(order__in=SalesOrder.objects.filter(q).values("pk"))


def ticket_open(*, order_id: int, actor, ticket_type: str, description: str) -> Ticket:
    """Record a customer's feedback; ``actor`` None: the customer, through the rating link."""
    problem = ticket_refusal(None, actor, "open")
    if problem is not None:
        raise problem
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
        ticket = Ticket(order=order, ticket_type=ticket_type, description=description.strip(), opened_at=now, opened_by=actor)
        ticket_enter(ticket, actor=actor, now=now, event_payload={"ticket_type": ticket_type, "description": ticket.description})
        timer_start(order=order, ticket=ticket, kind=TimerKind.AFTERSALES_RESPONSE, now=now,
                    due=now + timedelta(hours=RESPONSE_HOURS))
        handoff_notify(order, event=EventType.TICKET_OPENED, key=f"ticket:{ticket.pk}:opened", actor=actor,
                       step=_("售后问题：%(type)s") % {"type": ticket.get_ticket_type_display()},
                       asked=_("24小时内响应，制定解决方案（如维修、换货、退款），并在承诺时间内完成处理"),
                       due=now + timedelta(hours=RESPONSE_HOURS), detail=_("反馈内容：%(text)s") % {"text": ticket.description})
    return ticket


def ticket_respond(*, ticket_id: int, actor, note: str) -> Ticket:
    if not note.strip():
        raise InvalidInput(_("请填写响应记录"), errors={"note": [_("必填")]})

    def respond(ticket, now):
        if ticket.first_response_at is None:
            ticket.first_response_at = now
        ticket.response_note = note.strip()
        ticket.assignee = ticket.assignee or actor
        timer_meet(ticket=ticket, kind=TimerKind.AFTERSALES_RESPONSE, now=now)
        return None, {"note": ticket.response_note}  # the first answer: 已响应; a later one replaces the note

    return ticket_perform(ticket_id=ticket_id, action_name="respond", actor=actor, handler=respond)


def ticket_give_solution(*, ticket_id: int, actor, solution_type: str, solution: str, promised_at: datetime) -> Ticket:
    errors = {}
    if solution_type not in SolutionType.values:
        errors["solution_type"] = [_("无效的选项")]
    if not solution.strip():
        errors["solution"] = [_("必填")]
    if promised_at <= clock.now():
        errors["promised_at"] = [_("承诺完成时间须晚于现在")]
    if errors:
        raise InvalidInput(_("解决方案有误"), errors=errors)

    def give_solution(ticket, now):
        if ticket.first_response_at is None:  # a solution is also an answer
            ticket.first_response_at = now
            timer_meet(ticket=ticket, kind=TimerKind.AFTERSALES_RESPONSE, now=now)
        ticket.assignee = ticket.assignee or actor
        ticket.solution_type, ticket.solution, ticket.promised_at = solution_type, solution.strip(), promised_at
        timer_stop(ticket=ticket, kind=TimerKind.AFTERSALES_RESOLUTION, now=now)  # a new promise replaces the old
        timer_start(order=ticket.order, ticket=ticket, kind=TimerKind.AFTERSALES_RESOLUTION, now=now, due=promised_at)
        return None, {"solution_type": solution_type, "solution": ticket.solution, "promised_at": promised_at.isoformat()}

    return ticket_perform(ticket_id=ticket_id, action_name="give_solution", actor=actor, handler=give_solution)


def ticket_resolve(*, ticket_id: int, actor, result: str) -> Ticket:
    """The result of the solution, told to the account manager and the customer; the customer confirms it next."""
    if not result.strip():
        raise InvalidInput(_("请填写处理结果"), errors={"result": [_("必填")]})

    def resolve(ticket, now):
        ticket.result, ticket.resolved_at = result.strip(), now
        timer_meet(ticket=ticket, kind=TimerKind.AFTERSALES_RESOLUTION, now=now)
        notify(event=EventType.TICKET_RESOLVED, key=f"ticket:{ticket.pk}:resolved:{now.timestamp()}", order=ticket.order,
               url=order_url(ticket.order),
               subject=_("订单 %(ref)s 的%(type)s问题已处理") % {"ref": ticket.order.ref, "type": ticket.get_ticket_type_display()},
               body=_("处理措施：%(solution)s\n处理结果：%(result)s") % {"solution": ticket.solution, "result": ticket.result})
        handoff_notify(ticket.order, event="ticket_confirmation_requested", key=f"ticket:{ticket.pk}:resolved:{now.timestamp()}",
                       step=_("售后回访"), actor=actor, asked=_("处理结果已同步，请回访客户确认处理结果及满意度"),
                       detail=_("处理措施：%(solution)s\n处理结果：%(result)s") % {"solution": ticket.solution,
                                                                            "result": ticket.result})
        return None, {"result": ticket.result}

    return ticket_perform(ticket_id=ticket_id, action_name="resolve", actor=actor, handler=resolve)


def ticket_follow_up(*, ticket_id: int, actor, confirmed: bool, satisfaction: int | None, note: str) -> Ticket:
    """Ask the customer about the result (跟进): confirmed, with a score, or not solved, back to a new solution."""
    errors = {}
    if confirmed and satisfaction not in range(1, 6):
        errors["satisfaction"] = [_("请填写 1-5 分")]
    if not note.strip():
        errors["note"] = [_("必填")]
    if errors:
        raise InvalidInput(_("回访记录有误"), errors=errors)

    def follow_up(ticket, now):
        ticket.followed_up_at, ticket.follow_up_note, ticket.customer_confirmed = now, note.strip(), confirmed
        ticket.customer_satisfaction = satisfaction if confirmed else None
        target = STAY
        if not confirmed:  # not solved for the customer: a new solution is needed
            target, ticket.result, ticket.resolved_at = TicketState.RESPONDED, "", None
        return target, {"confirmed": confirmed, "satisfaction": ticket.customer_satisfaction, "note": ticket.follow_up_note}

    return ticket_perform(ticket_id=ticket_id, action_name="follow_up", actor=actor, handler=follow_up)


def ticket_close(*, ticket_id: int, actor) -> Ticket:
    """Closing needs a result the customer confirmed (the table's guard, ``ticket_close_problems``)."""
    def close(ticket, now):
        ticket.closed_at = now
        return None, {}

    return ticket_perform(ticket_id=ticket_id, action_name="close", actor=actor, handler=close)
