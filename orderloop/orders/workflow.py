"""The order lifecycle, declared once (SPEC section 2).

``TRANSITIONS`` is the whole state machine: each row is an action, the states
it starts from, where it may lead, and the roles that may take it. The API's
actions, the buttons on the order page, the permission checks, the timeline
and the audit all come from here. ``perform_action`` is the one place that
changes an order's status.
"""
from dataclasses import dataclass, field
from typing import Callable

from django.db import transaction
from django.db.models import OuterRef, QuerySet, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_
from pydantic import BaseModel, ValidationError

from orderloop.accounts.models import User
from orderloop.accounts.roles import ALL_ROLES
from orderloop.accounts.roles import Role as R
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.core.audit import audit_record, diff, snapshot
from orderloop.core.exceptions import DomainError, InvalidInput, InvalidTransition, NotAllowed, NotFound, StaleVersion
from orderloop.core.prepared import PreparedQuery, insert, server_prepared, update
from orderloop.core.validation import pydantic_errors
from orderloop.orders import actions
from orderloop.orders import payloads as p
from orderloop.orders.access import STAGE_VISIBILITY, order_visible_to
from orderloop.orders.lines import lines_snapshot
from orderloop.orders.models import FollowUpVisit, OrderEvent, OrderLine, OrderStatus, SalesOrder, TimerKind
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.rules import approval_conflict
from orderloop.orders.notices import notices_after_action
from orderloop.orders.timers import timers_after_action
from orderloop.orders.visits import visit_of, visit_open

SYSTEM = "system"  # the worker acting on its own (automatic close)
STAY = actions.STAY
BEFORE_SHIPMENT = frozenset({
    S.RECEIVED, S.NEEDS_INFO, S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK,
    S.DATE_NEGOTIATION, S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP,
})
AMENDABLE = frozenset({
    S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION,
    S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP,
})
TERMINAL = frozenset({S.CLOSED, S.REJECTED, S.CANCELLED})


@dataclass(frozen=True)
class Transition:
    action: str
    sources: frozenset
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
    row("track", S.IN_FULFILLMENT, STAY, {R.SALES_ASSISTANT, R.WAREHOUSE, R.PRODUCTION}),
    row("raise_risk", {S.CONFIRMED, S.IN_FULFILLMENT}, STAY, ALL_ROLES),
    row("resolve_risk", {S.CONFIRMED, S.IN_FULFILLMENT}, {STAY, S.DATE_NEGOTIATION}, ALL_ROLES),
    row("prepare_shipment", S.IN_FULFILLMENT, S.READY_TO_SHIP, R.WAREHOUSE),
    row("ship", S.READY_TO_SHIP, {S.SHIPPED, STAY}, R.LOGISTICS),
    row("accept", {S.READY_TO_SHIP, S.SHIPPED}, {STAY, S.DELIVERED}, {R.ACCOUNT_MANAGER, R.LOGISTICS}),
    row("confirm_receipt", {S.READY_TO_SHIP, S.SHIPPED}, {STAY, S.DELIVERED}, {SYSTEM, R.ACCOUNT_MANAGER, R.LOGISTICS}),
    row("follow_up", S.DELIVERED, STAY, {SYSTEM, R.ACCOUNT_MANAGER}),
    row("close", S.DELIVERED, S.CLOSED, {SYSTEM, R.SALES_MANAGER}),
    row("amend", AMENDABLE, {STAY, S.PENDING_APPROVAL, S.PENDING_STOCK_CHECK}, R.SALES_ASSISTANT),
    row("short_close", {S.CONFIRMED, S.IN_FULFILLMENT}, STAY, R.SALES_MANAGER),
    row("short_close", S.READY_TO_SHIP, {STAY, S.SHIPPED, S.DELIVERED}, R.SALES_MANAGER),
    row("cancel", BEFORE_SHIPMENT, S.CANCELLED, R.SALES_MANAGER),
]


# --- guards: each returns why the action is refused now, or None ----------------

def _approver_guard(order, user):
    return approval_conflict(order, user)


def _open_risk_guard(order, user):
    return None if order.risks.filter(resolved_at__isnull=True).exists() else _("没有未解决的风险")


def _stages_done_guard(order, user):
    open_stages = list(order.stages.filter(superseded=False, actual_date__isnull=True).values_list("name", flat=True))
    if open_stages:
        return _("以下环节尚未完成：%(stages)s") % {"stages": "、".join(open_stages)}
    return None


def _shipment_to_accept_guard(order, user):
    return None if order.shipments.filter(accepted_at__isnull=True).exists() else _("没有待验收的发货批次")


def _shipment_to_receive_guard(order, user):
    return None if order.shipments.filter(received_at__isnull=True).exists() else _("没有待签收的发货批次")


