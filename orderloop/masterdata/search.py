"""Finding a customer or a product as one types at intake: by name, code, credit code, phone, model or the pinyin
initials of the name (科技有限公司 is found by "kj"). The initials are stored with each record (``initials``),
so a search is one filtered query."""
import re

from django.db.models import Prefetch, Q

from orderloop.masterdata.models import Contact, Customer, Product
from orderloop.masterdata.services import customers_for_new_orders

LIMIT = 8


def _initials(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def customer_search(user, text: str, *, limit: int = LIMIT) -> list[Customer]:
    """Active customers ``user`` may see whose name, code, credit code, contact phone or initials hold ``text``;
    each with its contacts, the primary first. A customer not yet qualified is found too: intake takes its
    order, the review does not pass it."""
    text = text.strip()
    if not text:
        return []
    q = Q(name__icontains=text) | Q(code__icontains=text) | Q(uscc__icontains=text)
    digits = re.sub(r"\D", "", text)
    if len(digits) >= 3:
        q |= Q(pk__in=Contact.objects.filter(phone__contains=digits).values("customer_id"))
    if _initials(text):
        q |= Q(initials__contains=_initials(text))
    found = customers_for_new_orders(user).filter(q)
    return list(found.prefetch_related(Prefetch("contacts", Contact.objects.order_by("-is_primary", "id")))
                .order_by("name")[:limit])


def product_search(text: str, *, limit: int = LIMIT) -> list[Product]:
    """Products on sale whose name, model or initials hold ``text``."""
    text = text.strip()
    if not text:
        return []
    q = Q(name__icontains=text) | Q(model__icontains=text)
    if _initials(text):
        q |= Q(initials__contains=_initials(text))
    return list(Product.objects.filter(is_active=True).filter(q).order_by("model")[:limit])
