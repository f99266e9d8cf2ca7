"""/api/reports: the monthly review's figures (《订单复盘报告》), as its page shows them to the caller: a sales manager
their teams', the director and the admin the whole company (SPEC section 9). Thin: reviews.services decides."""
from datetime import datetime
from typing import Annotated

from django.http import HttpRequest
from ninja import Path, Router, Schema
from pydantic import Field

from orderloop.accounts.api import roles
from orderloop.accounts.permissions import REVIEW_READERS
from orderloop.core.schemas import errors
from orderloop.reviews import services

router = Router(tags=["reports"])
Month = Annotated[str, Path(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="The month, YYYY-MM (Asia/Shanghai).")]


class OrdersFigures(Schema):
    count: int = Field(description="订单数量: orders whose 下单日期 is in the month, rejected and cancelled left out.")
    amount: str = Field(description="订单金额 of those orders: a decimal string.")
    rejected: int
    cancelled: int
    imported: int = Field(0, description="Of the counted orders, those brought in by the go-live import (上线导入): "
                                         "counted as imported, not as approved.")


class DeliveryFigures(Schema):
    delivered: int
    on_time: int
    late: int
    no_date: int = Field(description="Delivered orders with neither a promised nor a requested date (not in the rate).")
    on_time_rate: float | None = Field(description="交付准时率, percent with one decimal; null when none was dated.")
    imported: int = Field(0, description="Of the delivered orders, those brought in by the go-live import (上线导入).")


class ScoreCount(Schema):
    score: int
    count: int


class SatisfactionFigures(Schema):
    rated: int
    average: float | None
    distribution: list[ScoreCount]


class TypeCount(Schema):
    type: str
    label: str
    count: int


class TypeCounts(Schema):
    total: int
    by_type: list[TypeCount]


class DeadlineFigures(Schema):
    kind: str
    label: str
    on_time: int
    breached: int
    rate: float | None


class PhaseFigures(Schema):
    phase: str
    label: str
    orders: int
    median_days: float | None
    p90_days: float | None


class Bottleneck(Schema):
    phase: str
    label: str
    median_days: float | None
    p90_days: float | None


class Breakdown(Schema):
    name: str
    orders: int
    amount: str
    delivered: int
    on_time: int
    on_time_rate: float | None


class ProductFigures(Schema):
    product: str
    model: str
    quantity: str
    amount: str
    orders: int


class FeedbackFigures(Schema):
    total: int = Field(description="The feedback opened in the month, with an order or without.")
    without_order: int = Field(description="Of them, recorded against a customer with no order (售前疑问, 投诉, 建议…).")
    responded_in_time: int
    response_rate: float | None = Field(description="Percent answered within the response deadline.")
    closed: int
    closure_rate: float | None = Field(description="Percent closed with the customer's confirmation.")


class MoneyTotals(Schema):
    due: str = Field(description="到期应收: the instalments due in the month, a decimal string.")
    received: str = Field(description="回款: of those, what came in (到账日期) by the month's last day.")
    collection_rate: float | None = Field(description="回款率 = received / due, percent with one decimal; null when nothing fell due.")
    overdue: str = Field(description="期末逾期应收: due by the month's last day and neither received nor written off by its end.")
    receivables: str = Field(description="期末应收: the overdue amount plus what delivered orders owe and is not due yet.")
    sales: str = Field(description="The total of the orders delivered in the month (DSO's denominator).")
    dso: float | None = Field(description="DSO = receivables / sales × the month's days, one decimal; null without sales.")
    waived: int = Field(description="付款放行 events in the month.")
    written_off: int = Field(description="尾款核销 events in the month.")


class MoneyBreakdown(MoneyTotals):
    name: str


class MoneyFigures(MoneyTotals):
    days: int = Field(description="The month's days.")
    by_owner: list[MoneyBreakdown]
    by_customer: list[MoneyBreakdown]


class ReviewFigures(Schema):
    """Every figure of 《订单复盘报告》; what each means is in orderloop/reviews/report.py."""

    month: str
    computed_at: datetime
    orders: OrdersFigures
    delivery: DeliveryFigures
    satisfaction: SatisfactionFigures
    tickets: TypeCounts = Field(description="售后问题类型: the feedback opened in the month, by type.")
    feedback: FeedbackFigures | None = Field(None, description="客户反馈处理: absent from reviews filed before it was counted.")
    deadlines: list[DeadlineFigures] = Field(description="期限达成率 per kind of deadline due in the month.")
    phases: list[PhaseFigures] = Field(description="各阶段用时 of the orders delivered in the month, in days.")
    bottleneck: Bottleneck | None = Field(description="瓶颈环节: the phase with the largest median.")
    delay_reasons: TypeCounts = Field(description="延误原因: the risks raised in the month, by type.")
    by_owner: list[Breakdown]
    by_customer: list[Breakdown]
    by_product: list[ProductFigures]
    money: MoneyFigures | None = Field(None, description="回款: absent from reviews filed before it was counted "
                                                          "(definitions in orderloop/reviews/report.py).")


class MonthlyReportOut(Schema):
    month: str = Field(description="YYYY-MM")
    scope: str = Field(description="`company` (the director, the admin) or `teams` (a sales manager's teams).")
    teams: list[str] = Field(description="The teams the figures cover, when the scope is `teams`.")
    frozen: bool = Field(description="The figures frozen when the review was filed (else computed now).")
    filed_at: datetime | None
    summary: str = Field(description="复盘结论, once filed.")
    figures: ReviewFigures


@router.get("/monthly/{month}", auth=roles(*REVIEW_READERS), response={200: MonthlyReportOut, **errors(401, 403, 404, 422)},
            summary="The monthly review's figures (订单复盘报告)")
def monthly_report(request: HttpRequest, month: Month):
    """The figures of the month's review as its page shows them to the caller: a sales manager the teams they
    manage, the director and the admin the whole company; a filed review's frozen figures."""
    data, _review = services.monthly_report(month=services.report_month(month), reader=request.auth)
    return data
