"""The lifecycle's engine: why an action is refused, which actions a user may take now, and ``perform_action``,
the one place that changes an order's status — lock the order, check the table row and the action's guards,
run its handler, then write the status, the event, the deadlines, the notices and the audit in one
transaction. It knows no step: what an action does and its conditions come from its ``Action`` in
``orders.steps``."""
import json
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import (Aggregate, AutoField, BigAutoField, CharField, DateField, DateTimeField, DecimalField, ForeignKey,
                              IntegerField, OuterRef, QuerySet, Subquery, TextField)
from django.db.models.functions import Cast, JSONArray
from django.utils.translation import gettext as _
from pydantic import BaseModel, ValidationError

from orderloop.accounts.permissions import SEE_EVERY_ORDER_READ_ONLY, SEE_EVERYTHING, SEE_OWN_ORDERS
from orderloop.accounts.models import User
from orderloop.accounts.roles import Role as R
from orderloop.core import clock
from orderloop.core.audit import audit_record, diff, snapshot
from orderloop.core.exceptions import DomainError, InvalidInput, InvalidTransition, NotAllowed, NotFound, StaleVersion
from orderloop.core.prepared import PreparedQuery, server_prepared, update
from orderloop.core.validation import pydantic_errors
from orderloop.finance.plans import plan_after_action
from orderloop.orders.access import STAGE_VISIBILITY, order_visible_to
from orderloop.orders.events import event_record
from orderloop.orders.lifecycle.table import STAY, TRANSITIONS, actor_roles, rows_for
from orderloop.orders.lines import keep_lines, lines_snapshot
from orderloop.orders.models import OrderEvent, OrderLine, SalesOrder, rows_exist
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.steps import ACTIONS, ENTERING
from orderloop.orders.timers import timers_after_action

assert {t.action for t in TRANSITIONS} == set(ACTIONS), "every action has a row and every row an action"


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
    roles = actor_roles(user)
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
    names = dict.fromkeys(t.action for t in TRANSITIONS if order.status in t.sources and t.roles & actor_roles(user))
    blocked = []
    for name in names:
        if ACTIONS[name].quiet:  # nothing to do is not worth a word
            continue
        problem = refusal(order, user, name)
        if problem is not None and type(problem) is DomainError:
            blocked.append((_(ACTIONS[name].label), problem.message))
    return blocked


def available_actions(order, user) -> list[str]:
    """The actions ``user`` may take on ``order`` now, in table order."""
    if not order_visible_to(order, user):
        return []
    names = dict.fromkeys(t.action for t in TRANSITIONS if order.status in t.sources and t.roles & actor_roles(user))
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
    if roles & (SEE_EVERYTHING | SEE_EVERY_ORDER_READ_ONLY):
        return True
    if roles & SEE_OWN_ORDERS and user.pk in (
            order.entered_by_id, order.owner_id, order.customer.owner_id):
        return True
    teams = getattr(order, "owner_team_id", None), getattr(order, "entered_by_team_id", None)
    if R.SALES_ASSISTANT in roles and user.team_id and user.team_id in teams:
        return True
    managers = getattr(order, "owner_team_manager_id", None), getattr(order, "entered_by_team_manager_id", None)
    if R.SALES_MANAGER in roles and user.pk in managers:
        return True
    return any(role in roles and order.status in states for role, states in STAGE_VISIBILITY.items())


# The order's lines come with the locked read as one JSON array (one array of texts per line, a text per column), read once:
# one statement instead of two at the start of every action, and no repetition of the order's columns per line.
_LINE_FIELDS = OrderLine._meta.concrete_fields


class _JSONArrayAgg(Aggregate):
    """The rows' values as one JSON array (PostgreSQL's ``JSON_AGG``, SQLite's ``JSON_GROUP_ARRAY``)."""

    function = "JSON_AGG"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


def _lines_json() -> Subquery:
    rows = JSONArray(*[Cast(field.attname, TextField()) for field in _LINE_FIELDS])
    return Cast(Subquery(OrderLine.objects.filter(order=OuterRef("pk")).order_by().values("order")
                         .annotate(rows=_JSONArrayAgg(rows)).values("rows")), TextField())


def _reader(field):
    """How a column's text in the JSON becomes what a read of the column returns."""
    if isinstance(field, DecimalField):
        places = Decimal(1).scaleb(-field.decimal_places)
        return lambda text: Decimal(text).quantize(places)
    if isinstance(field, (CharField, TextField)):
        return str
    if isinstance(field, (IntegerField, AutoField, BigAutoField, ForeignKey)):
        return int
    if type(field) is DateField:
        return date.fromisoformat
    if isinstance(field, DateTimeField):
        return _moment
    return field.to_python


def _moment(text: str) -> datetime:
    """A timestamp's text in the JSON as a read returns it, in UTC: SQLite's has no offset (it keeps UTC),
    PostgreSQL's has the session's (UTC)."""
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


_LINE_READERS = [_reader(field) for field in _LINE_FIELDS]
_LINE_ATTNAMES = [field.attname for field in _LINE_FIELDS]


