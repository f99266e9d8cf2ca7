"""An overdue instalment escalates like every deadline (issue 24, Done-when 4): overdue by one working day it tells
the order's account manager, by five the sales manager, by thirty the director — each once, on the product's
clock; the thresholds are the installation's (ORDERLOOP_OVERDUE_ESCALATION)."""
from datetime import date, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from orderloop.core import clock
from orderloop.core.calendar import BusinessCalendar
from orderloop.finance.invoices import invoice_issue, invoice_red_letter, invoice_request
from orderloop.finance.models import Instalment
from orderloop.finance.receivables import receivables_escalate, working_days_overdue
from orderloop.notifications.models import Notification
from tests.support.finance import pay
from tests.support.receivables import at


def told(event: str) -> list[str]:
    return sorted(Notification.objects.filter(event=event, channel="inapp").values_list("recipient__username", flat=True))


def run(moment) -> int:
    with clock.frozen_at(moment):
        return receivables_escalate()


@pytest.fixture
def delivered(orders):
    """Delivered on Wednesday 2026-03-04: the deposit paid, the balance of 35,000.00 due that day."""
    with clock.frozen_at(at(2026, 3, 4, 10)):
        return orders.at("delivered")


def test_the_account_manager_is_told_once_at_one_working_day_and_the_manager_at_five(delivered):
    assert run(at(2026, 3, 4, 18)) == 0                   # due today: not overdue
    assert run(at(2026, 3, 5, 8, 30)) == 0                # the next working day, before business hours
    assert told("receivable_overdue") == []
    assert run(at(2026, 3, 5, 9, 30)) == 1                # overdue by one working day
    assert told("receivable_overdue") == ["account_manager"]
    notice = Notification.objects.get(event="receivable_overdue", channel="inapp")
    assert delivered.ref in notice.subject and "35,000.00" in notice.subject and notice.url == f"/orders/{delivered.ref}/"
    assert run(at(2026, 3, 5, 17)) == 0 and run(at(2026, 3, 7, 10)) == 0  # later that day; Saturday
    assert run(at(2026, 3, 10, 17)) == 0                  # four working days (5, 6, 9, 10 March)
    assert told("receivable_overdue") == ["account_manager"] and told("receivable_overdue:manager") == []
    assert run(at(2026, 3, 11, 10)) == 1                  # five working days
    assert told("receivable_overdue") == ["account_manager"]
    assert told("receivable_overdue:manager") == ["sales_manager"]
    assert told("receivable_overdue:director") == []
    assert Instalment.objects.get(order=delivered, number=2).escalation_level == 2


def test_the_director_at_thirty_working_days_and_nobody_twice(delivered):
    calendar = BusinessCalendar.load()
    day = date(2026, 3, 4)
    while working_days_overdue(date(2026, 3, 4), day, calendar) < 30:
        day += timedelta(days=1)
    before = day - timedelta(days=1)
    assert run(at(before.year, before.month, before.day, 12)) == 1  # the account manager and the manager at once
    assert told("receivable_overdue") == ["account_manager"] and told("receivable_overdue:manager") == ["sales_manager"]
    assert told("receivable_overdue:director") == []
    assert run(at(day.year, day.month, day.day, 12)) == 1
    assert told("receivable_overdue:director") == ["sales_director"]
    assert run(at(day.year, day.month, day.day + 1 if day.day < 28 else 1, 12)) == 0
    assert [len(told(e)) for e in ("receivable_overdue", "receivable_overdue:manager", "receivable_overdue:director")] == [1, 1, 1]


def test_a_due_date_moved_later_is_escalated_again_from_the_new_date(orders, users):
    with clock.frozen_at(at(2026, 3, 2, 10)):
        order = orders.at("confirmed", payment_terms="月结30天")
        first = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
        invoice_issue(invoice_id=first.pk, number="24110000000000000001", issued_on=date(2026, 2, 2), actor=users["finance"])
    assert Instalment.objects.get(order=order).due_date == date(2026, 3, 4)
    assert run(at(2026, 3, 5, 10)) == 1
    assert told("receivable_overdue") == ["account_manager"]
    with clock.frozen_at(at(2026, 3, 9, 10)):  # the invoice was wrong: reversed and issued again, counting from today
        invoice_red_letter(invoice_id=first.pk, number="24110000000000000002", issued_on=date(2026, 3, 9), reason="税率有误",
                           actor=users["finance"])
        again = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
        invoice_issue(invoice_id=again.pk, number="24110000000000000003", issued_on=date(2026, 3, 9), actor=users["finance"])
    row = Instalment.objects.get(order=order)
    assert (row.due_date, row.escalation_level) == (date(2026, 4, 8), 0)
    assert run(at(2026, 3, 12, 10)) == 0                  # five working days after the old date: nobody is told
    assert told("receivable_overdue:manager") == []
    assert run(at(2026, 4, 9, 10)) == 1                   # one working day after the new one
    assert told("receivable_overdue") == ["account_manager", "account_manager"]


def test_a_paid_balance_tells_nobody(delivered, users):
    with clock.frozen_at(at(2026, 3, 4, 15)):
        pay(delivered, users["finance"])
    assert run(at(2026, 3, 20, 10)) == 0
    assert Notification.objects.filter(event__startswith="receivable_overdue").count() == 0


def test_the_thresholds_are_the_installations(delivered, settings):
    settings.ORDERLOOP_OVERDUE_ESCALATION = "2,3,4"
    assert run(at(2026, 3, 5, 10)) == 0
    assert run(at(2026, 3, 6, 10)) == 1
    assert told("receivable_overdue") == ["account_manager"]
    for wrong in ("1,5", "5,1,30", "0,5,30", "a,b,c"):
        settings.ORDERLOOP_OVERDUE_ESCALATION = wrong
        with pytest.raises(ImproperlyConfigured):
            run(at(2026, 3, 9, 10))


def test_the_worker_runs_it_every_hour(db):
    from orderloop.finance.tasks import escalate_overdue_receivables

    assert escalate_overdue_receivables.call_local() == 0
