"""Tickets under /api/tickets: thin; the rules live in aftersales.services."""
from datetime import datetime

from ninja import Router, Schema, Status
from pydantic import Field

from orderloop.accounts.permissions import TICKET_HANDLERS, TICKET_OPENERS
from orderloop.accounts.api import roles
from orderloop.aftersales import services
from orderloop.aftersales.models import SolutionType, Ticket, TicketType
from orderloop.core.schemas import errors
from orderloop.orders.schemas import LocalTime
from orderloop.orders.selectors import order_get

router = Router(tags=["tickets"])


class TicketIn(Schema):
    order_ref: str | None = Field(None, max_length=40, description="The order the feedback is about, in any state; "
                                  "omit it for feedback without an order (then customer_id is required).")
    customer_id: int | None = Field(None, description="The customer the feedback comes from: required without "
                                    "order_ref (a pre-sales question, a complaint, a suggestion); with order_ref it "
                                    "must be the order's customer.")
    ticket_type: TicketType
    description: str = Field(min_length=1, max_length=4000)


class RespondIn(Schema):
    note: str = Field(min_length=1, max_length=4000)


class SolutionIn(Schema):
    solution_type: SolutionType
    solution: str = Field(min_length=1, max_length=4000)
    promised_at: datetime


class ResolveIn(Schema):
    result: str = Field(min_length=1, max_length=4000)


class FollowUpIn(Schema):
    confirmed: bool = Field(description="The customer confirms the problem is solved; false sends it back for a new solution.")
    satisfaction: int | None = Field(None, ge=1, le=5)
    note: str = Field(min_length=1, max_length=4000)


class TicketOut(Schema):
    id: int
    order_ref: str | None = Field(description="None: feedback without an order")
    customer_id: int
    customer_name: str
    ticket_type: str
    description: str
    state: str
    opened_at: LocalTime
    first_response_at: LocalTime | None
    solution_type: str
    solution: str
    promised_at: LocalTime | None
    resolved_at: LocalTime | None
    result: str
    followed_up_at: LocalTime | None
    customer_confirmed: bool
    customer_satisfaction: int | None
    closed_at: LocalTime | None


# A step on a ticket: it may be missing, out of the role's reach, or not possible in the ticket's state.
TICKET_STEP = {200: TicketOut, **errors(400, 401, 403, 404, 409, 422)}


def ticket_data(ticket: Ticket) -> dict:
    return {
        "id": ticket.pk, "order_ref": ticket.order.ref if ticket.order_id else None, "customer_id": ticket.customer_id,
        "customer_name": ticket.customer.name, "ticket_type": ticket.ticket_type, "description": ticket.description,
        "state": ticket.state, "opened_at": ticket.opened_at, "first_response_at": ticket.first_response_at,
        "solution_type": ticket.solution_type, "solution": ticket.solution, "promised_at": ticket.promised_at,
        "resolved_at": ticket.resolved_at, "result": ticket.result, "followed_up_at": ticket.followed_up_at,
        "customer_confirmed": ticket.customer_confirmed, "customer_satisfaction": ticket.customer_satisfaction,
        "closed_at": ticket.closed_at,
    }


@router.get("", response={200: list[TicketOut], **errors(401, 422)}, summary="List after-sales tickets")
def ticket_list(request, open_only: bool = False):
    tickets = services.tickets_visible_to(request.auth)
    if open_only:
        tickets = tickets.filter(closed_at__isnull=True)
    return [ticket_data(t) for t in tickets[:500]]


@router.post("", auth=roles(*TICKET_OPENERS), response={201: TicketOut, **errors(400, 401, 403, 404, 409, 422)}, summary="Record a customer's feedback, on an order or without one")
def ticket_create(request, data: TicketIn):
    """On an order (``order_ref``, in any state, a rejected or cancelled one too) or on the customer alone
    (``customer_id``: 售前疑问 presales, 投诉 complaint, 建议 suggestion, 其他 other). The response deadline (24
    hours) starts at once."""
    order_id = order_get(user=request.auth, ref=data.order_ref).pk if data.order_ref else None
    ticket = services.ticket_open(order_id=order_id, customer_id=data.customer_id, actor=request.auth,
                                  ticket_type=data.ticket_type, description=data.description)
    return Status(201, ticket_data(ticket))


@router.post("/{ticket_id}/respond", auth=roles(*TICKET_HANDLERS), response=TICKET_STEP, summary="First response (within 24 hours)")
def ticket_respond(request, ticket_id: int, data: RespondIn):
    return ticket_data(services.ticket_respond(ticket_id=ticket_id, actor=request.auth, note=data.note))


@router.post("/{ticket_id}/solution", auth=roles(*TICKET_HANDLERS), response=TICKET_STEP, summary="Give a solution and a promised time")
def ticket_solution(request, ticket_id: int, data: SolutionIn):
    return ticket_data(services.ticket_give_solution(ticket_id=ticket_id, actor=request.auth, solution_type=data.solution_type,
                                                     solution=data.solution, promised_at=data.promised_at))


@router.post("/{ticket_id}/resolve", auth=roles(*TICKET_HANDLERS), response=TICKET_STEP, summary="Record the result")
def ticket_resolve(request, ticket_id: int, data: ResolveIn):
    return ticket_data(services.ticket_resolve(ticket_id=ticket_id, actor=request.auth, result=data.result))


@router.post("/{ticket_id}/follow-up", auth=roles(*TICKET_HANDLERS), response=TICKET_STEP, summary="The customer's word on the result")
def ticket_follow_up(request, ticket_id: int, data: FollowUpIn):
    return ticket_data(services.ticket_follow_up(ticket_id=ticket_id, actor=request.auth, confirmed=data.confirmed,
                                                 satisfaction=data.satisfaction, note=data.note))


@router.post("/{ticket_id}/close", auth=roles(*TICKET_HANDLERS), response={200: TicketOut, **errors(401, 403, 404, 409, 422)},
             summary="Close: needs a result the customer confirmed")
def ticket_close(request, ticket_id: int):
    return ticket_data(services.ticket_close(ticket_id=ticket_id, actor=request.auth))
