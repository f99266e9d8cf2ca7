"""Customer feedback and after-sales tickets (客户反馈与售后记录): opened from any feedback, answered within
24 hours, a solution with a promised time, the result told to the account manager and the customer, and
the customer's confirmation before the ticket closes. Each step is one transaction, recorded on the
order's timeline, with its deadline; who may take it from which state is the table of ``aftersales.lifecycle``,
whose ``ticket_perform`` (``ticket_enter`` for the opening) locks, checks and writes the state. Here: each
step's input checks, what it changes, its deadlines and notices."""
from datetime import datetime, timedelta

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.accounts.roles import Role
from orderloop.accounts.permissions import ALL_FEEDBACK_READERS
from orderloop.aftersales.lifecycle import STAY, tickets_visible_q, ticket_enter, ticket_perform, ticket_refusal
from orderloop.aftersales.models import WITHOUT_ORDER, SolutionType, Ticket, TicketState, TicketType
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotFound
from orderloop.core.ids import id_or_none
from orderloop.masterdata.models import Customer
from orderloop.masterdata.services import customers_visible_to
from orderloop.notifications.services import notify
from orderloop.orders.access import order_visible_to
from orderloop.orders.customer_messages import ticket_resolved as customer_ticket_resolved
from orderloop.orders.handoffs import handoff_notify
from orderloop.orders.models import EventType, FollowUpVisit, SalesOrder, TimerKind
from orderloop.orders.timers import order_url, timer_meet, timer_start, timer_stop

RESPONSE_HOURS = 24


def tickets_visible_to(user):
    """The tickets ``user`` may see (``aftersales.lifecycle.tickets_visible_q``), newest first."""
    q = tickets_visible_q(user)
    tickets = Ticket.objects.select_related("order", "customer")
    return tickets if q is None else tickets.filter(q)


def ticket_url(ticket: Ticket) -> str:
    """Where a notice about ``ticket`` leads: its order's page, or the ticket's own without an order."""
    return order_url(ticket.order) if ticket.order_id else reverse("aftersales:detail", args=[ticket.pk])


def feedback_customers(user):
    """The customers ``user`` may record feedback without an order for: those they see; every customer for
    ``ALL_FEEDBACK_READERS`` (after-sales takes any customer's call)."""
    if user is not None and user.roles & ALL_FEEDBACK_READERS:
        return Customer.objects.all()
    return customers_visible_to(user)


def _customer_for(customer_id, actor) -> Customer:
    if customer_id in (None, ""):
        raise InvalidInput(_("请选择客户：没有订单的反馈须记录在客户名下"), errors={"customer_id": [_("请选择客户")]})
    customers = Customer.objects.all() if actor is None else feedback_customers(actor)
    number = id_or_none(customer_id)
    customer = customers.filter(pk=number).first() if number is not None else None
    if customer is None:
        raise InvalidInput(_("客户不存在：编号 %(id)s 没有您可以登记反馈的客户") % {"id": str(customer_id)[:20]},
                           errors={"customer_id": [_("客户不存在")]})
    return customer


