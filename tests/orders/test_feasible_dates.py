"""Feasible dates from stock and lead time, in working days on China's calendar."""
import re
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from orderloop.core import clock
from orderloop.core.calendar import BusinessCalendar
from orderloop.core.exceptions import InvalidInput
from orderloop.orders.dates import feasible_date
from tests.support.orders import act, stock_for

SH = ZoneInfo("Asia/Shanghai")


def test_a_short_line_with_ten_working_days_across_national_day():
    # from Friday 2026-09-25: 9/28-9/30, then 10/1-10/7 off, 10/8, 10/9, 10/10 (a working Saturday), 10/12 …
    result = feasible_date(availability="short", lead_time_days=10, today=date(2026, 9, 25), calendar=BusinessCalendar())
    assert result.date == date(2026, 10, 19)
    assert result.explanation == "2026-09-25 起 生产/备货 10 个工作日 + 拣货包装 2 个工作日 = 2026-10-19（跳过 12 个休息日）"


def test_in_stock_needs_only_picking_and_packing():
    result = feasible_date(availability="in_stock", lead_time_days=None, today=date(2026, 2, 13), calendar=BusinessCalendar())
    assert result.date == date(2026, 2, 24)  # Saturday 2/14 is a working day, then the Spring Festival


def test_confirm_stock_computes_the_date_and_sends_late_lines_to_negotiation(orders, users):
    with clock.frozen_at(datetime(2026, 9, 25, 10, 0, tzinfo=SH)):
        order = orders.at("pending_stock_check", requested_date="2026-10-15")
        line = order.lines.get()
        order = act(order, "confirm_stock", users["production"],
                    lines=[{"line_id": line.pk, "availability": "short", "lead_time_days": 10}])
    line.refresh_from_db()
    assert line.feasible_date == date(2026, 10, 19) and order.status == "date_negotiation"
    event = order.events.get(type="stock_confirmed")
    assert event.payload["lines"][0]["computed"].endswith("= 2026-10-19（跳过 12 个休息日）")


def test_a_date_other_than_the_computed_one_needs_a_reason(orders, users):
    with clock.frozen_at(datetime(2026, 9, 25, 10, 0, tzinfo=SH)):
        order = orders.at("pending_stock_check")
        line = order.lines.get()
        stock_for(order)
        with pytest.raises(InvalidInput) as refused:
            act(order, "confirm_stock", users["warehouse"],
                lines=[{"line_id": line.pk, "availability": "in_stock", "feasible_date": "2026-10-30"}])
        assert refused.value.errors == {"lines.0.date_reason": ["可交付日期与计算结果 2026-09-29 不同，请说明原因"]}
        assert act(order, "confirm_stock", users["warehouse"], lines=[
            {"line_id": line.pk, "availability": "in_stock", "feasible_date": "2026-10-30", "date_reason": "等客户验厂"}]
        ).status == "confirmed"


def test_a_short_line_needs_its_lead_time(orders, users):
    order = orders.at("pending_stock_check")
    with pytest.raises(InvalidInput) as refused:
        act(order, "confirm_stock", users["warehouse"], lines=[{"line_id": order.lines.get().pk, "availability": "short"}])
    assert refused.value.errors == {"lines.0.lead_time_days": ["缺货或需生产时须填写生产周期"]}


def test_stock_levels_change_only_with_a_reason_and_suggest_availability(orders, users, product):
    from decimal import Decimal

    from django.test import Client

    from orderloop.core.exceptions import NotAllowed
    from orderloop.masterdata.models import StockAdjustment
    from orderloop.masterdata.services import stock_adjust, stock_available

    with pytest.raises(NotAllowed):
        stock_adjust(actor=users["sales_assistant"], product_id=product.pk, on_hand_change=Decimal("5"), reason="盘点")
    with pytest.raises(InvalidInput):
        stock_adjust(actor=users["warehouse"], product_id=product.pk, on_hand_change=Decimal("5"), reason=" ")
    with pytest.raises(InvalidInput) as negative:
        stock_adjust(actor=users["warehouse"], product_id=product.pk, on_hand_change=Decimal("-1"), reason="出库")
    assert negative.value.errors == {"on_hand_change": ["调整后在库数量不能为负"]}
    stock_adjust(actor=users["warehouse"], product_id=product.pk, on_hand_change=Decimal("12"), reason="盘点入库")
    stock_adjust(actor=users["admin"], product_id=product.pk, reserved_change=Decimal("4"), reason="为大客户预留")
    assert stock_available([product.pk]) == {product.pk: Decimal("8")}
    assert list(StockAdjustment.objects.values_list("reason", flat=True)) == ["为大客户预留", "盘点入库"]
    order = orders.at("pending_stock_check")  # 10 wanted, 8 available
    client = Client()
    client.force_login(users["warehouse"])
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "（可用库存 8）" in page
    assert '<option value="short" selected>' in page


def test_the_admin_adjusts_stock_with_a_reason(users, product):
    from django.test import Client

    from orderloop.masterdata.models import StockLevel

    admin = users["admin"]
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client = Client()
    client.force_login(admin)
    response = client.post("/admin/masterdata/stockadjustment/add/", {
        "product": product.pk, "warehouse": "主仓库", "on_hand_change": "20", "reserved_change": "0", "reason": "期初库存"})
    assert response.status_code == 302, response.content.decode()[:2000]
    stock = StockLevel.objects.get(product=product)
    assert stock.on_hand == 20 and stock.adjustments.get().reason == "期初库存"


@pytest.mark.django_db
def test_a_stage_template_with_five_production_days_across_national_day():
    from orderloop.orders.dates import plan_stages
    from orderloop.orders.models import StageTemplate

    template = StageTemplate.objects.get(is_default=True)  # 备货 1, 生产 5, 包装 1, 质检 1 working days
    plan = plan_stages(template.steps.all(), start=date(2026, 9, 28), calendar=BusinessCalendar())
    assert [(s.name, s.planned_date) for s in plan] == [
        ("备货", date(2026, 9, 29)), ("生产", date(2026, 10, 12)), ("包装", date(2026, 10, 13)), ("质检", date(2026, 10, 14))]


def test_the_start_form_is_planned_from_the_default_template_back_from_the_confirmed_date(orders, users):
    from django.test import Client

    with clock.frozen_at(datetime(2026, 9, 28, 9, 0, tzinfo=SH)):
        order = orders.at("confirmed")
        client = Client()
        client.force_login(users["production"])
        page = client.get(f"/orders/{order.number}/").content.decode()
    assert 'name="stages.1.name" value="生产"' in page
    assert re.search(r'<select name="stages\.1\.owner"[^>]*>.*?<option value="production" selected>', page, re.S)
    # the confirmed feasible date is 2030-05-20 (a Monday): 质检 ends on it, the stages before it back from it
    planned = re.findall(r'name="stages\.\d\.planned_date" value="([\d-]+)"', page)
    assert planned == ["2030-05-09", "2030-05-16", "2030-05-17", "2030-05-20"]
