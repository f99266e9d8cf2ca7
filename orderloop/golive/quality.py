"""数据质量: what the data brought in (or typed in) still lacks before the process can run on it, each list with its
count and its first rows, each row a link to the page where it is fixed.

- customers (active ones) without a contact; not 合格 or with papers missing (the notions of
  ``masterdata.services``: ``customer_qualification_problems``); without an owner who is an active account manager;
- products on sale without a cost price (0): their margins are wrong;
- open orders whose current stage lacks an owner: their 销售负责人 is no longer an active sales assistant or account
  manager (``ORDER_OWNERS``), or an action that moves the order on from its state has nobody active who may take it
  on this order. Who may is read from where it is declared: the lifecycle table's rows (the roles per action per
  state; the actions as ``orders.work.waiting_for`` counts them: not the incidental ones, not the ways out, not
  those that stay) and which orders each user sees (``orders.access.visible_orders_q``: a sales manager the
  orders of the teams they manage, the warehouse those in its stages…). The system (the customer's signed link, the
  automatic close) counts as someone.

Each list is two queries (its count and its first ``SHOWN`` rows), plus three for the people: the number of
queries does not grow with the rows."""
from dataclasses import dataclass, field

from django.db.models import Case, CharField, Exists, OuterRef, Q, Value, When
from django.urls import reverse
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.accounts.permissions import CUSTOMER_OWNERS, ORDER_OWNERS
from orderloop.accounts.roles import Role
from orderloop.masterdata.models import Contact, Customer, Product, Qualification
from orderloop.masterdata.services import customer_qualification_problems
from orderloop.orders.access import visible_orders_q
from orderloop.orders.lifecycle.table import STAY, SYSTEM, TERMINAL, TRANSITIONS
from orderloop.orders.models import OrderStatus, SalesOrder
from orderloop.orders.steps import ACTIONS
from orderloop.orders.work import LEAVING

SHOWN = 100  # rows shown of each list; the count is of them all
OPEN = tuple(s for s in OrderStatus.values if s not in TERMINAL)
OWNER = "owner"  # the reason code of an order whose 销售负责人 is gone


@dataclass
class Row:
    label: str
    detail: str
    url: str


@dataclass
class Finding:
    key: str
    title: str
    why: str  # what it breaks
    fix: str  # the link's words
    count: int = 0
    rows: list = field(default_factory=list)


def _role_labels(roles) -> str:
    return "/".join(str(Role(r).label) for r in Role.values if r in roles)


def holders(roles):
    """The active users holding any of ``roles`` (a superuser is a system administrator), as a subquery."""
    q = Q(groups__name__in=list(roles))
    if Role.ADMIN in roles:
        q |= Q(is_superuser=True)
    return User.objects.filter(q, is_active=True).values("pk")


# --- customers and products -----------------------------------------------------------------------------------------

def _active_customers():
    return Customer.objects.filter(is_active=True).order_by("name", "id")


def customers_without_contacts() -> Finding:
    found = Finding("contacts", _("没有联系人的客户"), _("发货预告、签收和回访都要找到客户的联系人"), _("补充联系人"))
    rows = _active_customers().filter(~Exists(Contact.objects.filter(customer_id=OuterRef("pk"))))
    found.count = rows.count()
    found.rows = [Row(c.name, c.code, reverse("masterdata:customer_edit", args=[c.pk])) for c in rows[:SHOWN]]
    return found


def papers_missing_q(today) -> Q:
    """The customers whose papers ``qualification_material_problems`` finds wanting, as far as a query can tell
    (a credit code present but with a wrong check character is found on the rows shown only)."""
    return (Q(uscc="") | Q(business_licence="") | Q(licence_expiry__isnull=True) | Q(licence_expiry__lt=today)
            | (Q(credit_record="") & Q(credit_report="")))


def customers_not_qualified(today) -> Finding:
    found = Finding("qualification", _("资质未审核合格或资料不全的客户"),
                    _("资质不合格的客户，订单不能通过初步审核"), _("上传资料或审核资质"))
    rows = _active_customers().filter(~Q(qualification=Qualification.QUALIFIED) | papers_missing_q(today))
    found.count = rows.count()
    found.rows = [Row(c.name, "；".join(customer_qualification_problems(c, today=today)),
                      reverse("masterdata:customer", args=[c.pk])) for c in rows[:SHOWN]]
    return found


def customers_without_owner() -> Finding:
    found = Finding("customer_owner", _("没有客户经理的客户"),
                    _("客户的订单、资质和逾期提醒都要有在职的客户经理负责"), _("指定客户经理"))
    rows = (_active_customers().select_related("owner")
            .filter(~Q(owner_id__in=holders(CUSTOMER_OWNERS)) | Q(owner__isnull=True)))
    found.count = rows.count()
    for c in rows[:SHOWN]:
        if c.owner is None:
            detail = _("未指定客户经理")
        elif not c.owner.is_active:
            detail = _("客户经理「%(name)s」已停用") % {"name": c.owner}
        else:
            detail = _("「%(name)s」不是%(roles)s") % {"name": c.owner, "roles": _role_labels(CUSTOMER_OWNERS)}
        found.rows.append(Row(c.name, detail, reverse("masterdata:customer_edit", args=[c.pk])))
    return found


