"""``{{ amount|money }}``: yuan as ¥1,409.50 (core/money.py), "—" for no amount; ``{{ amount|amount }}`` the same
without the ¥, for a column headed (元)."""
from decimal import InvalidOperation

from django import template

from orderloop.core.money import amount_text, money_text

register = template.Library()


@register.filter
def money(value) -> str:
    if value is None or value == "":
        return "—"
    try:
        return money_text(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)


@register.filter
def amount(value) -> str:
    if value is None or value == "":
        return "—"
    try:
        return amount_text(value)
    except (InvalidOperation, TypeError, ValueError):
        return str(value)
