"""Order use cases outside the lifecycle table: intake, corrections before approval, copies, archiving and the
system's automatic close. Lifecycle actions go through ``orders.lifecycle.engine.perform_action``."""
import secrets
from datetime import timedelta
from decimal import Decimal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext as _

from orderloop.accounts.permissions import ORDER_ENTRY
from orderloop.core import clock
from orderloop.core.audit import audit_entry, audit_record, diff
from orderloop.core.models import AuditEntry
from orderloop.core.prepared import insert, server_prepared
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed, NotFound, StaleVersion
from orderloop.core.ids import db_ids
from orderloop.masterdata.services import customer_visible_to, customers_visible_to
from orderloop.masterdata.models import Customer
from orderloop.orders.access import order_visible_to
from orderloop.core.phones import phone_e164
from orderloop.orders.steps.intake import apply_order_fields, field_value_problems, tell_received
from orderloop.orders.lines import build_line, keep_written_lines, products_for
from orderloop.orders.events import event_record, events_record
from orderloop.orders.models import Channel, EventType, IdempotencyKey, OrderLine, SalesOrder
from orderloop.orders.models import OrderStatus as S
from orderloop.orders.uploads import attachment_store, files_kept_on_commit
from orderloop.orders.schemas import DraftCreate, OrderCreate, OrderPatch
from orderloop.orders.lifecycle.engine import order_state, perform_action, refusal

REF_ALPHABET = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
EDITABLE_STATES = {S.RECEIVED, S.NEEDS_INFO}


def new_provisional_ref() -> str:
    return "TMP-" + "".join(secrets.choice(REF_ALPHABET) for _ in range(8))


def order_receive(*, actor, data: OrderCreate, owner=None, attachments=()) -> SalesOrder:
    """Intake: a new order at 已接收 with a provisional reference. ``actor`` None is the
    order mailbox; ``attachments`` are (kind, filename, content_type, bytes) kept with it."""
    with server_prepared():
        (order,) = orders_receive(actor=actor, batch=[(data, owner)], attachments=attachments)
    return order


def orders_receive(*, actor, batch: list[tuple[OrderCreate, object]], attachments=()) -> list[SalesOrder]:
    """Intake of one order or of many (an imported register: ``batch`` of (data, owner or None)), each checked
    as on its own, the rows of all written together: customers and products read once, each table's rows
    inserted at once. The first order that fails a check refuses the whole batch (the caller's transaction)."""
    if actor is not None and not actor.has_role(*ORDER_ENTRY):
        raise NotAllowed(_("只有销售助理或客户经理可以录入订单"))
    if actor is not None and len(batch) == 1:  # one order (the common case): by the statement compiled once
        customer = customer_visible_to(actor, batch[0][0].customer_id)
        customers = {} if customer is None else {customer.pk: customer}
    else:
        customers = Customer.objects.all() if actor is None else customers_visible_to(actor)  # the mailbox: any sender
        customers = customers.filter(pk__in=db_ids(data.customer_id for data, _owner in batch)).select_related("owner").in_bulk()
    products = products_for([line for data, _owner in batch for line in data.lines])
    now = clock.now()
    orders, lines = [], []
    for data, owner in batch:
        customer = customers.get(data.customer_id)
        if customer is None:
            raise InvalidInput(_("客户不存在"), errors={"customer_id": [_("客户不存在：%(id)s") % {"id": data.customer_id}]})
        if not customer.is_active:
            raise InvalidInput(_("客户「%(name)s」已停用，不能录入新订单") % {"name": customer.name},
                               errors={"customer_id": [_("客户已停用，请联系客户经理在客户页启用")]})
        order_date = data.order_date or clock.today()
        problems = field_value_problems(contact_phone=data.contact_phone, order_date=order_date,
                                        requested_date=data.requested_date)
        if problems:
            raise InvalidInput(_("订单信息有误"), errors=problems)
        owner = owner or customer.owner or actor
        if owner is None:
            raise InvalidInput(_("客户没有客户经理，无法确定销售负责人"), errors={"customer_id": [_("请先为客户指定客户经理")]})
        order = SalesOrder(
            provisional_ref=new_provisional_ref(), status=S.RECEIVED, customer=customer,
            contact_name=data.contact_name, contact_phone=phone_e164(data.contact_phone) if data.contact_phone else "",
            order_date=order_date, channel=data.channel, payment_terms=data.payment_terms,
            delivery_address=data.delivery_address, requested_date=data.requested_date,
            special_requirements=data.special_requirements, special_terms=data.special_terms, remarks=data.remarks,
            owner=owner, entered_by=actor, created_at=now, updated_at=now,
        )
        order_lines = [
            build_line(order=order, position=index + 1, product=products[line.product_id], quantity=line.quantity,
                       unit_price=line.unit_price, requested_date=line.requested_date)
            for index, line in enumerate(data.lines)
        ]
        order.total_amount = sum((line.amount for line in order_lines), Decimal("0.00"))  # one INSERT, no UPDATE after
        orders.append(order)
        lines += order_lines
    with files_kept_on_commit():
        _insert_all(SalesOrder, orders)
        _insert_all(OrderLine, lines)  # each line takes its order's new id
        keep_written_lines(orders, lines)  # for the audit snapshots: the lines as written, not read back
        for order in orders:
            for kind, filename, _content_type, content in attachments:
                attachment_store(order=order, kind=kind, filename=filename, content=content,
                                 actor=actor, now=now)
        events = events_record(EventType.RECEIVED, [
            (order, {"intake_channel": order.channel, "total_amount": str(order.total_amount)}) for order in orders],
            actor=actor, at=now, from_status="")
        tell_received(orders, events, actor=actor)
        _insert_all(AuditEntry, [audit_entry(actor=actor, obj=order, operation="received", object_type="orders.salesorder",
                                             changes=diff({}, order_state(order))) for order in orders])
    return orders


