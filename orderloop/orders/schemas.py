"""API shapes for orders. Field names follow the registers (SPEC section 7)."""
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated

from django.utils import timezone
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo

from orderloop.core.dates import DateIn
from orderloop.orders.models import Channel
from orderloop.orders.payloads import LineIn, OrderFields


def _local(value: datetime, info: ValidationInfo) -> datetime:
    """``value`` in the current time zone (``timezone.localtime``), the zone read once for an answer: django-ninja
    validates a response with a context of its own, and reading the zone for each moment (a list's every order) cost
    a few microseconds each."""
    context = info.context
    if context is None or value.tzinfo is None:  # validated without one; a naive moment refused as localtime does
        return timezone.localtime(value)
    zone = context.get("zone")
    if zone is None:
        zone = context["zone"] = timezone.get_current_timezone()
    return value.astimezone(zone)


# Times go out in Asia/Shanghai with their offset, to the millisecond (Django's JSON): 2026-03-03T10:00:00.123+08:00.
LocalTime = Annotated[datetime, AfterValidator(_local)]


class OrderCreate(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    customer_id: int
    contact_name: str = Field("", max_length=50)
    contact_phone: str = Field("", max_length=30)
    order_date: DateIn | None = None
    channel: Channel = Channel.API
    payment_terms: str = Field("", max_length=200)
    delivery_address: str = Field("", max_length=300)
    requested_date: DateIn | None = None
    special_requirements: str = Field("", max_length=2000)
    special_terms: str = Field("", max_length=2000)
    remarks: str = Field("", max_length=2000)
    lines: list[LineIn] = Field(min_length=1)


class DraftCreate(OrderCreate):
    """An intake that may not have its lines yet (a mail without a spreadsheet)."""

    lines: list[LineIn] = Field(default_factory=list)


class OrderPatch(OrderFields):
    version: int = Field(description="The version the caller read; a stale one is refused with 409.")


class LineOut(BaseModel):
    id: int
    position: int
    product_id: int
    product_name: str
    model: str
    unit: str
    quantity: Decimal
    unit_price: Decimal
    amount: Decimal
    requested_date: date | None
    availability: str
    feasible_date: date | None
    feasible_date_estimated: bool = Field(description="The feasible date falls in a year whose holidays are not entered yet: an estimate.")
    agreed_date: date | None


class TimerOut(BaseModel):
    kind: str
    label: str
    started_at: LocalTime
    due_at: LocalTime
    state: str
    met_at: LocalTime | None
    breached_at: LocalTime | None
    estimated: bool


class InstalmentOut(BaseModel):
    number: int = Field(description="期次, from 1.")
    trigger: str = Field(description="on_confirmation, before_shipment, on_delivery, days_after_delivery, days_after_invoice or fixed_date.")
    condition: str = Field(description="The trigger in words, e.g. 确认订单时, 到货后60天.")
    share: str = Field(description="The term's share: a percentage (30%) or a fixed amount.")
    amount: Decimal = Field(description="Exact to the fen; the last instalment takes the remainder, so they sum to the total.")
    due_date: date | None = Field(description="Where the order's dates tell it (confirmation, 待发货, delivery, the invoice, a fixed date); else null.")
    id: int | None = Field(None, description="The stored instalment's id (allocate receipts to it); null before the order is confirmed.")
    received: Decimal = Field(Decimal("0.00"), description="Allocated from receipts so far.")
    written_off: Decimal = Field(Decimal("0.00"), description="Written off by a sales manager (尾款核销).")
    outstanding: Decimal = Field(Decimal("0.00"), description="amount − received − written_off.")
    waived: bool = Field(False, description="Released by a sales manager (付款放行): it no longer holds the order.")


class PaymentPlanOut(BaseModel):
    term: str = Field(description="The payment term's name (the customer's structured term, else the one the order's 付款方式 names).")
    stored: bool = Field(False, description="True once the order is confirmed and its plan stored; before, a preview of its terms.")
    held_by: str | None = Field(None, description="Which unpaid instalment holds the order now (production or shipment), in words; null when none.")
    instalments: list[InstalmentOut]


class OrderOut(BaseModel):
    ref: str
    number: str | None
    provisional_ref: str
    status: str
    status_label: str
    customer_id: int
    customer_name: str
    contact_name: str
    contact_phone: str
    order_date: date
    channel: str
    payment_terms: str
    delivery_address: str
    requested_date: date | None
    promised_date: date | None
    owner: str
    entered_by: str | None
    special_requirements: str
    special_terms: str
    remarks: str
    total_amount: Decimal
    payment_plan: PaymentPlanOut | None = Field(None, description="The payment plan computed from the payment term and the total; null when the 付款方式 text names no known term (付款方式未能识别).")
    cost_amount: Decimal | None = Field(None, description="Only for managers, the director and admin.")
    margin: Decimal | None = Field(None, description="Only for managers, the director and admin.")
    version: int
    created_at: LocalTime
    updated_at: LocalTime
    archived: bool = Field(False, description="Archived: finished long ago, read-only, out of the working list.")
    available_actions: list[str]
    timers: list[TimerOut]
    lines: list[LineOut]


class OrderSummary(BaseModel):
    ref: str
    number: str | None
    status: str
    status_label: str
    customer_id: int
    customer_name: str
    order_date: date
    requested_date: date | None
    owner: str
    total_amount: Decimal
    version: int
    created_at: LocalTime
    archived: bool = Field(False, description="Archived: finished long ago, read-only, out of the working list.")


class OrderPage(BaseModel):
    count: int = Field(description="How many orders match, counted up to 1000 (see count_capped).")
    count_capped: bool = Field(False, description="More orders match than count says: narrow the filters to count them.")
    page: int
    page_size: int
    items: list[OrderSummary]


class EventOut(BaseModel):
    id: int
    type: str
    label: str
    actor: str | None
    occurred_at: LocalTime
    from_status: str
    to_status: str
    payload: dict