def _nothing_shipped_guard(order, user):
    if order.shipments.exists():
        return _("已有发货批次：少交请用「短交关闭」，加购请新建订单")
    return None


def _visit_due_guard(order, user):
    visit = visit_of(order)
    if visit is not None and visit.done_at:
        return _("已于 %(when)s 完成回访") % {"when": visit.done_at.astimezone(SHANGHAI).strftime("%Y-%m-%d %H:%M")}
    return None


def _close_guard(order, user):
    """An order closes when its visit is done and no feedback is open; every reason is given at once."""
    reasons = []
    if not FollowUpVisit.objects.filter(order=order, done_at__isnull=False).exists():
        reasons.append(_("尚未完成客户回访"))
    open_tickets = order.tickets.filter(closed_at__isnull=True).count()
    if open_tickets:
        reasons.append(_("还有 %(n)s 个客户反馈/售后问题未关闭") % {"n": open_tickets})
    return "；".join(reasons) or None


@dataclass(frozen=True)
class Action:
    name: str
    label: str
    event_type: str
    payload: type[BaseModel]
    handler: Callable
    # Guards about who acts (separation of duties) answer 403, the others 409.
    duty_guards: tuple = field(default=())
    guards: tuple = field(default=())


ACTIONS: dict[str, Action] = {a.name: a for a in [
    Action("review", N_("初步审核"), "reviewed", p.ReviewPayload, actions.review),
    Action("log_contact", N_("记录沟通"), "contact_logged", p.LogContactPayload, actions.log_contact),
    Action("supplement", N_("补充信息"), "supplemented", p.SupplementPayload, actions.supplement),
    Action("approve", N_("审批通过"), "approved", p.ApprovePayload, actions.approve, duty_guards=(_approver_guard,)),
    Action("reject", N_("审批驳回"), "approval_rejected", p.RejectPayload, actions.reject, duty_guards=(_approver_guard,)),
    Action("confirm_stock", N_("确认库存"), "stock_confirmed", p.ConfirmStockPayload, actions.confirm_stock),
    Action("agree_date", N_("确认交期"), "date_agreed", p.AgreeDatePayload, actions.agree_date),
    Action("start_fulfillment", N_("开始备货/生产"), "fulfillment_started", p.StartFulfillmentPayload, actions.start_fulfillment),
    Action("track", N_("进度跟进"), "progress_tracked", p.TrackPayload, actions.track),
    Action("raise_risk", N_("上报风险"), "risk_raised", p.RaiseRiskPayload, actions.raise_risk),
    Action("resolve_risk", N_("解决风险"), "risk_resolved", p.ResolveRiskPayload, actions.resolve_risk, guards=(_open_risk_guard,)),
    Action("prepare_shipment", N_("发货准备"), "shipment_prepared", p.PrepareShipmentPayload, actions.prepare_shipment,
           guards=(_stages_done_guard,)),
    Action("ship", N_("发货"), "shipped", p.ShipPayload, actions.ship),
    Action("accept", N_("客户验收"), "accepted", p.AcceptPayload, actions.accept, guards=(_shipment_to_accept_guard,)),
    Action("confirm_receipt", N_("客户签收"), "receipt_confirmed", p.ConfirmReceiptPayload, actions.confirm_receipt,
           guards=(_shipment_to_receive_guard,)),
    Action("follow_up", N_("客户回访"), "followed_up", p.FollowUpPayload, actions.follow_up, guards=(_visit_due_guard,)),
    Action("close", N_("完成订单"), "closed", p.ClosePayload, actions.close, guards=(_close_guard,)),
    Action("amend", N_("变更订单"), "amended", p.AmendPayload, actions.amend, guards=(_nothing_shipped_guard,)),
    Action("short_close", N_("短交关闭"), "short_closed", p.ShortClosePayload, actions.short_close),
    Action("cancel", N_("取消订单"), "cancelled", p.CancelPayload, actions.cancel),
]}

assert {t.action for t in TRANSITIONS} == set(ACTIONS), "every action has a row and every row an action"

# Event types not caused by an action.
EVENT_LABELS = {
    "received": N_("接收订单"),
    "updated": N_("修改订单"),
    "logistics_notice_sent": N_("物流预告已发送"),
    "ticket_opened": N_("登记售后问题"),
    "ticket_responded": N_("售后响应"),
    "ticket_solution_given": N_("售后解决方案"),
    "ticket_resolved": N_("售后处理结果"),
    "ticket_followed_up": N_("售后回访客户"),
    "ticket_closed": N_("客户反馈已关闭"),
    **{a.event_type: a.label for a in ACTIONS.values()},
}


def _actor_roles(user) -> frozenset:
    return frozenset({SYSTEM}) if user is None else user.roles


