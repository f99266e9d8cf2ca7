"""Reads of orders: lists, one order by its reference, its timeline."""
import re
from decimal import Decimal

from django.db.models import F, Q
from django.utils.translation import gettext as _

from orderloop.accounts.roles import Role
from orderloop.core.exceptions import NotFound
from orderloop.core.phones import phone_display, phone_masked
from orderloop.orders.access import filter_visible
from orderloop.orders.models import OrderStatus, SalesOrder
from orderloop.orders.labels import event_details
from orderloop.orders.workflow import EVENT_LABELS, available_actions, status_label

SORTS = {
    # orders without a formal number yet come last, on every database
    "number": (F("number_month").asc(nulls_last=True), F("number_seq").asc(nulls_last=True), "id"),
    "-number": (F("number_month").desc(nulls_last=True), F("number_seq").desc(nulls_last=True), "-id"),
    "created_at": ("created_at", "id"),
    "-created_at": ("-created_at", "-id"),
    "requested_date": ("requested_date", "id"),
    "-requested_date": ("-requested_date", "-id"),
    "total_amount": ("total_amount", "id"),
    "-total_amount": ("-total_amount", "-id"),
}
COST_ROLES = {Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.ADMIN}
CONTACT_ROLES = {Role.SALES_ASSISTANT, Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.SALES_DIRECTOR,
                 Role.ADMIN, Role.LOGISTICS, Role.AFTER_SALES}


def order_list(*, user, status: list[str] | None = None, owner: str | None = None, customer_id: int | None = None,
               q: str | None = None, sort: str = "-created_at", archived: bool = False):
    """The orders ``user`` may see, filtered. Archived orders are out of the working list unless asked for
    (``archived``) or searched for (``q``)."""
    orders = filter_visible(SalesOrder.objects.all(), user).select_related("customer", "owner")
    if not (archived or q):
        orders = orders.filter(archived_at__isnull=True)
    if status:
        orders = orders.filter(status__in=[s for s in status if s in OrderStatus.values])
    if owner:
        orders = orders.filter(owner__username=owner)
    if customer_id:
        orders = orders.filter(customer_id=customer_id)
    if q:
        q = q.strip()
        orders = orders.filter(
            Q(number__icontains=q) | Q(provisional_ref__icontains=q) | Q(customer__name__icontains=q)
            | Q(contact_name__icontains=q) | Q(lines__model__icontains=q) | Q(lines__product_name__icontains=q)
        ).distinct()
    return orders.order_by(*SORTS.get(sort, SORTS["-created_at"]))


def order_get(*, user, ref: str) -> SalesOrder:
    """One order by its number or provisional reference, if ``user`` may see it; 404 otherwise."""
    ref = (ref or "").strip()
    field = "number" if re.fullmatch(r"\d{6}-\d{3,}", ref) else "provisional_ref"
    order = (
        filter_visible(SalesOrder.objects.filter(**{field: ref}), user)
        .select_related("customer", "owner", "entered_by", "manager_approved_by")
        .prefetch_related("lines", "risks", "timers")
        .first()
    )
    if order is None:
        raise NotFound(_("订单不存在：%(ref)s") % {"ref": ref})
    return order


def order_timeline(order):
    return order.events.select_related("actor").order_by("occurred_at", "id")


def sees_cost(user) -> bool:
    return bool(user.roles & COST_ROLES)


def shown_phone(order, user) -> str:
    return phone_display(order.contact_phone) if user.roles & CONTACT_ROLES else phone_masked(order.contact_phone)


