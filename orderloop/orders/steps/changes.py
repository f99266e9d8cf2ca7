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
from orderloop.orders.lines import (
    PREPARED_STATES, build_line, last_part, line_amount, lines_changed, open_lines, prepared_lines, products_for,
    recompute_total,
)
from orderloop.orders.handoffs import handoff_notify, running_deadline
from orderloop.orders.models import EventType, TimerKind
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.steps.approval import director_rules
from orderloop.orders.steps.delivery import open_shipments, shipped_quantities


AMENDABLE_FIELDS = ("payment_terms", "special_terms", "delivery_address", "requested_date")
# How far back an amendment sends the order, by where it stands now.
LIFECYCLE_POSITION = [S.PENDING_APPROVAL, S.PENDING_DIRECTOR, S.PENDING_STOCK_CHECK, S.DATE_NEGOTIATION,
                      S.CONFIRMED, S.IN_FULFILLMENT, S.READY_TO_SHIP, S.SHIPPED]


AMEND_LABELS = {"payment_terms": "付款方式", "special_terms": "特殊条款", "delivery_address": "交付地址",
                "requested_date": "交付日期"}


def _readable_lines(order) -> dict:
    return {line.pk: (_line_title(line), f"{line.quantity.normalize():f}", f"{line.unit_price}")
            for line in order.lines.all()}


def _line_title(line) -> str:
    title = f"{line.product_name} {line.model}"
    return title if line.part == 1 else _("%(title)s（第 %(part)s 部分）") % {"title": title, "part": line.part}


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
    """Before 发货准备 an amendment changes the order's lines and terms and sends it back as far as it must.
    Once goods are prepared (待发货, 已发货, or an earlier part) it keeps them as they are: added quantity and
    new lines become a further part (第 2 部分 …) that goes through stock confirmation (and approval where a
    rule says so), is prepared, shipped and accepted on its own. Before anything has shipped, an amendment
    that lowers, removes or reprices prepared goods takes the whole order back as one part, as before."""
    fixed = {line.pk: line for line in prepared_lines(order)}
    if fixed and not order.shipments.exists() and (
            _touches(fixed, payload.lines) or (order.status in PREPARED_STATES and not _adds(fixed, payload.lines))):
        _one_part_again(order)
        fixed = {}
    late = bool(fixed)
    part = last_part(order) if open_lines(order) or not late else last_part(order) + 1
    changes: list[str] = []
    rules_before = {rule for rule, _reason in director_rules(order)}
    lines_before, total_before = _readable_lines(order), order.total_amount
    fields_before = {name: getattr(order, name) for name in AMEND_LABELS}
    needs_approval = needs_stock_check = False
    part_date = None
    for name in AMENDABLE_FIELDS:
        value = getattr(payload, name)
        if value is not None and value != getattr(order, name):
            if late and name == "requested_date":  # the date of the part in hand; the first part's stays
                part_date = value
                continue
            changes.append(name)
            setattr(order, name, value)
            if name in ("payment_terms", "special_terms"):
                needs_approval = True
            if name == "requested_date":
                needs_stock_check = True
    if payload.lines is not None:
        price_changed, quantity_changed = _amend_lines(order, payload.lines, actor, fixed=fixed, part=part)
        needs_approval |= price_changed
        needs_stock_check |= quantity_changed
        if price_changed or quantity_changed:
            changes.append("lines")
    part_lines = open_lines(order) if not late or order.status not in PREPARED_STATES else [
        line for line in order.lines.all() if line.part == part]
    part_lines = [line for line in part_lines if line.pk not in fixed]
    dated = [line for line in part_lines if part_date is not None and line.requested_date != part_date]
    for line in dated:
        line.requested_date = part_date
        line.save(update_fields=["requested_date"])
    if dated:
        changes.append("requested_date")
        needs_stock_check = True
    if not changes:
        raise InvalidInput(_("没有任何变更"), errors={"__all__": [_("请修改订单行或条款")]})
    if late and not part_lines:
        if order.status in PREPARED_STATES:
            raise InvalidInput(_("货物已备好或已发出：变更只能追加数量"), errors={"lines": [_("请追加数量或新增行")]})
        raise InvalidInput(_("追加的部分不能删空"), errors={"lines": [_("不再需要时，确认库存后用「短交关闭」")]})
    # A rule the order did not meet before (an amount now over the threshold, a margin now under the floor…) sends
    # it back to approval; more of a rule already met and approved (11 units instead of 10, both over the
    # threshold: the seed's 202405-002) goes back through the stock check only.
    if not {rule for rule, _reason in director_rules(order)} <= rules_before:
        needs_approval = True
    if order.status == S.PENDING_DIRECTOR:  # the manager approved the order as it was: not this one
        needs_approval = True
    diff = amendment_diff(lines_before, _readable_lines(order), fields_before, order, total_before)
    if dated:
        diff.append(_("第 %(part)s 部分 交付日期：%(date)s") % {"part": part, "date": part_date.isoformat()})
    event = {"reason": payload.reason, "changed": changes, "diff": diff}
    if late:
        event["part"] = part
    here = LIFECYCLE_POSITION.index(order.status)
    if needs_approval:
        order.manager_approved_by = None
        return S.PENDING_APPROVAL, {**event, "back_to": S.PENDING_APPROVAL.value}
    if needs_stock_check and here > LIFECYCLE_POSITION.index(S.PENDING_STOCK_CHECK):
        return S.PENDING_STOCK_CHECK, {**event, "back_to": S.PENDING_STOCK_CHECK.value}
    return STAY, event


