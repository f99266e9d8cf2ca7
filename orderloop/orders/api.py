"""The order API: thin; every rule lives in the services and the workflow."""
import hashlib
import json

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Query, Router, Schema, Status
from ninja.files import UploadedFile

from orderloop.core.exceptions import InvalidInput
from orderloop.orders import services
from orderloop.orders.importing import orders_import
from orderloop.orders.payloads import Payload
from orderloop.orders.uploads import attachment_upload, files_kept_on_commit
from orderloop.orders.schemas import EventOut, OrderCreate, OrderOut, OrderPage, OrderPatch
from orderloop.orders.selectors import event_data, order_detail, order_get, order_list, order_summary, order_timeline
from orderloop.orders.workflow import ACTIONS, TRANSITIONS, perform_action

router = Router(tags=["orders"])


class OrderFilters(Schema):
    status: list[str] | None = None
    owner: str | None = None
    customer_id: int | None = None
    q: str | None = None
    sort: str = "-created_at"
    page: int = 1
    page_size: int = 50


def _detail(request, ref: str) -> dict:
    return order_detail(order_get(user=request.auth, ref=ref), request.auth)


@router.post("", response={201: OrderOut, 200: OrderOut}, summary="Take an order in (intake)")
def order_create(request: HttpRequest, data: OrderCreate, idempotency_key: str | None = Header(None, alias="Idempotency-Key")):
    if idempotency_key:
        body_hash = hashlib.sha256(json.dumps(data.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        order, created = services.order_receive_once(actor=request.auth, data=data, key=idempotency_key, request_hash=body_hash)
    else:
        order, created = services.order_receive(actor=request.auth, data=data), True
    return Status(201 if created else 200, _detail(request, order.ref))


@router.get("", response=OrderPage, summary="List orders (filters, pagination)")
def order_index(request: HttpRequest, filters: Query[OrderFilters]):
    page_size = max(1, min(filters.page_size, 200))
    page = max(1, filters.page)
    rows = order_list(user=request.auth, status=filters.status, owner=filters.owner, customer_id=filters.customer_id,
                      q=filters.q, sort=filters.sort)
    count = rows.count()
    items = rows[(page - 1) * page_size: page * page_size]
    return {"count": count, "page": page, "page_size": page_size, "items": [order_summary(o) for o in items]}


class ImportOut(Schema):
    created: list[str]


@router.post("/import", response=ImportOut, summary="Import orders from an .xlsx in the layout of register 1")
def order_import(request: HttpRequest, file: File[UploadedFile]):
    result = orders_import(actor=request.auth, content=file.read())
    if result.errors:
        raise InvalidInput(_("文件有误，未导入任何订单"), errors=result.errors)
    return {"created": [order.ref for order in result.created]}


@router.get("/{ref}", response=OrderOut, summary="Get an order by number or provisional reference")
def order_read(request: HttpRequest, ref: str):
    return _detail(request, ref)


@router.patch("/{ref}", response=OrderOut, summary="Correct an order before review passes (with the version read)")
def order_patch(request: HttpRequest, ref: str, data: OrderPatch):
    order = order_get(user=request.auth, ref=ref)
    services.order_update(order_id=order.pk, actor=request.auth, data=data)
    return _detail(request, order.ref)


class AttachmentOut(Schema):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int


@router.post("/{ref}/attachments", response={201: AttachmentOut}, summary="Add a file to an order (PDF, JPG or PNG)")
def attachment_create(request: HttpRequest, ref: str, kind: Form[str], file: File[UploadedFile]):
    order = order_get(user=request.auth, ref=ref)
    with files_kept_on_commit():
        attachment = attachment_upload(order=order, actor=request.auth, kind=kind, upload=file)
    return Status(201, attachment)


@router.get("/{ref}/attachments", response=list[AttachmentOut], summary="The order's files")
def attachment_index(request: HttpRequest, ref: str):
    return list(order_get(user=request.auth, ref=ref).attachments.all())


@router.get("/{ref}/events", response=list[EventOut], summary="The order's timeline")
def order_events(request: HttpRequest, ref: str):
    return [event_data(e) for e in order_timeline(order_get(user=request.auth, ref=ref))]


def _action_route(action_name: str, payload_type: type[Payload]):
    def take_action(request: HttpRequest, ref: str, payload: payload_type):  # type: ignore[valid-type]
        order = order_get(user=request.auth, ref=ref)
        event = perform_action(order_id=order.pk, action_name=action_name, actor=request.auth, data=payload)
        return _detail(request, event.order.ref)

    take_action.__name__ = f"order_action_{action_name}"
    rows = [t for t in TRANSITIONS if t.action == action_name]
    description = "\n".join(
        f"- from {', '.join(sorted(t.sources))} to {', '.join(sorted(t.targets))} by {', '.join(sorted(t.roles))}" for t in rows
    )
    router.post(f"/{{ref}}/actions/{action_name}", response=OrderOut, summary=ACTIONS[action_name].label,
                description=description, operation_id=f"order_action_{action_name}")(take_action)


for _name, _action in ACTIONS.items():
    _action_route(_name, _action.payload)
