"""Two receipts allocated to the same instalment at the same moment never over-allocate it (issue #24, done-when 3):
on PostgreSQL, two connections at once. The first allocation holds the instalment's row until it commits; the
second, started meanwhile, waits on the row and then reads what is left — nothing: it is refused, and no fen moved
twice. A second test lets both start together on a barrier, many times, each asking for part of what is open."""
import os
import threading
import time
from decimal import Decimal

import pytest
from django.db import connection, connections, transaction
from django.db.models import Sum

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput
from orderloop.finance.models import Allocation, Instalment, Receipt
from orderloop.finance.receipts import Share, receipt_allocate, receipt_record
from tests.support.ci import IN_CI
from tests.support.races import hold_until_another_waits

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)  # the later tests find the seeded rows


def _postgresql_or_skip():
    if connection.vendor == "postgresql":
        return
    if IN_CI and os.environ.get("DATABASE_URL", "").startswith("postgres"):
        pytest.fail("the allocation race must run on PostgreSQL in CI")
    pytest.skip("SQLite serializes every write transaction (IMMEDIATE), so two allocations never overlap; the row "
                "lock that keeps an instalment from being over-allocated is checked on PostgreSQL (DATABASE_URL=postgres://…)")


def _balances(users, customer, *amounts):
    """Receipts of the customer not yet allocated (their balance), one per amount."""
    return [receipt_record(customer_id=customer.pk, received_on=clock.today(), payer=customer.name,
                           amount=Decimal(amount), bank_reference=f"RACE-{n}-{amount}", actor=users["finance"])
            for n, amount in enumerate(amounts)]


def _books(deposit):
    deposit.refresh_from_db()
    allocated = Allocation.objects.filter(instalment=deposit).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    receipts = Receipt.objects.aggregate(s=Sum("allocated"))["s"] or Decimal(0)
    return deposit.received, allocated, receipts


def test_two_receipts_cannot_both_pay_the_same_deposit(orders, users, customer):
    _postgresql_or_skip()
    deposit = Instalment.objects.get(order=orders.at("confirmed", deposit_paid=False), number=1)
    first, second = _balances(users, customer, "15000.00", "15000.00")
    connections.close_all()
    results, second_started = {}, threading.Event()

    def allocate(name, receipt, hold):
        try:
            with transaction.atomic():
                try:
                    receipt_allocate(receipt_id=receipt.pk, allocations=[Share(deposit.pk, Decimal("15000.00"))],
                                     actor=users["finance"])
                    results[name] = "allocated"
                except InvalidInput as refusal:
                    results[name] = refusal.errors
                if hold:  # keep the row locked until the other allocation is seen waiting for it
                    hold_until_another_waits(second_started)
        finally:
            connections.close_all()

    winner = threading.Thread(target=allocate, args=("first", first, True))
    winner.start()
    while "first" not in results and winner.is_alive():
        time.sleep(0.01)
    loser = threading.Thread(target=allocate, args=("second", second, False))
    loser.start()
    second_started.set()
    winner.join(60)
    loser.join(60)
    assert results == {"first": "allocated", "second": {"allocations.0.amount": ["超过该期未收金额 0.00 元"]}}
    assert _books(deposit) == (Decimal("15000.00"), Decimal("15000.00"), Decimal("15000.00"))
    assert not deposit.is_open
    second.refresh_from_db()
    assert second.unallocated == Decimal("15000.00")  # still the customer's balance


def test_allocations_started_together_never_exceed_what_is_open(orders, users, customer):
    """Each round: two threads, released by one barrier, each allocate 10,000.00 of their own receipt to the same
    15,000.00 deposit. One gets it; the other is refused, or — if it asks again for what is left, as finance would —
    gets only the 5,000.00 left."""
    _postgresql_or_skip()
    rounds = 5
    deposits = [Instalment.objects.get(order=orders.at("confirmed", deposit_paid=False), number=1) for _n in range(rounds)]
    receipts = _balances(users, customer, *(["10000.00"] * (2 * rounds)))
    connections.close_all()
    outcomes = []
    for index, deposit in enumerate(deposits):
        barrier, results = threading.Barrier(2), []

        def allocate(receipt, deposit=deposit, barrier=barrier, results=results):
            try:
                barrier.wait(30)
                try:
                    receipt_allocate(receipt_id=receipt.pk, allocations=[Share(deposit.pk, Decimal("10000.00"))],
                                     actor=users["finance"])
                    results.append("10000.00")
                except InvalidInput:
                    left = Instalment.objects.get(pk=deposit.pk).outstanding
                    receipt_allocate(receipt_id=receipt.pk, allocations=[Share(deposit.pk, left)], actor=users["finance"])
                    results.append(f"{left}")
            finally:
                connections.close_all()

        threads = [threading.Thread(target=allocate, args=(receipt,)) for receipt in receipts[2 * index: 2 * index + 2]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
        outcomes.append(sorted(results))
        assert _books(deposit)[:2] == (Decimal("15000.00"), Decimal("15000.00"))
    assert outcomes == [["10000.00", "5000.00"]] * rounds
    assert Receipt.objects.aggregate(s=Sum("allocated"))["s"] == Decimal("15000.00") * rounds
