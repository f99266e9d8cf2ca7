"""The order API: thin; every rule lives in the services and the lifecycle."""
import hashlib
import json
from datetime import date
from typing import Annotated

from django.http import FileResponse, HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Form, Header, Path, Query, Router, Schema, Status
from ninja.files import UploadedFile
from pydantic import Field, create_model

from orderloop.accounts.permissions import ORDER_ENTRY, UPLOADERS
from orderloop.accounts.api import roles
from orderloop.core.audit import download_record
from orderloop.core.exceptions import InvalidInput
from orderloop.core.prepared import server_prepared
from orderloop.core.schemas import errors
from orderloop.orders import services
from orderloop.orders.importing import orders_import
from orderloop.orders.payloads import Payload
from orderloop.orders.registers import (CONTENT_TYPES, DATE, MONEY, NUMBER, QUANTITY, REGISTERS, SCORE, SEED_REGISTERS, TEXT,
                                       RegisterFilters, json_row, register_export)
from orderloop.orders.uploads import attachment_upload, files_kept_on_commit
from orderloop.orders.schemas import EventOut, OrderCreate, OrderOut, OrderPage, OrderPatch
from orderloop.orders.selectors import capped_count, counted, found_orders, order_detail, order_get, order_list, order_listing, order_search, order_summaries, order_timeline, timeline_data
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
    if filters.q:
        listing = order_search(user=request.auth, q=filters.q, status=filters.status, owner=filters.owner,
                               customer_id=filters.customer_id, sort=filters.sort)
    else:
        listing = order_listing(user=request.auth, status=filters.status, owner=filters.owner,
                                customer_id=filters.customer_id, sort=filters.sort, archived=filters.archived)
    rows = listing if listing is not None else order_list(
        user=request.auth, status=filters.status, owner=filters.owner, customer_id=filters.customer_id, q=filters.q,
        sort=filters.sort, archived=filters.archived)
    rows = found_orders(rows)  # a search's few matches: read once, counted and paged from their ids
    count, capped = capped_count(rows)  # a million matches are not counted: count stops at COUNT_CAP
    items = counted(rows, count, capped)[(page - 1) * page_size: page * page_size]
    return {"count": count, "count_capped": capped, "page": page, "page_size": page_size,
            "items": order_summaries(items)}


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
    return timeline_data(order_timeline(order_get(user=request.auth, ref=ref)), request.auth)


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


# --- the seed's registers (SPEC sections 4 and 7): /api/registers/{orders,progress,feedback}[.xlsx|.csv] --------

registers = Router(tags=["registers"])
KIND_TYPES = {TEXT: str, DATE: date | None, MONEY: str | None, QUANTITY: str | None, SCORE: int | None,
              NUMBER: int | None}
KIND_NOTES = {MONEY: "Money: a decimal string with two places.", QUANTITY: "A decimal string.",
              DATE: "ISO 8601 date.", SCORE: "1–5, null when not rated."}
FILE_FORMATS = {"xlsx": CONTENT_TYPES["xlsx"].split(";")[0], "csv": CONTENT_TYPES["csv"].split(";")[0]}


class RegisterFilterQuery(Schema):
    q: str | None = Field(None, description="Search: order number, provisional reference, customer, contact, product, model.")
    status: list[str] | None = Field(None, description="The orders' states (codes, any of them).")
    customer_id: int | None = Field(None, ge=1, le=2**63 - 1)
    owner: str | None = Field(None, description="The orders' 销售负责人, by username.")
    date_from: date | None = Field(None, description="From this date (included), on the register's own date: 下单日期, "
                                   "the progress record's day, 反馈时间.")
    date_to: date | None = Field(None, description="To this date (included).")

    def filters(self) -> RegisterFilters:
        return RegisterFilters(q=self.q, status=tuple(self.status or ()), customer_id=self.customer_id,
                               owner=self.owner, date_from=self.date_from, date_to=self.date_to)


class RegisterQuery(RegisterFilterQuery):
    page: int = Field(1, le=1_000_000)  # below 1 reads as 1, as in GET /api/orders
    page_size: int = Field(50, description="Rows per page, 1 to 200.")


class RegisterColumn(Schema):
    key: str = Field(description="The column's machine name: the key of each item.")
    header: str = Field(description="The column's heading in the seed's register (as in the .xlsx and .csv files).")


