"""Customers, products and stock levels: create and change, validated, audited."""
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Exists, Q
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import (COMPANY_WIDE_AUTHORITY, CREDIT_SETTERS, CUSTOMER_EDITORS, CUSTOMER_OWNERS,
                                            OWNER_ASSIGNERS, PRODUCT_EDITORS, QUALIFIERS, SEE_EVERY_ORDER_READ_ONLY,
                                            SEE_EVERYTHING, SEE_OWN_ORDERS,
                                            STOCK_KEEPERS)
from orderloop.accounts.models import Team, User
from orderloop.accounts.roles import Role, Viewer
from orderloop.core import clock
from orderloop.core.audit import audit_record, diff, snapshot
from orderloop.core.exceptions import InvalidInput, NotAllowed, NotFound
from orderloop.core.ids import id_or_none
from orderloop.core.prepared import PreparedQuery
from orderloop.masterdata.models import (Contact, Customer, PaymentTerm, Product, Qualification, StockAdjustment,
                                         StockLevel)
from orderloop.masterdata.schemas import CustomerIn, CustomerPatch, ProductIn, ProductPatch
from orderloop.masterdata.uscc import uscc_problem

CUSTOMER_FIELDS = ("name", "code", "uscc", "address", "payment_terms", "payment_term", "notice_channel", "is_active", "credit_limit", "owner",
                   "qualification", "credit_record")
PRODUCT_FIELDS = ("name", "model", "unit", "list_price", "cost_price", "is_active")


def customers_visible_to(user, queryset=None):
    """The customers ``user`` may see (SPEC section 6): the director and admins all; a sales manager those of
    the teams they manage; a sales assistant their team's; an account manager their own; sales staff also
    those nobody owns yet. The operational roles none: they know a customer only as the name on an order
    they work on. One definition for the customer register, the pickers and intake."""
    queryset = Customer.objects.all() if queryset is None else queryset
    q = visible_customers_q(user)
    return queryset if q is None else queryset.filter(q)


NO_CUSTOMERS = Q(pk__in=[])


def visible_customers_q(user) -> Q | None:
    """The filter of ``customers_visible_to``: None for all customers, ``NO_CUSTOMERS`` for none. On the customer's
    own columns and subqueries, no joins: it never repeats a customer (no DISTINCT), and a list sorted by name is
    read along the name's index and stops after what it shows — with the joins and DISTINCT, a sales manager's
    customer picker read, joined and sorted all 6,000 customers on every order list page (10 ms)."""
    roles = user.roles
    if roles & (SEE_EVERYTHING | SEE_EVERY_ORDER_READ_ONLY):
        return None
    q = NO_CUSTOMERS
    if roles & SEE_OWN_ORDERS:
        q |= Q(owner_id=user.pk) | Q(owner_id__isnull=True)
    if Role.SALES_ASSISTANT in roles and user.team_id:
        q |= Q(owner_id__in=User.objects.filter(team_id=user.team_id).values("pk"))
    if Role.SALES_MANAGER in roles:
        q |= Q(owner_id__in=User.objects.filter(team__manager_id=user.pk).values("pk"))
    return q


def at_most(queryset, most: int):
    """``queryset``'s rows if there are at most ``most`` of them, none otherwise: one statement, which reads none
    of them when there are more (a picker of 400 products read 301 of them to show none)."""
    return queryset.filter(~Exists(queryset.values("pk")[most:most + 1]))


def customer_visible_to(user, customer_id) -> Customer | None:
    """The customer ``customer_id`` with its owner, if ``user`` may see it (``customers_visible_to``): what an
    order's intake reads, the statement compiled once per kind of user (roles, a team or none)."""
    pk = id_or_none(customer_id)
    if pk is None:
        return None
    roles, has_team = frozenset(user.roles), user.team_id is not None
    if visible_customers_q(user) == NO_CUSTOMERS:
        return None
    query = _CUSTOMER_VISIBLE.get((roles, has_team))
    if query is None:
        def build(pks, user_id, team_id):  # an __in of one: the customer's id is an integer, too small for a marker
            viewer = Viewer(pk=user_id, team_id=team_id if has_team else None, roles=roles)
            return customers_visible_to(viewer, Customer.objects.filter(pk__in=pks)).select_related("owner")

        query = _CUSTOMER_VISIBLE[(roles, has_team)] = PreparedQuery(Customer, build, params=3, may_omit=True)
    found = query.all([pk], user.pk, user.team_id)
    return found[0] if found else None


_CUSTOMER_VISIBLE: dict[tuple, PreparedQuery] = {}


def customers_for_new_orders(user, queryset=None):
    """The customers ``user`` may take a new order for: those they see (``customers_visible_to``) that are not
    停用. The intake's customer list and search read this."""
    return customers_visible_to(user, queryset).filter(is_active=True)