def _insert_all(model, objects: list) -> None:
    """One row by the prepared INSERT (intake of one order, the common case), many by one bulk INSERT."""
    if len(objects) == 1:
        insert(objects[0])
    else:
        model.objects.bulk_create(objects)


def order_update(*, order_id: int, actor, data: OrderPatch) -> SalesOrder:
    """Correct an order before review passes (PATCH). Later changes are amendments."""
    with transaction.atomic():
        order = SalesOrder.objects.select_for_update().select_related("customer").filter(pk=order_id).first()
        if order is None or not order_visible_to(order, actor):
            raise NotFound(_("订单不存在"))
        if data.version != order.version:
            raise StaleVersion(expected=data.version, actual=order.version)
        if not actor.has_role(*ORDER_ENTRY):
            raise NotAllowed(_("只有销售助理或客户经理可以修改订单"))
        if order.status not in EDITABLE_STATES:
            raise InvalidTransition(_("订单已审核通过，修改须通过「变更订单」"))
        before = order_state(order)
        apply_order_fields(order, data)
        changes = diff(before, order_state(order))
        if changes:
            now = clock.now()
            order.version += 1
            order.updated_at = now
            order.save()
            event_record(order, EventType.UPDATED, {"fields": sorted(changes)}, actor=actor, at=now)
            audit_record(actor=actor, obj=order, operation="updated", changes=changes, object_type="orders.salesorder")
    return order


class IdempotencyConflict(InvalidTransition):
    code = "idempotency_conflict"


def order_receive_once(*, actor, data: OrderCreate, key: str, request_hash: str) -> tuple[SalesOrder, bool]:
    """Intake through the API with an ``Idempotency-Key``: a retried request returns
    the order the first one created. Returns (order, created)."""

    def earlier():
        seen = IdempotencyKey.objects.select_related("order").filter(user=actor, key=key).first()
        if seen and seen.request_hash != request_hash:
            raise IdempotencyConflict(_("此 Idempotency-Key 已用于内容不同的请求"),
                                      errors={"Idempotency-Key": [_("已用于另一请求")]})
        return seen.order if seen else None

    order = earlier()
    if order:
        return order, False
    try:
        with transaction.atomic():
            order = order_receive(actor=actor, data=data)
            IdempotencyKey.objects.create(key=key, user=actor, request_hash=request_hash, order=order, created_at=clock.now())
        return order, True
    except IntegrityError:
        order = earlier()
        if order is None:
            raise
        return order, False


def orders_archive_finished(*, now=None) -> int:
    """Finished orders (已完成, 已驳回, 已取消) untouched for ``ORDERLOOP_ARCHIVE_AFTER_DAYS`` and with no open
    feedback are archived: read-only, out of the working list, still in registers, reviews and search."""
    from orderloop.aftersales.models import Ticket

    now = now or clock.now()
    cutoff = now - timedelta(days=settings.ORDERLOOP_ARCHIVE_AFTER_DAYS)
    open_feedback = Ticket.objects.filter(order=OuterRef("pk"), closed_at__isnull=True)
    due = SalesOrder.objects.filter(status__in=FINISHED, archived_at__isnull=True, updated_at__lt=cutoff) \
        .exclude(Exists(open_feedback))
    with transaction.atomic():
        archived = list(due.select_for_update(skip_locked=True).values_list("pk", "number", "provisional_ref"))
        SalesOrder.objects.filter(pk__in=[pk for pk, *_ in archived]).update(archived_at=now)
        AuditEntry.objects.bulk_create([
            AuditEntry(occurred_at=now, actor=None, object_type="orders.salesorder", object_id=str(pk),
                       object_repr=number or provisional, operation="archived", changes={"archived_at": [None, now.isoformat()]})
            for pk, number, provisional in archived])
    return len(archived)


FINISHED = (S.CLOSED, S.REJECTED, S.CANCELLED)


def orders_close_completed() -> list[str]:
    """Close every delivered order whose follow-up is done (the system's ``close``)."""
    closed = []
    for order in SalesOrder.objects.filter(status=S.DELIVERED, visit__done_at__isnull=False):
        if refusal(order, None, "close") is None:
            try:
                perform_action(order_id=order.pk, action_name="close", actor=None, data={"note": _("回访完成，系统自动完成订单")})
            except InvalidTransition:  # closed meanwhile: by a sales manager, or by this task on another worker
                continue
            closed.append(order.ref)
    return closed


def order_copy(*, order_id: int, actor) -> SalesOrder:
    """A new intake with the same customer, terms and lines. Nothing of the original's review or
    approvals carries over: the copy starts at 已接收."""
    source = SalesOrder.objects.select_related("customer").filter(pk=order_id).first()
    if source is None or not order_visible_to(source, actor):
        raise NotFound(_("订单不存在"))
    data = DraftCreate(
        customer_id=source.customer_id, contact_name=source.contact_name, contact_phone=source.contact_phone,
        channel=Channel.WEB, payment_terms=source.payment_terms, delivery_address=source.delivery_address,
        special_requirements=source.special_requirements, special_terms=source.special_terms,
        remarks=_("复制自 %(ref)s") % {"ref": source.ref},
        lines=[{"product_id": line.product_id, "quantity": line.quantity, "unit_price": line.unit_price}
               for line in source.lines.all()],
    )
    return order_receive(actor=actor, data=data)
