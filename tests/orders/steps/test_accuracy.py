"""Principle 1 (信息准确性): an actual date is never in the future, a planned date never before the order date, an
ETA never before the shipping date, 现货 never beyond the available stock. Each refusal names the field and says
what is wrong in Chinese, and changes nothing."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput
from orderloop.masterdata.models import StockLevel, StockReservation
from orderloop.orders.models import OrderEvent, SalesOrder
from tests.support.api_client import Api
from tests.support.orders import act, stock_up

SH = ZoneInfo("Asia/Shanghai")
TODAY = datetime(2026, 5, 20, 10, 0, tzinfo=SH)  # the order date of the builder is 2024-05-10


def unchanged(order):
    """What a refusal must leave as it was: the order's state and version, its timeline, its stages."""
    stored = SalesOrder.objects.get(pk=order.pk)
    return (stored.status, stored.version, OrderEvent.objects.filter(order=order).count(),
            list(stored.stages.values_list("name", "planned_date", "actual_date")),
            list(stored.lines.values_list("availability", "feasible_date", "agreed_date")))


def refused(order, action, user, **data) -> InvalidInput:
    before = unchanged(order)
    with pytest.raises(InvalidInput) as caught:
        act(order, action, user, **data)
    assert unchanged(order) == before
    return caught.value


def test_an_actual_completion_date_in_the_future_is_refused(orders, users):
    with clock.frozen_at(TODAY):
        order = act(orders.at("confirmed"), "start_fulfillment", users["production"],
                    stages=[{"name": "生产", "owner": "production", "planned_date": "2026-05-25"}])
        error = refused(order, "track", users["production"], stage="生产", record="生产完成", actual_date="2030-05-19")
        assert error.errors == {"actual_date": ["实际日期 2030-05-19 晚于今天 2026-05-20：实际发生的日期不能是将来"]}
        assert error.message == "进度记录有误（环节「生产」）：实际日期 2030-05-19 晚于今天 2026-05-20：实际发生的日期不能是将来"
        assert order.stages.get().actual_date is None
        done = act(order, "track", users["production"], stage="生产", record="生产完成", actual_date="2026-05-20")
    assert str(done.stages.get().actual_date) == "2026-05-20"  # today, in Beijing, is not the future


def test_today_is_beijing_s_day_for_an_actual_date(orders, users):
    """At 07:30 on the 21st in Beijing it is still the 20th in UTC: the 21st is already past-or-present."""
    with clock.frozen_at(datetime(2026, 5, 21, 7, 30, tzinfo=SH)):
        order = act(orders.at("confirmed"), "start_fulfillment", users["production"],
                    stages=[{"name": "生产", "owner": "production", "planned_date": "2026-05-25"}])
        act(order, "track", users["production"], stage="生产", record="生产完成", actual_date="2026-05-21")
        assert refused(order, "track", users["production"], stage="生产", record="x", actual_date="2026-05-22").errors


def test_a_planned_date_before_the_order_date_is_refused(orders, users):
    with clock.frozen_at(TODAY):
        order = orders.at("confirmed")
        error = refused(order, "start_fulfillment", users["production"], stages=[
            {"name": "生产", "owner": "production", "planned_date": "2026-05-25"},
            {"name": "质检", "owner": "warehouse", "planned_date": "2020-01-01"}])
        assert error.errors == {"stages.1.planned_date": ["计划日期 2020-01-01 早于下单日期 2024-05-10"]}
        assert error.message == "备货计划有误：第 2 个环节 计划日期 2020-01-01 早于下单日期 2024-05-10"
        order = act(order, "start_fulfillment", users["production"],
                    stages=[{"name": "生产", "owner": "production", "planned_date": "2026-05-25"}])
        error = refused(order, "track", users["production"], stage="生产", record="调整计划", planned_date="2020-06-01")
        assert error.errors == {"planned_date": ["计划日期 2020-06-01 早于下单日期 2024-05-10"]}


