"""``{{ day|estimated_mark }}``: after a date computed on the business calendar, says when it is only an estimate
(its year's holidays are not entered yet)."""
from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from orderloop.core.calendar import date_estimated

register = template.Library()


@register.filter
def estimated_mark(day) -> str:
    if hasattr(day, "date") and callable(day.date):  # a datetime: its local date
        day = day.date()
    return format_html(' <span class="hint estimated">{}</span>', _("（按估算日历）")) if date_estimated(day) else ""
