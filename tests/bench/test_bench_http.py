"""``bench/http_load.py``'s requests, and the order list's plans on PostgreSQL at the seeded data's proportions."""
import re
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection

from bench.http_load import request_sets
from bench.seed import seed
from orderloop.accounts.models import User
from orderloop.orders.models import OrderStatus, SalesOrder
from orderloop.orders.selectors import order_list

N = 300


@pytest.fixture
def seeded(db):
    return seed(orders=N, years=3, out=lambda line: None)


def _orders_listed(username: str, query: dict) -> int:
    """How many orders the list of ``query`` (the API's filters) holds for ``username``, counted by the ORM."""
    return order_list(user=User.objects.get(username=username), status=query.get("status"),
                      owner=(query.get("owner") or [None])[0], customer_id=int((query.get("customer_id") or [0])[0]),
                      sort=(query.get("sort") or ["-created_at"])[0], archived="archived" in query).count()


def test_a_list_is_asked_only_for_pages_its_pager_offers(seeded):
    later = []
    for username, path in request_sets()["list (API)"]:
        query = parse_qs(urlsplit(path).query)
        if "page" in query:
            later.append(path)
            page = int(query["page"][0])
            assert 2 <= page <= 5
            assert _orders_listed(username, query) > (page - 1) * 50, path  # the page has orders on it
    assert later  # the lists with more than one page are asked for their later pages


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's planner: run with DATABASE_URL=postgres://…")
def test_postgresql_knows_how_many_orders_of_a_state_are_in_the_working_list(seeded):
    """Every order of a state still under way is in the working list, though most orders are archived: the estimate
    the planner chooses a list's joins by is their real count, not a share as if the state and the archiving were
    unrelated (migration 0037). Here 履约中 is made the state of most working orders, as it is of a busy seller's."""
    finished = SalesOrder.objects.filter(status=OrderStatus.CLOSED, archived_at__isnull=True)
    SalesOrder.objects.filter(pk__in=list(finished.values_list("pk", flat=True)[:50])).update(
        status=OrderStatus.IN_FULFILLMENT)
    working = Counter(SalesOrder.objects.filter(archived_at__isnull=True).values_list("status", flat=True))
    assert working[OrderStatus.IN_FULFILLMENT] > 50
    assert SalesOrder.objects.filter(archived_at__isnull=False).count() > N / 2  # most are archived
    with connection.cursor() as cursor:
        cursor.execute('ANALYZE "orders_salesorder"')
        for status in (OrderStatus.IN_FULFILLMENT, OrderStatus.CLOSED):
            cursor.execute('EXPLAIN SELECT "id" FROM "orders_salesorder" WHERE "archived_at" IS NULL AND "status" = %s',
                           [status])
            estimate = int(re.search(r"rows=(\d+)", cursor.fetchone()[0]).group(1))
            assert working[status] / 1.5 <= estimate <= working[status] * 1.5, (status, estimate, working[status])
