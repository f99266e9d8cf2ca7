"""The director rule at its boundaries, set by an admin; approvals of a changed order refused."""
from decimal import Decimal

import pytest

from orderloop.core.exceptions import StaleVersion
from orderloop.orders.models import ApprovalPolicy, OrderEvent, SalesOrder
from orderloop.orders.lifecycle.engine import available_actions, perform_action
from tests.support.orders import act


def reviewed(orders, users, **overrides):
    return act(orders.received(**overrides), "review", users["sales_assistant"], verdict="pass")


def manager_approves(order, users):
    return act(order, "approve", users["sales_manager"], comment="同意")


def lines(product, quantity, price):
    return [{"product_id": product.pk, "quantity": quantity, "unit_price": price}]


def test_the_threshold_is_the_admins_setting(orders, users, product):
    # the default (10,000.00: the boundary is in test_director_threshold.py) sends 50,000.00 to the director…
    assert manager_approves(reviewed(orders, users), users).status == "pending_director"
    # …an admin's higher threshold does not
    ApprovalPolicy.objects.update(director_threshold=Decimal("60000.00"))
    assert manager_approves(reviewed(orders, users), users).status == "pending_stock_check"  # 50,000.00


def test_a_margin_just_under_the_floor_needs_the_director(orders, users, product):
    # cost 4,000.00: price 4,444.44 gives 9.99 % margin; 4,444.45 gives 10.00 %
    under = reviewed(orders, users, lines=lines(product, "1", "4444.44"))
    assert Decimal("0.0999") < under.margin < Decimal("0.1")
    approved = manager_approves(under, users)
    assert approved.status == "pending_director"
    assert approved.events.get(type="approved").payload["director_reasons"] == ["利润率 9.99% 低于 10%"]
    at_floor = reviewed(orders, users, lines=lines(product, "1", "4444.45"))
    assert manager_approves(at_floor, users).status == "pending_stock_check"


def test_a_customer_over_the_credit_limit_needs_the_director(orders, users, customer, product):
    customer.credit_limit = Decimal("8000.00")
    customer.save()
    small = lines(product, "1", "5000")
    first = manager_approves(reviewed(orders, users, lines=small), users)  # 5,000 of 8,000
    assert first.status == "pending_stock_check"
    second = manager_approves(reviewed(orders, users, lines=small), users)  # 10,000 open, each under the threshold
    assert second.status == "pending_director"
    assert second.events.get(type="approved").payload["director_reasons"] == [
        "客户未收应收款与未结订单合计 10,000.00 元超出信用额度 8,000.00 元"]


def test_approving_a_version_that_changed_since_it_was_read_is_refused(orders, users, product):
    order = reviewed(orders, users)
    read = order.version
    line = order.lines.get()
    act(order, "amend", users["sales_assistant"], reason="客户改价", lines=[{"line_id": line.pk, "quantity": "10",
                                                                          "unit_price": "5200"}])
    events = OrderEvent.objects.filter(order=order).count()
    with pytest.raises(StaleVersion):
        perform_action(order_id=order.pk, action_name="approve", actor=users["sales_manager"],
                       data={"comment": "同意", "version": read})
    order.refresh_from_db()
    assert order.status == "pending_approval" and order.events.count() == events


def test_a_copy_of_an_approved_order_starts_again_without_its_approval(orders, users):
    from django.test import Client

    approved = orders.at("pending_stock_check")
    client = Client()
    client.force_login(users["sales_assistant"])
    response = client.post(f"/orders/{approved.number}/copy/")
    copy = SalesOrder.objects.exclude(pk=approved.pk).get()
    assert response.status_code == 302 and response.url == f"/orders/{copy.ref}/"
    assert (copy.status, copy.number, copy.manager_approved_by, copy.total_amount) == ("received", None, None, Decimal("50000.00"))
    assert list(copy.events.values_list("type", flat=True)) == ["received"]
    assert copy.remarks == f"复制自 {approved.number}" and copy.requested_date is None  # a new date for a new order
    from orderloop.orders.schemas import OrderPatch
    from orderloop.orders.services import order_update

    order_update(order_id=copy.pk, actor=users["sales_assistant"],
                 data=OrderPatch(version=copy.version, requested_date="2030-06-30"))
    copy = act(copy, "review", users["sales_assistant"], verdict="pass")
    assert "approve" in available_actions(copy, users["sales_manager"])


def test_the_approver_sees_the_customers_history(orders, users):
    from django.test import Client

    earlier = orders.at("closed")
    waiting = reviewed(orders, users)
    client = Client()
    client.force_login(users["sales_manager"])
    page = client.get(f"/orders/{waiting.number}/").content.decode()
    assert 'id="customer-history"' in page and earlier.number in page and "已完成" in page
    client.force_login(users["sales_assistant"])
    assert 'id="customer-history"' not in client.get(f"/orders/{waiting.number}/").content.decode()
