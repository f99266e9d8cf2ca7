"""My work (我的待办): the approvals waiting for this user (待我审批) and a queue per kind of work (待确认库存,
待发货, 待回访 …), both from the lifecycle table (who may take which action in which state) and the orders the
user may see; what an order page's actions wait for; what an approval decided and what happens next."""
from dataclasses import dataclass, field

from django.utils import timezone

from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.accounts.roles import Role
from orderloop.core import clock
from orderloop.core.process_cache import RecentKeys, StampedCache
from orderloop.finance.receivables import credit_exposures
from orderloop.orders.access import filter_visible
from orderloop.orders.lifecycle.engine import refusal
from orderloop.orders.lifecycle.table import STAY, TRANSITIONS, actor_roles, approval_states
from orderloop.orders.models import ApprovalPolicy, OrderTimer, SalesOrder, TimerKind, TimerState
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.selectors import order_timeline, page_event_ids, sees_contact, sees_cost, timeline_data
from orderloop.orders.steps import ACTIONS
from orderloop.orders.steps.approval import CREDIT_STATES, director_rules, money, percent
from orderloop.orders.today import user_today

DECISIONS = ("approve", "reject")
APPROVALS_SHOWN = 200


@dataclass
class Approval:
    order: SalesOrder
    level: str  # 经理审批 / 总监审批
    timer: OrderTimer | None
    rules: list = field(default_factory=list)  # the director rules that apply
    margin: str = ""  # for cost readers
    overdue: bool = False
    amount: str = ""


def approvals_for(user, *, now=None) -> list[Approval]:
    """The orders waiting for ``user``'s approval now, oldest first: visible to them, in a state where their role
    approves, and no separation-of-duties rule against them. A fixed number of queries, whatever the orders."""
    states = approval_states(user.roles)
    if not states:
        return []
    now = now or clock.now()
    orders = list(filter_visible(SalesOrder.objects.filter(status__in=states), user)
                  .select_related("customer").prefetch_related("lines").order_by("created_at", "id")[:APPROVALS_SHOWN])
    for order in orders:
        order.visible_to_user_id = user.pk  # read through the filter for this user
    orders = [o for o in orders if refusal(o, user, "approve") is None]
    if not orders:
        return []
    timers = {}
    for timer in OrderTimer.objects.filter(order_id__in=[o.pk for o in orders], kind=TimerKind.APPROVAL,
                                           met_at__isnull=True, stopped_at__isnull=True).order_by("due_at", "id"):
        timers.setdefault(timer.order_id, timer)
    policy = ApprovalPolicy.current()
    costs = sees_cost(user)
    exposure = credit_exposures(orders, CREDIT_STATES) if costs else {}
    rows = []
    for order in orders:
        others = exposure.get(order.pk)
        timer = timers.get(order.pk)
        rows.append(Approval(
            order=order, level=_("总监审批") if order.status == S.PENDING_DIRECTOR else _("经理审批"), timer=timer,
            rules=[reason for _rule, reason in director_rules(order, policy, others=others)] if costs else [],
            margin=(percent(order.margin) if order.margin is not None else "—") if costs else "",
            overdue=bool(timer and (timer.state == TimerState.BREACHED or timer.due_at < now)),
            amount=money(order.total_amount)))
    return rows


def decision_result(action: str, order) -> str:
    """What an approval decided and what happens next, in a line."""
    if action == "reject":
        return _("已驳回，订单已终止")
    if order.status == S.PENDING_DIRECTOR:
        return _("已通过，已提交销售总监审批")
    return _("已通过，待确认库存")


def decision_data(action: str, post) -> dict:
    """The form of a row of the inbox (审批意见, the version read) as the action's posted form."""
    text = post.get("comment", "")
    return {"version": post.get("version", ""), ("reason" if action == "reject" else "comment"): text}


# The name of a queue, by the first action waiting in it (an order needing information: 待补充).
QUEUES = {
    "review": N_("待审核"), "supplement": N_("待补充"), "log_contact": N_("待补充"), "approve": N_("待我审批"),
    "reject": N_("待我审批"), "confirm_stock": N_("待确认库存"), "agree_date": N_("待协商交期"),
    "start_fulfillment": N_("待开始备货/生产"), "track": N_("待进度跟进"), "prepare_shipment": N_("待发货准备"),
    "ship": N_("待发货"), "accept": N_("待验收"), "confirm_receipt": N_("待签收"), "follow_up": N_("待回访"),
    "close": N_("待关闭"),
}
STATUS_QUEUES = {S.NEEDS_INFO: "supplement"}


@dataclass
class Queue:
    key: str
    label: str
    items: list = field(default_factory=list)  # (order, action labels, next deadline or None, overdue)