def products_without_cost() -> Finding:
    found = Finding("cost", _("没有成本价的产品"), _("成本价为 0 时订单毛利不准，审批按毛利的规则也会失真"),
                    _("填写成本价"))
    rows = Product.objects.filter(is_active=True, cost_price=0).order_by("model", "id")
    found.count = rows.count()
    found.rows = [Row(f"{p.model} {p.name}", _("单价 %(price)s 元，成本价 0") % {"price": p.list_price},
                      reverse("products:edit", args=[p.pk])) for p in rows[:SHOWN]]
    return found


# --- orders whose stage lacks an owner --------------------------------------------------------------------------

def next_steps(status: str) -> dict[str, frozenset]:
    """The actions that move an order on from ``status`` and the roles (or the system) that may take each, from
    the lifecycle table: not the incidental ones, not the ways out or back (``LEAVING``), not those that stay."""
    steps: dict[str, frozenset] = {}
    for t in TRANSITIONS:
        if (status in t.sources and not ACTIONS[t.action].incidental_in(status) and t.action not in LEAVING
                and t.targets - {STAY}):
            steps[t.action] = steps.get(t.action, frozenset()) | t.roles
    return steps


def _people() -> list[User]:
    """Every active user holding a role, their roles read in one query (``User.roles`` would ask per user)."""
    people = list(User.objects.filter(is_active=True).only("pk", "team_id", "is_superuser", "is_active"))
    memberships = User.groups.through.objects.filter(user__is_active=True, group__name__in=Role.values)
    held: dict[int, set] = {}
    for user_id, name in memberships.values_list("user_id", "group__name"):
        held.setdefault(user_id, set()).add(name)
    for user in people:
        roles = held.get(user.pk, set()) | ({Role.ADMIN} if user.is_superuser else set())
        user.__dict__["roles"] = frozenset(roles)  # the cached ``User.roles``
    return [user for user in people if user.roles]


def _covered(roles: frozenset, people: list[User]) -> Q | None:
    """The orders on which someone active may take an action open to ``roles``; None: every order."""
    if SYSTEM in roles:
        return None
    q = Q(pk__in=[])
    for user in people:
        if user.roles & roles:
            seen = visible_orders_q(user)
            if seen is None:
                return None
            q |= seen
    return q


def stage_gaps(people: list[User]) -> list[tuple[str, str, Q]]:
    """(status, action, the open orders in ``status`` on which nobody active may take ``action``)."""
    gaps = []
    for status in OPEN:
        for action, roles in next_steps(status).items():
            covered = _covered(roles, people)
            if covered is not None:
                gaps.append((status, action, Q(status=status) & ~covered))
    return gaps


def orders_without_owner() -> Finding:
    found = Finding("orders", _("当前环节无人负责的订单"),
                    _("没有在职的人能处理下一步，订单会一直停在当前环节"), _("打开订单"))
    gaps = stage_gaps(_people())
    owner_gone = ~Q(owner_id__in=holders(ORDER_OWNERS))
    flagged = owner_gone
    for _status, _action, q in gaps:
        flagged |= q
    reason = Case(When(owner_gone, then=Value(OWNER)),
                  *[When(q, then=Value(action)) for _status, action, q in gaps],
                  default=Value(""), output_field=CharField())
    rows = SalesOrder.objects.filter(flagged, status__in=OPEN)
    found.count = rows.count()
    steps = {status: next_steps(status) for status in OPEN}
    for order in (rows.select_related("customer", "owner").annotate(quality_reason=reason)
                  .order_by("created_at", "id")[:SHOWN]):
        if order.quality_reason == OWNER:
            owner = order.owner
            detail = (_("销售负责人「%(name)s」已停用") % {"name": owner} if not owner.is_active else
                      _("销售负责人「%(name)s」已不是%(roles)s") % {"name": owner, "roles": _role_labels(ORDER_OWNERS)})
        else:
            roles = steps[order.status].get(order.quality_reason, frozenset())
            detail = _("无人能「%(action)s」：没有在职的%(roles)s能处理此订单") % {
                "action": _(ACTIONS[order.quality_reason].label), "roles": _role_labels(roles)}
        found.rows.append(Row(f"{order.ref} {order.customer.name}", f"{order.get_status_display()} · {detail}",
                              reverse("orders:detail", args=[order.ref])))
    return found


def quality_report(*, today) -> list[Finding]:
    """Every list of the 数据质量 page, in the order a go-live fixes them."""
    return [customers_without_contacts(), customers_not_qualified(today), customers_without_owner(),
            products_without_cost(), orders_without_owner()]
