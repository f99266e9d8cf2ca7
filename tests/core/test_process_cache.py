"""The business calendar's entries and the notification routes are kept per process (core.process_cache): a
change is seen by the transaction that makes it at once, by everyone once it commits, and a change rolled back
leaves nothing stale and the cache working. Transactional tests: the commit and the rollback are real, so the
commit callbacks run or are dropped as in production (serialized_rollback puts the data migrations' rows back,
as the other transactional tests expect)."""
from datetime import date

import pytest
from django.db import transaction

from orderloop.core.calendar import BusinessCalendar
from orderloop.core.models import CalendarOverride
from orderloop.notifications import services
from orderloop.notifications.models import NotificationRoute

DAY = date(2031, 1, 3)


class SaveFailed(Exception):
    """What an admin's save meets after the row is written: the transaction rolls back."""


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_change_rolled_back_the_calendar_is_kept_again(django_assert_num_queries):
    assert DAY not in BusinessCalendar.load().overrides
    with pytest.raises(SaveFailed), transaction.atomic():
        CalendarOverride.objects.create(date=DAY, is_workday=False)
        assert BusinessCalendar.load().overrides[DAY] is False  # the changing transaction sees its change
        raise SaveFailed
    assert DAY not in BusinessCalendar.load().overrides  # as committed: the rolled-back day is not kept
    with django_assert_num_queries(0):  # and the calendar is kept again, not read on every use
        assert DAY not in BusinessCalendar.load().overrides


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_committed_change_is_seen_by_the_next_read(django_assert_num_queries):
    BusinessCalendar.load()
    with django_assert_num_queries(0):
        assert DAY not in BusinessCalendar.load().overrides  # kept
    with transaction.atomic():
        CalendarOverride.objects.create(date=DAY, is_workday=False)
    assert BusinessCalendar.load().overrides[DAY] is False  # read again once the change committed
    with django_assert_num_queries(0):
        assert BusinessCalendar.load().overrides[DAY] is False  # and kept
    with transaction.atomic():
        CalendarOverride.objects.filter(date=DAY).get().delete()
    assert DAY not in BusinessCalendar.load().overrides


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_changing_transaction_sees_each_of_its_changes():
    BusinessCalendar.load()
    with transaction.atomic():
        override = CalendarOverride.objects.create(date=DAY, is_workday=False)
        assert BusinessCalendar.load().overrides[DAY] is False
        override.is_workday = True
        override.save()
        assert BusinessCalendar.load().overrides[DAY] is True
        override.delete()
        assert DAY not in BusinessCalendar.load().overrides
    assert DAY not in BusinessCalendar.load().overrides


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_after_a_route_change_rolled_back_the_routes_are_kept_again(django_assert_num_queries):
    assert services.routes_for("route_test") == []
    with pytest.raises(SaveFailed), transaction.atomic():
        NotificationRoute.objects.create(event="route_test", role="sales_manager", channels="inapp")
        assert [r.role for r in services.routes_for("route_test")] == ["sales_manager"]
        raise SaveFailed
    assert services.routes_for("route_test") == []
    with django_assert_num_queries(0):
        assert services.routes_for("route_test") == []