def _wanted_format(accept: str) -> str:
    """json, xlsx or csv: the first of them the Accept header prefers (by q, then by order); json when none."""
    ranked = []
    for index, part in enumerate(accept.split(",")):
        media, *params = [piece.strip() for piece in part.split(";")]
        quality = 1.0
        for param in params:
            if param.startswith("q="):
                try:
                    quality = float(param[2:])
                except ValueError:
                    quality = 0.0
        ranked.append((-quality, index, media.lower()))
    for quality, _index, media in sorted(ranked):
        if quality >= 0:  # q=0: not acceptable
            continue
        if media in ("application/json", "application/*", "*/*"):
            return "json"
        for fmt, content_type in FILE_FORMATS.items():
            if media == content_type:
                return fmt
    return "json"


def _register_file(request: HttpRequest, name: str, fmt: str, filters: RegisterFilters):
    register = REGISTERS[name]
    out, count = register_export(register, fmt, register.records_filtered(request.auth, filters), request.auth)
    download_record(request, what=f"{register.title}.{fmt}", rows=count)
    response = FileResponse(out, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{register.filename}.{fmt}"
    return response


def _file_content(*formats: str) -> dict:
    return {fmt_type: {"schema": {"type": "string", "format": "binary"}}
            for fmt, fmt_type in FILE_FORMATS.items() if fmt in formats}


def _register_routes(name: str) -> None:
    register = REGISTERS[name]
    camel = name.title()
    row_model = create_model(
        f"Register{camel}Row",
        **{key: (KIND_TYPES[kind], Field(description=f"{header}. {KIND_NOTES.get(kind, '')}".strip()))
           for key, header, kind in register.columns})
    page_model = create_model(
        f"Register{camel}Page", name=(str, Field(description="The register: orders, progress or feedback.")), title=(str, Field(description="The register's name in the seed.")),
        columns=(list[RegisterColumn], ...),
        count=(int, Field(description="How many rows match the filters.")), page=(int, ...), page_size=(int, ...),
        items=(list[row_model], ...))

    def register_read(request: HttpRequest, query: Query[RegisterQuery]):
        fmt = _wanted_format(request.headers.get("Accept", ""))
        if fmt != "json":
            return _register_file(request, name, fmt, query.filters())
        page_size = max(1, min(query.page_size, 200))
        page = max(1, query.page)
        records = register.records_filtered(request.auth, query.filters())
        items = records[(page - 1) * page_size: page * page_size]
        return {"name": name, "title": _(register.title),
                "columns": [{"key": key, "header": header} for key, header, _kind in register.columns],
                "count": records.count(), "page": page, "page_size": page_size,
                "items": [json_row(register, register.row(record, request.auth)) for record in items]}

    register_read.__name__ = f"register_{name}"
    registers.get(
        f"/{name}", response={200: page_model, **errors(401, 422)}, operation_id=f"register_{name}",
        summary=f"Register: {register.title}",
        description=(f"《{register.title}》 of the orders the caller may see, as on the register's page: one item per row, "
                     "keyed by the columns' machine names (`columns` pairs them with the seed's headings). "
                     "With `Accept: text/csv` or the .xlsx type, the whole filtered register as that file."),
        openapi_extra={"responses": {200: {"content": _file_content("xlsx", "csv")}}})(register_read)
    for fmt in FILE_FORMATS:
        _register_download_route(name, fmt)


def _register_download_route(name: str, fmt: str) -> None:
    register = REGISTERS[name]

    def register_download(request: HttpRequest, filters: Query[RegisterFilterQuery]):
        return _register_file(request, name, fmt, filters.filters())

    register_download.__name__ = f"register_{name}_{fmt}"
    registers.get(
        f"/{name}.{fmt}", response={200: None, **errors(401, 422)}, operation_id=f"register_{name}_{fmt}",
        summary=f"Register: {register.title} as .{fmt}",
        description=f"《{register.title}》 of the orders the caller may see, filtered, as .{fmt} with the seed's headings.",
        openapi_extra={"responses": {200: {"description": "The file", "content": _file_content(fmt)}}},
    )(register_download)


for _register_name in SEED_REGISTERS:
    _register_routes(_register_name)
