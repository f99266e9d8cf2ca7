"""What the reviewer sees (《订单初步审核表》): the seed's key fields checked one by one,
possible duplicates, and the verdicts and customer contacts so far."""
from datetime import timedelta

from django.utils.translation import gettext as _

from orderloop.orders.steps.intake import key_field_problems, term_problems
from orderloop.orders.models import SalesOrder

DUPLICATE_WINDOW = timedelta(days=7)


def review_checklist(order, *, phone: str) -> list[dict]:
    """The seed's key fields checked one by one; ``phone`` is the contact's number as the reader may see it
    (orders.selectors.shown_phone: masked for those who do not contact the customer)."""
    problems = key_field_problems(order) | term_problems(order)
    lines = list(order.lines.all())
    products = "；".join(f"{line.product_name} {line.model}" for line in lines)
    quantities = "；".join(f"{line.quantity.normalize():f} {line.unit}" for line in lines)
    prices = "；".join(f"{line.unit_price}" for line in lines)

    def item(label, value, *keys):
        found = [m for key in keys for m in problems.get(key, [])]
        return {"label": label, "value": value, "ok": not found, "problems": found}

    return [
        item(_("客户名称及资质"), order.customer.name, "customer_id"),
        item(_("联系人"), order.contact_name, "contact_name"),
        item(_("联系方式"), phone, "contact_phone"),
        item(_("产品/服务名称及规格型号"), products, "lines"),
        item(_("数量"), quantities, "lines"),
        item(_("单价(元)"), prices, "lines"),
        item(_("总金额(元)"), f"{order.total_amount}", "lines"),
        item(_("付款方式"), order.payment_terms, "payment_terms"),
        item(_("交付地址"), order.delivery_address, "delivery_address"),
        item(_("交付日期"), order.requested_date.isoformat() if order.requested_date else "", "requested_date"),
        {"label": _("特殊需求"), "value": order.special_requirements or _("无"), "ok": True, "problems": []},
    ]


def possible_duplicates(order) -> list[SalesOrder]:
    """Orders of the same customer within 7 days with the same amount or the same lines."""
    return duplicates_of(customer_id=order.customer_id, total=order.total_amount, at=order.created_at,
                         lines=[(line.product_id, line.quantity) for line in order.lines.all()], exclude=order.pk)


def duplicates_of(*, customer_id, total, lines, at, exclude=None, among=None) -> list[SalesOrder]:
    """Orders of ``customer_id`` within 7 days of ``at`` with the amount ``total`` or the same ``lines``
    ((product id, quantity) pairs): for an order saved, or one being entered (nothing saved yet). ``among``
    narrows the orders looked at (those a user may see)."""
    lines = sorted(lines)
    nearby = (SalesOrder.objects if among is None else among).filter(
        customer_id=customer_id, created_at__gte=at - DUPLICATE_WINDOW, created_at__lte=at + DUPLICATE_WINDOW)
    nearby = nearby.exclude(pk=exclude).exclude(status__in=["rejected", "cancelled"]).prefetch_related("lines")
    return [other for other in nearby
            if (total and other.total_amount == total)
            or (lines and sorted((line.product_id, line.quantity) for line in other.lines.all()) == lines)]
