"""``bench/receivables.py`` at reduced size: the payment plans, receipts and allocations it generates in SQL are
consistent (no instalment over-allocated, each receipt allocated in full, is_open as the amounts say), and the
ageing of ``finance.receivables`` gives the hand-written statement's figures, customer by customer. The SQL is
PostgreSQL's: the test runs in the PostgreSQL pass (DATABASE_URL=postgres://…) and is skipped on SQLite; the full
size (1,000,000 orders) is run by hand: see bench/results/receivables.md."""
import os
from datetime import date

import pytest
from django.db import connection
from django.db.models import F, Sum

from bench.receivables import hand_ageing
from bench.seed import finance_data, seed
from orderloop.finance.models import Allocation, Instalment, Receipt
from orderloop.finance.receivables import BUCKET_KEYS, ageing
from orderloop.orders.models import SalesOrder
from tests.support.ci import IN_CI


def test_the_generated_money_is_consistent_and_the_ageing_is_the_hand_written_statements(db):
    if connection.vendor != "postgresql":
        if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
            pytest.fail("the receivables bench's data must be checked on PostgreSQL in CI")
        pytest.skip("bench/receivables.py generates its data in PostgreSQL's SQL (DATABASE_URL=postgres://…)")
    seed(orders=400, years=2, out=lambda line: None, money=False)
    assert finance_data()["generated"] is True
    planned = SalesOrder.objects.filter(status__in=["confirmed", "in_fulfillment", "ready_to_ship", "shipped",
                                                    "delivered", "closed"])
    assert Instalment.objects.count() == 2 * planned.count()
    for order_id, total in planned.values_list("pk", "total_amount")[:50]:
        assert Instalment.objects.filter(order_id=order_id).aggregate(s=Sum("amount"))["s"] == total
    assert not Instalment.objects.filter(received__gt=F("amount")).exists()
    assert Instalment.objects.filter(is_open=True).count() == Instalment.objects.filter(received__lt=F("amount")).count()
    assert Instalment.objects.filter(is_open=True).exists() and Instalment.objects.filter(is_open=False).exists()
    assert Receipt.objects.count() == Allocation.objects.count() == Instalment.objects.filter(received__gt=0).count()
    assert not Receipt.objects.exclude(allocated=F("amount")).exists()
    assert finance_data()["generated"] is False  # a second run keeps what is there
    from bench.seed import finance_user

    today = date.today()
    ours = ageing(finance_user(), today=today)
    assert ours.total.overdue > 0
    assert {row.key: ([row.amounts[key] for key in BUCKET_KEYS], row.instalments) for row in ours.rows} == hand_ageing(today)
