"""What each lifecycle action does to an order, one function per action.

Each takes the locked order, the actor and the validated payload, changes the
order (never its status) and returns ``(target, event_payload)``; the target
is a state or ``STAY``. ``orders.workflow`` runs them: it checks the move,
sets the status, writes the event and the audit, all in one transaction.
"""
from decimal import Decimal

from django.db.models import Sum
from django.utils.translation import gettext as _

from orderloop.accounts.models import User
from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.core.calendar import BusinessCalendar
from orderloop.core.exceptions import DomainError, InvalidInput
from orderloop.core.numbering import next_order_number
from orderloop.core.phones import phone_e164
from orderloop.masterdata.services import customer_qualification_problems
from orderloop.orders import payloads as p
from orderloop.orders.dates import feasible_date
from orderloop.orders.lines import build_line, line_amount, lines_snapshot, products_for, recompute_total, replace_lines
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.models import (Attachment, FollowUpVisit, FulfillmentStage, Mitigation, Risk, Shipment, ShipmentLine,
                                     VisitChannel)
from orderloop.orders.rules import director_reasons
from orderloop.orders.visits import visit_of

STAY = "stay"


def lines_changed(order) -> None:
    """Lines were added or removed: forget the ones ``perform_action`` read with the order."""
    getattr(order, "_prefetched_objects_cache", {}).pop("lines", None)



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


def review(order, actor, payload: p.ReviewPayload):
    if payload.verdict == "pass":
        if order.status != S.RECEIVED:
            raise DomainError(_("只有「已接收」的订单可以审核通过，请先补充信息"))
        problems = key_field_problems(order)
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


def approve(order, actor, payload: p.ApprovePayload):
    if order.status == S.PENDING_APPROVAL:
        reasons = director_reasons(order)
        order.manager_approved_by = actor
        if reasons:
            return S.PENDING_DIRECTOR, {"level": "manager", "comment": payload.comment, "director_reasons": reasons}
        return S.PENDING_STOCK_CHECK, {"level": "manager", "comment": payload.comment}
    return S.PENDING_STOCK_CHECK, {"level": "director", "comment": payload.comment}


def reject(order, actor, payload: p.RejectPayload):
    level = "manager" if order.status == S.PENDING_APPROVAL else "director"
    return S.REJECTED, {"level": level, "reason": payload.reason}


def confirm_stock(order, actor, payload: p.ConfirmStockPayload):
    lines = {line.pk: line for line in order.lines.all()}
    given = {item.line_id: item for item in payload.lines}
    errors = {}
    calendar = BusinessCalendar.load()
    today = clock.today()
    computed = {}
    for index, item in enumerate(payload.lines):
        if item.line_id not in lines:
            errors[f"lines.{index}.line_id"] = [_("不是本订单的行")]
            continue
        if item.availability != "in_stock" and not item.lead_time_days:
            errors[f"lines.{index}.lead_time_days"] = [_("缺货或需生产时须填写生产周期")]
            continue
        computed[item.line_id] = feasible_date(availability=item.availability, lead_time_days=item.lead_time_days,
                                               today=today, calendar=calendar)
        if item.feasible_date and item.feasible_date != computed[item.line_id].date and not item.date_reason:
            errors[f"lines.{index}.date_reason"] = [
                _("可交付日期与计算结果 %(date)s 不同，请说明原因") % {"date": computed[item.line_id].date.isoformat()}]
    missing = [line.position for line_id, line in lines.items() if line_id not in given]
    if missing:
        errors["lines"] = [_("以下行未确认库存：第 %(rows)s 行") % {"rows": "、".join(map(str, missing))}]
    if errors:
        raise InvalidInput(_("库存确认有误"), errors=errors)
    late, recorded = [], []
    for line_id, line in lines.items():
        item = given[line_id]
        line.availability = item.availability
        line.lead_time_days = item.lead_time_days
        line.feasible_date = item.feasible_date or computed[line_id].date
        wanted = line.requested_date or order.requested_date
        if wanted and line.feasible_date > wanted:
            late.append(line.position)
            line.agreed_date = None
        else:
            line.agreed_date = wanted
        line.save(update_fields=["availability", "lead_time_days", "feasible_date", "agreed_date"])
        recorded.append({"line_id": line_id, "availability": item.availability.value, "lead_time_days": item.lead_time_days,
                         "feasible_date": line.feasible_date.isoformat(), "computed": computed[line_id].explanation,
                         "date_reason": item.date_reason})
    event = {"lines": recorded, "note": payload.note}
    if late:
        return S.DATE_NEGOTIATION, {**event, "late_lines": late}
    order.promised_date = max((line.agreed_date for line in lines.values() if line.agreed_date), default=order.requested_date)
    return S.CONFIRMED, event