def rows_for(action: str, status: str) -> list[Transition]:
    return [t for t in TRANSITIONS if t.action == action and status in t.sources]


def refusal(order, user, action_name: str) -> DomainError | None:
    """Why ``user`` cannot take ``action_name`` on ``order`` now (payload aside), or None."""
    action = ACTIONS.get(action_name)
    if action is None:
        return NotFound(_("未知操作：%(action)s") % {"action": action_name})
    rows = rows_for(action_name, order.status)
    label = _(action.label)
    if not rows:
        return InvalidTransition(
            _("订单当前状态为「%(status)s」，不能执行「%(action)s」") % {"status": order.get_status_display(), "action": label}
        )
    roles = _actor_roles(user)
    if not any(t.roles & roles for t in rows):
        return NotAllowed(_("您的角色不能在此状态下执行「%(action)s」") % {"action": label})
    for guard in action.duty_guards:
        reason = guard(order, user)
        if reason:
            return NotAllowed(reason)
    for guard in action.guards:
        reason = guard(order, user)
        if reason:
            return DomainError(_("不能执行「%(action)s」：%(reason)s") % {"action": label, "reason": reason})
    return None


def blocked_actions(order, user) -> list[tuple[str, str]]:
    """(label, why) of the actions ``user`` would take now but for a missing fact, e.g. stages still open."""
    if not order_visible_to(order, user):
        return []
    names = dict.fromkeys(t.action for t in TRANSITIONS if order.status in t.sources and t.roles & _actor_roles(user))
    blocked = []
    for name in names:
        if name in QUIETLY_REFUSED:
            continue
        problem = refusal(order, user, name)
        if problem is not None and type(problem) is DomainError:
            blocked.append((_(ACTIONS[name].label), problem.message))
    return blocked


QUIETLY_REFUSED = {"resolve_risk", "accept", "confirm_receipt", "follow_up"}  # nothing to do is not worth a word


def available_actions(order, user) -> list[str]:
    """The actions ``user`` may take on ``order`` now, in table order."""
    if not order_visible_to(order, user):
        return []
    names = dict.fromkeys(t.action for t in TRANSITIONS if order.status in t.sources and t.roles & _actor_roles(user))
    return [name for name in names if refusal(order, user, name) is None]


AUDITED_FIELDS = (
    "status", "number", "contact_name", "contact_phone", "payment_terms", "delivery_address", "requested_date",
    "promised_date", "special_requirements", "special_terms", "remarks", "total_amount", "owner", "manager_approved_by",
)


def order_state(order) -> dict:
    return {**snapshot(order, AUDITED_FIELDS), "lines": lines_snapshot(order)}


def parse_payload(action_name: str, data) -> BaseModel:
    action = ACTIONS.get(action_name)
    if action is None:
        raise NotFound(_("未知操作：%(action)s") % {"action": action_name})
    if isinstance(data, action.payload):
        return data
    try:
        return action.payload.model_validate(data or {})
    except ValidationError as exc:
        raise InvalidInput(_("提交的内容有误"), errors=pydantic_errors(exc)) from exc


def _visible_at_a_glance(order, user) -> bool:
    """True when the loaded order alone shows that ``user`` may see it: the conditions of
    ``access.visible_orders_q`` that need no other row (a director or admin; the person who entered or owns the
    order or its customer; a sales assistant of the team of the person who entered or owns it; the manager of
    that team; a department while the order is in its stages), with the teams read with the locked order.
    False means "ask the database"."""
    roles = user.roles
    if roles & {R.SALES_DIRECTOR, R.ADMIN}:
        return True
    if roles & {R.SALES_ASSISTANT, R.ACCOUNT_MANAGER, R.SALES_MANAGER} and user.pk in (
            order.entered_by_id, order.owner_id, order.customer.owner_id):
        return True
    teams = getattr(order, "owner_team_id", None), getattr(order, "entered_by_team_id", None)
    if R.SALES_ASSISTANT in roles and user.team_id and user.team_id in teams:
        return True
    managers = getattr(order, "owner_team_manager_id", None), getattr(order, "entered_by_team_manager_id", None)
    if R.SALES_MANAGER in roles and user.pk in managers:
        return True
    return any(role in roles and order.status in states for role, states in STAGE_VISIBILITY.items())


def _locked_order(pk) -> QuerySet:
    """The order, locked, with its customer and the teams (and their managers) of the people who own it and
    entered it, for ``_visible_at_a_glance``."""
    owner, entered_by = User.objects.filter(pk=OuterRef("owner_id")), User.objects.filter(pk=OuterRef("entered_by_id"))
    return (SalesOrder.objects.select_for_update().select_related("customer").filter(pk=pk).order_by()
            .annotate(owner_team_id=Subquery(owner.values("team_id")),
                      owner_team_manager_id=Subquery(owner.values("team__manager_id")),
                      entered_by_team_id=Subquery(entered_by.values("team_id")),
                      entered_by_team_manager_id=Subquery(entered_by.values("team__manager_id"))))


