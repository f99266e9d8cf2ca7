"""The lifecycle path stays lean (bench/lifecycle.py measures it): the order's lines are read with it, once per
action, visibility is asked of the database only when the order does not show it, and the business calendar's
overrides and the notification routes are kept per process but never stale within it."""
from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderloop.core.calendar import BusinessCalendar
from orderloop.core.models import AuditEntry, CalendarOverride
from orderloop.orders.models import OrderEvent


def test_a_whole_lifecycle_takes_a_bounded_number_of_statements(orders):
    # an order under the director's threshold (5,000.00): the manager's approval is the only one
    small = [{"product_id": orders.product.pk, "quantity": "1", "unit_price": "5000"}]
    orders.at("closed", lines=small)  # warm: per-process caches (the calendar's overrides, routes, content types) are filled once
    with CaptureQueriesContext(connection) as ctx:
        order = orders.at("closed", lines=small)
    # with the helper's own reads and the test transaction's savepoints: 182 before the lifecycle path was
    # trimmed, 146 after; 131 once the open timers are met or stopped by one UPDATE without reading them and the
    # order number is taken by one upsert; 127 once the notification routes are kept per process and a sales
    # manager's visibility is decided from the teams read with the locked order; 146 once each of the path's nine
    # hand-offs tells its next owner (who they are, and one INSERT of the notices; the people's choices and whether
    # any chat robot is active are kept per process); about 12 more once stock confirmed as 现货 is held and shipped
    # out of it (each: the stock rows locked, the reservations read, the level, its adjustment, the reservation
    # written — 10 — and the helper's 2 reads of the stock it tops up); 164 with the director's approval, which the
    # 50,000-yuan order needs (over 10,000); 204 with the money (SPEC section 9): the plan stored on confirmation
    # and dated on 待发货 and delivery (its instalments read, a preset, written when changed: about 8), the
    # deposit and before-shipment guards and the close guard's sum (4), and finance's two receipts that the helper
    # records, each with its allocation, locks and audit (about 24); 209 once the deposit paid in full tells the
    # warehouse and production that the order may start (nothing else holds it: 1; the people and the notices: 2);
    # 201 once a notice's recipients are read by the order's keys (its owner, who entered it and its customer's
    # owner are no longer loaded one by one, nor their roles asked person by person: 8); 196 once the stock's
    # functions take no savepoint inside the action (4) and ship's guard and ship read the shipped lines once (1);
    # 193 once the people of a notice's roles that do not depend on the order are read in one statement (3); 192
    # once the locked order says whether it has a stored plan, so that confirmation does not ask for none (an
    # order without a plan is no longer asked at all: tests/finance/test_payment_gates.py); 189 once it says whether
    # it has consignments, so that confirmation, ship's guard and ship do not ask for none (3); 188 once a
    # consignment accepted with its signed receipt is written by one UPDATE (1); 186 once its three answers are
    # one INSERT (2); 173 once the order's lines come with its locked read (10), 验收's guard, its handler and
    # whether the order is delivered read the open consignments once (2), and the close guard asks whether the visit
    # is done and how many tickets are open in one statement (1); 171 once intake keeps the lines it wrote for its
    # audit instead of reading them back (1) and the locked order says whether it has a follow-up visit (1); 170
    # once a shipment reads what its lines hold and locks those stock rows in one statement (1)
    assert len(ctx) <= 170, len(ctx)
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


def test_a_change_rolled_back_leaves_the_cache_working(db, django_assert_num_queries):
    """A save inside a transaction that rolls back must not leave the process reading the table on every use."""
    from django.db import transaction

    BusinessCalendar.load()
    with pytest.raises(RuntimeError), transaction.atomic():
        CalendarOverride.objects.create(date=date(2031, 1, 3), is_workday=False)
        assert date(2031, 1, 3) in BusinessCalendar.load().overrides  # the changing transaction sees its change
        raise RuntimeError("the save fails after the override")
    assert date(2031, 1, 3) not in BusinessCalendar.load().overrides  # read again: nothing stale
    with django_assert_num_queries(0):
        BusinessCalendar.load()  # and kept again


def test_notification_routes_are_read_again_when_they_change(db):
    from orderloop.notifications import services
    from orderloop.notifications.models import NotificationRoute

    assert services.routes_for("route_test") == []
    route = NotificationRoute.objects.create(event="route_test", role="sales_manager", channels="inapp")
    assert [r.role for r in services.routes_for("route_test")] == ["sales_manager"]
    route.enabled = False
    route.save()
    assert services.routes_for("route_test") == []
    route.delete()
    assert services.routes_for("route_test") == []


def test_the_glance_at_the_locked_order_agrees_with_the_visibility_rule(orders, users):
    """``_locked_visible_order`` decides from the order and its owners' teams when it can; it must agree with
    ``order_visible_to`` (the database's answer) for every role, in and out of the team."""
    from django.db import transaction

    from orderloop.accounts.models import Team
    from orderloop.orders.access import order_visible_to
    from orderloop.orders.lifecycle.engine import _locked_visible_order
    from tests.support.users import make_user

    other = Team.objects.create(name="华南销售组")
    outsiders = {role: make_user(f"other_{role}", role, team=other)
                 for role in ("sales_assistant", "account_manager", "sales_manager")}
    other.manager = outsiders["sales_manager"]
    other.save()
    teamless = make_user("teamless_manager", "sales_manager")
    colleague = make_user("second_assistant", "sales_assistant", team=users["sales_assistant"].team)
    people = [*users.values(), *outsiders.values(), teamless, colleague]
    for state in ("received", "pending_approval", "in_fulfillment", "delivered", "closed"):
        order = orders.at(state)
        for person in people:
            with transaction.atomic():
                glance = _locked_visible_order(order.pk, person) is not None
            assert glance == order_visible_to(order, person), (state, person.username)
    assert any(order_visible_to(order, p) for p in outsiders.values()) is False
    assert order_visible_to(order, colleague) and order_visible_to(order, users["sales_manager"])


def test_the_lines_read_with_the_locked_order_are_the_lines_as_stored(orders):
    """The lines come with the locked order as JSON: each value must be what a read of its column returns, type and
    decimal places included, whatever the text holds."""
    from django.db import transaction

    from orderloop.orders.lifecycle.engine import _locked_visible_order
    from orderloop.orders.models import OrderLine

    order = orders.received(lines=[
        {"product_id": orders.product.pk, "quantity": "2.5", "unit_price": "1999.9", "requested_date": "2030-06-01"},
        {"product_id": orders.product.pk, "quantity": "12345678.125", "unit_price": "0"}])
    OrderLine.objects.filter(order=order, position=1).update(
        product_name='服务器 "A" 型 \\ 加固版\n第二行', feasible_date=date(2030, 5, 20), lead_time_days=7,
        availability="in_stock")

    def values(lines):
        return [[repr(getattr(line, f.attname)) for f in OrderLine._meta.concrete_fields] for line in lines]

    with transaction.atomic(), CaptureQueriesContext(connection) as statements:
        locked = _locked_visible_order(order.pk, None)
        read_with_the_lock = values(locked.lines.all())
    assert not [q["sql"] for q in statements if q["sql"].startswith('SELECT "orders_orderline"')]  # not read apart
    assert read_with_the_lock == values(OrderLine.objects.filter(order=order).order_by("position"))
    assert "Decimal('2.500')" in read_with_the_lock[0] and "datetime.date(2030, 5, 20)" in read_with_the_lock[0]
