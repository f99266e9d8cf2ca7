"""The payment plan of an order (SPEC section 9, Money): computed from the order's 付款方式 text, else (no text)
from the customer's structured term, exact to the fen, on the order page (付款计划) and in the API."""
from datetime import date
from decimal import Decimal

import pytest

from orderloop.accounts.services import api_token_issue
from orderloop.masterdata.models import PaymentTerm
from orderloop.orders.payments import payment_plan, plan_for, split_amounts
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive
from tests.support.orders import order_data


def _receive(users, customer, product, **overrides):
    return order_receive(actor=users["sales_assistant"], data=OrderCreate(**order_data(customer, product, **overrides)))


@pytest.mark.django_db
def test_the_seeds_terms_on_50000_give_15000_on_confirmation_and_35000_on_delivery(users, customer, product):
    order = _receive(users, customer, product)  # 10 × 5,000.00, 付款方式 30%预付,余款到付
    assert order.total_amount == Decimal("50000.00")
    plan = payment_plan(order)
    assert plan.term == "30%预付,余款到付"
    assert [(i.number, i.trigger, i.condition, i.share, i.amount) for i in plan.instalments] == [
        (1, "on_confirmation", "确认订单时", "30%", Decimal("15000.00")),
        (2, "on_delivery", "到货/验收时", "70%", Decimal("35000.00"))]
    assert plan.total == order.total_amount


def test_three_thirds_of_100_sum_to_exactly_100():
    thirds = [{"percent": "33.33", "trigger": "on_confirmation"}, {"percent": "33.33", "trigger": "on_delivery"},
              {"percent": "33.34", "trigger": "days_after_delivery", "days": 30}]
    amounts = split_amounts(Decimal("100.00"), thirds)
    assert amounts == [Decimal("33.33"), Decimal("33.33"), Decimal("33.34")]
    assert sum(amounts) == Decimal("100.00")
    odd = split_amounts(Decimal("0.05"), [{"percent": "33.33", "trigger": "on_delivery"}] * 3)
    assert odd == [Decimal("0.02"), Decimal("0.02"), Decimal("0.01")] and sum(odd) == Decimal("0.05")


def test_a_fixed_amount_is_taken_as_it_is_and_the_last_takes_the_rest():
    plan = plan_for(Decimal("12345.67"), "定金", [{"amount": "1000", "trigger": "on_confirmation"},
                                                {"percent": "100", "trigger": "on_delivery"}])
    assert [i.amount for i in plan.instalments] == [Decimal("1000.00"), Decimal("11345.67")]
    assert plan.instalments[0].share == "1,000.00"


def test_due_dates_come_from_delivery_and_fixed_dates():
    plan = plan_for(Decimal("1000.00"), "质保金", [
        {"percent": "95", "trigger": "on_delivery"}, {"percent": "5", "trigger": "days_after_delivery", "days": 365},
        {"percent": "0.01", "trigger": "fixed_date", "date": "2030-01-31"}], delivered=date(2026, 3, 2))
    assert [i.due for i in plan.instalments] == [date(2026, 3, 2), date(2027, 3, 2), date(2030, 1, 31)]
    assert plan.instalments[1].condition == "到货后365天"
    undelivered = plan_for(Decimal("1000.00"), "月结", [{"percent": "100", "trigger": "days_after_invoice", "days": 30}])
    assert undelivered.instalments[0].due is None and undelivered.instalments[0].condition == "开票后30天"


@pytest.mark.django_db
def test_the_orders_own_terms_come_first_and_the_customers_term_when_it_has_none(users, customer, product):
    customer.payment_term = PaymentTerm.objects.get(name="质保金5%一年")
    customer.save()
    agreed = _receive(users, customer, product)  # this order's 付款方式: 30%预付,余款到付
    assert [i.amount for i in payment_plan(agreed).instalments] == [Decimal("15000.00"), Decimal("35000.00")]
    untold = _receive(users, customer, product, payment_terms="")
    assert [i.amount for i in payment_plan(untold).instalments] == [Decimal("47500.00"), Decimal("2500.00")]
    unread = _receive(users, customer, product, payment_terms="看情况")
    assert payment_plan(unread) is None  # not the customer's default in place of what was agreed


@pytest.mark.django_db
def test_any_deposit_and_the_rest_on_delivery_or_before_shipment(users, customer, product):
    half = payment_plan(_receive(users, customer, product, payment_terms="50%预付，余款到付"))
    assert [(i.trigger, i.share, i.amount) for i in half.instalments] == [
        ("on_confirmation", "50%", Decimal("25000.00")), ("on_delivery", "50%", Decimal("25000.00"))]
    before = payment_plan(_receive(users, customer, product, payment_terms="预付20%，尾款发货前付清"))
    assert [(i.trigger, i.amount) for i in before.instalments] == [
        ("on_confirmation", Decimal("10000.00")), ("before_shipment", Decimal("40000.00"))]


@pytest.mark.django_db
def test_the_order_page_shows_the_plan(client, users, customer, product):
    order = _receive(users, customer, product)
    client.force_login(users["finance"])
    page = client.get(f"/orders/{order.ref}/").content.decode()
    assert "付款计划" in page and "确认订单时" in page and "15,000.00" in page and "35,000.00" in page
    assert "付款方式未能识别" not in page


@pytest.mark.django_db
def test_an_unparseable_text_gives_no_plan_and_the_page_says_so(client, users, customer, product):
    order = _receive(users, customer, product, payment_terms="先付一半，剩下的看情况")
    assert payment_plan(order) is None
    client.force_login(users["sales_assistant"])
    page = client.get(f"/orders/{order.ref}/").content.decode()
    assert "付款方式未能识别" in page


@pytest.mark.django_db
def test_the_api_detail_carries_the_plan(client, users, customer, product):
    order = _receive(users, customer, product)
    token = api_token_issue(username="finance", password="orderloop")
    body = client.get(f"/api/orders/{order.ref}", HTTP_AUTHORIZATION=f"Bearer {token}").json()
    assert body["payment_plan"]["term"] == "30%预付,余款到付"
    assert [(i["trigger"], i["amount"], i["due_date"]) for i in body["payment_plan"]["instalments"]] == [
        ("on_confirmation", "15000.00", None), ("on_delivery", "35000.00", None)]
    unknown = _receive(users, customer, product, payment_terms="随意")
    assert client.get(f"/api/orders/{unknown.ref}", HTTP_AUTHORIZATION=f"Bearer {token}").json()["payment_plan"] is None
    schema = client.get("/api/openapi.json").json()["components"]["schemas"]
    assert "payment_plan" in schema["OrderOut"]["properties"] and "InstalmentOut" in schema


@pytest.mark.django_db
def test_finance_takes_no_action_on_an_order(client, users, customer, product):
    from orderloop.orders.lifecycle.engine import available_actions

    order = _receive(users, customer, product)
    assert available_actions(order, users["finance"]) == []