# The locked order with its customer, and its lines: read at the start of every action, compiled once.
_LOCKED_ORDER = PreparedQuery(SalesOrder, _locked_order, for_write=True, prep=SalesOrder._meta.pk.get_prep_value)
_ORDER_LINES = PreparedQuery(OrderLine, lambda order_id: OrderLine.objects.filter(order_id=order_id))


def _with_lines(order: SalesOrder) -> SalesOrder:
    """``order.lines.all()`` answered from one read, as ``prefetch_related("lines")`` leaves it."""
    return keep_lines(order, _ORDER_LINES.all(order.pk))


def keep_lines(order: SalesOrder, lines: list) -> SalesOrder:
    """Let ``order.lines.all()`` answer ``lines`` (all of the order's lines, in their order) without a query, as
    ``prefetch_related("lines")`` would."""
    for line in lines:
        OrderLine.order.field.set_cached_value(line, order)
    queryset = order.lines.get_queryset()
    queryset._result_cache, queryset._prefetch_done = lines, True
    if not hasattr(order, "_prefetched_objects_cache"):
        order._prefetched_objects_cache = {}
    order._prefetched_objects_cache["lines"] = queryset
    return order


def _locked_visible_order(order_id: int, actor) -> SalesOrder | None:
    """The order, locked, if ``actor`` may see it, with its lines read once: the guards, the handler and both
    audit snapshots use them. A handler that adds or removes lines drops them (``actions.lines_changed``) so
    that what follows reads them again. Visibility is ``order_visible_to``, asked only when the order itself
    does not already show it."""
    found = _LOCKED_ORDER.all(order_id)
    order = _with_lines(found[0]) if found else None
    if order is None or actor is None or _visible_at_a_glance(order, actor) or order_visible_to(order, actor):
        return order
    return None


_ORDER_COLUMNS = [(f.name, f.attname) for f in SalesOrder._meta.concrete_fields if not f.primary_key]


def _column_values(order) -> dict:
    return {attname: getattr(order, attname) for _name, attname in _ORDER_COLUMNS}


def _changed_columns(order, loaded: dict) -> list[str]:
    """The fields the action changed (the order has no mutable values: text, numbers, dates, ids), so that the
    UPDATE writes those and not all thirty columns."""
    return [name for name, attname in _ORDER_COLUMNS if getattr(order, attname) != loaded[attname]]


def perform_action(*, order_id: int, action_name: str, actor, data) -> OrderEvent:
    """Take a lifecycle action: one transaction; refused actions change nothing."""
    with transaction.atomic(), server_prepared():
        order = _locked_visible_order(order_id, actor)
        if order is None:
            raise NotFound(_("订单不存在"))
        problem = refusal(order, actor, action_name)
        if problem:
            raise problem
        payload = parse_payload(action_name, data)
        if payload.version is not None and payload.version != order.version:
            raise StaleVersion(expected=payload.version, actual=order.version)
        action = ACTIONS[action_name]
        before = order_state(order)
        loaded = _column_values(order)
        source = order.status
        target, event_payload = action.handler(order, actor, payload)
        allowed = {t for row_ in rows_for(action_name, source) for t in row_.targets}
        if target not in allowed:
            raise RuntimeError(f"{action_name} from {source} led to {target}, not in {sorted(allowed)}")
        if target != STAY:
            order.status = target
        now = clock.now()
        delivered = order.status == S.DELIVERED and source != S.DELIVERED
        if delivered:
            order.delivered_at = now
        order.version += 1
        order.updated_at = now
        update(order, _changed_columns(order, loaded))
        event = insert(OrderEvent(
            order=order, type=action.event_type, actor=actor, occurred_at=now,
            from_status=source, to_status=order.status, payload=event_payload,
        ))
        started = timers_after_action(order=order, action=action_name, source=source, event_payload=event_payload, now=now)
        if delivered:
            follow_up_timer = next((t for t in reversed(started) if t.kind == TimerKind.FOLLOW_UP), None)
            visit_open(order, now, due_at=follow_up_timer.due_at if follow_up_timer else None)
        notices_after_action(order=order, action=action_name, event=event, event_payload=event_payload)
        audit_record(actor=actor, obj=order, operation=action.event_type, changes=diff(before, order_state(order)),
                     object_type="orders.salesorder")
    return event


def status_label(code: str) -> str:
    return OrderStatus(code).label if code in OrderStatus.values else code