def _tell_amended(order, event, event_payload):
    """An amendment that sends the order back hands it to whom it goes back to, with what changed: the sales
    managers to approve again (待审批), or the warehouse and production to check stock again (待确认库存; for a
    further part, its lines only — 客户临时要求增加1台)."""
    changed = _("变更内容：%(diff)s") % {"diff": "；".join(event_payload.get("diff", []))}
    if event_payload.get("reason"):
        changed += "\n" + _("变更原因：%(reason)s") % {"reason": event_payload["reason"]}
    back_to = event_payload.get("back_to")
    if back_to == S.PENDING_APPROVAL:
        handoff_notify(order, event="approval_requested", key=f"event:{event.pk}", step=_("订单变更，待重新审批"),
                       actor=event.actor, asked=_("订单已变更，请复核变更后的金额、条款，重新审批"), detail=changed,
                       deadline=running_deadline(order, kind=TimerKind.APPROVAL))
    elif back_to == S.PENDING_STOCK_CHECK:
        handoff_notify(order, event="stock_check_requested", key=f"event:{event.pk}", step=_("订单变更，待重新确认库存"),
                       actor=event.actor, asked=_("订单数量已变更，请重新确认库存状态（现货/缺货/需生产）及可交付日期"),
                       detail=changed, deadline=running_deadline(order, kind=TimerKind.STOCK_CHECK))


def _touches(fixed: dict, lines_in) -> bool:
    """True when ``lines_in`` lowers, removes or reprices a prepared line."""
    if lines_in is None:
        return False
    given = {item.line_id: item for item in lines_in if item.line_id is not None}
    return any(pk not in given or given[pk].quantity < line.quantity or given[pk].unit_price not in (None, line.unit_price)
               for pk, line in fixed.items())


def _adds(fixed: dict, lines_in) -> bool:
    """True when ``lines_in`` adds a line or raises a prepared one."""
    return lines_in is not None and any(
        item.line_id is None or item.line_id not in fixed or item.quantity > fixed[item.line_id].quantity
        for item in lines_in)


def _one_part_again(order) -> None:
    """The whole order goes back as one part (nothing has shipped, prepared goods are changed)."""
    for line in order.lines.all():
        if line.part != 1:
            line.part = 1
            line.save(update_fields=["part"])


