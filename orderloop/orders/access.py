"""Which orders a user may see (SPEC section 6, rows). One definition, used by
lists, detail pages, the API and the lifecycle engine alike."""
from django.db.models import Q

from orderloop.accounts.roles import Role
from orderloop.orders.models import OrderStatus as S

# The stages in which the operational departments work on an order.
STAGE_VISIBILITY = {
    Role.WAREHOUSE: {S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION, S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED},
    Role.PRODUCTION: {S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION, S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP},
    Role.LOGISTICS: {S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED, S.DELIVERED},
    Role.AFTER_SALES: {S.DELIVERED, S.CLOSED},
}


def visible_orders_q(user) -> Q | None:
    """A filter for the orders ``user`` may see; None means all of them."""
    roles = user.roles
    if roles & {Role.SALES_DIRECTOR, Role.ADMIN}:
        return None
    q = Q(pk__in=[])
    if roles & {Role.SALES_ASSISTANT, Role.ACCOUNT_MANAGER, Role.SALES_MANAGER}:
        q |= Q(entered_by=user) | Q(owner=user) | Q(customer__owner=user)
    if Role.SALES_ASSISTANT in roles and user.team_id:
        q |= Q(owner__team_id=user.team_id) | Q(entered_by__team_id=user.team_id)
    if Role.SALES_MANAGER in roles:
        q |= Q(owner__team__manager=user) | Q(entered_by__team__manager=user)
    for role, states in STAGE_VISIBILITY.items():
        if role in roles:
            q |= Q(status__in=states)
    if Role.AFTER_SALES in roles:
        q |= Q(tickets__isnull=False)
    return q


def filter_visible(queryset, user):
    q = visible_orders_q(user)
    return queryset if q is None else queryset.filter(q).distinct()


def order_visible_to(order, user) -> bool:
    from orderloop.orders.models import SalesOrder

    if user is None:  # the system itself
        return True
    return filter_visible(SalesOrder.objects.filter(pk=order.pk), user).exists()