def _customer_errors(data, *, customer_id=None) -> dict[str, list[str]]:
    errors = {}
    existing = Customer.objects.filter(name=data.name).exclude(pk=customer_id).select_related("owner").first() \
        if data.name is not None else None
    if existing is not None:
        errors["name"] = [_("客户「%(name)s」已存在（客户编码 %(code)s，客户经理 %(owner)s），请勿重复新建") % {
            "name": existing.name, "code": existing.code or "—", "owner": existing.owner or "—"}]
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
    elif not user.has_role(*CUSTOMER_OWNERS):
        errors["owner"] = [_("%(name)s 不是客户经理，不能负责客户") % {"name": username}]
    return user


def _payment_term(name: str | None, errors: dict) -> PaymentTerm | None:
    """The structured payment term named ``name`` ("" or None: none, the order's 付款方式 text is read instead)."""
    if not name:
        return None
    term = PaymentTerm.objects.filter(name=name, is_active=True).first()
    if term is None:
        errors["payment_term"] = [_("付款条件不存在：%(name)s") % {"name": name}]
    return term


def payment_term_choices():
    """The structured payment terms a customer may be given: the active ones, by name."""
    return PaymentTerm.objects.filter(is_active=True).order_by("name")


def customer_owner_candidates():
    """The users who may own a customer: active, holding a role of CUSTOMER_OWNERS."""
    return User.objects.filter(is_active=True, groups__name__in=CUSTOMER_OWNERS).distinct().order_by("username")


def _managed_by(owner: User | None, manager) -> bool:
    """Whether a customer owned by ``owner`` is one of the teams ``manager`` manages. A customer nobody owns
    is in no team yet: the sales managers who see it may take it into theirs."""
    if owner is None:
        return True
    return owner.team_id is not None and Team.objects.filter(pk=owner.team_id, manager=manager).exists()


def _authority(actor, roles: frozenset, owners) -> bool:
    """Financial authority (SPEC section 9): a role of ``roles``, and for a sales manager every one of ``owners``
    (the customer's owner before and after the change) in a team they manage."""
    if not actor.has_role(*roles):
        return False
    if actor.has_role(*(roles & COMPANY_WIDE_AUTHORITY)):
        return True
    return all(_managed_by(owner, actor) for owner in owners)


def customer_authority_problems(*, actor, customer: Customer | None, credit_limit=None, qualification=None,
                                owner_changes: bool = False, new_owner: User | None = None) -> dict[str, list[str]]:
    """Why ``actor`` may not make these changes to ``customer`` (None: a customer being created), by field; empty
    when they may. Only the changes count: a value sent as it already is changes nothing and needs no authority.
    The credit limit (0 turns the credit rule of the director's approval off), the qualification and the owner
    are financial authority; the sales staff who create a customer may name an owner from their own team."""
    current_owner = customer.owner if customer is not None else None
    owners = [current_owner] + ([new_owner] if owner_changes else [])
    problems = {}
    if credit_limit is not None and credit_limit != (customer.credit_limit if customer else Decimal("0")):
        if not _authority(actor, CREDIT_SETTERS, owners):
            problems["credit_limit"] = [_("只有销售经理（本团队的客户）、销售总监或系统管理员可以调整信用额度")]
    default_qualification = Customer._meta.get_field("qualification").default
    if qualification is not None and qualification != (customer.qualification if customer else default_qualification):
        if not _authority(actor, QUALIFIERS, owners):
            problems["qualification"] = [_("只有销售经理（本团队的客户）、销售总监或系统管理员可以审核客户资质")]
    if owner_changes:
        if customer is None and not actor.has_role(*OWNER_ASSIGNERS):  # a new customer, by the sales staff
            if new_owner is not None and new_owner != actor and (
                    actor.team_id is None or new_owner.team_id != actor.team_id):
                problems["owner"] = [_("只能指定本团队的客户经理")]
        elif not _authority(actor, OWNER_ASSIGNERS, owners):
            problems["owner"] = [_("只有销售经理（本团队内）、销售总监或系统管理员可以更换客户经理")]
    return problems


def _refuse(problems: dict[str, list[str]]) -> None:
    if problems:
        raise NotAllowed("；".join(m for messages in problems.values() for m in messages), errors=problems)


def _replace_contacts(customer, contacts) -> None:
    customer.contacts.all().delete()
    Contact.objects.bulk_create([Contact(customer=customer, **contact.model_dump()) for contact in contacts])


