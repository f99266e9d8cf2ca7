"""The review index lists the months worth reviewing (orders placed or delivered, feedback, a review filed or
holding action items, and this month), and a bottleneck is named only when a phase really stands out."""
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.test import Client

from orderloop.aftersales.services import ticket_open
from orderloop.core import clock
from orderloop.masterdata.models import Customer
from orderloop.orders.models import SalesOrder
from orderloop.reviews.models import MonthlyReview
from orderloop.reviews.report import _bottleneck
from orderloop.reviews.services import review_months

SH = ZoneInfo("Asia/Shanghai")


def months_listed(users) -> list[str]:
    client = Client()
    client.force_login(users["sales_manager"])
    page = client.get("/reviews/").content.decode()
    return re.findall(r'<tr data-month="(\d{4}-\d\d)"', page)


def test_only_months_with_data_and_this_month_are_listed(orders, users):
    with clock.frozen_at(datetime(2024, 5, 10, 10, 0, tzinfo=SH)):
        placed = orders.received(order_date="2024-05-10")
    # delivered in a later month (in Shanghai: 1 August 00:30 is August, 31 July 16:30 UTC)
    SalesOrder.objects.filter(pk=placed.pk).update(delivered_at=datetime(2024, 8, 1, 0, 30, tzinfo=SH))
    with clock.frozen_at(datetime(2025, 1, 15, 10, 0, tzinfo=SH)):  # feedback without an order
        ticket_open(order_id=None, customer_id=Customer.objects.get().pk, actor=users["account_manager"],
                    ticket_type="presales", description="能否加购两台？")
    MonthlyReview.objects.create(month=date(2025, 6, 1), due_at=datetime(2025, 7, 3, 18, 0, tzinfo=SH),
                                 filed_at=datetime(2025, 7, 2, 10, 0, tzinfo=SH), summary="无订单")
    MonthlyReview.objects.create(month=date(2025, 9, 1), due_at=datetime(2025, 10, 3, 18, 0, tzinfo=SH))  # opened, empty
    with clock.frozen_at(datetime(2026, 3, 5, 10, 0, tzinfo=SH)):
        assert [row["month"] for row in review_months()] == [
            date(2026, 3, 1), date(2025, 6, 1), date(2025, 1, 1), date(2024, 8, 1), date(2024, 5, 1)]
        assert review_months()[0]["current"] and not review_months()[1]["current"]
        assert months_listed(users) == ["2026-03", "2025-06", "2025-01", "2024-08", "2024-05"]


def test_this_month_alone_without_any_data(users):
    with clock.frozen_at(datetime(2026, 3, 5, 10, 0, tzinfo=SH)):
        assert months_listed(users) == ["2026-03"]


def phases(*medians):
    return [{"phase": f"p{i}", "label": f"阶段{i}", "orders": 3, "median_days": m, "p90_days": m}
            for i, m in enumerate(medians)]


def test_no_bottleneck_when_every_phase_took_no_time():
    assert _bottleneck(phases(0.0, 0.0, 0.0, 0.0, 0.0, 0.0)) is None


def test_no_bottleneck_when_no_phase_stands_out():
    assert _bottleneck(phases(1.0, 1.2, 1.4, 1.0, 0.8, 1.3)) is None  # 1.4 < 1.5 × 1.0 (the others' median)


def test_a_phase_at_least_half_again_the_others_median_is_the_bottleneck():
    assert _bottleneck(phases(0.5, 1.0, 1.0, 6.5, 1.0, 2.0)) == {"phase": "p3", "label": "阶段3", "median_days": 6.5,
                                                                   "p90_days": 6.5}
    assert _bottleneck(phases(1.0, 1.5, 0.5)) == {"phase": "p1", "label": "阶段1", "median_days": 1.5, "p90_days": 1.5}
    assert _bottleneck(phases(0.0, 0.1, 0.0)) == {"phase": "p1", "label": "阶段1", "median_days": 0.1, "p90_days": 0.1}
    assert _bottleneck([{**p, "median_days": None, "p90_days": None} for p in phases(1, 1)]) is None


def test_the_page_names_no_bottleneck_for_a_month_without_one(orders, users):
    client = Client()
    client.force_login(users["sales_manager"])
    with clock.frozen_at(datetime(2026, 3, 5, 10, 0, tzinfo=SH)):
        orders.received(order_date="2026-03-02")
        page = client.get("/reviews/2026-03/").content.decode()
    assert '<dd id="bottleneck">—</dd>' in page and "（瓶颈）" not in page
