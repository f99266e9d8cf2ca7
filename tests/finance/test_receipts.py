"""Receipts (回款) recorded and allocated to instalments (issue #24, "Receipts"; done-when 2 and 7): a deposit paid in
full releases the order's production start and tells the warehouse and production at once; a bank line is recorded
once; nothing half-done on bad input; and whatever is recorded and allocated, no fen is created or lost."""
import random
from datetime import date, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db.models import Sum

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, NotAllowed
from orderloop.finance.models import Allocation, Instalment, Receipt
from orderloop.finance.receipts import Share, customer_balance, receipt_allocate, receipt_record
from orderloop.notifications.models import Notification
from orderloop.orders.lifecycle.engine import available_actions

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


def deposit_of(order) -> Instalment:
    return Instalment.objects.get(order=order, trigger="on_confirmation")


def record(users, customer, amount, *shares, reference="", payer=None, received_on=None):
    return receipt_record(customer_id=customer.pk, received_on=received_on or clock.today(),
                          payer=payer or customer.name, amount=Decimal(amount), bank_reference=reference,
                          actor=users["finance"], allocations=[Share(pk, Decimal(a)) for pk, a in shares])


def test_a_deposit_paid_in_full_releases_production_and_tells_the_warehouse_and_production(orders, users, customer):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = deposit_of(order)
    assert (deposit.amount, deposit.outstanding) == (Decimal("15000.00"), Decimal("15000.00"))
    assert "start_fulfillment" not in available_actions(order, users["production"])

    record(users, customer, "5000.00", (deposit.pk, "5000.00"))  # part of it: still held, nobody told
    assert "start_fulfillment" not in available_actions(order, users["production"])
    assert not Notification.objects.filter(subject__contains="预付款已到账").exists()

    record(users, customer, "10000.00", (deposit.pk, "10000.00"), reference="B20260302-2")
    deposit.refresh_from_db()
    assert (deposit.received, deposit.is_open) == (Decimal("15000.00"), False)
    assert "start_fulfillment" in available_actions(order, users["production"])
    for role in ("warehouse", "production"):
        (notice,) = Notification.objects.filter(recipient=users[role], channel="inapp", subject__contains="预付款已到账")
        assert notice.event == "order_confirmed" and order.ref in notice.subject
        assert "订单可以开始备货/生产" in notice.body and "第1期 15,000.00 元已全部到账" in notice.body
    assert not Notification.objects.filter(recipient=users["finance"], subject__contains="预付款已到账").exists()


def test_a_deposit_paid_after_production_started_on_a_waiver_tells_nobody(orders, users, customer):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = deposit_of(order)
    Instalment.objects.filter(pk=deposit.pk).update(waived_at=clock.now(), waived_by=users["sales_manager"],
                                                    waive_reason="老客户")
    record(users, customer, "15000.00", (deposit.pk, "15000.00"))
    assert not Notification.objects.filter(subject__contains="预付款已到账").exists()


def test_overpayment_stays_the_customers_balance_and_is_allocated_later(orders, users, customer):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = deposit_of(order)
    balance_row = Instalment.objects.get(order=order, number=2)
    receipt = record(users, customer, "20000.00", (deposit.pk, "15000.00"))
    assert (receipt.allocated, receipt.unallocated) == (Decimal("15000.00"), Decimal("5000.00"))
    assert customer_balance(customer.pk) == Decimal("5000.00")
    receipt_allocate(receipt_id=receipt.pk, allocations=[Share(balance_row.pk, Decimal("5000.00"))], actor=users["finance"])
    balance_row.refresh_from_db()
    assert balance_row.received == Decimal("5000.00") and balance_row.is_open
    assert customer_balance(customer.pk) == Decimal("0.00")


def test_bad_input_is_refused_in_chinese_and_nothing_is_kept(orders, users, customer):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = deposit_of(order)
    with pytest.raises(InvalidInput) as refused:
        record(users, customer, "10000.00", (deposit.pk, "12000.00"))
    assert refused.value.errors == {"allocations": ["核销合计 12,000.00 元超过该笔回款未核销的 10,000.00 元"]}
    with pytest.raises(InvalidInput) as refused:
        record(users, customer, "20000.00", (deposit.pk, "16000.00"))
    assert refused.value.errors == {"allocations.0.amount": ["超过该期未收金额 15,000.00 元"]}
    with pytest.raises(InvalidInput) as refused:
        receipt_record(customer_id=customer.pk, received_on=clock.today() + timedelta(days=1), payer=" ",
                       amount="12.345", actor=users["finance"])
    assert refused.value.errors == {"amount": ["金额最多两位小数（到分）"], "payer": ["请填写付款方"],
                                    "received_on": ["到账日期不能晚于今天"]}
    for junk in ("abc", "-1", "0", "1e999999", "NaN"):
        with pytest.raises(InvalidInput):
            record(users, customer, "1.00", (deposit.pk, "1.00")) if junk is None else receipt_record(
                customer_id=customer.pk, received_on=clock.today(), payer="x", amount=junk, actor=users["finance"])
    assert Receipt.objects.count() == 0 and Allocation.objects.count() == 0
    deposit.refresh_from_db()
    assert deposit.received == 0 and deposit.is_open