def agree_date(order, actor, payload: p.AgreeDatePayload):
    lines = list(order.lines.all())
    latest_feasible = max((line.feasible_date for line in lines if line.feasible_date), default=None)
    if latest_feasible and payload.agreed_date < latest_feasible:
        raise InvalidInput(
            _("约定交期不能早于可交付日期 %(date)s") % {"date": latest_feasible.isoformat()},
            errors={"agreed_date": [_("不能早于 %(date)s") % {"date": latest_feasible.isoformat()}]},
        )
    for line in lines:
        line.agreed_date = payload.agreed_date
        line.save(update_fields=["agreed_date"])
    order.promised_date = payload.agreed_date
    event = {"agreed_date": payload.agreed_date.isoformat(), "talk": payload.talk}
    return _back_from_negotiation(order), event


def _back_from_negotiation(order):
    """A delay agreed during stocking or production goes back to it; a new order goes on to 已确认."""
    opened = order.events.filter(to_status=S.DATE_NEGOTIATION).order_by("-occurred_at", "-id").first()
    return S.IN_FULFILLMENT if opened and opened.from_status == S.IN_FULFILLMENT else S.CONFIRMED


def start_fulfillment(order, actor, payload: p.StartFulfillmentPayload):
    owners = {stage.owner for stage in payload.stages if stage.owner}
    people = {u.username: u for u in User.objects.filter(username__in=owners)} if owners else {}
    known = {name for name, user in people.items() if user.is_active}
    errors = {f"stages.{i}.owner": [_("用户不存在：%(name)s") % {"name": s.owner}]
              for i, s in enumerate(payload.stages) if s.owner and s.owner not in known}
    if errors:
        raise InvalidInput(_("备货计划有误"), errors=errors)
    order.stages.filter(superseded=False).update(superseded=True)  # a restart after an amendment replaces the plan
    FulfillmentStage.objects.bulk_create([
        FulfillmentStage(order=order, position=i + 1, name=stage.name, owner=people.get(stage.owner),
                         planned_date=stage.planned_date)
        for i, stage in enumerate(payload.stages)
    ])
    return S.IN_FULFILLMENT, {"stages": [stage.model_dump(mode="json") for stage in payload.stages]}


def track(order, actor, payload: p.TrackPayload):
    """A progress record; one that names a stage of the plan and an actual date finishes that stage."""
    if payload.actual_date:
        order.stages.filter(superseded=False, name=payload.stage, actual_date__isnull=True).update(
            actual_date=payload.actual_date)
    return STAY, payload.model_dump(mode="json", exclude={"version"})


def raise_risk(order, actor, payload: p.RaiseRiskPayload):
    risk = Risk.objects.create(order=order, risk_type=payload.risk_type, description=payload.description,
                               raised_by=actor, raised_at=clock.now())
    return STAY, {"risk_id": risk.pk, "risk_type": risk.risk_type, "description": risk.description}


def resolve_risk(order, actor, payload: p.ResolveRiskPayload):
    """Close a risk with its mitigation; agreeing a delay with the customer reopens the date (协商交期)."""
    risk = order.risks.filter(pk=payload.risk_id, resolved_at__isnull=True).first()
    if risk is None:
        raise InvalidInput(_("没有这个未解决的风险"), errors={"risk_id": [_("风险不存在或已解决")]})
    risk.mitigation_type = payload.mitigation_type
    risk.mitigation = payload.mitigation
    risk.resolved_by = actor
    risk.resolved_at = clock.now()
    risk.save(update_fields=["mitigation_type", "mitigation", "resolved_by", "resolved_at"])
    event = {"risk_id": risk.pk, "risk_type": risk.risk_type, "mitigation_type": risk.mitigation_type,
             "mitigation": risk.mitigation}
    if payload.mitigation_type == Mitigation.NEGOTIATE_DELAY:
        return S.DATE_NEGOTIATION, event
    return STAY, event


