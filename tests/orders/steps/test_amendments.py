"""The seed's 202405-002: the customer adds one unit after confirmation."""
from datetime import date, datetime
from zoneinfo import ZoneInfo

from django.test import Client

from orderloop.core import clock
from tests.support.orders import act, stock_for

SH = ZoneInfo("Asia/Shanghai")


def test_one_more_unit_after_confirmation_goes_through_stock_again(orders, users):
    with clock.frozen_at(datetime(2026, 5, 11, 10, 0, tzinfo=SH)):
        order = orders.at("pending_stock_check", requested_date="2026-05-26")
        line = order.lines.get()
        stock_for(order)
        order = act(order, "confirm_stock", users["warehouse"], lines=[{"line_id": line.pk, "availability": "in_stock"}])
        assert (order.status, order.promised_date, order.total_amount) == ("confirmed", date(2026, 5, 26), 50000)
        # 客户临时要求增加1台
        order = act(order, "amend", users["sales_assistant"], reason="客户临时要求增加1台",
                    lines=[{"line_id": line.pk, "quantity": "11"}])
    assert order.status == "pending_stock_check"
    amended = order.events.get(type="amended")
    assert amended.payload["diff"] == ["服务器A型 S-001 数量：10 → 11", "总金额(元)：50000.00 → 55000.00"]
    # the warehouse re-checks: the extra unit must be produced, later than the customer's date
    with clock.frozen_at(datetime(2026, 5, 12, 9, 0, tzinfo=SH)):
        order = act(order, "confirm_stock", users["warehouse"],
                    lines=[{"line_id": line.pk, "availability": "needs_production", "lead_time_days": 10}])
    assert order.status == "date_negotiation"
    line.refresh_from_db()
    assert line.feasible_date == date(2026, 5, 28)
    order = act(order, "agree_date", users["account_manager"], agreed_date="2026-05-28", talk="客户同意5月28日交付全部11台")
    assert (order.status, order.promised_date, order.total_amount) == ("confirmed", date(2026, 5, 28), 55000)
    # the order page shows the version history with the diff
    client = Client()
    client.force_login(users["sales_manager"])
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "服务器A型 S-001 数量：10 → 11" in page and "总金额(元)：50000.00 → 55000.00" in page


def test_a_line_can_be_short_closed_with_a_reason(orders, users):
    import pytest

    from orderloop.core.exceptions import InvalidInput

    order = orders.at("in_fulfillment")
    line = order.lines.get()
    with pytest.raises(InvalidInput) as refused:
        act(order, "short_close", users["sales_manager"], line_id=line.pk, keep_quantity="10", reason="无")
    assert refused.value.errors == {"keep_quantity": ["须少于 10"]}
    order = act(order, "short_close", users["sales_manager"], line_id=line.pk, keep_quantity="8", reason="客户同意少交2台")
    line.refresh_from_db()
    assert (order.status, order.total_amount, line.open_quantity, line.short_close_reason) == (
        "in_fulfillment", 40000, 8, "客户同意少交2台")
    assert order.events.get(type="short_closed").payload["diff"] == ["服务器A型 S-001 数量：10 → 8"]
    client = Client()
    client.force_login(users["sales_manager"])
    assert "短交关闭 2：客户同意少交2台" in client.get(f"/orders/{order.number}/").content.decode()