def order_detail(order, user) -> dict:
    """The order as the API returns it to ``user``."""
    cost = sees_cost(user)
    data = {
        "ref": order.ref,
        "number": order.number,
        "provisional_ref": order.provisional_ref,
        "status": order.status,
        "status_label": order.get_status_display(),
        "customer_id": order.customer_id,
        "customer_name": order.customer.name,
        "contact_name": order.contact_name,
        "contact_phone": order.contact_phone if user.roles & CONTACT_ROLES else phone_masked(order.contact_phone),
        "order_date": order.order_date,
        "channel": order.channel,
        "payment_terms": order.payment_terms,
        "delivery_address": order.delivery_address,
        "requested_date": order.requested_date,
        "promised_date": order.promised_date,
        "owner": order.owner.username,
        "entered_by": order.entered_by.username if order.entered_by else None,
        "special_requirements": order.special_requirements,
        "special_terms": order.special_terms,
        "remarks": order.remarks,
        "total_amount": order.total_amount,
        "version": order.version,
        "created_at": order.created_at,
        "archived": order.archived_at is not None,
        "updated_at": order.updated_at,
        "available_actions": available_actions(order, user),
        "timers": [timer_data(t) for t in order.timers.all()],
        "lines": [
            {
                "id": line.pk, "position": line.position, "product_id": line.product_id, "product_name": line.product_name,
                "model": line.model, "unit": line.unit, "quantity": line.quantity, "unit_price": line.unit_price,
                "amount": line.amount, "requested_date": line.requested_date, "availability": line.availability,
                "feasible_date": line.feasible_date, "agreed_date": line.agreed_date,
            }
            for line in order.lines.all()
        ],
    }
    if cost:  # for everyone else the keys are absent, not blank
        data["cost_amount"] = order.cost_amount
        data["margin"] = order.margin.quantize(Decimal("0.0001")) if order.margin is not None else None
    return data


def order_summary(order) -> dict:
    return {
        "ref": order.ref, "number": order.number, "status": order.status, "status_label": order.get_status_display(),
        "customer_id": order.customer_id, "customer_name": order.customer.name, "order_date": order.order_date,
        "requested_date": order.requested_date, "owner": order.owner.username, "total_amount": order.total_amount,
        "version": order.version, "created_at": order.created_at, "archived": order.archived_at is not None,
    }


def event_data(event) -> dict:
    return {
        "id": event.pk, "type": event.type, "label": _(EVENT_LABELS.get(event.type, event.type)),
        "from_label": status_label(event.from_status) if event.from_status else "",
        "to_label": status_label(event.to_status) if event.to_status else "",
        "details": event_details(event.payload),
        "actor": event.actor.username if event.actor else None, "actor_name": str(event.actor) if event.actor else "",
        "occurred_at": event.occurred_at,
        "from_status": event.from_status, "to_status": event.to_status, "payload": event.payload,
    }


def timer_data(timer) -> dict:
    return {
        "kind": timer.kind, "label": timer.get_kind_display(), "started_at": timer.started_at, "due_at": timer.due_at,
        "state": timer.state, "met_at": timer.met_at, "breached_at": timer.breached_at, "estimated": timer.estimated,
    }


def customer_history(order, *, limit: int = 10):
    """The customer's other orders, newest first, for the approver."""
    return (SalesOrder.objects.filter(customer_id=order.customer_id).exclude(pk=order.pk)
            .order_by("-created_at")[:limit])


AUDIT_READERS = {"sales_manager", "sales_director", "admin"}


def audit_entries(*, user, actor: str | None = None, object_type: str | None = None, object_id: str | None = None,
                  since=None, until=None, operation: str | None = None):
    """The audit log as ``user`` may read it: the director and admins all of it; a sales manager what their
    team did and what happened to the orders they see. Newest first."""
    from django.db.models import Q

    from orderloop.core.models import AuditEntry
    from orderloop.orders.access import visible_orders_q

    entries = AuditEntry.objects.select_related("actor").order_by("-occurred_at", "-id")
    if not user.has_role("sales_director", "admin"):
        orders = SalesOrder.objects.filter(visible_orders_q(user) or Q()).values_list("pk", flat=True)
        team = Q(actor=user) | (Q(actor__team_id=user.team_id) if user.team_id else Q(pk__in=[]))
        entries = entries.filter(team | Q(object_type="orders.salesorder", object_id__in=[str(pk) for pk in orders]))
    if actor:
        entries = entries.filter(Q(actor__username=actor) | Q(actor__display_name=actor))
    if object_type:
        entries = entries.filter(object_type=object_type)
    if object_id:
        entries = entries.filter(Q(object_id=object_id) | Q(object_repr__startswith=object_id))
    if operation:
        entries = entries.filter(operation=operation)
    if since:
        entries = entries.filter(occurred_at__gte=since)
    if until:
        entries = entries.filter(occurred_at__lt=until)
    return entries