def prepare_shipment(order, actor, payload: p.PrepareShipmentPayload):
    """《发货准备单》: the goods list, the quantity and quality check, the QC report."""
    problems = {}
    if not payload.quantity_checked:
        problems["quantity_checked"] = [_("发货前须核对产品数量")]
    if not payload.qc_passed:
        problems["qc_passed"] = [_("质检未通过：请处理后重新质检")]
    if problems:
        raise DomainError(_("不能执行「发货准备」：%(reasons)s") % {
            "reasons": "；".join(m for msgs in problems.values() for m in msgs)}, errors=problems)
    event = payload.model_dump(mode="json", exclude={"version", "qc_report_attachment_id"})
    if payload.qc_report_attachment_id is not None:
        report = order.attachments.filter(pk=payload.qc_report_attachment_id, kind=Attachment.Kind.QC_REPORT).first()
        if report is None:
            raise InvalidInput(_("质检报告文件不存在"), errors={"qc_report_attachment_id": [_("不是本订单的质检报告")]})
        event.update(qc_report_attachment_id=report.pk, qc_report_file=report.filename)
    return S.READY_TO_SHIP, event


def shipped_quantities(order) -> dict[int, Decimal]:
    rows = ShipmentLine.objects.filter(shipment__order=order).values("order_line_id").annotate(total=Sum("quantity"))
    return {row["order_line_id"]: row["total"] for row in rows}


def ship(order, actor, payload: p.ShipPayload):
    """A consignment (发货批次) of some or all of what is not yet shipped; the order is 已发货 once everything is."""
    lines = {line.pk: line for line in order.lines.all()}
    shipped = shipped_quantities(order)
    remaining = {pk: line.open_quantity - shipped.get(pk, Decimal(0)) for pk, line in lines.items()}
    if payload.lines is None:
        wanted = {pk: quantity for pk, quantity in remaining.items() if quantity > 0}
    else:
        wanted, errors = {}, {}
        for index, item in enumerate(payload.lines):
            if item.line_id not in lines:
                errors[f"lines.{index}.line_id"] = [_("不是本订单的行")]
            elif item.quantity + wanted.get(item.line_id, Decimal(0)) > remaining[item.line_id]:
                errors[f"lines.{index}.quantity"] = [
                    _("超过未发数量 %(n)s") % {"n": f"{remaining[item.line_id].normalize():f}"}]
            else:
                wanted[item.line_id] = wanted.get(item.line_id, Decimal(0)) + item.quantity
        if errors:
            raise InvalidInput(_("发货明细有误"), errors=errors)
    if not wanted:
        raise InvalidInput(_("没有未发的货物"), errors={"lines": [_("没有未发的货物")]})
    shipment = Shipment.objects.create(
        order=order, position=order.shipments.count() + 1, method=payload.method, carrier=payload.carrier,
        tracking_number=payload.tracking_number, eta=payload.eta, shipped_at=clock.now(), shipped_by=actor)
    ShipmentLine.objects.bulk_create(
        ShipmentLine(shipment=shipment, order_line=lines[pk], quantity=quantity) for pk, quantity in wanted.items())
    complete = all(remaining[pk] - wanted.get(pk, Decimal(0)) <= 0 for pk in lines)
    event = {**payload.model_dump(mode="json", exclude={"version", "lines"}), "shipment_id": shipment.pk,
             "batch": shipment.position,
             "goods": [f"{lines[pk].product_name} {lines[pk].model} × {quantity.normalize():f}" for pk, quantity in wanted.items()]}
    return (S.SHIPPED if complete else STAY), {**event, "complete": complete}


ISSUE_TICKET_TYPE = {"damaged": "damage", "wrong_model": "wrong_model", "wrong_quantity": "wrong_quantity", "other": "other"}


def _attachment(order, attachment_id, kind, field):
    found = order.attachments.filter(pk=attachment_id, kind=kind, ticket__isnull=True).first()
    if found is None:
        raise InvalidInput(_("附件不存在"), errors={field: [_("不是本订单的「%(kind)s」") % {"kind": Attachment.Kind(kind).label}]})
    return found