def ticket_open(*, order_id: int | None = None, actor, ticket_type: str, description: str,
                customer_id: int | None = None) -> Ticket:
    """Record a customer's feedback; ``actor`` None: the customer, through the rating link. About an order
    (``order_id``, in any state: a complaint about a rejected or cancelled order too), or about the customer
    alone (``customer_id``: a pre-sales question, a complaint, a suggestion). Both given: the order must be the
    customer's."""
    problem = ticket_refusal(None, actor, "open")
    if problem is not None:
        raise problem
    errors = {}
    if ticket_type not in TicketType.values:
        errors["ticket_type"] = [_("无效的选项")]
    elif order_id is None and ticket_type not in WITHOUT_ORDER:
        errors["ticket_type"] = [_("「%(type)s」须关联订单；没有订单时可登记：%(types)s") % {
            "type": TicketType(ticket_type).label, "types": "、".join(str(TicketType(t).label) for t in WITHOUT_ORDER)}]
    if not description.strip():
        errors["description"] = [_("必填")]
    if errors:
        raise InvalidInput(_("客户反馈信息有误"), errors=errors)
    now = clock.now()
    with transaction.atomic():
        order = None
        if order_id is not None:
            order = (SalesOrder.objects.select_for_update(of=("self",)).select_related("customer", "owner", "entered_by")
                     .filter(pk=order_id).first())
            if order is None or (actor is not None and not order_visible_to(order, actor)):
                raise NotFound(_("订单不存在"))
            if order.archived_at:
                raise InvalidTransition(_("订单已归档，只能查看"))
            if customer_id not in (None, "") and order.customer_id != id_or_none(customer_id):
                raise InvalidInput(_("订单 %(ref)s 不是所选客户的订单") % {"ref": order.ref},
                                   errors={"customer_id": [_("与订单的客户不一致")]})
            customer = order.customer
        else:
            customer = _customer_for(customer_id, actor)
        ticket = Ticket(customer=customer, order=order, ticket_type=ticket_type, description=description.strip(),
                        opened_at=now, opened_by=actor)
        ticket_enter(ticket, actor=actor, now=now, event_payload={"ticket_type": ticket_type, "description": ticket.description})
        timer_start(order=order, ticket=ticket, kind=TimerKind.AFTERSALES_RESPONSE, now=now,
                    due=now + timedelta(hours=RESPONSE_HOURS))
        handoff_notify(order, event=EventType.TICKET_OPENED, key=f"ticket:{ticket.pk}:opened", actor=actor,
                       step=(_("售后问题：%(type)s") if order else _("客户反馈：%(type)s")) % {
                           "type": ticket.get_ticket_type_display()},
                       asked=(_("24小时内响应，制定解决方案（如维修、换货、退款），并在承诺时间内完成处理") if order
                              else _("24小时内响应客户，给出答复或处理方案，并在承诺时间内完成处理")),
                       due=now + timedelta(hours=RESPONSE_HOURS), detail=_("反馈内容：%(text)s") % {"text": ticket.description},
                       url=ticket_url(ticket), customer=customer)
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
               url=ticket_url(ticket),
               subject=(_("订单 %(ref)s 的%(type)s问题已处理") if ticket.order_id else _("客户 %(customer)s 的%(type)s已处理")) % {
                   "ref": ticket.ref, "customer": ticket.customer.name, "type": ticket.get_ticket_type_display()},
               body=_("处理措施：%(solution)s\n处理结果：%(result)s") % {"solution": ticket.solution, "result": ticket.result},
               customer=customer_ticket_resolved(ticket))
        handoff_notify(ticket.order, event="ticket_confirmation_requested", key=f"ticket:{ticket.pk}:resolved:{now.timestamp()}",
                       step=_("售后回访"), actor=actor, url=ticket_url(ticket), customer=ticket.customer,
                       roles=({Role.ACCOUNT_MANAGER: [ticket.customer.owner]}
                              if not ticket.order_id and ticket.customer.owner_id else None),
                       asked=_("处理结果已同步，请回访客户确认处理结果及满意度"),
                       detail=_("处理措施：%(solution)s\n处理结果：%(result)s") % {"solution": ticket.solution,
                                                                            "result": ticket.result})
        return None, {"result": ticket.result}

    return ticket_perform(ticket_id=ticket_id, action_name="resolve", actor=actor, handler=resolve)


def visit_satisfaction(ticket) -> int | None:
    """The score the customer already gave at the order's follow-up visit (客户满意度回访), if any: asked once, the
    ticket's follow-up reuses it instead of asking again."""
    if not ticket.order_id:
        return None
    return (FollowUpVisit.objects.filter(order_id=ticket.order_id, done_at__isnull=False, satisfaction__gt=0)
            .values_list("satisfaction", flat=True).first())


def ticket_follow_up(*, ticket_id: int, actor, confirmed: bool, satisfaction: int | None, note: str) -> Ticket:
    """Ask the customer about the result (跟进): confirmed, with a score, or not solved, back to a new solution. A
    score left out is the one the customer gave at the order's follow-up visit, when there was one."""
    if confirmed and satisfaction is None:
        ticket = Ticket.objects.filter(pk=ticket_id).only("order_id").first()
        satisfaction = visit_satisfaction(ticket) if ticket else None
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
