"""Step 5, 交付: consignments shipped (发货批次, part shipments allowed), the customer's acceptance of each
(验收: 数量, 规格 and 外观 each answered 合格 or 不合格; a 不合格 one becomes an after-sales ticket with its note
and photos) and its receipt (签收: a signed scan uploaded by staff, or the customer's confirmation through the
receipt link, with their remark). The order is 已发货 once everything is shipped and 已交付 once every
consignment is received."""
from datetime import date
from decimal import Decimal
from operator import attrgetter

from django.db.models import Q
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.finance.gates import shipment_hold
from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput
from orderloop.core.prepared import PreparedQuery, insert, insert_rows, update
from orderloop.core.ids import id_or_none
from orderloop.masterdata.stock import stock_consume
from orderloop.orders import payloads as p
from orderloop.orders.dates import eta_problem
from orderloop.orders.handoffs import handoff_notify
from orderloop.orders.lifecycle.spec import Action
from orderloop.orders.lifecycle.table import STAY
from orderloop.orders.lines import prepared_lines
from orderloop.orders.models import AcceptanceItem, Attachment, EventType, Shipment, ShipmentLine, TimerKind
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.models import has_rows


# Asked by confirm_stock, by ship's guard and by ship: the consignments' lines, compiled once (core.prepared), added
# up here (exact decimals, as PostgreSQL's SUM; SQLite's is floating point, rounded back to the field's places).
_SHIPPED_LINES = PreparedQuery(ShipmentLine, lambda order_id: ShipmentLine.objects.filter(
    shipment__order_id=order_id).order_by().only("order_line_id", "quantity"))
_SHIPMENTS = PreparedQuery(Shipment, lambda order_id: Shipment.objects.filter(order_id=order_id).order_by().only("pk"))
_OPEN = PreparedQuery(Shipment, lambda order_id: Shipment.objects.filter(
    Q(accepted_at__isnull=True) | Q(received_at__isnull=True), order_id=order_id).order_by("position"))
_UNUSED_ATTACHMENT = PreparedQuery(Attachment, lambda order_id, pk, kind: Attachment.objects.filter(
    order_id=order_id, pk=pk, kind=kind, ticket__isnull=True).order_by()[:1], params=3)


def shipped_quantities(order) -> dict[int, Decimal]:
    """What has shipped of each of the order's lines; read once per order object (ship's guard and ship ask
    alike), until ship adds a consignment."""
    if "_shipped" in vars(order):
        return dict(order._shipped)
    shipped: dict[int, Decimal] = {}
    if "shipments" in getattr(order, "_prefetched_objects_cache", {}):  # a list read them with their lines (today)
        rows = (line for shipment in order.shipments.all() for line in shipment.lines.all())
    elif not has_rows(order, "shipments"):  # read with the order: none yet
        rows = ()
    else:
        rows = _SHIPPED_LINES.all(order.pk)
    for row in rows:
        shipped[row.order_line_id] = shipped.get(row.order_line_id, Decimal(0)) + row.quantity
    order._shipped = shipped
    return dict(shipped)


def open_shipments(order) -> list[Shipment]:
    """The order's consignments not yet accepted (验收) or not yet received (签收), earliest first: what 验收's and
    签收's guards, forms and handlers choose from and whether the order is 已交付, read once per order object
    (until ship adds a consignment); a handler that accepts or receives one sets it on the instance found here."""
    if "_open_shipments" not in vars(order):
        if "shipments" in getattr(order, "_prefetched_objects_cache", {}):  # a list read them (today)
            found = sorted((s for s in order.shipments.all() if s.accepted_at is None or s.received_at is None),
                           key=attrgetter("position"))
        elif not has_rows(order, "shipments"):  # read with the order: none yet
            found = []
        else:
            found = _OPEN.all(order.pk)
        order._open_shipments = found
    return order._open_shipments