def _lines_of(order, text: str | None) -> list[OrderLine]:
    """The order's lines from the locked read's JSON, as a read of them returns them, in position order."""
    db = order._state.db
    lines = [OrderLine.from_db(db, _LINE_ATTNAMES, [None if value is None else read(value)
                                                    for read, value in zip(_LINE_READERS, row, strict=True)])
             for row in json.loads(text or "[]")]
    return sorted(lines, key=lambda line: (line.position, line.pk))


def _locked_order(pk) -> QuerySet:
    """The order, locked, with its customer and its lines (``lines_json``); the teams (and their managers) of the
    people who own it and entered it, for ``_visible_at_a_glance``; and whether it has a stored payment plan,
    consignments and a follow-up visit (``has_rows``: an order without them is not asked for them by each guard and
    step that could read them)."""
    owner, entered_by = User.objects.filter(pk=OuterRef("owner_id")), User.objects.filter(pk=OuterRef("entered_by_id"))
    return (SalesOrder.objects.select_for_update().select_related("customer").filter(pk=pk).order_by()
            .annotate(owner_team_id=Subquery(owner.values("team_id")),
                      owner_team_manager_id=Subquery(owner.values("team__manager_id")),
                      entered_by_team_id=Subquery(entered_by.values("team_id")),
                      entered_by_team_manager_id=Subquery(entered_by.values("team__manager_id")),
                      has_instalments=rows_exist("instalments"), has_shipments=rows_exist("shipments"),
                      has_visit=rows_exist("visit"),
                      version_seen=Subquery(SalesOrder.objects.filter(pk=OuterRef("pk")).order_by().values("version")),
                      lines_json=_lines_json()))


# What the locked read says of the order's relations. On PostgreSQL a read that waited for the lock returns the row
# as the transaction it waited for left it, but answers its subqueries as they were when it began: the order's
# version then differs from the one its subquery saw, and these (and the lines) are asked again instead.
_KNOWN_WITH_THE_LOCK = ("has_instalments", "has_shipments", "has_visit")


# The locked order with its customer and its lines: read at the start of every action, compiled once.
_LOCKED_ORDER = PreparedQuery(SalesOrder, _locked_order, for_write=True, prep=SalesOrder._meta.pk.get_prep_value)
_ORDER_LINES = PreparedQuery(OrderLine, lambda order_id: OrderLine.objects.filter(order_id=order_id))


def _order_and_lines(order: SalesOrder) -> SalesOrder:
    """The order of the locked read, its lines kept so that ``order.lines.all()`` answers them (as
    ``prefetch_related("lines")`` would)."""
    text = order.lines_json
    del order.lines_json
    if order.version_seen != order.version:  # changed while this action waited for it
        for name in _KNOWN_WITH_THE_LOCK:
            delattr(order, name)
        return keep_lines(order, _ORDER_LINES.all(order.pk))
    return keep_lines(order, _lines_of(order, text))


def _locked_visible_order(order_id: int, actor) -> SalesOrder | None:
    """The order, locked, if ``actor`` may see it, with its lines read with it: the guards, the handler and both
    audit snapshots use them. A handler that adds or removes lines drops them (``lines.lines_changed``) so
    that what follows reads them again. Visibility is ``order_visible_to``, asked only when the order itself
    does not already show it."""
    found = _LOCKED_ORDER.all(order_id)
    order = _order_and_lines(found[0]) if found else None
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


def state_entered(order, *, source: str, event_payload: dict, now, meets: frozenset = frozenset(),
                  starts: frozenset = frozenset(), calendar=None) -> list:
    """What the order's state sets going once it is reached, inside the caller's transaction: the deadlines met,
    stopped and started (``timers.timers_after_action``) and the effects of entering the state (``ENTERING``: the
    follow-up visit at 已交付). A lifecycle action calls it with the state it came from; the go-live import with
    ``source`` "" (the order enters its stage from nowhere). Returns the deadlines started."""
    started = timers_after_action(order=order, meets=meets, starts=starts, source=source, event_payload=event_payload,
                                  now=now, calendar=calendar)
    if order.status != source and order.status in ENTERING:
        ENTERING[order.status](order, now, started)
    return started


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
        plan_changes = plan_after_action(order, source=source, now=now, money_changed=(
            order.total_amount != loaded["total_amount"] or order.payment_terms != loaded["payment_terms"]))
        if plan_changes:  # stored on confirmation, recomputed after an amendment: on the timeline
            event_payload = {**event_payload, "payment_plan": plan_changes}
        # the order's UPDATE goes out with its event's INSERT: one statement on PostgreSQL
        changed = update(order, _changed_columns(order, loaded), hold=True)
        event = event_record(order, action.event, event_payload, actor=actor, at=now, from_status=source, after=changed)
        state_entered(order, source=source, event_payload=event_payload, now=now, meets=action.meets,
                      starts=action.starts)
        if action.notice is not None:
            action.notice(order, event, event_payload)
        audit_record(actor=actor, obj=order, operation=action.event, changes=diff(before, order_state(order)),
                     object_type="orders.salesorder")
    return event



