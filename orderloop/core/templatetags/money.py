"""``{{ amount|money }}``: yuan as ¥1,409.50 (core/money.py), "—" for no amount."""
from decimal import InvalidOperation

from django import template

from orderloop.core.money import money_text

register = template.Library()


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return "—"
    try:
        return money_text(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