def ship(order, actor, payload: p.ShipPayload):
    """A consignment (发货批次) of some or all of what is prepared and not yet shipped; the order is 已发货 once
    everything is (while a later part is still in hand, what an earlier part prepared ships on its own). What the
    lines held in stock leaves the warehouse with it (per line, up to the quantity shipped)."""
    if problem := eta_problem(payload.eta, clock.today()):
        raise InvalidInput(_("发货信息有误：%(problem)s") % {"problem": problem}, errors={"eta": [problem]})
    lines = {line.pk: line for line in prepared_lines(order)}
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
    earlier = _SHIPMENTS.all(order.pk) if has_rows(order, "shipments") else []
    shipment = insert(Shipment(
        order=order, position=len(earlier) + 1, method=payload.method, carrier=payload.carrier,
        tracking_number=payload.tracking_number, eta=payload.eta, shipped_at=clock.now(), shipped_by=actor))
    for pk, quantity in wanted.items():
        insert(ShipmentLine(shipment=shipment, order_line=lines[pk], quantity=quantity))
    del order._shipped  # read again by whoever asks next
    vars(order).pop("_open_shipments", None)
    order.has_shipments = True  # has_rows
    stock_consume(shipped=wanted, actor=actor,
                  reason=_("订单 %(ref)s 第 %(batch)s 批发货出库") % {"ref": order.ref, "batch": shipment.position})
    complete = all(line.open_quantity - shipped.get(line.pk, Decimal(0)) - wanted.get(line.pk, Decimal(0)) <= 0
                   for line in order.lines.all())
    event = {**payload.model_dump(mode="json", exclude={"version", "lines"}), "shipment_id": shipment.pk,
             "batch": shipment.position,
             "goods": [f"{lines[pk].product_name} {lines[pk].model} × {quantity.normalize():f}" for pk, quantity in wanted.items()]}
    return (S.SHIPPED if complete else STAY), {**event, "complete": complete}


# The checks of 验收 (SPEC 4), in the order they are asked; a 不合格 one opens a ticket of its type.
ACCEPTANCE_ITEMS = ("quantity", "spec", "appearance")  # AcceptanceItem.Item
ITEM_TICKET_TYPE = {"quantity": "wrong_quantity", "spec": "wrong_model", "appearance": "damage"}


def _attachment(order, attachment_id, kind, field):
    pk = id_or_none(attachment_id)
    found = next(iter(_UNUSED_ATTACHMENT.all(order.pk, pk, str(kind))), None) if pk is not None else None
    if found is None:
        raise InvalidInput(_("附件不存在"), errors={field: [_("不是本订单的「%(kind)s」") % {"kind": Attachment.Kind(kind).label}]})
    return found


def _answers(order, payload: p.AcceptPayload) -> tuple[list[dict], dict, list[str]]:
    """Each item's answer, note and photos, and the errors: an item not answered, a 不合格 one without a note,
    a photo that is not one of this order's, not yet used; and the items not answered."""
    answers, errors, unanswered, photos_seen = [], {}, [], set()
    for item in ACCEPTANCE_ITEMS:
        label = AcceptanceItem.Item(item).label
        ok, note = getattr(payload, f"{item}_ok"), getattr(payload, f"{item}_note").strip()
        photos = []
        for index, photo_id in enumerate(getattr(payload, f"{item}_photo_attachment_ids")):
            field = f"{item}_photo_attachment_ids.{index}"
            found = order.attachments.filter(pk=id_or_none(photo_id) or 0, kind=Attachment.Kind.PHOTO,
                                             ticket__isnull=True).first()
            if found is None or photo_id in photos_seen:
                errors[field] = [_("「%(item)s」的照片不是本订单待用的验收照片") % {"item": label}]
            else:
                photos.append(found)
                photos_seen.add(photo_id)
        if ok is None:
            unanswered.append(str(label))
            errors[f"{item}_ok"] = [_("请选择「%(item)s」合格或不合格") % {"item": label}]
        elif not ok and not note:
            errors[f"{item}_note"] = [_("「%(item)s」不合格：请填写说明") % {"item": label}]
        elif ok and photos:
            errors[f"{item}_photo_attachment_ids"] = [_("「%(item)s」合格，无需照片") % {"item": label}]
        answers.append({"item": item, "label": label, "ok": ok, "note": note if ok is False else "", "photos": photos})
    return answers, errors, unanswered


