"""The credit rule counts what the customer owes (issue 24, Done-when 6): unpaid receivables — the outstanding of
its open instalments — plus its open orders not yet planned, plus the order being approved; an order goes to the
director when that exceeds the credit limit, and not once the customer has paid."""
from decimal import Decimal

from orderloop.finance.receivables import credit_exposures
from orderloop.orders.steps.approval import CREDIT_STATES
from orderloop.orders.work import approvals_for
from tests.support.finance import pay
from tests.support.orders import act

SMALL = "5000"  # under the director's threshold (10,000.00), above the margin floor: only the credit rule can apply


def reviewed(orders, users, product, price=SMALL):
    order = orders.received(lines=[{"product_id": product.pk, "quantity": "1", "unit_price": price}])
    return act(order, "review", users["sales_assistant"], verdict="pass")


def manager_approves(order, users):
    return act(order, "approve", users["sales_manager"], comment="同意")


def test_unpaid_receivables_plus_open_orders_over_the_limit_go_to_the_director(orders, users, customer, product):
    delivered = orders.at("delivered")  # 50,000.00: the deposit paid, 35,000.00 owed
    customer.credit_limit = Decimal("45000.00")
    customer.save()
    open_order = reviewed(orders, users, product)
    open_order = manager_approves(open_order, users)  # 35,000 owed + 5,000 = 40,000: within the limit
    assert open_order.status == "pending_stock_check"
    order = reviewed(orders, users, product)  # 35,000 owed + 5,000 open + 5,000 = 45,000: at the limit, not over
    assert credit_exposures([order], CREDIT_STATES)[order.pk] == Decimal("40000.00")
    customer.credit_limit = Decimal("44999.99")
    customer.save()
    # the manager's inbox says so before the decision
    (row,) = [a for a in approvals_for(users["sales_manager"]) if a.order.pk == order.pk]
    assert row.rules == ["客户未收应收款与未结订单合计 45,000.00 元超出信用额度 44,999.99 元"]
    approved = manager_approves(order, users)
    assert approved.status == "pending_director"
    assert approved.events.get(type="approved").payload["director_reasons"] == [
        "客户未收应收款与未结订单合计 45,000.00 元超出信用额度 44,999.99 元"]
    assert delivered.status == "delivered"


def test_once_the_customer_has_paid_the_same_order_stays_with_the_manager(orders, users, customer, product):
    delivered = orders.at("delivered")
    customer.credit_limit = Decimal("44999.99")
    customer.save()
    manager_approves(reviewed(orders, users, product), users)
    pay(delivered, users["finance"])  # the balance: nothing owed now; the delivered order counts no more
    order = reviewed(orders, users, product)
    assert credit_exposures([order], CREDIT_STATES)[order.pk] == Decimal("5000.00")  # the other open order
    assert manager_approves(order, users).status == "pending_stock_check"


def test_a_planned_order_counts_what_is_still_owed_on_it_not_its_total(orders, users, customer, product):
    confirmed = orders.at("confirmed")  # 50,000.00 planned; the deposit of 15,000.00 paid
    customer.credit_limit = Decimal("40000.00")
    customer.save()
    order = reviewed(orders, users, product)
    # 35,000.00 owed on the confirmed order (not its 50,000.00 total) + 5,000.00 = 40,000.00: within the limit
    others = credit_exposures([order, confirmed], CREDIT_STATES)
    # with each order's own part added as the rule does: the same 40,000.00 either way (the confirmed order's own
    # part is its total less the deposit paid on it)
    assert {pk: others[pk] + o.total_amount for pk, o in ((order.pk, order), (confirmed.pk, confirmed))} == {
        order.pk: Decimal("40000.00"), confirmed.pk: Decimal("40000.00")}
    assert manager_approves(order, users).status == "pending_stock_check"