def test_a_bank_line_is_recorded_once(users, customer):
    record(users, customer, "100.00", reference="B1")
    with pytest.raises(InvalidInput) as refused:
        record(users, customer, "100.00", reference="B1")
    assert refused.value.errors == {"bank_reference": ["银行流水号 B1 已登记过回款，同一笔到账不能登记两次"]}
    record(users, customer, "100.00")  # no reference: as many as finance records
    record(users, customer, "100.00")
    assert Receipt.objects.count() == 3


def test_only_finance_records_and_allocates(users, customer):
    receipt = record(users, customer, "100.00")
    for role in ("sales_manager", "account_manager", "admin", "sales_director", "warehouse"):
        with pytest.raises(NotAllowed, match="只有财务可以登记和核销回款"):
            receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="x", amount="1.00",
                           actor=users[role])
        with pytest.raises(NotAllowed):
            receipt_allocate(receipt_id=receipt.pk, allocations=[], actor=users[role])


def test_an_instalment_of_another_customer_is_refused(orders, users, customer):
    from tests.support.customers import make_customer

    other = make_customer("另一家公司", owner=users["account_manager"], uscc="91110108MA01A1B2C3")
    deposit = deposit_of(orders.at("confirmed", deposit_paid=False))
    with pytest.raises(InvalidInput) as refused:
        record(users, other, "15000.00", (deposit.pk, "15000.00"))
    assert refused.value.errors == {"allocations.0.instalment_id": ["不是该客户的应收款"]}


def test_allocations_never_create_or_lose_a_fen(orders, users, customer):
    """Receipts of random amounts to the fen, allocated at random — some beyond what is open, refused — and the
    books balance to the fen: every receipt's allocated is the sum of its allocations, every instalment's received
    the sum of its, the receipts' total is what is allocated plus the balance, and the two sides meet."""
    plans = [orders.at("confirmed", deposit_paid=False, lines=[
        {"product_id": orders.product.pk, "quantity": str(quantity), "unit_price": "333.33"}]) for quantity in (3, 7, 10)]
    rows = list(Instalment.objects.filter(order__in=plans))
    assert len(rows) == 6
    due = sum((row.amount for row in rows), Decimal("0.00"))
    rng = random.Random(24)
    refused = 0
    for step in range(60):
        amount = Decimal(rng.randint(1, 400_000)) / 100
        shares = []
        for row in rng.sample(rows, rng.randint(0, 3)):
            shares.append(Share(row.pk, Decimal(rng.randint(1, max(1, int(amount * 100)))) / 100))
        try:
            receipt = record(users, customer, str(amount), *[(s.instalment_id, str(s.amount)) for s in shares],
                             reference=f"R{step}", received_on=date(2026, 3, 1))
        except InvalidInput:
            refused += 1
            receipt = record(users, customer, str(amount), reference=f"R{step}", received_on=date(2026, 3, 1))
        if receipt.unallocated and rng.random() < 0.5:  # some of the rest later
            row = rng.choice(rows)
            row.refresh_from_db()
            part = min(receipt.unallocated, row.outstanding)
            if part > 0:
                receipt_allocate(receipt_id=receipt.pk, allocations=[Share(row.pk, part)], actor=users["finance"])
    assert refused > 0  # the refusals were exercised too
    receipts = Receipt.objects.all()
    for receipt in receipts:
        assert receipt.allocated == (receipt.allocations.aggregate(s=Sum("amount"))["s"] or 0)
    for row in Instalment.objects.filter(pk__in=[r.pk for r in rows]):
        assert row.received == (row.allocations.aggregate(s=Sum("amount"))["s"] or 0)
        assert 0 <= row.received <= row.amount and row.is_open == (row.outstanding > 0)
    paid = receipts.aggregate(s=Sum("amount"))["s"]
    allocated = Allocation.objects.aggregate(s=Sum("amount"))["s"]
    received = Instalment.objects.filter(pk__in=[r.pk for r in rows]).aggregate(s=Sum("received"))["s"]
    assert paid == allocated + customer_balance(customer.pk)
    assert allocated == received == receipts.aggregate(s=Sum("allocated"))["s"]
    assert all(value == value.quantize(Decimal("0.01")) for value in (paid, allocated, received, due))
