"""What each lifecycle action takes. Shared by the API (request bodies) and
the web forms (parsed from POST data), so both validate the same way."""
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from orderloop.core.dates import DateIn
from orderloop.aftersales.models import TicketType
from orderloop.orders.models import Availability, Mitigation, RiskType, ShippingMethod

Text = Field(min_length=1, max_length=2000)


class Payload(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    version: int | None = Field(None, description="The order version the caller read; a stale one is refused with 409.")


class LineIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    product_id: int
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=3)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2, description="Defaults to the list price.")
    requested_date: DateIn | None = None


class OrderFields(BaseModel):
    """Order fields a user may correct before approval (PATCH, supplement)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    contact_name: str | None = Field(None, max_length=50)
    contact_phone: str | None = Field(None, max_length=30)
    payment_terms: str | None = Field(None, max_length=200)
    delivery_address: str | None = Field(None, max_length=300)
    requested_date: DateIn | None = None
    special_requirements: str | None = Field(None, max_length=2000)
    special_terms: str | None = Field(None, max_length=2000)
    remarks: str | None = Field(None, max_length=2000)
    lines: list[LineIn] | None = Field(None, min_length=1)


class ReviewPayload(Payload):
    verdict: Literal["pass", "needs_info", "reject"]
    missing: list[str] = Field(default_factory=list, description="What is missing or ambiguous (verdict needs_info).")
    reason: str = Field("", max_length=2000, description="Why the order is rejected (verdict reject).")
    comment: str = Field("", max_length=2000)



class LogContactPayload(Payload):
    channel: Literal["phone", "wechat", "email", "visit", "other"]
    summary: str = Text
    outcome: str = Text


class SupplementPayload(Payload, OrderFields):
    note: str = Field("", max_length=2000)


class ApprovePayload(Payload):
    version: int = Field(description="The version the approver read: approving a changed order is refused (409).")
    comment: str = Text


class RejectPayload(Payload):
    version: int = Field(description="The version the approver read.")
    reason: str = Text


class StockLine(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    line_id: int
    availability: Availability
    lead_time_days: int | None = Field(None, ge=0, le=3650, description="Working days to produce or restock.")
    feasible_date: DateIn | None = Field(None, description="Leave out to have it computed on the business calendar.")
    date_reason: str = Field("", max_length=500, description="Why the feasible date differs from the computed one.")


class ConfirmStockPayload(Payload):
    lines: list[StockLine] = Field(min_length=1)
    note: str = Field("", max_length=2000)


class AgreedLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: int
    agreed_date: DateIn | None = Field(None, description="Leave out to take the order's agreed_date.")


class AgreeDatePayload(Payload):
    agreed_date: DateIn | None = Field(None, description="The date agreed for every line not named in lines.")
    lines: list[AgreedLine] = Field(default_factory=list, description="A date per line; lines left out take agreed_date.")
    talk: str = Field(min_length=1, max_length=2000, description="The negotiation with the customer, as logged.")


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
    name: str = Field(min_length=1, max_length=50)
    owner: str = Field("", max_length=150)
    planned_date: DateIn


class StartFulfillmentPayload(Payload):
    stages: list[Stage] = Field(min_length=1)


class TrackPayload(Payload):
    stage: str = Field(min_length=1, max_length=50)
    record: str = Text
    problem: str = Field("", max_length=2000)
    measure: str = Field("", max_length=2000)
    next_step: str = Field("", max_length=2000)
    planned_date: DateIn | None = None
    actual_date: DateIn | None = None


class RaiseRiskPayload(Payload):
    risk_type: RiskType
    description: str = Text


class ResolveRiskPayload(Payload):
    risk_id: int
    mitigation_type: Mitigation = Field(description="negotiate_delay reopens the date with the customer (协商交期).")
    mitigation: str = Text


class PrepareShipmentPayload(Payload):
    goods: str = Field(min_length=1, max_length=4000, description="The goods list.")
    quantity_checked: bool
    qc_passed: bool
    qc_report: str = Field(min_length=1, max_length=2000, description="The QC conclusion.")
    qc_report_attachment_id: int | None = Field(
        None, description="The QC report file, uploaded first with POST /orders/{ref}/attachments (kind qc_report).")


class ShipLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: int
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=3)


class ShipPayload(Payload):
    method: ShippingMethod
    carrier: str = Field(min_length=1, max_length=100)
    tracking_number: str = Field(min_length=1, max_length=100)
    eta: DateIn
    lines: list[ShipLine] | None = Field(None, description="What this consignment carries; leave out to ship everything not yet shipped.")


def _note():
    return Field("", max_length=2000, description="What is 不合格 (required when the item is answered false).")


def _photos():
    return Field(default_factory=list, max_length=20,
                 description="Photos of what is 不合格, each uploaded first with POST /orders/{ref}/attachments (kind photo).")


ANSWER = "合格 (true) or 不合格 (false); every item must be answered."


class AcceptPayload(Payload):
    """验收 of one consignment: 数量, 规格 and 外观 each answered 合格 or 不合格; a 不合格 item has its note and
    may have photos, and opens an after-sales ticket."""
    shipment_id: int | None = Field(None, description="The consignment checked; leave out for the earliest not yet accepted.")
    quantity_ok: bool | None = Field(None, description=f"数量: {ANSWER}")
    quantity_note: str = _note()
    quantity_photo_attachment_ids: list[int] = _photos()
    spec_ok: bool | None = Field(None, description=f"规格: {ANSWER}")
    spec_note: str = _note()
    spec_photo_attachment_ids: list[int] = _photos()
    appearance_ok: bool | None = Field(None, description=f"外观: {ANSWER}")
    appearance_note: str = _note()
    appearance_photo_attachment_ids: list[int] = _photos()
    signed_by: str = Field("", max_length=100, description="Who signed the paper receipt for the customer.")
    receipt_attachment_id: int | None = Field(
        None, description="The signed receipt (kind receipt); without it the customer confirms through the receipt link.")


class ConfirmReceiptPayload(Payload):
    shipment_id: int
    signed_by: str = Field(min_length=1, max_length=100)
    remark: str = Field("", max_length=1000, description="The customer's own remark on the receipt (客户签收备注).")
    receipt_attachment_id: int | None = Field(None, description="The signed receipt scan (kind receipt); required for staff.")


class FollowUpPayload(Payload):
    channel: Literal["phone", "email", "visit", "wechat", "link"] = Field(
        description="How the customer was reached; link: the customer rated through the rating link.")
    usage: str = Field(min_length=1, max_length=2000, description="产品使用情况")
    satisfaction: int = Field(ge=1, le=5)
    need_type: TicketType | None = Field(None, description="An after-sales need; opens a ticket of this type.")
    need: str = Field("", max_length=2000, description="售后需求")
    rated_by: str = Field("", max_length=100, description="The customer's name, through the rating link.")


class ClosePayload(Payload):
    note: str = Field("", max_length=2000)


class AmendLine(BaseModel):
    model_config = ConfigDict(extra="forbid")
    line_id: int | None = Field(None, description="An existing line; omit to add a line.")
    product_id: int | None = None
    quantity: Decimal = Field(gt=0, max_digits=12, decimal_places=3)
    unit_price: Decimal | None = Field(None, ge=0, max_digits=14, decimal_places=2)


class AmendPayload(Payload):
    reason: str = Text
    lines: list[AmendLine] | None = Field(None, min_length=1, description="The full new set of lines; lines left out are removed.")
    payment_terms: str | None = Field(None, max_length=200)
    special_terms: str | None = Field(None, max_length=2000)
    delivery_address: str | None = Field(None, max_length=300)
    requested_date: DateIn | None = Field(None, description="Once goods are prepared: the date of the added part.")


class ShortClosePayload(Payload):
    line_id: int
    keep_quantity: Decimal = Field(ge=0, max_digits=12, decimal_places=3, description="What the customer still gets.")
    reason: str = Text


class CancelPayload(Payload):
    reason: str = Text


class WaivePaymentPayload(Payload):
    reason: str = Field(min_length=2, max_length=500, description="Why the order may go on before the money is in.")


class WriteOffPayload(Payload):
    reason: str = Field(min_length=2, max_length=500, description="Why what is left of the plan will not be collected.")
