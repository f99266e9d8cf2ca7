"""结清日期 (``Instalment.settled_on``): empty while something is outstanding; once nothing is, a day no earlier than
any of its receipts' 到账日期 or its write-off, kept while the row stays settled and dropped when it reopens. The
monthly review leaves out the rows settled before a month's end (tests/reviews/test_review_money.py shows its
figures stay those of the whole history); existing rows get theirs from the migration. Each row also keeps its
order's owner and customer and the latest 到账日期 of its receipts, which the review groups and reads by."""
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.finance.models import Instalment
from orderloop.finance.receipts import Share, receipt_record
from tests.support.orders import act


def on(day: str):
    return clock.frozen_at(datetime.fromisoformat(f"{day} 10:00").replace(tzinfo=SHANGHAI))


def receive(order, users, number: int, amount: str, received_on: date):
    row = Instalment.objects.get(order=order, number=number)
    receipt_record(customer_id=order.customer_id, received_on=received_on, payer=order.customer.name, amount=amount,
                   actor=users["finance"], allocations=[Share(row.pk, Decimal(amount))])
    row.refresh_from_db()
    return row.is_open, row.settled_on


def test_an_instalment_is_settled_on_the_day_it_is_paid_off_or_written_off(orders, users):
    with on("2030-05-13"):
        order = orders.at("confirmed", deposit_paid=False)
        assert receive(order, users, 1, "5000.00", date(2030, 5, 13)) == (True, None)
    with on("2030-05-16"):  # the rest came in on the 14th, recorded two days later
        assert receive(order, users, 1, "10000.00", date(2030, 5, 14)) == (False, date(2030, 5, 16))


def test_a_written_off_balance_is_settled_the_day_it_is_written_off(orders, users):
    order = orders.at("delivered")
    act(order, "follow_up", users["account_manager"], channel="phone", usage="运行正常", satisfaction=5)
    with on("2030-06-03"):
        act(order, "write_off", users["sales_manager"], reason="客户以质量问题为由拒付尾款，协商后放弃")
    balance = Instalment.objects.get(order=order, number=2)
    assert (balance.is_open, balance.written_off, balance.settled_on) == (False, Decimal("35000.00"), date(2030, 6, 3))


def test_a_plan_cut_below_what_was_received_keeps_the_day_it_was_settled(orders, users):
    with on("2030-05-13"):
        order = orders.at("in_fulfillment")  # its 15,000.00 deposit received on its day
    deposit = Instalment.objects.get(order=order, number=1)
    assert (deposit.is_open, deposit.settled_on) == (False, date(2030, 5, 13))
    line = order.lines.get()
    with on("2030-05-20"):
        order = act(order, "amend", users["sales_assistant"], reason="客户减少数量",
                    lines=[{"line_id": line.pk, "quantity": "4"}])
        order.refresh_from_db()
        act(order, "confirm_stock", users["warehouse"], lines=[{
            "line_id": line.pk, "availability": "in_stock", "feasible_date": "2030-05-20", "date_reason": "按排产计划"}])
    deposit.refresh_from_db()
    assert (deposit.amount, deposit.is_open, deposit.settled_on) == (Decimal("6000.00"), False, date(2030, 5, 13))


BEFORE = [("finance", "0006_invoice_withdrawn")]


# serialized_rollback: the database is restored as the migrations left it (the tests after this one find it whole).
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_migrations_settle_the_closed_rows_and_copy_their_orders_people(orders, users):
    """Settled on the last receipt's 到账日期 or the write-off's day; the order's owner and customer and the
    latest 到账日期 kept on each row."""
    with on("2030-05-13"):
        paid = orders.at("delivered")  # the deposit paid on the 13th
        written_off = orders.at("delivered")
    with on("2030-05-16"):  # the balance came in on the 15th, recorded on the 16th
        assert receive(paid, users, 2, "35000.00", date(2030, 5, 15)) == (False, date(2030, 5, 16))
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    rows = old.get_model("finance", "Instalment").objects
    rows.filter(order_id=written_off.pk, number=2).update(  # 23:30 on the 3rd in Beijing: the 3rd
        written_off=Decimal("35000.00"), is_open=False, written_off_at=datetime(2030, 6, 3, 15, 30, tzinfo=SHANGHAI))
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    settled = {(row.order_id, row.number): (row.is_open, row.settled_on, row.last_received_on)
               for row in Instalment.objects.all()}
    assert settled == {(paid.pk, 1): (False, date(2030, 5, 13), date(2030, 5, 13)),
                       (paid.pk, 2): (False, date(2030, 5, 15), date(2030, 5, 15)),
                       (written_off.pk, 1): (False, date(2030, 5, 13), date(2030, 5, 13)),
                       (written_off.pk, 2): (False, date(2030, 6, 3), None)}
    for row in Instalment.objects.select_related("order"):
        assert (row.owner_id, row.customer_id) == (row.order.owner_id, row.order.customer_id)


def test_a_plans_rows_carry_the_orders_owner_and_customer_and_the_latest_day_money_came_in(orders, users):
    with on("2030-05-13"):
        order = orders.at("confirmed", deposit_paid=False)
        receive(order, users, 1, "5000.00", date(2030, 5, 12))
    with on("2030-05-16"):  # recorded after a later one, dated before it: the latest day stays
        receive(order, users, 1, "4000.00", date(2030, 5, 14))
        receive(order, users, 1, "6000.00", date(2030, 5, 13))
    rows = list(Instalment.objects.filter(order=order).order_by("number"))
    assert [(row.owner_id, row.customer_id) for row in rows] == [(order.owner_id, order.customer_id)] * 2
    assert [(row.last_received_on, row.settled_on) for row in rows] == [
        (date(2030, 5, 14), date(2030, 5, 16)), (None, None)]
