"""Customers and products: create and change, validated, audited."""
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.accounts.roles import Role
from orderloop.core.audit import audit_record, diff, snapshot
from orderloop.core.exceptions import InvalidInput, NotAllowed, NotFound
from orderloop.masterdata.models import Contact, Customer, Product, Qualification
from orderloop.masterdata.schemas import CustomerIn, CustomerPatch, ProductIn
from orderloop.masterdata.uscc import uscc_problem

CUSTOMER_EDITORS = {Role.SALES_ASSISTANT, Role.ACCOUNT_MANAGER, Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.ADMIN}
QUALIFIERS = {Role.SALES_MANAGER, Role.SALES_DIRECTOR, Role.ADMIN}
PRODUCT_EDITORS = {Role.ADMIN}
CUSTOMER_FIELDS = ("name", "uscc", "address", "credit_limit", "owner", "qualification", "credit_record")


def _customer_errors(data, *, customer_id=None) -> dict[str, list[str]]:
    errors = {}
    if data.name is not None and Customer.objects.filter(name=data.name).exclude(pk=customer_id).exists():
        errors["name"] = [_("客户名称已存在")]
    if data.uscc:
        problem = uscc_problem(data.uscc)
        if problem:
            errors["uscc"] = [problem]
    for index, contact in enumerate(data.contacts or []):
        if contact.email:
            try:
                validate_email(contact.email)
            except DjangoValidationError:
                errors[f"contacts.{index}.email"] = [_("邮箱格式不正确")]
    return errors


def _owner(username: str | None, errors: dict) -> User | None:
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        errors["owner"] = [_("用户不存在：%(name)s") % {"name": username}]
    return user


def _replace_contacts(customer, contacts) -> None:
    customer.contacts.all().delete()
    Contact.objects.bulk_create([Contact(customer=customer, **contact.model_dump()) for contact in contacts])


def customer_create(*, actor, data: CustomerIn) -> Customer:
    if not actor.has_role(*CUSTOMER_EDITORS):
        raise NotAllowed(_("您不能新建客户"))
    errors = _customer_errors(data)
    owner = _owner(data.owner, errors)
    if data.qualification and not actor.has_role(*QUALIFIERS):
        errors["qualification"] = [_("只有销售经理、总监或管理员可以审核客户资质")]
    if errors:
        raise InvalidInput(_("客户信息有误"), errors=errors)
    with transaction.atomic():
        customer = Customer.objects.create(
            name=data.name, uscc=data.uscc.upper(), address=data.address, credit_limit=data.credit_limit,
            owner=owner or (actor if actor.has_role(Role.ACCOUNT_MANAGER) else None),
            qualification=data.qualification or Customer._meta.get_field("qualification").default,
            credit_record=data.credit_record,
        )
        _replace_contacts(customer, data.contacts)
        audit_record(actor=actor, obj=customer, operation="created", changes=diff({}, snapshot(customer, CUSTOMER_FIELDS)))
    return customer


def customer_update(*, actor, customer_id: int, data: CustomerPatch) -> Customer:
    if not actor.has_role(*CUSTOMER_EDITORS):
        raise NotAllowed(_("您不能修改客户"))
    with transaction.atomic():
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first()
        if customer is None:
            raise NotFound(_("客户不存在"))
        errors = _customer_errors(data, customer_id=customer.pk)
        if data.qualification is not None and not actor.has_role(*QUALIFIERS):
            errors["qualification"] = [_("只有销售经理、总监或管理员可以审核客户资质")]
        owner = _owner(data.owner, errors)
        if errors:
            raise InvalidInput(_("客户信息有误"), errors=errors)
        before = snapshot(customer, CUSTOMER_FIELDS)
        for name in ("name", "address", "credit_limit", "qualification", "credit_record"):
            value = getattr(data, name)
            if value is not None:
                setattr(customer, name, value)
        if data.uscc is not None:
            customer.uscc = data.uscc.upper()
        if data.owner is not None:
            customer.owner = owner
        customer.save()
        if data.contacts is not None:
            _replace_contacts(customer, data.contacts)
        audit_record(actor=actor, obj=customer, operation="updated", changes=diff(before, snapshot(customer, CUSTOMER_FIELDS)))
    return customer


def product_create(*, actor, data: ProductIn) -> Product:
    if not actor.has_role(*PRODUCT_EDITORS):
        raise NotAllowed(_("只有系统管理员可以维护产品"))
    if Product.objects.filter(model=data.model).exists():
        raise InvalidInput(_("产品信息有误"), errors={"model": [_("规格型号已存在")]})
    with transaction.atomic():
        product = Product.objects.create(**data.model_dump())
        audit_record(actor=actor, obj=product, operation="created",
                     changes=diff({}, snapshot(product, ("name", "model", "unit", "list_price", "cost_price"))))
    return product


def customer_qualification_problems(customer, *, today) -> list[str]:
    """Why ``customer`` may not yet have an order pass review (新客户需补充营业执照、信用记录等)."""
    problems = []
    if customer.qualification == Qualification.UNQUALIFIED:
        problems.append(_("客户资质审核未通过"))
    code_problem = uscc_problem(customer.uscc) if customer.uscc else _("缺少统一社会信用代码")
    if code_problem:
        problems.append(code_problem)
    if not customer.business_licence:
        problems.append(_("缺少营业执照扫描件"))
    if not customer.licence_expiry:
        problems.append(_("缺少营业执照有效期"))
    elif customer.licence_expiry < today:
        problems.append(_("营业执照已于 %(date)s 过期") % {"date": customer.licence_expiry.isoformat()})
    if not customer.credit_record.strip():
        problems.append(_("缺少信用记录"))
    return problems
