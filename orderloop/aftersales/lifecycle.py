"""The tickets' state machine, declared once, and its engine. Each row of ``TICKET_TRANSITIONS`` is a ticket
action, the states it starts from, where it may lead and the roles that may take it; opening a ticket is the
entry, from no state. ``ticket_refusal`` says why an action is refused now, ``ticket_available_actions`` which
ones a user may take (the ticket page's forms), and ``ticket_perform`` takes one: lock the ticket, check the
table and the action's guards, run the action's handler, then write the state, the ticket and its event on the
order's timeline in one transaction. ``_ticket_write`` is the one place that sets a ticket's state; opening goes
through it too (``ticket_enter``). What each action changes, its input checks, deadlines and notices stay with
the action in ``aftersales.services``."""
from dataclasses import dataclass, field
from datetime import datetime
from typing import Callable

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from django.db.models import Q

from orderloop.accounts.permissions import ALL_FEEDBACK_READERS, TICKET_HANDLERS, TICKET_OPENERS
from orderloop.aftersales.models import Ticket
from orderloop.aftersales.models import TicketState as T
from orderloop.core import clock
from orderloop.core.audit import audit_record
from orderloop.core.exceptions import DomainError, InvalidTransition, NotAllowed, NotFound
from orderloop.masterdata.services import customers_visible_to
from orderloop.orders.access import order_visible_to, visible_orders_q
from orderloop.orders.events import event_record
from orderloop.orders.models import EventType
from orderloop.orders.lifecycle.table import STAY, SYSTEM, Transition, actor_roles, row

NOT_CLOSED = frozenset({T.OPEN, T.RESPONDED, T.SOLUTION_GIVEN, T.RESOLVED})


# After-sales for problems, the account manager for the rest; anyone who hears of feedback may record it,
# and the customer through the rating link.
TICKET_TRANSITIONS: list[Transition] = [
    row("open", (), T.OPEN, {SYSTEM} | TICKET_OPENERS),
    row("respond", T.OPEN, T.RESPONDED, TICKET_HANDLERS),
    row("respond", {T.RESPONDED, T.SOLUTION_GIVEN, T.RESOLVED}, STAY, TICKET_HANDLERS),
    row("give_solution", NOT_CLOSED, T.SOLUTION_GIVEN, TICKET_HANDLERS),  # a new one replaces the old
    row("resolve", T.SOLUTION_GIVEN, T.RESOLVED, TICKET_HANDLERS),
    # confirmed: it waits to be closed; not solved for the customer: back for a new solution
    row("follow_up", T.RESOLVED, {STAY, T.RESPONDED}, TICKET_HANDLERS),
    row("close", NOT_CLOSED, T.CLOSED, TICKET_HANDLERS),
]


def ticket_close_problems(ticket: Ticket) -> list[str]:
    problems = []
    if not ticket.result:
        problems.append(_("尚未填写处理结果"))
    if not (ticket.followed_up_at and ticket.customer_confirmed):
        problems.append(_("尚未回访客户确认处理结果"))
    return problems


def _close_guard(ticket: Ticket) -> DomainError | None:
    problems = ticket_close_problems(ticket)
    return InvalidTransition(_("不能关闭：%(reasons)s") % {"reasons": "；".join(problems)}) if problems else None


@dataclass(frozen=True)
class TicketAction:
    name: str
    event: EventType
    not_allowed: str  # why a role outside its rows is refused (gettext_noop)
    wrong_state: str = ""  # why it is refused in a state outside its rows but closed (gettext_noop)
    guards: tuple = field(default=())  # each (ticket) -> DomainError | None, asked after the table


FOR_HANDLERS = N_("只有售后工程师或客户经理可以处理客户反馈")
TICKET_ACTIONS = {a.name: a for a in [
    TicketAction("open", EventType.TICKET_OPENED, N_("您的角色不能登记售后问题"), wrong_state=N_("已登记客户反馈")),
    TicketAction("respond", EventType.TICKET_RESPONDED, FOR_HANDLERS),
    TicketAction("give_solution", EventType.TICKET_SOLUTION_GIVEN, FOR_HANDLERS),
    TicketAction("resolve", EventType.TICKET_RESOLVED, FOR_HANDLERS, wrong_state=N_("须先给出解决方案")),
    TicketAction("follow_up", EventType.TICKET_FOLLOWED_UP, FOR_HANDLERS, wrong_state=N_("尚未填写处理结果，不能回访客户")),
    TicketAction("close", EventType.TICKET_CLOSED, FOR_HANDLERS, guards=(_close_guard,)),
]}
assert {t.action for t in TICKET_TRANSITIONS} == set(TICKET_ACTIONS), "every action has a row and every row an action"


def tickets_visible_q(user) -> Q | None:
    """A filter for the tickets ``user`` may see; None: all of them. A ticket on an order: whoever sees the order;
    feedback without an order: the customer's people (``customers_visible_to``), its opener and handler, and
    ``ALL_FEEDBACK_READERS`` (after-sales answers every feedback)."""
    from orderloop.orders.models import SalesOrder

    orders = visible_orders_q(user)
    if orders is None:
        return None
    q = Q(order__in=SalesOrder.objects.filter(orders).values("pk"))
    if user.roles & ALL_FEEDBACK_READERS:
        return q | Q(order__isnull=True)
    return q | Q(order__isnull=True) & (Q(customer__in=customers_visible_to(user).values("pk"))
                                        | Q(opened_by_id=user.pk) | Q(assignee_id=user.pk))


def ticket_visible_to(ticket: Ticket, user) -> bool:
    """Whether ``user`` (None: the system or the customer through a link) may see ``ticket``."""
    if user is None:
        return True
    if ticket.order_id:
        return order_visible_to(ticket.order, user)
    q = tickets_visible_q(user)
    return q is None or Ticket.objects.filter(q, pk=ticket.pk).exists()