def accept(order, actor, payload: p.AcceptPayload):
    """验收 of one consignment: checks per line, issues that become after-sales tickets with their photos,
    and, with a signed receipt, its receipt. The order is 已交付 once everything shipped is received."""
    waiting = order.shipments.filter(accepted_at__isnull=True)
    shipment = (waiting.filter(pk=payload.shipment_id) if payload.shipment_id else waiting).order_by("position").first()
    if shipment is None:
        raise InvalidInput(_("没有这个待验收的发货批次"), errors={"shipment_id": [_("批次不存在或已验收")]})
    shipped = {item.order_line_id: item for item in shipment.lines.select_related("order_line")}
    overall = {"quantity_ok": payload.quantity_ok, "spec_ok": payload.spec_ok, "appearance_ok": payload.appearance_ok}
    checks = {line_id: dict(overall) for line_id in shipped}
    errors = {}
    for index, item in enumerate(payload.lines or []):
        if item.line_id not in shipped:
            errors[f"lines.{index}.line_id"] = [_("不在本批次中")]
        else:
            checks[item.line_id] = item.model_dump(exclude={"line_id"})
    photos = {}
    for index, issue in enumerate(payload.issues):
        if issue.photo_attachment_id is not None:
            photos[index] = _attachment(order, issue.photo_attachment_id, Attachment.Kind.PHOTO,
                                        f"issues.{index}.photo_attachment_id")
    receipt = None
    if payload.receipt_attachment_id is not None:
        receipt = _attachment(order, payload.receipt_attachment_id, Attachment.Kind.RECEIPT, "receipt_attachment_id")
        if not payload.signed_by:
            errors["signed_by"] = [_("上传签收单时须填写签收人")]
    if errors:
        raise InvalidInput(_("验收记录有误"), errors=errors)
    now = clock.now()
    shipment.accepted_at = now
    shipment.save(update_fields=["accepted_at"])
    tickets = []
    for index, issue in enumerate(payload.issues):
        ticket = ticket_open(order_id=order.pk, actor=actor, ticket_type=ISSUE_TICKET_TYPE[issue.issue_type],
                             description=_("验收问题（第 %(batch)s 批）：%(text)s") % {"batch": shipment.position,
                                                                               "text": issue.description})
        if index in photos:
            photos[index].ticket, photos[index].shipment = ticket, shipment
            photos[index].save(update_fields=["ticket", "shipment"])
        tickets.append(ticket.pk)
    event = {"batch": shipment.position, "shipment_id": shipment.pk,
             "checks": [{"line": f"{shipped[pk].order_line.product_name} {shipped[pk].order_line.model}", **c}
                        for pk, c in checks.items()],
             "issues": [issue.model_dump(mode="json", exclude={"photo_attachment_id"}) for issue in payload.issues],
             "ticket_ids": tickets}
    if receipt is not None:
        _receive(shipment, signed_by=payload.signed_by, via="scan", scan=receipt, now=now)
        event["signed_by"] = payload.signed_by
    return _delivered_or_stay(order), event


def _receive(shipment, *, signed_by, via, now, scan=None, address=None):
    shipment.received_at, shipment.received_by_name, shipment.receipt_via = now, signed_by, via
    shipment.receipt_address = address
    shipment.save(update_fields=["received_at", "received_by_name", "receipt_via", "receipt_address"])
    if scan is not None:
        scan.shipment = shipment
        scan.save(update_fields=["shipment"])


def _delivered_or_stay(order):
    everything_shipped = order.status == S.SHIPPED
    if everything_shipped and not order.shipments.filter(received_at__isnull=True).exists():
        return S.DELIVERED
    return STAY


def confirm_receipt(order, actor, payload: p.ConfirmReceiptPayload):
    """签收: a signed receipt uploaded by staff, or the customer's confirmation through the receipt link (系统回执)."""
    shipment = order.shipments.filter(pk=payload.shipment_id, received_at__isnull=True).first()
    if shipment is None:
        raise InvalidInput(_("没有这个待签收的发货批次"), errors={"shipment_id": [_("批次不存在或已签收")]})
    scan = None
    if payload.receipt_attachment_id is not None:
        scan = _attachment(order, payload.receipt_attachment_id, Attachment.Kind.RECEIPT, "receipt_attachment_id")
    elif actor is not None:
        raise InvalidInput(_("请上传客户签字的签收单"), errors={"receipt_attachment_id": [_("必填")]})
    now = clock.now()
    _receive(shipment, signed_by=payload.signed_by, via="scan" if scan else "link", scan=scan, now=now)
    event = {"batch": shipment.position, "shipment_id": shipment.pk, "signed_by": payload.signed_by,
             "receipt_via": "scan" if scan else "link"}
    return _delivered_or_stay(order), event