def test_a_feasible_date_before_the_order_date_is_refused(orders, users, product):
    order = orders.at("pending_stock_check")
    stock_up(product)
    error = refused(order, "confirm_stock", users["warehouse"], lines=[
        {"line_id": order.lines.get().pk, "availability": "in_stock", "feasible_date": "2020-05-20", "date_reason": "按排产计划"}])
    assert error.errors == {"lines.0.feasible_date": ["计划日期 2020-05-20 早于下单日期 2024-05-10"]}
    assert error.message == "库存确认有误：第 1 行计划日期 2020-05-20 早于下单日期 2024-05-10"


def test_an_eta_before_the_shipping_date_is_refused_through_the_api(orders, users):
    with clock.frozen_at(TODAY):
        order = orders.at("ready_to_ship")
        before = unchanged(order)
        response = Api("logistics").action(order.number, "ship", method="express", carrier="顺丰速运",
                                           tracking_number="SF1", eta="2026-05-19")
        assert response.status_code == 422
        assert response.json()["errors"] == {"eta": ["预计到达日期 2026-05-19 早于发货日期 2026-05-20"]}
        assert response.json()["detail"] == "发货信息有误：预计到达日期 2026-05-19 早于发货日期 2026-05-20"
        assert unchanged(order) == before and not order.shipments.exists()
        shipped = act(order, "ship", users["logistics"], method="express", carrier="顺丰速运", tracking_number="SF1",
                      eta="2026-05-20")  # delivered the same day
    assert shipped.status == "shipped"


def test_in_stock_needs_enough_available_stock(orders, users, product):
    """现货 for 15 units with 可用库存 0 is refused, naming the line; with 15 on hand but 10 reserved, too."""
    order = orders.at("pending_stock_check", lines=[{"product_id": product.pk, "quantity": "15", "unit_price": "5000"}])
    line = order.lines.get()
    stock = [{"line_id": line.pk, "availability": "in_stock", "feasible_date": "2030-05-20", "date_reason": "按排产计划"}]
    error = refused(order, "confirm_stock", users["warehouse"], lines=stock)
    assert error.errors == {"lines.0.availability": ["现货不足：需要 15，可用库存 0（在库数量 − 已预留数量）"]}
    assert error.message == ("不能确认为现货：第 1 行 服务器A型 S-001 现货不足：需要 15，可用库存 0（在库数量 − 已预留数量）。"
                             "请选择「缺货」或「需生产」并填写生产周期")
    level = stock_up(product, "15")
    StockLevel.objects.filter(pk=level.pk).update(reserved=10)
    error = refused(order, "confirm_stock", users["warehouse"], lines=stock)
    assert error.errors == {"lines.0.availability": ["现货不足：需要 15，可用库存 5（在库数量 − 已预留数量）"]}
    assert not StockReservation.objects.exists()
    assert StockLevel.objects.get(pk=level.pk).reserved == 10
    # to be produced: no stock needed
    produced = act(order, "confirm_stock", users["warehouse"], lines=[
        {"line_id": line.pk, "availability": "needs_production", "lead_time_days": 5}])
    assert produced.status in ("confirmed", "date_negotiation") and not StockReservation.objects.exists()


def test_the_web_form_shows_the_refusal_at_the_line(orders, users, product):
    from django.test import Client

    order = orders.at("pending_stock_check", lines=[{"product_id": product.pk, "quantity": "15", "unit_price": "5000"}])
    web = Client()
    web.force_login(users["warehouse"])
    response = web.post(f"/orders/{order.number}/actions/confirm_stock/", {
        "lines.0.line_id": order.lines.get().pk, "lines.0.availability": "in_stock", "version": order.version})
    assert response.status_code == 422
    assert "现货不足：需要 15，可用库存 0" in response.content.decode()
    assert SalesOrder.objects.get(pk=order.pk).status == "pending_stock_check"
