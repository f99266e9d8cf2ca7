"""Two actions on one order at the same moment (PostgreSQL, two connections): the second waits for the order's lock
and then acts on the order as the first left it — its lines and what the locked read says of its consignments
included, though PostgreSQL answers that read's subqueries as they were before it waited
(engine._KNOWN_WITH_THE_LOCK)."""
import os
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction

from orderloop.orders.lifecycle.engine import perform_action
from orderloop.orders.models import Shipment
from tests.support.ci import IN_CI
from tests.support.races import hold_until_another_waits
from tests.support.orders import _eta

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the later tests find the seeded rows


SHIPPING = {"method": "express", "carrier": "顺丰速运"}


def _at_once(order, first: tuple, second: tuple) -> dict:
    """Each of ``first`` and ``second`` (action, actor, data) taken in a thread of its own, the second while the
    first holds the order's lock; what each met: "done", or the exception."""
    if connection.vendor != "postgresql":
        if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("the race must run on PostgreSQL in CI")
        pytest.skip("SQLite serializes every write transaction (IMMEDIATE): two actions never wait on one order")
    connections.close_all()
    results, second_started = {}, threading.Event()

    def act(name, hold, action, actor, data):
        try:
            with transaction.atomic():
                try:
                    perform_action(order_id=order.pk, action_name=action, actor=actor, data=data)
                    results[name] = "done"
                except Exception as problem:  # what the second one meets is the point of the test
                    results[name] = repr(problem)
                if hold:  # the order stays locked until the other action is seen waiting for it
                    hold_until_another_waits(second_started)
        finally:
            connections.close_all()

    one = threading.Thread(target=act, args=("first", True, *first))
    one.start()
    while "first" not in results and one.is_alive():
        time.sleep(0.01)
    other = threading.Thread(target=act, args=("second", False, *second))
    other.start()
    second_started.set()
    one.join(60)
    other.join(60)
    return results


def _batches(order) -> list:
    return [(s.position, s.tracking_number, [sl.quantity for sl in s.lines.all()])
            for s in Shipment.objects.filter(order_id=order.pk).order_by("position")]


def test_a_consignment_shipped_while_another_waits_makes_that_one_the_second(orders, users):
    order = orders.at("ready_to_ship")
    line = order.lines.get()
    logistics = users["logistics"]
    results = _at_once(order, ("ship", logistics, {**SHIPPING, "eta": _eta(), "tracking_number": "SF-A",
                                                   "lines": [{"line_id": line.pk, "quantity": "4"}]}),
                       ("ship", logistics, {**SHIPPING, "eta": _eta(), "tracking_number": "SF-B"}))  # the rest
    assert results == {"first": "done", "second": "done"}
    assert _batches(order) == [(1, "SF-A", [Decimal("4")]), (2, "SF-B", [Decimal("6")])]
    order.refresh_from_db()
    assert order.status == "shipped"


def test_what_ships_after_a_line_was_closed_short_meanwhile_is_what_the_line_kept(orders, users):
    order = orders.at("ready_to_ship")
    line = order.lines.get()
    results = _at_once(order, ("short_close", users["sales_manager"], {
        "line_id": line.pk, "keep_quantity": "4", "reason": "客户只要4台"}),
        ("ship", users["logistics"], {**SHIPPING, "eta": _eta(), "tracking_number": "SF-B"}))  # everything left
    assert results == {"first": "done", "second": "done"}
    assert _batches(order) == [(1, "SF-B", [Decimal("4")])]  # not the 10 the line had before it waited
    order.refresh_from_db()
    assert order.status == "shipped"
    assert order.total_amount == Decimal("20000.00")
