"""The board by stage: cards under their current stage, late ones flagged, one query shape for any size."""
from datetime import datetime
from zoneinfo import ZoneInfo

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from orderloop.core import clock
from orderloop.orders.board import board
from tests.support.orders import act

SH = ZoneInfo("Asia/Shanghai")


def start(orders, users, stages):
    order = orders.at("confirmed")
    return act(order, "start_fulfillment", users["production"], stages=stages)


def test_cards_sit_under_their_current_stage_and_late_ones_are_flagged(orders, users):
    plan = [{"name": "生产", "owner": "production", "planned_date": "2026-03-05"},
            {"name": "质检", "owner": "warehouse", "planned_date": "2026-03-06"}]
    with clock.frozen_at(datetime(2026, 3, 2, 9, 0, tzinfo=SH)):
        first = start(orders, users, plan)
        second = start(orders, users, plan)
        act(second, "track", users["production"], stage="生产", record="生产完成", actual_date="2026-03-02")
    with clock.frozen_at(datetime(2026, 3, 6, 9, 0, tzinfo=SH)):
        columns = {c.name: c.cards for c in board(user=users["sales_manager"])}
    assert [card.order.pk for card in columns["生产"]] == [first.pk]
    assert columns["生产"][0].late and not columns["质检"][0].late
    assert [card.order.pk for card in columns["质检"]] == [second.pk]
    only_warehouse = board(user=users["sales_manager"], owner="warehouse")
    assert [c.name for c in only_warehouse] == ["质检"]
    client = Client()
    client.force_login(users["sales_manager"])
    page = client.get("/board/").content.decode()
    assert first.number in page and second.number in page
    detail = client.get(f"/orders/{second.number}/").content.decode()
    assert '<td>生产</td><td>production</td><td>2026-03-05</td><td>2026-03-02</td>' in detail


def test_the_board_makes_as_many_queries_for_fifty_orders_as_for_one(orders, users):
    plan = [{"name": "生产", "owner": "production", "planned_date": "2030-03-05"}]
    start(orders, users, plan)
    client = Client()
    client.force_login(users["sales_manager"])
    with CaptureQueriesContext(connection) as one:
        assert client.get("/board/").status_code == 200
    for _ in range(49):
        start(orders, users, plan)
    with CaptureQueriesContext(connection) as fifty:
        page = client.get("/board/").content.decode()
    assert page.count('class="board-card') == 50
    assert len(fifty) == len(one)