def accept(order, actor, payload: p.AcceptPayload):
    """验收 of one consignment: 数量, 规格 and 外观 each answered 合格 or 不合格 (none is assumed); a 不合格 item,
    with its note and photos, becomes an after-sales ticket; with a signed receipt, its receipt too. The order is
    已交付 once everything shipped is received."""
    waiting = [s for s in open_shipments(order) if s.accepted_at is None]
    if payload.shipment_id:
        pk = id_or_none(payload.shipment_id)
        waiting = [s for s in waiting if s.pk == pk]
    shipment = next(iter(waiting), None)
    if shipment is None:
        raise InvalidInput(_("没有这个待验收的发货批次"), errors={"shipment_id": [_("批次不存在或已验收")]})
    answers, errors, unanswered = _answers(order, payload)
    receipt = None
    if payload.receipt_attachment_id is not None:
        try:
            receipt = _attachment(order, payload.receipt_attachment_id, Attachment.Kind.RECEIPT, "receipt_attachment_id")
        except InvalidInput as exc:
            errors.update(exc.errors)
        if not payload.signed_by:
            errors["signed_by"] = [_("上传签收单时须填写签收人")]
    if unanswered:
        raise InvalidInput(_("请逐项验收：%(items)s 尚未选择合格或不合格") % {"items": "、".join(unanswered)}, errors=errors)
    if errors:
        raise InvalidInput(_("验收记录有误：%(problem)s") % {"problem": next(iter(errors.values()))[0]}, errors=errors)
    now = clock.now()
    shipment.accepted_at = now
    if receipt is None:
        update(shipment, ["accepted_at"])
    else:  # accepted and received: one UPDATE
        _receive(shipment, signed_by=payload.signed_by, via="scan", scan=receipt, now=now, also=("accepted_at",))
    tickets, items = [], []
    for answer in answers:
        ticket = None
        if not answer["ok"]:
            ticket = ticket_open(order_id=order.pk, actor=actor, ticket_type=ITEM_TICKET_TYPE[answer["item"]],
                                 description=_("验收问题（第 %(batch)s 批，%(item)s不合格）：%(text)s") % {
                                     "batch": shipment.position, "item": answer["label"], "text": answer["note"]})
            for photo in answer["photos"]:
                photo.ticket, photo.shipment = ticket, shipment
                photo.save(update_fields=["ticket", "shipment"])
            tickets.append(ticket.pk)
        items.append(AcceptanceItem(shipment=shipment, item=answer["item"], passed=answer["ok"], note=answer["note"],
                                    ticket=ticket))
    insert_rows(items)  # one INSERT of the three
    event = {"batch": shipment.position, "shipment_id": shipment.pk,
             "answers": [{"item": a["item"], "answer": "pass" if a["ok"] else "fail", "note": a["note"],
                          "photos": [photo.filename for photo in a["photos"]]} for a in answers],
             "ticket_ids": tickets}
    if receipt is not None:
        event["signed_by"] = payload.signed_by
    return _delivered_or_stay(order), event


def _receive(shipment, *, signed_by, via, now, scan=None, address=None, remark="", also=()):
    """The consignment received (签收), written with the fields named in ``also`` the caller set on it."""
    shipment.received_at, shipment.received_by_name, shipment.receipt_via = now, signed_by, via
    shipment.receipt_address, shipment.receipt_remark = address, remark
    update(shipment, [*also, "received_at", "received_by_name", "receipt_via", "receipt_address", "receipt_remark"])
    if scan is not None:
        scan.shipment = shipment
        update(scan, ["shipment"])


def _delivered_or_stay(order):
    everything_shipped = order.status == S.SHIPPED
    if everything_shipped and all(s.received_at is not None for s in open_shipments(order)):
        return S.DELIVERED
    return STAY


