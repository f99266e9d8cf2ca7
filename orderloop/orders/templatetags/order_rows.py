"""``{% order_rows page %}``: the order list's rows (orders/_order_list_results.html, the list and its search).

Each row is one format string filled with its values rather than a loop of template nodes: fifty rows of seven
cells were three quarters of the list page's template nodes and most of its time (bench/profile_pages.py). Only what
people typed is escaped, each once (the customer's name fills two places, a page's few owners recur); the links,
dates, amounts and state codes are made of characters that need no escaping.
The cells are those of ORDER_LIST_COLUMNS, each with its heading as ``data-label`` (the phone's stacked rows)."""
from html import escape
from urllib.parse import quote

from django import template
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from orderloop.core.money import money_text
from orderloop.orders.labels import ORDER_LIST_COLUMNS
from orderloop.orders.models import OrderStatus
from orderloop.orders.selectors import listed_rows

register = template.Library()

ROW = ('<tr><td data-label="{ref}" class="k-text"><a href="{{}}">{{}}</a></td>'
       '<td data-label="{customer}" class="k-text long" title="{{}}">{{}}</td>'
       '<td data-label="{ordered}" class="k-date">{{}}</td><td data-label="{requested}" class="k-date">{{}}</td>'
       '<td data-label="{amount}" class="k-money">{{}}</td><td data-label="{owner}" class="k-text">{{}}</td>'
       '<td data-label="{status}" class="k-text"><span class="status status-{{}}">{{}}</span></td></tr>\n')
HEADINGS = ("ref", "customer", "ordered", "requested", "amount", "owner", "status")  # ORDER_LIST_COLUMNS, in order


@register.simple_tag
def order_rows(page):
    """The rows of ``page`` (of an order list), as values of the listed columns (selectors.listed_rows: no model
    instances, three a row otherwise), or the row that says none matched. ``page.object_list`` is the list's
    query as the paginator left it (nothing before this tag reads the page), or its rows read already."""
    orders = listed_rows(page.object_list)
    if not orders:
        return format_html('<tr><td colspan="{}" class="empty">{}</td></tr>', len(ORDER_LIST_COLUMNS),
                           _("没有符合条件的订单"))
    # the headings (each cell's data-label) are the same in every row: written into the row's format once a page
    row = ROW.format(**{name: escape(_(label)).replace("{", "{{").replace("}", "}}")
                        for name, (_key, label) in zip(HEADINGS, ORDER_LIST_COLUMNS, strict=True)})
    link = reverse("orders:detail", args=["REF"]).replace("REF", "{}")  # once per page, not per row
    statuses = {code: escape(str(label)) for code, label in OrderStatus.choices}
    owners = {}  # a page's few owners, each escaped once
    cells = []
    for order in orders:
        # escaped: what people typed (the reference, the customer's and the owner's names); the rest are made here
        # of digits and codes (a link quote()d, dates, amounts, a state's code) and need none
        ref = order["number"] or order["provisional_ref"]
        customer = escape(order["customer__name"])
        owner = order["owner__display_name"] or order["owner__username"]
        shown = owners.get(owner) or owners.setdefault(owner, escape(owner))
        cells.append(row.format(link.format(quote(ref, safe="")), escape(ref), customer, customer,
                                _date(order["order_date"]), _date(order["requested_date"]),
                                money_text(order["total_amount"]), shown, order["status"],
                                statuses.get(order["status"]) or escape(order["status"])))
    return mark_safe("".join(cells))


def _date(day) -> str:
    return day.isoformat() if day else "—"