def customer_create(*, actor, data: CustomerIn) -> Customer:
    if not actor.has_role(*CUSTOMER_EDITORS):
        raise NotAllowed(_("您不能新建客户"))
    errors = _customer_errors(data)
    owner = _owner(data.owner, errors)
    term = _payment_term(data.payment_term, errors)
    _refuse(customer_authority_problems(actor=actor, customer=None, credit_limit=data.credit_limit,
                                        qualification=data.qualification, owner_changes=bool(data.owner),
                                        new_owner=None if "owner" in errors else owner))
    if errors:
        raise InvalidInput(_("客户信息有误"), errors=errors)
    with transaction.atomic():
        customer = Customer.objects.create(
            name=data.name, code=data.code, uscc=data.uscc.upper(), address=data.address,
            payment_terms=data.payment_terms, payment_term=term, credit_limit=data.credit_limit,
            notice_channel=data.notice_channel, owner=owner or (actor if actor.has_role(*CUSTOMER_OWNERS) else None),
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
        visible = customers_visible_to(actor).filter(pk=customer_id).exists()
        customer = Customer.objects.select_for_update().filter(pk=customer_id).first() if visible else None
        if customer is None:
            raise NotFound(_("客户不存在"))
        errors = _customer_errors(data, customer_id=customer.pk)
        owner_changes = data.owner is not None and (data.owner or None) != (
            customer.owner.username if customer.owner else None)
        owner = _owner(data.owner, errors) if owner_changes else customer.owner
        term = _payment_term(data.payment_term, errors) if data.payment_term is not None else customer.payment_term
        # Refused as a whole, before anything is written: no part of the change is kept. An owner who may not
        # own customers at all is invalid input (422) for those who may move customers.
        _refuse(customer_authority_problems(actor=actor, customer=customer, credit_limit=data.credit_limit,
                                            qualification=data.qualification, owner_changes=owner_changes,
                                            new_owner=None if "owner" in errors else owner))
        if errors:
            raise InvalidInput(_("客户信息有误"), errors=errors)
        before = snapshot(customer, CUSTOMER_FIELDS)
        for name in ("name", "code", "address", "payment_terms", "notice_channel", "is_active", "credit_limit",
                     "qualification", "credit_record"):
            value = getattr(data, name)
            if value is not None:
                setattr(customer, name, value)
        if data.uscc is not None:
            customer.uscc = data.uscc.upper()
        if owner_changes:
            customer.owner = owner
        customer.payment_term = term
        customer.save()
        if data.contacts is not None:
            _replace_contacts(customer, data.contacts)
        audit_record(actor=actor, obj=customer, operation="updated", changes=diff(before, snapshot(customer, CUSTOMER_FIELDS)))
    return customer


def _admin_snapshot(customer: Customer) -> dict:
    """What the admin's form changes: the fields of the API, and the business licence (its file by name) with
    its expiry, which the review of an order checks (customer_qualification_problems)."""
    return {**snapshot(customer, CUSTOMER_FIELDS + ("licence_expiry", "qualification_note")),
            "business_licence": customer.business_licence.name or "", "credit_report": customer.credit_report.name or ""}


def customer_admin_save(*, actor, customer: Customer) -> None:
    """A customer saved in Django's admin (system administrators only, who hold every financial authority):
    audited like a change through the API, old and new value of each field, the business licence included."""
    with transaction.atomic():
        stored = Customer.objects.filter(pk=customer.pk).first() if customer.pk else None
        before = _admin_snapshot(stored) if stored else {}
        customer.save()
        audit_record(actor=actor, obj=customer, operation="updated" if stored else "created",
                     changes=diff(before, _admin_snapshot(customer)))


def _model_taken(model: str, product_id=None) -> dict[str, list[str]]:
    existing = Product.objects.filter(model=model).exclude(pk=product_id).first()
    if existing is None:
        return {}
    return {"model": [_("规格型号 %(model)s 已存在（%(name)s）") % {"model": existing.model, "name": existing.name}]}


def product_create(*, actor, data: ProductIn) -> Product:
    if not actor.has_role(*PRODUCT_EDITORS):
        raise NotAllowed(_("只有系统管理员可以维护产品"))
    errors = _model_taken(data.model)
    if errors:
        raise InvalidInput(_("产品信息有误"), errors=errors)
    with transaction.atomic():
        product = Product.objects.create(**data.model_dump())
        audit_record(actor=actor, obj=product, operation="created", changes=diff({}, snapshot(product, PRODUCT_FIELDS)))
    return product


def product_update(*, actor, product_id: int, data: ProductPatch) -> Product:
    """Change a product (its name, model, unit, prices) or take it off sale (``is_active`` False: not choosable
    for new orders; the orders that have it keep it)."""
    if not actor.has_role(*PRODUCT_EDITORS):
        raise NotAllowed(_("只有系统管理员可以维护产品"))
    with transaction.atomic():
        product = Product.objects.select_for_update().filter(pk=product_id).first()
        if product is None:
            raise NotFound(_("产品不存在"))
        errors = _model_taken(data.model, product.pk) if data.model is not None else {}
        if errors:
            raise InvalidInput(_("产品信息有误"), errors=errors)
        before = snapshot(product, PRODUCT_FIELDS)
        for name, value in data.model_dump(exclude_none=True).items():
            setattr(product, name, value)
        product.save()
        audit_record(actor=actor, obj=product, operation="updated", changes=diff(before, snapshot(product, PRODUCT_FIELDS)))
    return product


def qualification_authority(actor, customer: Customer) -> bool:
    """Whether ``actor`` may find ``customer``'s qualification 合格 or 不合格 (SPEC section 9): the sales manager of
    the customer's team, the director or an admin."""
    return _authority(actor, QUALIFIERS, [customer.owner])


def qualification_material_problems(customer, *, today) -> list[str]:
    """What is missing or wrong in the papers of ``customer`` (新客户需补充营业执照、信用记录等): the credit code, the
    business licence with its expiry, the credit record (a note or a credit report's file)."""
    problems = []
    code_problem = uscc_problem(customer.uscc) if customer.uscc else _("缺少统一社会信用代码")
    if code_problem:
        problems.append(code_problem)
    if not customer.business_licence:
        problems.append(_("缺少营业执照扫描件"))
    if not customer.licence_expiry:
        problems.append(_("缺少营业执照有效期"))
    elif customer.licence_expiry < today:
        problems.append(_("营业执照已于 %(date)s 过期") % {"date": customer.licence_expiry.isoformat()})
    if not customer.credit_record.strip() and not customer.credit_report:
        problems.append(_("缺少信用记录"))
    return problems


def qualification_state_problem(customer) -> str:
    """Why the qualification itself does not let an order pass, and what to do about it; "" when 合格."""
    if customer.qualification == Qualification.QUALIFIED:
        return ""
    if customer.qualification == Qualification.UNQUALIFIED:
        if customer.qualification_note:
            return _("客户资质审核不合格（原因：%(reason)s）：请客户经理在客户页重新上传资料，由销售经理审核合格") % {
                "reason": customer.qualification_note}
        return _("客户资质审核不合格：请客户经理在客户页重新上传资料，由销售经理审核合格")
    if customer.qualification_submitted_at:
        return _("客户资质待审核：资料已提交，请销售经理在客户页审核资质")
    return _("客户资质待审核：请客户经理在客户页上传营业执照和信用记录，由销售经理审核合格")


def customer_qualification_problems(customer, *, today) -> list[str]:
    """Why ``customer`` may not yet have an order pass review: its qualification not 合格 (待审核 or 不合格, with what
    to do), and what is missing or out of date in its papers."""
    state = qualification_state_problem(customer)
    return ([state] if state else []) + qualification_material_problems(customer, today=today)


def stock_adjust(*, actor, product_id: int, warehouse: str = "主仓库", on_hand_change: Decimal = Decimal("0"),
                 reserved_change: Decimal = Decimal("0"), reason: str) -> StockLevel:
    """Change a stock level; the reason is kept with the change. Levels never go below zero."""
    if not actor.has_role(*STOCK_KEEPERS):
        raise NotAllowed(_("只有系统管理员或仓储可以调整库存"))
    if not reason.strip():
        raise InvalidInput(_("请填写调整原因"), errors={"reason": [_("必填")]})
    with transaction.atomic():
        StockLevel.objects.get_or_create(product_id=product_id, warehouse=warehouse)
        stock = StockLevel.objects.select_for_update().get(product_id=product_id, warehouse=warehouse)
        stock.on_hand += on_hand_change
        stock.reserved += reserved_change
        errors = {}
        if stock.on_hand < 0:
            errors["on_hand_change"] = [_("调整后在库数量不能为负")]
        elif stock.reserved < 0 or stock.reserved > stock.on_hand:
            errors["reserved_change"] = [_("预留数量须在 0 与在库数量之间")]
        elif stock.reserved < (held := sum((r.quantity for r in stock.reservations.all()), Decimal("0"))):
            errors["reserved_change"] = [_("预留数量不能少于订单已预留的 %(n)s（取消订单或短交关闭会释放）") % {
                "n": f"{held.normalize():f}"}]
        if errors:
            raise InvalidInput(_("库存调整有误"), errors=errors)
        stock.save()
        StockAdjustment.objects.create(stock=stock, on_hand_change=on_hand_change, reserved_change=reserved_change,
                                       reason=reason.strip(), actor=actor, at=clock.now())
    return stock


def stock_available(product_ids) -> dict[int, Decimal]:
    """Available (on hand − reserved) per product, over all warehouses."""
    available: dict[int, Decimal] = {}
    for stock in StockLevel.objects.filter(product_id__in=product_ids):
        available[stock.product_id] = available.get(stock.product_id, Decimal("0")) + stock.available
    return available
