"""Changes after approval (订单变更): an amendment sends the order back as far as it must (approval for price
or terms or a new director-rule reason, the stock check for quantities, lines or the date), a short close
(短交) closes the rest of a line, a cancellation ends the order before shipment."""
from decimal import Decimal

from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop as N_

from orderloop.core.exceptions import DomainError, InvalidInput
from orderloop.masterdata.stock import stock_release
from orderloop.orders import payloads as p
from orderloop.orders.lifecycle.spec import Action
from orderloop.orders.lifecycle.table import STAY
from orderloop.orders.lines import build_line, line_amount, lines_changed, products_for, recompute_total
from orderloop.orders.models import EventType
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.steps.approval import director_reasons
from orderloop.orders.steps.delivery import shipped_quantities


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
        price_changed, quantity_changed = _amend_lines(order, payload.lines, actor)
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


def _amend_lines(order, lines_in, actor) -> tuple[bool, bool]:
    """Apply the new lines; before quantities or lines change, what the lines held in stock is given back:
    the stock check that follows reserves again."""
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
    kept_ids = {item.line_id for item in lines_in if item.line_id is not None}
    if any(item.line_id is None or item.quantity != existing[item.line_id].quantity for item in lines_in) \
            or set(existing) - kept_ids:
        stock_release(line_ids=list(existing), actor=actor,
                      reason=_("订单 %(ref)s 变更数量，释放预留库存，待重新确认库存") % {"ref": order.ref})
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
    stock_release(line_ids=[line.pk], keep={line.pk: payload.keep_quantity - shipped.get(line.pk, Decimal(0))},
                  actor=actor, reason=_("订单 %(ref)s 短交关闭，释放预留库存") % {"ref": order.ref})
    recompute_total(order)
    target = STAY
    everything_shipped = all(other.open_quantity <= shipped.get(pk, Decimal(0)) for pk, other in lines.items())
    if order.status == S.READY_TO_SHIP and shipped and everything_shipped:  # the rest was never going to ship
        target = S.SHIPPED if order.shipments.filter(received_at__isnull=True).exists() else S.DELIVERED
    return target, {"line": f"{line.product_name} {line.model}", "diff": [
        f"{line.product_name} {line.model} 数量：{before.normalize():f} → {payload.keep_quantity.normalize():f}"],
        "reason": payload.reason}


def cancel(order, actor, payload: p.CancelPayload):
    """The order ends; what its lines held in stock is given back."""
    stock_release(line_ids=[line.pk for line in order.lines.all()], actor=actor,
                  reason=_("订单 %(ref)s 取消，释放预留库存") % {"ref": order.ref})
    return S.CANCELLED, {"reason": payload.reason}


def _nothing_shipped_guard(order, user):
    if order.shipments.exists():
        return _("已有发货批次：少交请用「短交关闭」，加购请新建订单")
    return None


def _amend_initial(order) -> dict:
    return {"lines": [{"line_id": line.pk, "product_id": line.product_id, "quantity": line.quantity,
                       "unit_price": line.unit_price} for line in order.lines.all()]
            + [{"line_id": "", "product_id": "", "quantity": "", "unit_price": ""}],
            "payment_terms": order.payment_terms, "delivery_address": order.delivery_address,
            "requested_date": order.requested_date or "", "special_terms": order.special_terms}


ACTIONS = [
    Action("amend", N_("变更订单"), EventType.AMENDED, p.AmendPayload, amend, guards=(_nothing_shipped_guard,),
           initial=_amend_initial, incidental=True),
    Action("short_close", N_("短交关闭"), EventType.SHORT_CLOSED, p.ShortClosePayload, short_close, incidental=True,
           confirm=N_("短交关闭后，该行未发的数量不再发货。确定短交关闭吗？")),
    Action("cancel", N_("取消订单"), EventType.CANCELLED, p.CancelPayload, cancel, incidental=True,
           confirm=N_("取消后订单即终止，不能恢复。确定取消这张订单吗？")),
]