def _amend_lines(order, lines_in, actor, *, fixed: dict, part: int) -> tuple[bool, bool]:
    """Apply the new lines; before quantities or lines change, what the lines not yet prepared held in stock is
    given back: the stock check that follows reserves again (prepared goods keep theirs)."""
    existing = {line.pk: line for line in order.lines.all()}
    errors = {}
    for index, item in enumerate(lines_in):
        if item.line_id is not None and item.line_id not in existing:
            errors[f"lines.{index}.line_id"] = [_("不是本订单的行")]
        if item.line_id is None and item.product_id is None:
            errors[f"lines.{index}.product_id"] = [_("新增行须选择产品")]
    if errors:
        raise InvalidInput(_("订单行有误"), errors=errors)
    _refuse_reductions(fixed, lines_in)
    products = products_for(lines_in)
    kept_ids = {item.line_id for item in lines_in if item.line_id is not None}
    if any(item.line_id is None or item.quantity != existing[item.line_id].quantity for item in lines_in) \
            or set(existing) - kept_ids:
        stock_release(line_ids=[pk for pk in existing if pk not in fixed], actor=actor,
                      reason=_("订单 %(ref)s 变更数量，释放预留库存，待重新确认库存") % {"ref": order.ref})
    price_changed = quantity_changed = False
    kept = set()
    added = []  # (line of the part in hand to add to, or None, product, quantity, price)
    next_position = max((line.position for line in existing.values()), default=0) + 1
    for item in lines_in:
        if item.line_id in fixed:  # prepared goods stay; what is added becomes the part in hand
            line = existing[item.line_id]
            kept.add(line.pk)
            if item.quantity > line.quantity:
                added.append((line.product, item.quantity - line.quantity, line.unit_price))
        elif item.line_id is not None:
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
            added.append((products[item.product_id], item.quantity, item.unit_price))
            price_changed |= item.unit_price is not None and item.unit_price != products[item.product_id].list_price
    removed = [line for pk, line in existing.items() if pk not in kept]
    for line in removed:
        line.delete()
        quantity_changed = True
    for product, quantity, price in added:
        quantity_changed = True
        same = next((line for line in existing.values() if line.pk in kept and line.pk not in fixed and line.part == part
                     and line.product_id == product.pk and line.unit_price == (product.list_price if price is None else price)),
                    None)
        if same is not None and fixed:  # one more of what the part in hand already has
            same.quantity += quantity
            same.amount = line_amount(same.quantity, same.unit_price)
            same.save(update_fields=["quantity", "amount"])
            continue
        line = build_line(order=order, position=next_position, product=product, quantity=quantity, unit_price=price)
        line.part = part
        line.save()
        next_position += 1
    lines_changed(order)
    recompute_total(order)
    return price_changed, quantity_changed


def _refuse_reductions(fixed: dict, lines_in) -> None:
    """Goods prepared or shipped are not lowered, removed or repriced by an amendment (nothing of the order has
    shipped before this is asked: then the whole order goes back instead)."""
    errors = {}
    given = set()
    for index, item in enumerate(lines_in):
        line = fixed.get(item.line_id)
        if line is None:
            continue
        given.add(line.pk)
        if item.quantity < line.quantity:
            errors[f"lines.{index}.quantity"] = [_("不能少于 %(n)s：未发的请用「短交关闭」，已发的退货请登记客户反馈") % {
                "n": f"{line.quantity.normalize():f}"}]
        if item.unit_price is not None and item.unit_price != line.unit_price:
            errors[f"lines.{index}.unit_price"] = [_("已备好或已发出的货物不能改价")]
    missing = [str(line.position) for pk, line in fixed.items() if pk not in given]
    if missing:
        errors["lines"] = [_("第 %(rows)s 行已备好或已发出，不能删除") % {"rows": "、".join(missing)}]
    if errors:
        raise InvalidInput(_("已有发货批次：已备好或已发出的货物不能减少、删除或改价"), errors=errors)


def short_close(order, actor, payload: p.ShortClosePayload):
    """Close the rest of a line short (the customer takes less); the total follows. After a part shipment,
    closing what was never shipped (the rest of a consignment, or a later part no longer wanted) makes the order
    已发货, or 已交付 if every consignment is received."""
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
    if shipped and everything_shipped:  # the rest was never going to ship (the part in hand, or what was prepared)
        target = S.SHIPPED if any(s.received_at is None for s in open_shipments(order)) else S.DELIVERED
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
        return _("已有发货批次：未发的部分请用「短交关闭」")
    return None


def _amend_initial(order) -> dict:
    return {"lines": [{"line_id": line.pk, "product_id": line.product_id, "quantity": line.quantity,
                       "unit_price": line.unit_price} for line in order.lines.all()]
            + [{"line_id": "", "product_id": "", "quantity": "", "unit_price": ""}],
            "payment_terms": order.payment_terms, "delivery_address": order.delivery_address,
            "requested_date": order.requested_date or "", "special_terms": order.special_terms}


ACTIONS = [
    Action("amend", N_("变更订单"), EventType.AMENDED, p.AmendPayload, amend, initial=_amend_initial, incidental=True,
           notice=_tell_amended),
    Action("short_close", N_("短交关闭"), EventType.SHORT_CLOSED, p.ShortClosePayload, short_close, incidental=True,
           confirm=N_("短交关闭后，该行未发的数量不再发货。确定短交关闭吗？")),
    Action("cancel", N_("取消订单"), EventType.CANCELLED, p.CancelPayload, cancel, guards=(_nothing_shipped_guard,),
           incidental=True,
           confirm=N_("取消后订单即终止，不能恢复。确定取消这张订单吗？")),
]
