"""``bench/seed.py``: realistic data in bulk, consistent with what the lifecycle would have left."""
import os
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from bench.seed import main, seed
from orderloop.accounts.models import User
from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.core.models import OrderNumberCounter
from orderloop.masterdata.models import Customer
from orderloop.orders.access import filter_visible
from orderloop.orders.models import (
    FollowUpVisit,
    OrderEvent,
    OrderLine,
    OrderStatus,
    OrderTimer,
    SalesOrder,
    Shipment,
)
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive
from orderloop.orders.lifecycle.engine import perform_action

N = 300
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seeded(db):
    return seed(orders=N, years=3, out=lambda line: None)


def test_counts_per_status(seeded):
    counts = Counter(SalesOrder.objects.values_list("status", flat=True))
    assert sum(counts.values()) == N
    assert set(counts) == set(OrderStatus.values)  # every state of the lifecycle is there
    assert counts == Counter({k: v for k, v in seeded["statuses"].items() if v})
    assert counts[OrderStatus.CLOSED] > N / 2  # most of several years' orders are finished
    assert OrderLine.objects.count() >= N
    assert Shipment.objects.count() == SalesOrder.objects.filter(
        status__in=[OrderStatus.SHIPPED, OrderStatus.DELIVERED, OrderStatus.CLOSED]).count()
    assert FollowUpVisit.objects.count() == SalesOrder.objects.filter(
        status__in=[OrderStatus.DELIVERED, OrderStatus.CLOSED]).count()
    assert OrderTimer.objects.exists()
    years = {d.year for d in SalesOrder.objects.values_list("order_date", flat=True)}
    assert len(years) >= 3


def test_every_timeline_ends_in_the_status(seeded):
    events = defaultdict(list)
    for event in OrderEvent.objects.order_by("occurred_at", "id"):
        events[event.order_id].append(event)
    for order in SalesOrder.objects.all():
        timeline = events[order.pk]
        assert timeline[0].type == "received" and timeline[0].to_status == OrderStatus.RECEIVED
        assert order.events.order_by("-occurred_at", "-id").first().to_status == order.status
        assert all(a.to_status == b.from_status for a, b in zip(timeline, timeline[1:]))  # each step leads on
        assert timeline[-1].occurred_at <= clock.now()
        assert order.total_amount == sum(line.amount for line in order.lines.all())


def test_an_account_manager_sees_only_their_customers_orders(seeded):
    manager = User.objects.get(username="account_manager")
    visible = set(filter_visible(SalesOrder.objects.all(), manager).values_list("pk", flat=True))
    theirs = set(SalesOrder.objects.filter(customer__owner=manager).values_list("pk", flat=True))
    assert visible and visible == theirs
    assert len(visible) < N
    director = User.objects.get(username="sales_director")
    assert filter_visible(SalesOrder.objects.all(), director).count() == N


def test_numbers_follow_the_scheme_and_a_new_order_gets_the_next(seeded):
    numbered = SalesOrder.objects.exclude(number=None)
    assert not SalesOrder.objects.filter(number=None).exclude(
        status__in=[OrderStatus.RECEIVED, OrderStatus.NEEDS_INFO, OrderStatus.REJECTED, OrderStatus.CANCELLED]).exists()
    by_month = defaultdict(list)
    for number, month, serial in numbered.values_list("number", "number_month", "number_seq"):
        assert number == f"{month}-{serial:03d}"
        by_month[month].append(serial)
    counters = dict(OrderNumberCounter.objects.values_list("month", "last"))
    for month, serials in by_month.items():
        assert sorted(serials) == list(range(1, len(serials) + 1))  # no gaps, no duplicates
        assert counters[month] == len(serials)

    assistant = User.objects.get(username="sales_assistant")
    customer = Customer.objects.filter(owner__team=assistant.team).first()
    product_id = OrderLine.objects.values_list("product_id", flat=True).first()
    order = order_receive(actor=assistant, data=OrderCreate(
        customer_id=customer.pk, contact_name="李*", contact_phone="13800001111", channel="web", payment_terms="货到付款",
        delivery_address="北京市海淀区路1号", requested_date=clock.today().replace(year=clock.today().year + 1).isoformat(),
        lines=[{"product_id": product_id, "quantity": 1}]))
    month = clock.now().astimezone(SHANGHAI).strftime("%Y%m")
    expected = counters.get(month, 0) + 1
    order = perform_action(order_id=order.pk, action_name="review", actor=assistant, data={"verdict": "pass"}).order
    assert order.number == f"{month}-{expected:03d}"


def test_the_command_line(db, capsys):
    main(["--orders", "30", "--years", "1"])
    assert SalesOrder.objects.count() == 30
    assert "seeded 30 orders" in capsys.readouterr().out
    with pytest.raises(SystemExit):
        main(["--orders", "0"])
    assert "--orders must be at least 1" in capsys.readouterr().err


def test_the_script_sets_up_django_itself(tmp_path):
    env = {**os.environ, "ORDERLOOP_VAR_DIR": str(tmp_path)}
    env.pop("DJANGO_SETTINGS_MODULE", None)
    done = subprocess.run([sys.executable, str(ROOT / "bench" / "seed.py"), "--help"], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "--orders" in done.stdout
