"""Step 1 of the process, 订单接收与初步审核: the reviewer's verdict on a received order (the formal number is
given when it passes), the contact logged while the customer supplements, and the supplement itself."""
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.core import clock
from orderloop.core.exceptions import DomainError, InvalidInput
from orderloop.core.numbering import next_order_number
from orderloop.core.phones import phone_e164
from orderloop.masterdata.models import Qualification
from orderloop.masterdata.services import customer_qualification_problems
from orderloop.accounts.roles import Role
from orderloop.notifications.services import users_with_role
from orderloop.orders import payloads as p
from orderloop.orders.payments import order_term
from orderloop.orders.handoffs import handoff_notify, running_deadline
from orderloop.orders.lifecycle.spec import Action
from orderloop.orders.lifecycle.table import STAY
from orderloop.orders.lines import lines_changed, lines_snapshot, replace_lines
from orderloop.orders.models import Channel, EventType, TimerKind
from orderloop.orders.models import OrderStatus as S


def field_value_problems(*, contact_phone=None, order_date=None, requested_date=None) -> dict[str, list[str]]:
    """Values that are present but wrong. Missing ones are the review's business (待补充)."""
    problems = {}
    if contact_phone:
        try:
            phone_e164(contact_phone)
        except ValueError as exc:
            problems["contact_phone"] = [str(exc)]
    if order_date and requested_date and requested_date < order_date:
        problems["requested_date"] = [_("交付日期早于下单日期")]
    return problems


def key_field_problems(order) -> dict[str, list[str]]:
    """The seed's key fields (客户名称、联系人及联系方式、产品、数量、单价、总金额、付款方式、交付地址、交付日期)."""
    problems: dict[str, list[str]] = {}
    if not order.contact_name.strip():
        problems["contact_name"] = [_("缺少联系人")]
    if not order.contact_phone:
        problems["contact_phone"] = [_("缺少联系方式")]
    if not order.payment_terms.strip():
        problems["payment_terms"] = [_("缺少付款方式")]
    if not order.delivery_address.strip():
        problems["delivery_address"] = [_("缺少交付地址")]
    if not order.requested_date:
        problems["requested_date"] = [_("缺少交付日期")]
    elif order.requested_date < order.order_date:
        problems["requested_date"] = [_("交付日期早于下单日期")]
    lines = list(order.lines.all())
    if not lines:
        problems["lines"] = [_("订单没有产品行")]
    qualification = customer_qualification_problems(order.customer, today=clock.today())
    if qualification:
        problems["customer_id"] = qualification
    return problems


def term_problems(order) -> dict[str, list[str]]:
    """A 付款方式 that names no payment term (SPEC section 9, Money): no plan, no deposit held, nothing in the
    receivables. Flagged in the preliminary review, for the reviewer to confirm with the customer; not refused."""
    if not order.payment_terms.strip() or order_term(order) is not None:
        return {}
    return {"payment_terms": [_("付款方式「%(text)s」未能识别为付款条件，将不生成付款计划：请与客户确认后改为可识别的写法"
                                "（如 30%%预付,余款到付、款到发货、月结30天）") % {"text": order.payment_terms}]}


def review(order, actor, payload: p.ReviewPayload):
    if payload.verdict == "pass":
        if order.status != S.RECEIVED:
            raise DomainError(_("只有「已接收」的订单可以审核通过，请先补充信息"))
        problems = key_field_problems(order)
        customer = order.customer
        if customer.qualification != Qualification.QUALIFIED:
            raise InvalidInput(_("客户「%(customer)s」的资质为「%(state)s」，订单不能审核通过：请先在客户页完成资质审核") % {
                "customer": customer.name, "state": customer.get_qualification_display()}, errors=problems)
        if problems:
            raise InvalidInput(_("订单关键信息不完整或客户资质未通过，不能审核通过"), errors=problems)
        order.number, order.number_month, order.number_seq = next_order_number(at=clock.now())
        return S.PENDING_APPROVAL, {"verdict": "pass", "number": order.number, "comment": payload.comment}
    if payload.verdict == "needs_info":
        missing = [item.strip() for item in payload.missing if item.strip()]
        if not missing:
            raise InvalidInput(_("请列出需要客户补充或澄清的内容"), errors={"missing": [_("必填")]})
        if order.status != S.RECEIVED:
            raise DomainError(_("订单已在待补充状态"))
        return S.NEEDS_INFO, {"verdict": "needs_info", "missing": missing, "comment": payload.comment}
    if not payload.reason:
        raise InvalidInput(_("驳回必须填写原因"), errors={"reason": [_("必填")]})
    return S.REJECTED, {"verdict": "reject", "reason": payload.reason, "comment": payload.comment}


def log_contact(order, actor, payload: p.LogContactPayload):
    return STAY, payload.model_dump(exclude={"version"})


ORDER_FIELDS = ("contact_name", "contact_phone", "payment_terms", "delivery_address", "requested_date",
                "special_requirements", "special_terms", "remarks")


