"""Two actions on one order at the same moment (PostgreSQL, two connections): the second waits for the order's lock
and then acts on the order as the first left it — what the locked read says of the order's consignments included,
though PostgreSQL answers that read's subqueries as they were before it waited (engine._KNOWN_WITH_THE_LOCK)."""
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


def test_a_consignment_shipped_while_another_waits_makes_that_one_the_second(orders, users):
    if connection.vendor != "postgresql":
        if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("the race must run on PostgreSQL in CI")
        pytest.skip("SQLite serializes every write transaction (IMMEDIATE): two actions never wait on one order")
    order = orders.at("ready_to_ship")
    line = order.lines.get()
    connections.close_all()
    results, second_started = {}, threading.Event()
    shipping = {"method": "express", "carrier": "顺丰速运", "eta": _eta()}

    def ship(name, hold, **data):
        try:
            with transaction.atomic():
                try:
                    perform_action(order_id=order.pk, action_name="ship", actor=users["logistics"],
                                   data={**shipping, **data})
                    results[name] = "shipped"
                except Exception as problem:  # what the second one meets is the point of the test
                    results[name] = repr(problem)
                if hold:  # the order stays locked until the other action is seen waiting for it
                    hold_until_another_waits(second_started)
        finally:
            connections.close_all()

    first = threading.Thread(target=ship, args=("first", True), kwargs={
        "tracking_number": "SF-A", "lines": [{"line_id": line.pk, "quantity": "4"}]})
    first.start()
    while "first" not in results and first.is_alive():
        time.sleep(0.01)
    second = threading.Thread(target=ship, args=("second", False), kwargs={"tracking_number": "SF-B"})  # the rest
    second.start()
    second_started.set()
    first.join(60)
    second.join(60)
    assert results == {"first": "shipped", "second": "shipped"}
    batches = [(s.position, s.tracking_number, [sl.quantity for sl in s.lines.all()])
               for s in Shipment.objects.filter(order_id=order.pk).order_by("position")]
    assert batches == [(1, "SF-A", [Decimal("4")]), (2, "SF-B", [Decimal("6")])]
    order.refresh_from_db()
    assert order.status == "shipped"