def queues_for(user, *, now=None) -> list[Queue]:
    """The orders waiting for ``user``, one queue per kind of work, as the today page's 待我处理 computes them."""
    now = now or clock.now()
    today = user_today(user, now=now)
    queues: dict[str, Queue] = {}
    for order, labels, timer in today.waiting:
        names = today.waiting_names.get(order.pk, [])
        key = STATUS_QUEUES.get(order.status) or (names[0] if names else "other")
        if key == "reject":
            key = "approve"
        label = _(QUEUES[key]) if key in QUEUES else _("待处理")
        queue = queues.setdefault(key, Queue(key, label))
        overdue = bool(timer and (timer.state == TimerState.BREACHED or timer.due_at < now))
        order.amount_text = money(order.total_amount)
        queue.items.append((order, labels, timer, overdue))
    return list(queues.values())


LEAVING = {"reject", "cancel", "short_close", "amend"}  # ways out or back, not what the order waits for


def waiting_for(order, user) -> list[str]:
    """What the order waits for from others (待销售经理审批通过…): the actions that move it on from its state,
    by the roles that may take them, when this user takes none of them."""
    mine = actor_roles(user)
    found: dict[tuple, list[str]] = {}
    for t in TRANSITIONS:
        if (order.status not in t.sources or ACTIONS[t.action].incidental_in(order.status) or t.action in LEAVING
                or not t.targets - {STAY}):
            continue
        if t.roles & mine:
            return []
        roles = tuple(sorted(r for r in t.roles if r in Role.values))
        if roles:
            label = _(ACTIONS[t.action].label)
            if label not in found.setdefault(roles, []):
                found[roles].append(label)
    return [_("待%(roles)s%(actions)s") % {"roles": "/".join(str(Role(r).label) for r in roles), "actions": "、".join(labels)}
            for roles, labels in found.items()]


class Timeline:
    """An order's timeline as one kind of reader reads it: its events (selectors.event_data), folded by step
    (``timeline_steps``), and the HTML the order page draws of them, once (``html``, set by {% order_timeline %})."""

    def __init__(self, events: list[dict], steps: list[dict]):
        self.events, self.steps, self.html = events, steps, None


# An order page's timeline is a quarter of its Python (its events' labels, names and moments, drawn). Events are
# never changed once written, so the timeline of the same events read the same way is the same: kept per process
# for the events' ids, the order's state (which step is open), what the reader may see of a payload (cost,
# contact), the language and the time zone, under the master data's stamp (the people it names). The orders whose
# timeline was drawn last (``timeline_kept``) have their page read only their events' ids (order_get): the events
# themselves, each with its actor, are read only when the timeline is drawn again (a new event: one more statement).
_TIMELINES = StampedCache(size=500)  # about 35 kB each (its events, their payloads, the HTML): 17 MB a worker
_TIMELINE_ORDERS = RecentKeys(size=500)  # the orders of the timelines drawn last, as many


def timeline_kept(order_id: int) -> bool:
    """Whether a timeline of the order was drawn lately in this process (one is likely kept): its page need read
    only its events' ids (order_get's ``timeline_kept``)."""
    return order_id in _TIMELINE_ORDERS


def order_page_timeline(order, user, known_users=(), stamp: int | None = None) -> Timeline:
    """The order's timeline for ``user`` (``timeline_data``: the owners payloads name as ``known_users`` name them),
    kept under the master data's ``stamp`` when there is one (a request that only reads)."""
    ids = page_event_ids(order)
    events = order_timeline(order) if ids is None else None
    key = (order.pk, ids if ids is not None else tuple(event.pk for event in events), order.status, sees_cost(user),
           sees_contact(user), get_language(), timezone.get_current_timezone_name())

    def read() -> Timeline:
        data = timeline_data(order_timeline(order) if events is None else events, user, known_users=known_users)
        _TIMELINE_ORDERS.note(order.pk)
        return Timeline(data, timeline_steps(data, order.status))

    return _TIMELINES.get(key, stamp, read)


TIMELINE_UNFOLDED = 20  # a timeline up to this long shows every step open; a longer one only the current step


def timeline_steps(events, status) -> list[dict]:
    """The timeline folded by step: consecutive events in the same state (the step the order was at), each a
    fold of its own; the current one open, and the earlier ones too while the whole timeline is short."""
    steps = []
    for event in events:
        step = event["from_status"] or event["to_status"]
        if not steps or steps[-1]["status"] != step:
            steps.append({"status": step, "label": event["from_label"] or event["to_label"], "events": [], "open": False})
        steps[-1]["events"].append(event)
    if steps and len(events) <= TIMELINE_UNFOLDED:
        for step in steps:
            step["open"] = True
    elif steps:
        steps[-1]["open"] = True
        for step in steps:
            if step["status"] == status:
                step["open"] = True
    return steps
