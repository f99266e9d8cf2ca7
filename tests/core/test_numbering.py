"""Formal order numbers: YYYYMM-NNN per month of formal entry, gap-free and unique under concurrency."""
import multiprocessing
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.db import connections, transaction

from orderloop.core import clock
from orderloop.core.models import OrderNumberCounter
from orderloop.orders.models import SalesOrder
from orderloop.orders.selectors import order_list
from tests.support.orders import act

SHANGHAI = ZoneInfo("Asia/Shanghai")
PROCESSES, PER_PROCESS = 8, 50


def _pass_reviews(order_ids, username):
    from orderloop.accounts.models import User
    from orderloop.orders.lifecycle.engine import perform_action

    connections.close_all()  # a forked child must open its own connection
    user = User.objects.get(username=username)
    for order_id in order_ids:
        perform_action(order_id=order_id, action_name="review", actor=user, data={"verdict": "pass"})
    connections.close_all()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_parallel_entry_gives_distinct_gap_free_numbers(orders, users):
    # given 400 orders waiting for review
    ids = [orders.received().pk for _ in range(PROCESSES * PER_PROCESS)]
    connections.close_all()
    # when 8 processes pass 50 reviews each at the same time
    context = multiprocessing.get_context("fork")
    workers = [context.Process(target=_pass_reviews, args=(ids[i::PROCESSES], "sales_assistant")) for i in range(PROCESSES)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=300)
    assert [worker.exitcode for worker in workers] == [0] * PROCESSES
    # then the 400 numbers are distinct and without gaps
    numbers = list(SalesOrder.objects.filter(pk__in=ids).values_list("number", flat=True))
    month = clock.now().astimezone(SHANGHAI).strftime("%Y%m")
    assert sorted(numbers) == [f"{month}-{n:03d}" for n in range(1, 401)]
    assert OrderNumberCounter.objects.get(month=month).last == 400


def test_number_uses_the_month_of_formal_entry_in_shanghai_time(orders, users):
    order = orders.received()
    # 2024-05-31 16:30 UTC is already 1 June in Shanghai
    with clock.frozen_at(datetime(2024, 5, 31, 16, 30, tzinfo=ZoneInfo("UTC"))):
        order = act(order, "review", users["sales_assistant"], verdict="pass")
    assert order.number == "202406-001"


def test_a_rolled_back_entry_gives_its_number_back(orders, users):
    first, second = orders.received(), orders.received()
    with clock.frozen_at(datetime(2024, 5, 10, 10, 0, tzinfo=SHANGHAI)):
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                taken = act(first, "review", users["sales_assistant"], verdict="pass")
                assert taken.number == "202405-001"
                raise RuntimeError("the entry fails after the number was taken")
        first.refresh_from_db()
        assert first.number is None and first.status == "received"
        assert act(second, "review", users["sales_assistant"], verdict="pass").number == "202405-001"
        assert act(first, "review", users["sales_assistant"], verdict="pass").number == "202405-002"


def test_the_thousandth_order_of_a_month_sorts_after_the_999th(orders, users):
    OrderNumberCounter.objects.create(month="202405", last=997)
    with clock.frozen_at(datetime(2024, 5, 20, 10, 0, tzinfo=SHANGHAI)):
        made = [act(orders.received(), "review", users["sales_assistant"], verdict="pass") for _ in range(3)]
    assert [o.number for o in made] == ["202405-998", "202405-999", "202405-1000"]
    listed = [o.number for o in order_list(user=users["sales_director"], sort="number")]
    assert listed == ["202405-998", "202405-999", "202405-1000"]
    assert [o.number for o in order_list(user=users["sales_director"], sort="-number")] == listed[::-1]


def test_api_lists_numbers_in_numeric_order(orders, users):
    from tests.support.api_client import Api

    OrderNumberCounter.objects.create(month="202405", last=998)
    with clock.frozen_at(datetime(2024, 5, 20, 10, 0, tzinfo=SHANGHAI)):
        for _ in range(2):
            act(orders.received(), "review", users["sales_assistant"], verdict="pass")
    items = Api("sales_manager").get("/orders", sort="number").json()["items"]
    assert [i["number"] for i in items] == ["202405-999", "202405-1000"]
    ref = Api("sales_manager").get("/orders/202405-1000").json()["ref"]
    assert ref == "202405-1000"
