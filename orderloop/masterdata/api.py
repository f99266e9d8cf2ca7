from django.shortcuts import get_object_or_404
from ninja import Router, Status

from orderloop.accounts.permissions import CUSTOMER_EDITORS, PRODUCT_EDITORS
from orderloop.core.schemas import errors
from orderloop.masterdata.models import Customer, Product
from orderloop.masterdata.schemas import CustomerIn, CustomerOut, CustomerPatch, ProductIn, ProductOut
from orderloop.accounts.api import roles
from orderloop.masterdata.services import customer_create, customers_visible_to, customer_update, product_create
from orderloop.orders.selectors import sees_cost

customers = Router(tags=["customers"])
products = Router(tags=["products"])


def customer_data(customer: Customer) -> dict:
    return {
        "id": customer.pk, "name": customer.name, "code": customer.code, "uscc": customer.uscc,
        "address": customer.address, "payment_terms": customer.payment_terms,
        "payment_term": customer.payment_term.name if customer.payment_term_id else None, "notice_channel": customer.notice_channel,
        "is_active": customer.is_active,
        "qualification": customer.qualification, "credit_limit": customer.credit_limit,
        "owner": customer.owner.username if customer.owner else None,
        "contacts": [{"id": c.pk, "name": c.name, "phone": c.phone, "email": c.email, "is_primary": c.is_primary}
                     for c in customer.contacts.all()],
    }


def product_data(product: Product, user) -> dict:
    data = {"id": product.pk, "name": product.name, "model": product.model, "unit": product.unit,
            "list_price": product.list_price, "is_active": product.is_active}
    if sees_cost(user):  # for everyone else the key is absent, not blank
        data["cost_price"] = product.cost_price
    return data


@customers.get("", response={200: list[CustomerOut], **errors(401, 422)}, summary="List customers")
def customer_list(request, q: str = ""):
    rows = customers_visible_to(request.auth, Customer.objects.select_related("owner", "payment_term").prefetch_related("contacts"))
    if q:
        rows = rows.filter(name__icontains=q)
    return [customer_data(c) for c in rows[:500]]


@customers.post("", auth=roles(*CUSTOMER_EDITORS), response={201: CustomerOut, **errors(400, 401, 403, 422)}, summary="Create a customer")
def customer_post(request, data: CustomerIn):
    customer = customer_create(actor=request.auth, data=data)
    return Status(201, customer_data(customer))


@customers.get("/{customer_id}", response={200: CustomerOut, **errors(401, 404, 422)}, summary="Get a customer")
def customer_get(request, customer_id: int):
    return customer_data(get_object_or_404(customers_visible_to(request.auth, Customer.objects.select_related("owner", "payment_term")),
                                           pk=customer_id))


@customers.patch("/{customer_id}", auth=roles(*CUSTOMER_EDITORS), response={200: CustomerOut, **errors(400, 401, 403, 404, 422)}, summary="Change a customer")
def customer_patch(request, customer_id: int, data: CustomerPatch):
    customer_update(actor=request.auth, customer_id=customer_id, data=data)
    return customer_data(Customer.objects.select_related("owner", "payment_term").get(pk=customer_id))


@products.get("", response={200: list[ProductOut], **errors(401, 422)}, summary="List products", exclude_unset=True)
def product_list(request, q: str = ""):
    rows = Product.objects.filter(is_active=True)
    if q:
        rows = rows.filter(name__icontains=q) | rows.filter(model__icontains=q)
    return [product_data(p, request.auth) for p in rows[:500]]


@products.post("", auth=roles(*PRODUCT_EDITORS), response={201: ProductOut, **errors(400, 401, 403, 422)}, summary="Create a product", exclude_unset=True)
def product_post(request, data: ProductIn):
    return Status(201, product_data(product_create(actor=request.auth, data=data), request.auth))
