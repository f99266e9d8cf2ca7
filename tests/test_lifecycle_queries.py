"""The lifecycle path stays lean (bench/lifecycle.py measures it): the order's lines are read once per action,
visibility is asked of the database only when the order does not show it, and the business calendar's overrides
and the notification routes are kept per process but never stale within it."""
from datetime import date

from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderloop.core.calendar import BusinessCalendar
from orderloop.core.models import AuditEntry, CalendarOverride
from orderloop.orders.models import OrderEvent


def test_a_whole_lifecycle_takes_a_bounded_number_of_statements(orders):
    orders.at("closed")  # warm: per-process caches (the calendar's overrides, content types) are filled once
    with CaptureQueriesContext(connection) as ctx:
        order = orders.at("closed")
    # with the helper's own reads and the test transaction's savepoints: 182 before the lifecycle path was
    # trimmed, 146 after; 131 once the open timers are met or stopped by one UPDATE without reading them and the
    # order number is taken by one upsert
    assert len(ctx) <= 135, len(ctx)
    assert order.status == "closed"
    assert OrderEvent.objects.filter(order=order).count() == 11  # received and ten actions
    assert AuditEntry.objects.filter(object_id=str(order.pk), object_type="orders.salesorder").count() >= 9


def test_the_audit_still_sees_the_lines_an_action_changes(orders, users):
    order = orders.at("confirmed")
    entry = AuditEntry.objects.filter(object_id=str(order.pk), operation="stock_confirmed").get()
    before, after = entry.changes["lines"]
    assert before[0]["availability"] == "" and after[0]["availability"] == "in_stock"
    assert after[0]["agreed_date"] == "2030-05-25"


def test_calendar_overrides_are_read_again_when_they_change(db):
    day = date(2031, 1, 2)
    assert day not in BusinessCalendar.load().overrides
    CalendarOverride.objects.create(date=day, is_workday=False)
    assert BusinessCalendar.load().overrides[day] is False
    CalendarOverride.objects.filter(date=day).get().delete()
    assert day not in BusinessCalendar.load().overrides


def test_notification_routes_are_read_again_when_they_change(db, monkeypatch):
    from orderloop.notifications import services
    from orderloop.notifications.models import NotificationRoute

    # the test's transaction never commits: put the count of changes awaiting their commit back afterwards
    monkeypatch.setitem(services._routes, "pending", services._routes["pending"])
    assert services.routes_for("route_test") == []
    route = NotificationRoute.objects.create(event="route_test", role="sales_manager", channels="inapp")
    assert [r.role for r in services.routes_for("route_test")] == ["sales_manager"]
    route.enabled = False
    route.save()
    assert services.routes_for("route_test") == []
    route.delete()
    assert services.routes_for("route_test") == []