def apply_order_fields(order, fields: p.OrderFields) -> list[str]:
    """Apply the given fields; returns the names of those that changed."""
    problems = field_value_problems(contact_phone=fields.contact_phone, order_date=order.order_date,
                                    requested_date=fields.requested_date)
    if problems:
        raise InvalidInput(_("订单信息有误"), errors=problems)
    if fields.contact_phone:
        fields = fields.model_copy(update={"contact_phone": phone_e164(fields.contact_phone)})
    changed = []
    for name in ORDER_FIELDS:
        value = getattr(fields, name)
        if value is not None and value != getattr(order, name):
            setattr(order, name, value)
            changed.append(name)
    if fields.lines is not None:
        before = lines_snapshot(order)
        lines_changed(order)
        replace_lines(order, fields.lines)
        if [(l["product_id"], l["quantity"], l["unit_price"]) for l in before] != [
                (l["product_id"], l["quantity"], l["unit_price"]) for l in lines_snapshot(order)]:
            changed.append("lines")
    return changed


def supplement(order, actor, payload: p.SupplementPayload):
    changed = apply_order_fields(order, payload)
    return S.RECEIVED, {"note": payload.note, "fields": changed}


# --- whom they tell ----------------------------------------------------------------------------------------------

# Intake that no reviewer typed in: the API, the order mailbox and an imported register.
UNATTENDED_CHANNELS = frozenset({Channel.API, Channel.EMAIL, Channel.IMPORT})


def _reviewers(owner) -> dict:
    """Who reviews an order received without them: its account manager and the sales assistants of their team."""
    assistants = list(users_with_role(Role.SALES_ASSISTANT).filter(team_id=owner.team_id)) if owner.team_id else []
    return {Role.ACCOUNT_MANAGER: [owner] if owner.is_active else [], Role.SALES_ASSISTANT: assistants}


def tell_received(orders, events, *, actor) -> None:
    """Orders received by the API, the mailbox or an import go to their reviewers at once (待初步审核); an
    imported batch is told once per account manager, with its orders listed."""
    by_owner: dict = {}
    for order, event in zip(orders, events):
        if order.channel in UNATTENDED_CHANNELS:
            by_owner.setdefault(order.owner_id, []).append((order, event))
    asked = _("初步核对订单关键信息（客户名称、联系人及联系方式、产品规格型号、数量、单价、总金额、付款方式、交付地址、"
              "交付日期、特殊需求），确认客户资质，给出审核结论：通过/需补充/驳回")
    for received in by_owner.values():
        order, event = received[0]
        detail = ""
        if len(received) > 1:
            detail = _("同批接收 %(n)s 张订单：%(refs)s") % {"n": len(received), "refs": "、".join(o.ref for o, _e in received)}
        handoff_notify(order, event="order_received", key=f"event:{event.pk}", step=_("待初步审核"), asked=asked,
                       actor=actor, detail=detail, roles=_reviewers(order.owner))


def _tell_review(order, event, event_payload):
    """Passed: the sales managers of the team approve it (待审批); needs information: the sales staff contact the
    customer within the contact deadline."""
    if order.status == S.PENDING_APPROVAL:
        handoff_notify(order, event="approval_requested", key=f"event:{event.pk}", step=_("待审批"), actor=event.actor,
                       asked=_("复核订单信息（金额、交付条款、利润率等），确认无误后审批"),
                       deadline=running_deadline(order, kind=TimerKind.APPROVAL))
    elif order.status == S.NEEDS_INFO:
        handoff_notify(order, event="needs_info", key=f"event:{event.pk}", step=_("待补充"), actor=event.actor,
                       asked=_("联系客户（或对接人）补充确认，并记录沟通结果"),
                       detail=_("需补充：%(items)s") % {"items": "；".join(event_payload.get("missing", []))},
                       deadline=running_deadline(order, kind=TimerKind.CONTACT))


def _review_initial(order) -> dict:
    """通过 only when the checklist has nothing against it; otherwise 需补充, with what is missing listed (an
    unrecognised 付款方式 among it)."""
    problems = key_field_problems(order) | term_problems(order)
    if not problems:
        return {"verdict": "pass"}
    return {"verdict": "needs_info", "missing": [m for msgs in problems.values() for m in msgs]}


def _supplement_initial(order) -> dict:
    return {name: getattr(order, name) or "" for name in ("contact_name", "contact_phone", "payment_terms",
                                                           "delivery_address", "requested_date")}


ACTIONS = [
    Action("review", N_("初步审核"), EventType.REVIEWED, p.ReviewPayload, review, initial=_review_initial,
           notice=_tell_review),
    Action("log_contact", N_("记录沟通"), EventType.CONTACT_LOGGED, p.LogContactPayload, log_contact,
           meets=frozenset({TimerKind.CONTACT})),
    Action("supplement", N_("补充信息"), EventType.SUPPLEMENTED, p.SupplementPayload, supplement,
           initial=_supplement_initial, web_skip=frozenset({"lines"})),
]
