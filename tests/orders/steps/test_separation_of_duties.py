"""Approvals cannot be bypassed (SPEC section 2)."""
import pytest

from orderloop.core.exceptions import NotAllowed
from orderloop.orders.models import OrderEvent
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive
from orderloop.orders.lifecycle.engine import perform_action
from tests.support.api_client import Api
from tests.support.orders import act, order_data
from tests.support.users import make_user

BIG = [{"product_id": None, "quantity": "30", "unit_price": "5000"}]  # 150,000.00 yuan


def big_lines(product):
    return [{**BIG[0], "product_id": product.pk}]


def test_the_user_who_entered_an_order_cannot_approve_it(users, team, customer, product):
    # given a manager who also works as a sales assistant and enters an order
    manager = make_user("manager_assistant", "sales_manager", "sales_assistant", team=team)
    order = order_receive(actor=manager, data=OrderCreate(**order_data(customer, product)))
    order = act(order, "review", manager, verdict="pass")
    events_before = order.events.count()
    # when they try to approve it
    response = Api("manager_assistant").action(order.number, "approve", comment="同意", version=order.version)
    # then it is refused, says why, and nothing changed
    assert response.status_code == 403
    assert response.json()["detail"] == "录入订单的人不能审批该订单"
    order.refresh_from_db()
    assert order.status == "pending_approval" and order.events.count() == events_before
    assert "approve" not in Api("manager_assistant").get(f"/orders/{order.number}").json()["available_actions"]
    # and another manager of the team can (50,000.00: on to the director)
    assert act(order, "approve", users["sales_manager"], comment="同意").status == "pending_director"


def test_the_owner_of_an_order_cannot_approve_it(users, team, customer, product):
    owner_manager = make_user("owner_manager", "sales_manager", "account_manager", team=team)
    customer.owner = owner_manager
    customer.save()
    order = act(order_receive(actor=users["sales_assistant"], data=OrderCreate(**order_data(customer, product))),
                "review", users["sales_assistant"], verdict="pass")
    assert order.owner == owner_manager
    with pytest.raises(NotAllowed) as refused:
        act(order, "approve", owner_manager, comment="同意")
    assert refused.value.message == "订单或客户的负责人不能审批该订单"
    with pytest.raises(NotAllowed):
        act(order, "reject", owner_manager, reason="不同意")
    order.refresh_from_db()
    assert order.status == "pending_approval"


def test_a_managers_approval_over_the_threshold_stops_at_the_director(users, orders, product):
    order = act(orders.received(lines=big_lines(product)), "review", users["sales_assistant"], verdict="pass")
    assert order.total_amount == 150000
    order = act(order, "approve", users["sales_manager"], comment="同意")
    assert order.status == "pending_director"
    approved = order.events.get(type="approved")
    assert approved.payload["level"] == "manager"
    assert approved.payload["director_reasons"] == ["金额 150,000.00 元超过 10,000.00 元"]
    assert act(order, "approve", users["sales_director"], comment="同意").status == "pending_stock_check"


def test_exactly_the_threshold_needs_no_director(users, orders, product):
    lines = [{"product_id": product.pk, "quantity": "2", "unit_price": "5000"}]  # 10,000.00: not over
    order = act(orders.received(lines=lines), "review", users["sales_assistant"], verdict="pass")
    assert act(order, "approve", users["sales_manager"], comment="同意").status == "pending_stock_check"


def test_special_terms_need_the_director(users, orders, product):
    small = [{"product_id": product.pk, "quantity": "1", "unit_price": "5000"}]  # under the threshold
    order = act(orders.received(special_terms="账期180天", lines=small), "review", users["sales_assistant"], verdict="pass")
    approved = act(order, "approve", users["sales_manager"], comment="同意")
    assert approved.status == "pending_director"
    assert approved.events.get(type="approved").payload["director_reasons"] == ["含特殊条款"]


def test_the_director_level_needs_a_different_person(users, team, orders, product):
    # given one person holding both the manager and the director role
    both = make_user("manager_director", "sales_manager", "sales_director", team=team)
    order = act(orders.received(lines=big_lines(product)), "review", users["sales_assistant"], verdict="pass")
    order = act(order, "approve", both, comment="同意")
    assert order.status == "pending_director"
    events = OrderEvent.objects.filter(order=order).count()
    # when they try the director level too
    with pytest.raises(NotAllowed) as refused:
        perform_action(order_id=order.pk, action_name="approve", actor=both, data={"comment": "同意"})
    # then it is refused and the order still waits for another director
    assert refused.value.message == "总监审批须由另一人完成，经理审批人不能再次审批"
    order.refresh_from_db()
    assert order.status == "pending_director" and order.events.count() == events
    assert act(order, "approve", users["sales_director"], comment="同意").status == "pending_stock_check"


def test_a_director_cannot_take_the_manager_level(users, orders):
    order = act(orders.received(), "review", users["sales_assistant"], verdict="pass")
    with pytest.raises(NotAllowed):
        act(order, "approve", users["sales_director"], comment="同意")


def test_an_amendment_of_price_sends_an_approved_order_back_to_approval(users, orders):
    order = orders.at("confirmed")
    line = order.lines.get()
    order = act(order, "amend", users["sales_assistant"], reason="客户议价", lines=[{"line_id": line.pk, "quantity": "10",
                                                                               "unit_price": "4800"}])
    assert order.status == "pending_approval" and order.manager_approved_by is None
    assert order.total_amount == 48000


def test_an_amendment_of_quantity_goes_back_to_stock_confirmation(users, orders):
    order = orders.at("in_fulfillment")
    line = order.lines.get()
    order = act(order, "amend", users["sales_assistant"], reason="客户临时要求增加1台", lines=[{"line_id": line.pk, "quantity": "11"}])
    assert order.status == "pending_stock_check"
    assert order.total_amount == 55000
    audit = order.events.get(type="amended")
    assert audit.payload == {"reason": "客户临时要求增加1台", "changed": ["lines"], "back_to": "pending_stock_check",
                             "diff": ["服务器A型 S-001 数量：10 → 11", "总金额(元)：50000.00 → 55000.00"]}
