"""What the signed-in user may open, for the navigation (``may.enter_orders`` …): the sets of
``accounts/permissions.py``, so that templates never spell a role."""
from orderloop.accounts.permissions import (
    ADMINISTRATORS, AUDIT_READERS, CUSTOMER_READERS, MONEY_READERS, MONEY_RECORDERS, ORDER_ENTRY, PRODUCT_READERS,
    REVIEW_READERS, TICKET_OPENERS,
)
from orderloop.orders.lifecycle.table import approval_states


def may(request) -> dict:
    roles = getattr(getattr(request, "user", None), "roles", None) or frozenset()
    return {"may": {"enter_orders": bool(roles & ORDER_ENTRY), "read_reviews": bool(roles & REVIEW_READERS),
                    "read_audit": bool(roles & AUDIT_READERS), "administer": bool(roles & ADMINISTRATORS),
                    "open_tickets": bool(roles & TICKET_OPENERS), "read_customers": bool(roles & CUSTOMER_READERS),
                    "approve": bool(approval_states(roles)), "read_products": bool(roles & PRODUCT_READERS),
                    "read_money": bool(roles & MONEY_READERS), "record_money": bool(roles & MONEY_RECORDERS)}}
