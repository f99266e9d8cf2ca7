"""The order API: thin; every rule lives in the services and the lifecycle."""
import hashlib
import json
from typing import Annotated

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field

from orderloop.accounts.permissions import ORDER_ENTRY, UPLOADERS
from orderloop.accounts.api import roles
from orderloop.core.exceptions import InvalidInput
from orderloop.core.prepared import server_prepared
from orderloop.core.schemas import errors
from orderloop.orders import services
from orderloop.orders.importing import orders_import
from orderloop.orders.payloads import Payload
from orderloop.orders.uploads import attachment_upload, files_kept_on_commit
from orderloop.orders.schemas import EventOut, OrderCreate, OrderOut, OrderPage, OrderPatch
from orderloop.orders.selectors import capped_count, event_data, order_detail, order_get, order_list, order_summary, order_timeline
from orderloop.orders.lifecycle.engine import perform_action
from orderloop.orders.lifecycle.table import TRANSITIONS
from orderloop.orders.steps import ACTIONS


router = Router(tags=["orders"])
# The refusals an operation on one order may answer with (body: core.schemas.ErrorOut): reading it, and changing it.
READ_ERRORS = errors(401, 404, 422)
CHANGE_ERRORS = errors(400, 401, 403, 404, 409, 422)
# An order's number or provisional reference in the path; NUL, which no reference holds, is refused with 422.
Ref = Annotated[str, Path(pattern=r"^[^\x00]+$", description="The order's number or provisional reference.")]


class OrderFilters(Schema):
    status: list[str] | None = None
    owner: str | None = None
    customer_id: int | None = Field(None, ge=1, le=2**63 - 1)
    q: str | None = None
    sort: str = "-created_at"
    archived: bool = Field(False, description="Include archived orders (a search with q always includes them).")
    page: int = Field(1, le=1_000_000)  # below 1 reads as 1; far beyond the last page is refused (the database's offset)
    page_size: int = 50


def _detail(request, ref: str) -> dict:
    with server_prepared():  # one order's rows, by its keys: the same plan for every order
        return order_detail(order_get(user=request.auth, ref=ref), request.auth)


@router.post("", auth=roles(*ORDER_ENTRY), response={201: OrderOut, 200: OrderOut, **errors(400, 401, 403, 409, 422)}, summary="Take an order in (intake)",
             exclude_unset=True)
def order_create(request: HttpRequest, data: OrderCreate,
                 idempotency_key: str | None = Header(None, alias="Idempotency-Key", max_length=200)):  # as stored
    if idempotency_key:
        body_hash = hashlib.sha256(json.dumps(data.model_dump(mode="json"), sort_keys=True).encode()).hexdigest()
        order, created = services.order_receive_once(actor=request.auth, data=data, key=idempotency_key, request_hash=body_hash)
    else:
        order, created = services.order_receive(actor=request.auth, data=data), True
    return Status(201 if created else 200, _detail(request, order.ref))


@router.get("", response={200: OrderPage, **errors(401, 422)}, summary="List orders (filters, pagination)")
def order_index(request: HttpRequest, filters: Query[OrderFilters]):
    page_size = max(1, min(filters.page_size, 200))
    page = max(1, filters.page)
    rows = order_list(user=request.auth, status=filters.status, owner=filters.owner, customer_id=filters.customer_id,
                      q=filters.q, sort=filters.sort, archived=filters.archived)
    count, capped = capped_count(rows)  # a million matches are not counted: count stops at COUNT_CAP
    items = rows[(page - 1) * page_size: page * page_size]
    return {"count": count, "count_capped": capped, "page": page, "page_size": page_size,
            "items": [order_summary(o) for o in items]}


class ImportOut(Schema):
    created: list[str]


@router.post("/import", auth=roles(*ORDER_ENTRY), response={200: ImportOut, **errors(400, 401, 403, 422)},
             summary="Import orders from an .xlsx in the layout of register 1")
def order_import(request: HttpRequest, file: File[UploadedFile]):
    result = orders_import(actor=request.auth, content=file.read())
    if result.errors:
        raise InvalidInput(_("文件有误，未导入任何订单"), errors=result.errors)
    return {"created": [order.ref for order in result.created]}


@router.get("/{ref}", response={200: OrderOut, **READ_ERRORS}, summary="Get an order by number or provisional reference",
            exclude_unset=True)
def order_read(request: HttpRequest, ref: Ref):
    return _detail(request, ref)


@router.patch("/{ref}", auth=roles(*ORDER_ENTRY), response={200: OrderOut, **CHANGE_ERRORS}, exclude_unset=True,
              summary="Correct an order before review passes (with the version read)")
def order_patch(request: HttpRequest, ref: Ref, data: OrderPatch):
    order = order_get(user=request.auth, ref=ref)
    services.order_update(order_id=order.pk, actor=request.auth, data=data)
    return _detail(request, order.ref)


class AttachmentOut(Schema):
    id: int
    kind: str
    filename: str
    content_type: str
    size: int


@router.post("/{ref}/attachments", auth=roles(*UPLOADERS), response={201: AttachmentOut, **errors(400, 401, 403, 404, 422)},
             summary="Add a file to an order (PDF, JPG or PNG)")
def attachment_create(request: HttpRequest, ref: Ref, kind: Form[str], file: File[UploadedFile]):
    order = order_get(user=request.auth, ref=ref)
    with files_kept_on_commit():
        attachment = attachment_upload(order=order, actor=request.auth, kind=kind, upload=file)
    return Status(201, attachment)


@router.get("/{ref}/attachments", response={200: list[AttachmentOut], **READ_ERRORS}, summary="The order's files")
def attachment_index(request: HttpRequest, ref: Ref):
    return list(order_get(user=request.auth, ref=ref).attachments.all())


@router.get("/{ref}/events", response={200: list[EventOut], **READ_ERRORS}, summary="The order's timeline")
def order_events(request: HttpRequest, ref: Ref):
    return [event_data(e, request.auth) for e in order_timeline(order_get(user=request.auth, ref=ref))]


def _action_route(action_name: str, payload_type: type[Payload]):
    def take_action(request: HttpRequest, ref: Ref, payload: payload_type):  # type: ignore[valid-type]
        order = order_get(user=request.auth, ref=ref)
        event = perform_action(order_id=order.pk, action_name=action_name, actor=request.auth, data=payload)
        return _detail(request, event.order.ref)

    take_action.__name__ = f"order_action_{action_name}"
    rows = [t for t in TRANSITIONS if t.action == action_name]
    description = "\n".join(
        f"- from {', '.join(sorted(t.sources))} to {', '.join(sorted(t.targets))} by {', '.join(sorted(t.roles))}" for t in rows
    )
    router.post(f"/{{ref}}/actions/{action_name}", response={200: OrderOut, **CHANGE_ERRORS}, summary=ACTIONS[action_name].label,
                description=description, operation_id=f"order_action_{action_name}", exclude_unset=True)(take_action)


for _name, _action in ACTIONS.items():
    _action_route(_name, _action.payload)
