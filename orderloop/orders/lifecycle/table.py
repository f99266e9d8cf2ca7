"""The state machine, declared once: each row is an action, the states it starts from, where it may lead, and
the roles that may take it. The API's actions, the buttons on the order page, the permission checks, "what
waits for me" and the documentation's table all come from here."""
from dataclasses import dataclass

from orderloop.accounts.roles import ALL_ROLES
from orderloop.accounts.roles import Role as R
from orderloop.orders.models import OrderStatus
from orderloop.orders.models import OrderStatus as S

SYSTEM = "system"  # the worker acting on its own (automatic close), or the customer through a signed link
STAY = "stay"  # an action's target when the order stays in its state
EVERYONE_WHO_ACTS = ALL_ROLES - {R.FINANCE}  # finance reads orders and amounts; it changes no order (SPEC section 1)
BEFORE_SHIPMENT = frozenset({
    S.RECEIVED, S.NEEDS_INFO, S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK,
    S.DATE_NEGOTIATION, S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP,
})
AMENDABLE = frozenset({
    S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION,
    S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP,
})
TERMINAL = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})
# A later part (quantity added at 待发货 or after, see steps/changes.py) takes the order through these states
# again, while the consignments of the earlier parts are still shipped, accepted and signed for.
AGAIN_FOR_A_PART = frozenset({
    S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION, S.CONFIRMED, S.IN_FULFILLMENT,
})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset  # empty: an entry (a ticket not opened yet)
    targets: frozenset  # the states it may lead to; STAY = stays where it is
    roles: frozenset


def row(action, sources, targets, roles) -> Transition:
    as_set = lambda x: frozenset(x) if isinstance(x, (set, frozenset, list, tuple)) else frozenset({x})  # noqa: E731
    return Transition(action, as_set(sources), as_set(targets), as_set(roles))


SALES = {R.SALES_ASSISTANT, R.ACCOUNT_MANAGER}
OPERATIONS = {R.WAREHOUSE, R.PRODUCTION}

TRANSITIONS: list[Transition] = [
    row("review", S.RECEIVED, {S.PENDING_APPROVAL, S.NEEDS_INFO, S.REJECTED}, SALES),
    row("review", S.NEEDS_INFO, S.REJECTED, SALES),
    row("log_contact", S.NEEDS_INFO, STAY, SALES),
    row("supplement", S.NEEDS_INFO, S.RECEIVED, SALES),
    row("approve", S.PENDING_APPROVAL, {S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK}, R.SALES_MANAGER),
    row("approve", S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK, R.SALES_DIRECTOR),
    row("reject", S.PENDING_APPROVAL, S.REJECTED, R.SALES_MANAGER),
    row("reject", S.PENDING_DIRECTOR, S.REJECTED, R.SALES_DIRECTOR),
    row("confirm_stock", S.PENDING_STOCK_CHECK, {S.CONFIRMED, S.DATE_NEGOTIATION}, OPERATIONS),
    row("agree_date", S.DATE_NEGOTIATION, {S.CONFIRMED, S.IN_FULFILLMENT}, R.ACCOUNT_MANAGER),
    row("start_fulfillment", S.CONFIRMED, S.IN_FULFILLMENT, OPERATIONS),
    # 进度跟进 (register 2): the sales assistant follows the order at every open stage, and so does the stage's owner
    row("track", {S.RECEIVED, S.NEEDS_INFO}, STAY, SALES),
    row("track", S.PENDING_APPROVAL, STAY, {R.SALES_ASSISTANT, R.SALES_MANAGER}),
    row("track", S.PENDING_DIRECTOR, STAY, {R.SALES_ASSISTANT, R.SALES_DIRECTOR}),
    row("track", {S.PENDING_STOCK_CHECK, S.CONFIRMED, S.IN_FULFILLMENT}, STAY, {R.SALES_ASSISTANT, *OPERATIONS}),
    row("track", S.DATE_NEGOTIATION, STAY, SALES),
    row("track", S.READY_TO_SHIP, STAY, {R.SALES_ASSISTANT, R.WAREHOUSE, R.LOGISTICS}),
    row("track", S.SHIPPED, STAY, {R.SALES_ASSISTANT, R.ACCOUNT_MANAGER, R.LOGISTICS}),
    row("track", S.DELIVERED, STAY, SALES),
    row("raise_risk", {S.CONFIRMED, S.IN_FULFILLMENT}, STAY, EVERYONE_WHO_ACTS),
    row("resolve_risk", {S.CONFIRMED, S.IN_FULFILLMENT}, {STAY, S.DATE_NEGOTIATION}, EVERYONE_WHO_ACTS),
    row("prepare_shipment", S.IN_FULFILLMENT, S.READY_TO_SHIP, R.WAREHOUSE),
    row("ship", S.READY_TO_SHIP, {S.SHIPPED, STAY}, R.LOGISTICS),
    row("ship", AGAIN_FOR_A_PART, STAY, R.LOGISTICS),  # what an earlier part prepared
    row("accept", {S.READY_TO_SHIP, S.SHIPPED}, {STAY, S.DELIVERED}, {R.ACCOUNT_MANAGER, R.LOGISTICS}),
    row("accept", AGAIN_FOR_A_PART, STAY, {R.ACCOUNT_MANAGER, R.LOGISTICS}),
    row("confirm_receipt", {S.READY_TO_SHIP, S.SHIPPED}, {STAY, S.DELIVERED}, {SYSTEM, R.ACCOUNT_MANAGER, R.LOGISTICS}),
    row("confirm_receipt", AGAIN_FOR_A_PART, STAY, {SYSTEM, R.ACCOUNT_MANAGER, R.LOGISTICS}),
    row("follow_up", S.DELIVERED, STAY, {SYSTEM, R.ACCOUNT_MANAGER}),
    row("close", S.DELIVERED, S.CLOSED, {SYSTEM, R.SALES_MANAGER}),
    row("amend", AMENDABLE, {STAY, S.PENDING_APPROVAL, S.PENDING_STOCK_CHECK}, R.SALES_ASSISTANT),
    row("amend", S.SHIPPED, {S.PENDING_APPROVAL, S.PENDING_STOCK_CHECK}, R.SALES_ASSISTANT),  # a further part
    # SPEC section 9, Money: the sales manager releases an order held by its payment terms, or writes off what is
    # left of its plan so that it may close
    row("waive_payment", {S.CONFIRMED, S.READY_TO_SHIP}, STAY, R.SALES_MANAGER),
    row("write_off", {S.SHIPPED, S.DELIVERED}, STAY, R.SALES_MANAGER),
    row("short_close", {S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP}, {STAY, S.SHIPPED, S.DELIVERED}, R.SALES_MANAGER),
    row("cancel", BEFORE_SHIPMENT, S.CANCELLED, R.SALES_MANAGER),
]


def actor_roles(user) -> frozenset:
    """The roles ``user`` acts in; no user: the system (the worker, or the customer through a signed link)."""
    return frozenset({SYSTEM}) if user is None else user.roles


def rows_for(action: str, status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action == action and status in t.sources]


_STATUS_LABELS = dict(OrderStatus.choices)  # read per event of a timeline: not the enum's lists rebuilt each time


def status_label(code: str) -> str:
    return _STATUS_LABELS.get(code, code)


def approval_states(roles) -> set[str]:
    """The states in which these roles approve (the ``approve`` rows): 待审批 for the sales manager, 待总监审批 for
    the director."""
    return {s for t in TRANSITIONS if t.action == "approve" and t.roles & roles for s in t.sources}