def follow_up(order, actor, payload: p.FollowUpPayload):
    """客户满意度回访: by the account manager, or by the customer through the rating link (``actor`` None).
    An after-sales need opens a ticket in the same transaction."""
    from orderloop.aftersales.models import TicketType

    errors = {}
    if (actor is None) != (payload.channel == VisitChannel.LINK):
        errors["channel"] = [_("无效的选项")]
    if actor is None and not payload.rated_by.strip():
        errors["rated_by"] = [_("请填写您的姓名")]
    if payload.need.strip() and payload.need_type not in TicketType.values:
        errors["need_type"] = [_("请选择售后需求类型")]
    if payload.need_type and not payload.need.strip():
        errors["need"] = [_("请填写售后需求")]
    if errors:
        raise InvalidInput(_("回访记录有误"), errors=errors)
    visit = visit_of(order) or FollowUpVisit(order=order, due_at=clock.now())  # under the order's lock: no race
    visit.done_at, visit.visited_by = clock.now(), actor
    visit.channel, visit.usage, visit.satisfaction = payload.channel, payload.usage.strip(), payload.satisfaction
    visit.aftersales_need, visit.rated_by_name = payload.need.strip(), payload.rated_by.strip()
    visit.save()
    event = payload.model_dump(mode="json", exclude={"version"})
    if payload.need_type:
        ticket = ticket_open(order_id=order.pk, actor=actor, ticket_type=payload.need_type, description=visit.aftersales_need)
        event["ticket_id"] = ticket.pk
    return STAY, event


def close(order, actor, payload: p.ClosePayload):
    return S.CLOSED, {"note": payload.note}


AMENDABLE_FIELDS = ("payment_terms", "special_terms", "delivery_address", "requested_date")
# How far back an amendment sends the order, by where it stands now.
LIFECYCLE_POSITION = [S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION,
                      S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP]


AMEND_LABELS = {"payment_terms": "付款方式", "special_terms": "特殊条款", "delivery_address": "交付地址",
                "requested_date": "交付日期"}


def _readable_lines(order) -> dict:
    return {line.pk: (f"{line.product_name} {line.model}", f"{line.quantity.normalize():f}", f"{line.unit_price}")
            for line in order.lines.all()}


def amendment_diff(before_lines: dict, after_lines: dict, before_fields: dict, order, total_before) -> list[str]:
    """What an amendment changed, as the people reading the order say it: 服务器A型 S-001 数量：10 → 11."""
    diff = []
    for name, label in AMEND_LABELS.items():
        old, new = before_fields[name], getattr(order, name)
        if old != new:
            diff.append(f"{label}：{old or '—'} → {new or '—'}")
    for pk, (title, quantity, price) in after_lines.items():
        if pk not in before_lines:
            diff.append(f"新增 {title}：数量 {quantity}，单价 {price}")
            continue
        _title, old_quantity, old_price = before_lines[pk]
        if old_quantity != quantity:
            diff.append(f"{title} 数量：{old_quantity} → {quantity}")
        if old_price != price:
            diff.append(f"{title} 单价(元)：{old_price} → {price}")
    for pk, (title, quantity, _price) in before_lines.items():
        if pk not in after_lines:
            diff.append(f"删除 {title}（数量 {quantity}）")
    if total_before != order.total_amount:
        diff.append(f"总金额(元)：{total_before} → {order.total_amount}")
    return diff


def amend(order, actor, payload: p.AmendPayload):
    changes: list[str] = []
    reasons_before = set(director_reasons(order))
    lines_before, total_before = _readable_lines(order), order.total_amount
    fields_before = {name: getattr(order, name) for name in AMEND_LABELS}
    needs_approval = needs_stock_check = False
    for name in AMENDABLE_FIELDS:
        value = getattr(payload, name)
        if value is not None and value != getattr(order, name):
            changes.append(name)
            setattr(order, name, value)
            if name in ("payment_terms", "special_terms"):
                needs_approval = True
            if name == "requested_date":
                needs_stock_check = True
    if payload.lines is not None:
        price_changed, quantity_changed = _amend_lines(order, payload.lines)
        needs_approval |= price_changed
        needs_stock_check |= quantity_changed
        if price_changed or quantity_changed:
            changes.append("lines")
    if not changes:
        raise InvalidInput(_("没有任何变更"), errors={"__all__": [_("请修改订单行或条款")]})
    if not set(director_reasons(order)) <= reasons_before:
        needs_approval = True
    diff = amendment_diff(lines_before, _readable_lines(order), fields_before, order, total_before)
    event = {"reason": payload.reason, "changed": changes, "diff": diff}
    here = LIFECYCLE_POSITION.index(order.status)
    if needs_approval:
        order.manager_approved_by = None
        return S.PENDING_APPROVAL, {**event, "back_to": S.PENDING_APPROVAL.value}
    if needs_stock_check and here > LIFECYCLE_POSITION.index(S.PENDING_STOCK_CHECK):
        return S.PENDING_STOCK_CHECK, {**event, "back_to": S.PENDING_STOCK_CHECK.value}
    return STAY, event