def _rows(action_name: str, state: str | None) -> list[Transition]:
    """The action's rows from ``state``; None: no ticket yet, the entry's rows."""
    return [t for t in TICKET_TRANSITIONS if t.action == action_name and (state in t.sources if state else not t.sources)]


def _role_refusal(action_name: str, roles: frozenset) -> DomainError | None:
    """Asked first, whatever the ticket and its state: an unknown action, or no row of it open to ``roles``."""
    action = TICKET_ACTIONS.get(action_name)
    if action is None:
        return NotFound(_("未知操作：%(action)s") % {"action": action_name})
    if not any(t.roles & roles for t in TICKET_TRANSITIONS if t.action == action_name):
        return NotAllowed(_(action.not_allowed))
    return None


def _refusal(ticket: Ticket | None, roles: frozenset, action_name: str) -> DomainError | None:
    problem = _role_refusal(action_name, roles)
    if problem is not None:
        return problem
    action = TICKET_ACTIONS[action_name]
    state = None if ticket is None else ticket.state
    rows = _rows(action_name, state)
    if not rows:
        if ticket is None:
            return NotFound(_("售后问题不存在"))
        if ticket.state == T.CLOSED:
            return InvalidTransition(_("该反馈已关闭"))
        return InvalidTransition(_(action.wrong_state))
    if not any(t.roles & roles for t in rows):
        return NotAllowed(_(action.not_allowed))
    for guard in action.guards:
        problem = guard(ticket)
        if problem is not None:
            return problem
    return None


def ticket_refusal(ticket: Ticket | None, user, action_name: str) -> DomainError | None:
    """Why ``user`` (None: the customer through the rating link) cannot take ``action_name`` on ``ticket`` now,
    input aside, or None. ``ticket`` None asks about the entry, opening one. In this order: NotFound for an
    unknown action; NotAllowed (403) when no row of the action is open to the user's roles; InvalidTransition
    (409) in a state the action does not start from ("该反馈已关闭" once closed); then the action's guards
    (closing needs a result the customer confirmed, 409)."""
    return _refusal(ticket, actor_roles(user), action_name)


def ticket_available_actions(ticket: Ticket, user) -> list[str]:
    """The actions ``user`` may take on ``ticket`` now, in table order: what the ticket page offers."""
    if not ticket_visible_to(ticket, user):
        return []
    roles = actor_roles(user)
    names = dict.fromkeys(t.action for t in TICKET_TRANSITIONS if ticket.state in t.sources and t.roles & roles)
    return [name for name in names if _refusal(ticket, roles, name) is None]


def _ticket_write(ticket: Ticket, action_name: str, *, actor, now: datetime, source: str | None, target: str | None,
                  event_payload: dict) -> Ticket:
    """The one place that sets a ticket's state: to where the action's row from ``source`` leads (``target``
    None: its one target), then the ticket is saved and the action's event written on the order's timeline;
    feedback without an order has no timeline: the step is kept in the audit record of the ticket instead."""
    allowed = {t for row_ in _rows(action_name, source) for t in row_.targets}
    if target is None and len(allowed) == 1:
        target = next(iter(allowed))
    if target not in allowed:
        raise RuntimeError(f"ticket {action_name} from {source} led to {target}, not in {sorted(allowed)}")
    if target != STAY:
        ticket.state = target
    ticket.save()
    event = TICKET_ACTIONS[action_name].event
    if ticket.order_id:
        event_record(ticket.order, event, {"ticket_id": ticket.pk, **event_payload}, actor=actor, at=now)
    else:
        audit_record(actor=actor, obj=ticket, operation=str(event), changes={"state": ticket.state, **event_payload})
    return ticket


def ticket_enter(ticket: Ticket, *, actor, now: datetime, event_payload: dict) -> Ticket:
    """Open ``ticket`` (built on its customer and order, not saved yet): the entry row's state, the ticket, its
    event. Inside the caller's transaction, which holds the order's lock (when there is an order) and has asked
    ``ticket_refusal(None, actor, "open")`` before its input checks."""
    assert ticket.pk is None and transaction.get_connection().in_atomic_block, "a new ticket, inside the caller's transaction"
    return _ticket_write(ticket, "open", actor=actor, now=now, source=None, target=None, event_payload=event_payload)


# (ticket, now) -> (target or None, event payload): changes the ticket's own fields, never its state, and meets,
# starts or stops its deadlines and tells whom it tells; None: the one state the action's row leads to.
Handler = Callable[[Ticket, datetime], tuple[str | None, dict]]


def ticket_perform(*, ticket_id: int, action_name: str, actor, handler: Handler) -> Ticket:
    """Take ``action_name`` on the ticket: one transaction; a refused action changes nothing. The role is asked
    before the ticket is read (403 even for a ticket out of reach), then the locked ticket must be visible to
    ``actor`` (404) and the table and the action's guards must allow it (``ticket_refusal``)."""
    roles = actor_roles(actor)
    problem = _role_refusal(action_name, roles)
    if problem is not None:
        raise problem
    now = clock.now()
    with transaction.atomic():
        ticket = (Ticket.objects.select_for_update(of=("self",)).select_related("order", "customer")
                  .filter(pk=ticket_id).first())
        if ticket is None or not ticket_visible_to(ticket, actor):
            raise NotFound(_("售后问题不存在"))
        problem = _refusal(ticket, roles, action_name)
        if problem is not None:
            raise problem
        source = ticket.state
        target, event_payload = handler(ticket, now)
        _ticket_write(ticket, action_name, actor=actor, now=now, source=source, target=target, event_payload=event_payload)
    return ticket
