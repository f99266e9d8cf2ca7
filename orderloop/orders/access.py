"""Which orders a user may see (SPEC section 6, rows). One definition, used by
lists, detail pages, the API and the lifecycle engine alike."""
from django.db.models import Exists, OuterRef, Q

from orderloop.accounts.permissions import SEE_EVERY_ORDER_READ_ONLY, SEE_EVERYTHING, SEE_OWN_ORDERS
from orderloop.accounts.roles import Role
from orderloop.orders.lifecycle.table import AGAIN_FOR_A_PART
from orderloop.orders.models import OrderLine
from orderloop.orders.models import OrderStatus as S

# The stages in which the operational departments work on an order.
STAGE_VISIBILITY = {
    Role.WAREHOUSE: {S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION, S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED},
    Role.PRODUCTION: {S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION, S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP},
    Role.LOGISTICS: {S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED},
    Role.AFTER_SALES: {S.DELIVERED, S.CLOSED},
}


NO_ORDERS = Q(pk__in=[])  # the filter of a user no role lets see any order


def sees_every_order(user) -> bool:
    """Whether ``user`` may see every order (visible_orders_q is None)."""
    return bool(user.roles & (SEE_EVERYTHING | SEE_EVERY_ORDER_READ_ONLY))


def visible_orders_q(user) -> Q | None:
    """A filter for the orders ``user`` may see; None means all of them.

    Every condition is on the order's own columns or a subquery (no joins), so the filter never multiplies rows
    and needs no DISTINCT: on a million orders the database can walk an index in the order asked for and stop
    after a page."""
    from orderloop.aftersales.models import Ticket

    if sees_every_order(user):
        return None
    roles = user.roles
    q = _seen_through_people(user)
    for role, states in STAGE_VISIBILITY.items():
        if role in roles:
            q |= Q(status__in=states)
    if Role.LOGISTICS in roles:  # a later part in hand: the earlier parts' goods are shipped and signed for meanwhile
        q |= Q(status__in=AGAIN_FOR_A_PART) & Q(Exists(OrderLine.objects.filter(order_id=OuterRef("pk"), part__gt=1)))
    if Role.AFTER_SALES in roles:
        q |= Q(Exists(Ticket.objects.filter(order_id=OuterRef("pk"))))
    return q


def visible_lines_q(user) -> Q:
    """The lines of the orders ``user``, a salesperson (``sees_by_people``), may see, said on the copies each line
    keeps of its order's owner, enterer and customer (``OrderLine.order_owner`` …): the search reads a product's
    lines and their visibility from the lines' index alone. The lines cannot say it for anyone else (who sees every
    order, or orders by their state): ask visible_orders_q of the orders."""
    if not sees_by_people(user):
        raise ValueError("a line tells only which salespeople see its order")
    return _seen_through_people(user, "order_")


def sees_by_people(user) -> bool:
    """Whether ``user`` sees orders only by who they are to them (visible_lines_q): the sales roles alone."""
    return bool(user.roles) and user.roles <= SEE_OWN_ORDERS


def _seen_through_people(user, prefix: str = "") -> Q:
    """The orders ``user`` sees by who they are to them — owner, enterer, owner of the customer, in the team, its
    manager: conditions on the order's owner, enterer and customer (``prefix`` "order_": a line's copies of them)."""
    from orderloop.accounts.models import User
    from orderloop.masterdata.models import Customer

    roles = user.roles
    owner, entered_by, customer = f"{prefix}owner_id", f"{prefix}entered_by_id", f"{prefix}customer_id"
    q = NO_ORDERS
    if roles & SEE_OWN_ORDERS:
        q |= (Q(**{entered_by: user.pk}) | Q(**{owner: user.pk})
              | Q(**{f"{customer}__in": Customer.objects.filter(owner_id=user.pk).values("pk")}))
    if Role.SALES_ASSISTANT in roles and user.team_id:
        team = User.objects.filter(team_id=user.team_id).values("pk")
        q |= Q(**{f"{owner}__in": team}) | Q(**{f"{entered_by}__in": team})
    if Role.SALES_MANAGER in roles:
        managed = User.objects.filter(team__manager_id=user.pk).values("pk")
        q |= Q(**{f"{owner}__in": managed}) | Q(**{f"{entered_by}__in": managed})
    return q


def filter_visible(queryset, user):
    q = visible_orders_q(user)
    return queryset if q is None else queryset.filter(q)


def order_visible_to(order, user) -> bool:
    from orderloop.orders.models import SalesOrder

    if user is None:  # the system itself
        return True
    if user.pk is not None and getattr(order, "visible_to_user_id", None) == user.pk:  # read through the filter for this user (order_get)
        return True
    q = visible_orders_q(user)
    return q is None or SalesOrder.objects.filter(pk=order.pk).filter(q).exists()