def _amend_lines(order, lines_in) -> tuple[bool, bool]:
    existing = {line.pk: line for line in order.lines.all()}
    errors = {}
    for index, item in enumerate(lines_in):
        if item.line_id is not None and item.line_id not in existing:
            errors[f"lines.{index}.line_id"] = [_("不是本订单的行")]
        if item.line_id is None and item.product_id is None:
            errors[f"lines.{index}.product_id"] = [_("新增行须选择产品")]
    if errors:
        raise InvalidInput(_("订单行有误"), errors=errors)
    products = products_for(lines_in)
    price_changed = quantity_changed = False
    kept = set()
    next_position = max((line.position for line in existing.values()), default=0) + 1
    for item in lines_in:
        if item.line_id is not None:
            line = existing[item.line_id]
            kept.add(line.pk)
            new_price = line.unit_price if item.unit_price is None else item.unit_price
            if new_price != line.unit_price:
                price_changed = True
            if item.quantity != line.quantity:
                quantity_changed = True
            if (new_price, item.quantity) != (line.unit_price, line.quantity):
                line.unit_price, line.quantity = new_price, item.quantity
                line.amount = line_amount(line.quantity, line.unit_price)
                line.save(update_fields=["unit_price", "quantity", "amount"])
        else:
            build_line(order=order, position=next_position, product=products[item.product_id],
                       quantity=item.quantity, unit_price=item.unit_price).save()
            next_position += 1
            quantity_changed = True
            price_changed |= item.unit_price is not None and item.unit_price != products[item.product_id].list_price
    removed = [line for pk, line in existing.items() if pk not in kept]
    for line in removed:
        line.delete()
        quantity_changed = True
    lines_changed(order)
    recompute_total(order)
    return price_changed, quantity_changed


def short_close(order, actor, payload: p.ShortClosePayload):
    """Close the rest of a line short (the customer takes less); the total follows. After a part shipment,
    closing what was never shipped makes the order 已发货, or 已交付 if every consignment is received."""
    lines = {line.pk: line for line in order.lines.all()}
    line = lines.get(payload.line_id)
    if line is None:
        raise InvalidInput(_("不是本订单的行"), errors={"line_id": [_("不是本订单的行")]})
    if payload.keep_quantity >= line.open_quantity:
        raise InvalidInput(_("保留数量须少于当前数量"), errors={
            "keep_quantity": [_("须少于 %(n)s") % {"n": f"{line.open_quantity.normalize():f}"}]})
    if payload.keep_quantity == 0 and all(other.open_quantity == 0 for other in lines.values() if other.pk != line.pk):
        raise DomainError(_("所有行都将关闭：请取消订单"))
    shipped = shipped_quantities(order)
    if payload.keep_quantity < shipped.get(line.pk, Decimal(0)):
        raise InvalidInput(_("保留数量不能少于已发货数量"), errors={
            "keep_quantity": [_("已发货 %(n)s") % {"n": f"{shipped[line.pk].normalize():f}"}]})
    before = line.open_quantity
    line.short_closed_quantity = line.quantity - payload.keep_quantity
    line.short_close_reason = payload.reason
    line.amount = line_amount(payload.keep_quantity, line.unit_price)
    line.save(update_fields=["short_closed_quantity", "short_close_reason", "amount"])
    recompute_total(order)
    target = STAY
    everything_shipped = all(other.open_quantity <= shipped.get(pk, Decimal(0)) for pk, other in lines.items())
    if order.status == S.READY_TO_SHIP and shipped and everything_shipped:  # the rest was never going to ship
        target = S.SHIPPED if order.shipments.filter(received_at__isnull=True).exists() else S.DELIVERED
    return target, {"line": f"{line.product_name} {line.model}", "diff": [
        f"{line.product_name} {line.model} 数量：{before.normalize():f} → {payload.keep_quantity.normalize():f}"],
        "reason": payload.reason}


def cancel(order, actor, payload: p.CancelPayload):
    return S.CANCELLED, {"reason": payload.reason}


