"""An API client retrying a create never makes a second order (Idempotency-Key)."""
import threading

import pytest
from django.db import connections

from orderloop.orders.models import SalesOrder
from tests.support.api_client import Api
from tests.support.orders import order_data


def test_five_sequential_retries_make_one_order(users, customer, product):
    api = Api("sales_assistant")
    answers = [api.post("/orders", order_data(customer, product), headers={"HTTP_IDEMPOTENCY_KEY": "k-5"}) for _ in range(5)]
    assert [a.status_code for a in answers] == [201, 200, 200, 200, 200]
    assert len({a.json()["ref"] for a in answers}) == 1
    assert SalesOrder.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_five_concurrent_retries_make_one_order(users, customer, product):
    data = order_data(customer, product)
    clients = [Api("sales_assistant") for _ in range(5)]
    start = threading.Barrier(5)
    answers = [None] * 5

    def send(i):
        try:
            start.wait()
            answers[i] = clients[i].post("/orders", data, headers={"HTTP_IDEMPOTENCY_KEY": "same-key"})
        finally:
            connections.close_all()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(5)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(a.status_code for a in answers) == [200, 200, 200, 200, 201]
    assert len({a.json()["ref"] for a in answers}) == 1
    assert SalesOrder.objects.count() == 1


def test_the_same_key_with_another_body_is_refused(users, customer, product):
    api = Api("sales_assistant")
    api.post("/orders", order_data(customer, product), headers={"HTTP_IDEMPOTENCY_KEY": "k-x"})
    other = api.post("/orders", order_data(customer, product, remarks="改了"), headers={"HTTP_IDEMPOTENCY_KEY": "k-x"})
    assert other.status_code == 409
    assert other.json()["errors"] == {"Idempotency-Key": ["已用于另一请求"]}
    assert SalesOrder.objects.count() == 1