def confirm_receipt(order, actor, payload: p.ConfirmReceiptPayload):
    """签收: a signed receipt uploaded by staff, or the customer's confirmation through the receipt link (系统回执)."""
    shipment = next((s for s in open_shipments(order) if s.pk == payload.shipment_id and s.received_at is None), None)
    if shipment is None:
        raise InvalidInput(_("没有这个待签收的发货批次"), errors={"shipment_id": [_("批次不存在或已签收")]})
    scan = None
    if payload.receipt_attachment_id is not None:
        scan = _attachment(order, payload.receipt_attachment_id, Attachment.Kind.RECEIPT, "receipt_attachment_id")
    elif actor is not None:
        raise InvalidInput(_("请上传客户签字的签收单"), errors={"receipt_attachment_id": [_("必填")]})
    now = clock.now()
    _receive(shipment, signed_by=payload.signed_by, via="scan" if scan else "link", scan=scan, now=now,
             remark=payload.remark)
    event = {"batch": shipment.position, "shipment_id": shipment.pk, "signed_by": payload.signed_by,
             "receipt_via": "scan" if scan else "link", "remark": payload.remark}
    return _delivered_or_stay(order), event


def _prepared_to_ship_guard(order, user):
    shipped = shipped_quantities(order)
    if any(line.open_quantity > shipped.get(line.pk, Decimal(0)) for line in prepared_lines(order)):
        return None
    return _("没有已备好待发的货物")


def _shipment_to_accept_guard(order, user):
    return None if any(s.accepted_at is None for s in open_shipments(order)) else _("没有待验收的发货批次")


def _shipment_to_receive_guard(order, user):
    return None if any(s.received_at is None for s in open_shipments(order)) else _("没有待签收的发货批次")


def _tell_shipped(order, event, event_payload):
    """Each consignment shipped goes to the account manager, to coordinate the customer's acceptance on site
    (客户验收) by its expected arrival."""
    eta = event_payload.get("eta")
    handoff_notify(order, event="order_shipped", key=f"event:{event.pk}", step=_("客户验收"), actor=event.actor,
                   asked=_("货物送达后协助客户进行现场验收：核对产品数量、规格、外观质量；有异议当场记录并拍照；"
                           "获取客户签字的《签收单》（或系统回执）"),
                   due=date.fromisoformat(eta) if eta else None,
                   detail=_("第 %(batch)s 批：%(carrier)s %(number)s，预计 %(eta)s 送达；货物：%(goods)s") % {
                       "batch": event_payload.get("batch"), "carrier": event_payload.get("carrier", ""),
                       "number": event_payload.get("tracking_number", ""), "eta": eta or "",
                       "goods": "；".join(event_payload.get("goods", []))})


def _ship_initial(order) -> dict:
    """Everything not yet shipped; lower a quantity or clear it for a part shipment."""
    shipped = shipped_quantities(order)
    remaining = [(line, line.open_quantity - shipped.get(line.pk, Decimal(0))) for line in prepared_lines(order)]
    return {"lines": [{"line_id": line.pk, "quantity": f"{quantity.normalize():f}"}
                      for line, quantity in remaining if quantity > 0]}


def _accept_initial(order) -> dict:
    """The earliest consignment not yet accepted; no item answered: each is checked and answered by the person
    at the door, never assumed 合格."""
    shipment = next((s for s in open_shipments(order) if s.accepted_at is None), None)
    return {"shipment_id": shipment.pk if shipment else "", "signed_by": order.contact_name}


def _confirm_receipt_initial(order) -> dict:
    shipment = next((s for s in open_shipments(order) if s.received_at is None), None)
    return {"shipment_id": shipment.pk if shipment else "", "signed_by": order.contact_name}


ACTIONS = [
    Action("ship", N_("发货"), EventType.SHIPPED, p.ShipPayload, ship, guards=(_prepared_to_ship_guard, shipment_hold),
           starts=frozenset({TimerKind.LOGISTICS_NOTICE}), initial=_ship_initial, notice=_tell_shipped, quiet=True),
    Action("accept", N_("客户验收"), EventType.ACCEPTED, p.AcceptPayload, accept, guards=(_shipment_to_accept_guard,),
           initial=_accept_initial, quiet=True),
    Action("confirm_receipt", N_("客户签收"), EventType.RECEIPT_CONFIRMED, p.ConfirmReceiptPayload, confirm_receipt,
           guards=(_shipment_to_receive_guard,), initial=_confirm_receipt_initial, quiet=True),
]
