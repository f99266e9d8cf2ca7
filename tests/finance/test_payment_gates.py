"""SPEC section 9, Money: the seed's "30%预付,余款到付" on a 50,000.00 order gives 15,000.00 due on confirmation and
35,000.00 due on delivery; production waits for the deposit (409 with the reason) until finance records it, or a
sales manager releases the order with a reason (audited); an order closes only once its plan is settled or the rest
written off."""
import re
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.test import Client

from orderloop.core import clock
from orderloop.core.calendar import SHANGHAI
from orderloop.core.exceptions import DomainError, InvalidInput, NotAllowed
from orderloop.core.models import AuditEntry
from orderloop.finance.models import Instalment, Receipt
from orderloop.finance.receipts import Share, receipt_allocate, receipt_record
from orderloop.orders.labels import event_details
from orderloop.orders.lifecycle.engine import available_actions
from orderloop.orders.models import OrderEvent
from orderloop.orders.steps import ACTIONS
from tests.support.api_client import Api
from tests.support.finance import pay
from tests.support.orders import act, stock_for, stock_lines
from tests.support.statements import statements_run

PLAN = [{"name": "生产", "owner": "production", "planned_date": "2030-05-20"}]


def plan_table(order, user) -> list[list[str]]:
    """The order page's 付款计划 as ``user`` reads it: each instalment's cells (期次, 条件, 比例/金额, 金额, 到期日 and a
    stored plan's 已收, 未收, where it stands)."""
    browser = Client()
    browser.force_login(user)
    section = browser.get(f"/orders/{order.ref}/").content.decode().split('id="payment-plan"')[1].split("</table>")[0]
    rows = re.findall(r"<tr>(.*?)</tr>", section.split("<tbody>")[1], re.DOTALL)
    return [re.findall(r"<td[^>]*>(.*?)</td>", row, re.DOTALL) for row in rows]


def plan(order):
    return [(row.number, row.trigger, row.amount, row.received, row.is_open)
            for row in Instalment.objects.filter(order=order).order_by("number")]


def test_the_seed_terms_give_the_deposit_on_confirmation_and_the_rest_on_delivery(orders, users):
    with clock.frozen_at(datetime(2030, 5, 13, 10, tzinfo=SHANGHAI)):
        order = orders.at("confirmed", deposit_paid=False)
    assert order.total_amount == Decimal("50000.00")
    rows = list(Instalment.objects.filter(order=order).order_by("number"))
    assert [(r.trigger, r.amount, r.due_date) for r in rows] == [
        ("on_confirmation", Decimal("15000.00"), date(2030, 5, 13)), ("on_delivery", Decimal("35000.00"), None)]


def test_production_waits_for_the_deposit_until_finance_records_it(orders, users, client):
    order = orders.at("confirmed", deposit_paid=False)
    production = Api("production")
    refused = production.action(order.number, "start_fulfillment", stages=PLAN)
    assert refused.status_code == 409
    assert refused.json()["detail"] == ("不能执行「开始备货/生产」：预付款未到账（第1期 15,000.00 元尚欠 15,000.00 元），"
                                         "待财务登记回款或销售经理付款放行")
    assert "start_fulfillment" not in available_actions(order, users["production"])
    client.force_login(users["account_manager"])
    page = client.get(f"/orders/{order.number}/").content.decode()
    assert "预付款未到账" in page  # the order page says which payment holds it, to everyone who reads it

    # a part of the deposit is not enough
    deposit = Instalment.objects.get(order=order, number=1)
    receipt = receipt_record(customer_id=order.customer_id, received_on=clock.today(), payer=order.customer.name,
                             amount=Decimal("10000.00"), actor=users["finance"], allocations=[Share(deposit.pk, Decimal("10000.00"))])
    assert "尚欠 5,000.00 元" in production.action(order.number, "start_fulfillment", stages=PLAN).json()["detail"]
    receipt_record(customer_id=order.customer_id, received_on=clock.today(), payer=order.customer.name,
                   amount=Decimal("5000.00"), actor=users["finance"], allocations=[Share(deposit.pk, Decimal("5000.00"))])
    assert "start_fulfillment" in available_actions(order, users["production"])
    started = production.action(order.number, "start_fulfillment", stages=PLAN)
    assert started.status_code == 200 and started.json()["status"] == "in_fulfillment"
    assert receipt.pk and plan(order)[0] == (1, "on_confirmation", Decimal("15000.00"), Decimal("15000.00"), False)


def test_a_sales_manager_releases_the_order_with_a_reason_and_it_is_audited(orders, users):
    order = orders.at("confirmed", deposit_paid=False)
    with pytest.raises(NotAllowed):
        act(order, "waive_payment", users["account_manager"], reason="老客户")
    with pytest.raises(InvalidInput):
        act(order, "waive_payment", users["sales_manager"], reason="")
    act(order, "waive_payment", users["sales_manager"], reason="老客户，信用良好，先排产")
    event = OrderEvent.objects.filter(order=order, type="payment_waived").get()
    assert event.actor == users["sales_manager"] and event.payload["reason"] == "老客户，信用良好，先排产"
    assert event.payload["instalments"] == [{"instalment": 1, "amount": "15000.00", "outstanding": "15000.00"}]
    assert dict(event_details(event.payload))["分期"].startswith("期数 1，")  # its number first, on either database
    assert AuditEntry.objects.filter(object_id=str(order.pk), operation="payment_waived").exists()
    order = act(order, "start_fulfillment", users["production"], stages=PLAN)
    assert order.status == "in_fulfillment"
    # released is not paid: the deposit is still owed
    assert plan(order)[0][3:] == (Decimal("0.00"), True)
    assert plan_table(order, users["sales_manager"])[0][5:] == ["0.00", "15,000.00", "已放行"]


def test_payment_before_shipment_holds_the_shipment(orders, users):
    order = orders.at("ready_to_ship", payment_terms="款到发货")
    assert plan(order) == [(1, "before_shipment", Decimal("50000.00"), Decimal("0.00"), True)]
    with pytest.raises(DomainError, match="发货前应付款未到账"):
        act(order, "ship", users["logistics"], method="express", carrier="顺丰速运", tracking_number="SF1", eta="2030-05-23")
    pay(order, users["finance"])
    order = act(order, "ship", users["logistics"], method="express", carrier="顺丰速运", tracking_number="SF1", eta="2030-05-23")
    assert order.status == "shipped"


def test_an_order_closes_only_when_its_plan_is_settled_or_written_off(orders, users):
    order = orders.at("delivered")
    act(order, "follow_up", users["account_manager"], channel="phone", usage="运行正常", satisfaction=5)
    with pytest.raises(DomainError, match="付款计划尚欠 35,000.00 元"):
        act(order, "close", users["sales_manager"], note="")
    act(order, "write_off", users["sales_manager"], reason="客户以质量问题为由拒付尾款，协商后放弃")
    assert plan(order)[1] == (2, "on_delivery", Decimal("35000.00"), Decimal("0.00"), False)
    assert Instalment.objects.get(order=order, number=2).written_off == Decimal("35000.00")
    assert [row[5:] for row in plan_table(order, users["sales_manager"])] == [  # 已收, 未收, where each stands
        ["15,000.00", "0.00", "已收齐"], ["0.00", "0.00", "已核销"]]
    assert act(order, "close", users["sales_manager"], note="").status == "closed"


def test_allocations_never_exceed_what_is_owed_or_what_was_received(orders, users):
    order = orders.at("confirmed", deposit_paid=False)
    deposit, rest = Instalment.objects.filter(order=order).order_by("number")
    with pytest.raises(NotAllowed):
        receipt_record(customer_id=order.customer_id, received_on=clock.today(), payer="x", amount="1.00",
                       actor=users["account_manager"])
    with pytest.raises(InvalidInput, match="超过该期未收金额 15,000.00 元"):
        receipt_record(customer_id=order.customer_id, received_on=clock.today(), payer="x", amount="20000.00",
                       actor=users["finance"], allocations=[Share(deposit.pk, Decimal("15000.01"))])
    assert Receipt.objects.count() == 0  # nothing half-happens
    receipt = receipt_record(customer_id=order.customer_id, received_on=clock.today(), payer="x", amount="20000.00",
                             actor=users["finance"], allocations=[Share(deposit.pk, Decimal("15000.00"))])
    with pytest.raises(InvalidInput, match="超过该笔回款未核销的 5,000.00 元"):
        receipt_allocate(receipt_id=receipt.pk, allocations=[Share(rest.pk, Decimal("5000.01"))], actor=users["finance"])
    receipt_allocate(receipt_id=receipt.pk, allocations=[Share(rest.pk, Decimal("5000.00"))], actor=users["finance"])
    receipt.refresh_from_db()
    assert receipt.allocated == receipt.amount == Decimal("20000.00")
    assert plan(order) == [(1, "on_confirmation", Decimal("15000.00"), Decimal("15000.00"), False),
                           (2, "on_delivery", Decimal("35000.00"), Decimal("5000.00"), True)]


def test_an_amendment_recomputes_the_plan_and_gives_back_what_no_longer_fits(orders, users):
    order = orders.at("in_fulfillment")  # 15,000.00 deposit received
    line = order.lines.get()
    order = act(order, "amend", users["sales_assistant"], reason="客户减少数量", lines=[{"line_id": line.pk, "quantity": "4"}])
    order.refresh_from_db()
    act(order, "confirm_stock", users["warehouse"], lines=[{"line_id": line.pk, "availability": "in_stock",
                                                          "feasible_date": "2030-05-20", "date_reason": "按排产计划"}])
    # 4 × 5,000.00 = 20,000.00: the deposit is now 6,000.00; 9,000.00 goes back to the customer's balance
    assert plan(order)[0][:4] == (1, "on_confirmation", Decimal("6000.00"), Decimal("6000.00"))
    receipt = Receipt.objects.get(customer=order.customer)
    assert (receipt.amount, receipt.allocated) == (Decimal("15000.00"), Decimal("6000.00"))
    event = OrderEvent.objects.filter(order=order, type="stock_confirmed").last()
    assert {"instalment": 1, "amount": ["15000.00", "6000.00"], "due_date": [None, None]}.keys() <= event.payload["payment_plan"][0].keys()
    # the timeline reads the change as the audit log does, 旧 → 新
    due = Instalment.objects.get(order=order, number=1).due_date.isoformat()  # unchanged: shown as it is
    assert dict(event_details(event.payload))["付款计划"] == (
        f"期数 1，金额(元) 15000.00 → 6000.00，到期日 {due}；期数 2，金额(元) 35000.00 → 14000.00")


def test_an_order_without_a_plan_is_not_asked_for_instalments_until_a_late_change_gives_it_one(orders, users):
    """Each action reads with its order whether it has a stored plan: an order whose terms name none (按合同约定) goes
    from intake to closed without a read of instalments; once a late change gives it the seed's terms, its deposit
    holds production as any other order's does."""
    with statements_run() as statements:
        order = orders.at("delivered", deposit_paid=False, payment_terms="按合同约定")  # nobody pays
        act(order, "follow_up", users["account_manager"], channel="phone", usage="运行正常", satisfaction=5)
        order = act(order, "close", users["sales_manager"], note="")
    assert order.status == "closed" and plan(order) == []
    assert not [sql for sql in statements if sql.startswith('SELECT "finance_instalment".')]

    order = orders.at("confirmed", deposit_paid=False, payment_terms="按合同约定")
    order = act(order, "amend", users["sales_assistant"], reason="客户改为预付", payment_terms="30%预付,余款到付")
    order = act(order, "approve", users["sales_manager"], comment="同意")
    order = act(order, "approve", users["sales_director"], comment="同意")  # 50,000.00: over the threshold
    stock_for(order)
    order = act(order, "confirm_stock", users["warehouse"], lines=stock_lines(order))
    assert order.status == "confirmed"
    assert [row[:3] for row in plan(order)] == [(1, "on_confirmation", Decimal("15000.00")),
                                               (2, "on_delivery", Decimal("35000.00"))]
    with pytest.raises(DomainError, match="预付款未到账"):
        act(order, "start_fulfillment", users["production"], stages=PLAN)


def test_a_term_written_as_month_end_or_days_after_acceptance_is_read_for_any_number_of_days():
    from orderloop.masterdata.payment_terms import term_for_text
    assert term_for_text("月结60天").instalments == [
        {"percent": "100", "trigger": "days_after_invoice", "days": 60, "working_days": False}]
    assert term_for_text("验收合格后90日内付清").instalments == [
        {"percent": "100", "trigger": "days_after_delivery", "days": 90, "working_days": False}]
    assert term_for_text("货到10个工作日付款").instalments[0]["working_days"] is True
    assert term_for_text("看心情付款") is None and term_for_text("月结0天") is None


def test_an_unrecognised_payment_term_is_flagged_in_the_preliminary_review(orders, users, client):
    order = orders.received(payment_terms="老规矩")
    initial = ACTIONS["review"].initial(order)  # what the review form starts with
    assert initial["verdict"] == "needs_info"
    assert any("付款方式「老规矩」未能识别为付款条件" in item for item in initial["missing"])
    client.force_login(users["sales_assistant"])
    page = client.get(f"/orders/{order.ref}/").content.decode()
    assert "付款方式「老规矩」未能识别为付款条件" in page
    # the reviewer may still pass it, having confirmed it with the customer: no plan is made for it
    order = act(order, "review", users["sales_assistant"], verdict="pass")
    assert order.status == "pending_approval"


def test_the_payment_terms_are_listed_in_the_api(db, users):
    body = Api("sales_assistant").get("/finance/payment-terms").json()
    deposit = next(term for term in body if term["name"] == "30%预付,余款到付")
    assert [(i["percent"], i["trigger"], i["condition"]) for i in deposit["instalments"]] == [
        ("30", "on_confirmation", "确认订单时"), ("70", "on_delivery", "到货/验收时")]
    assert Api("warehouse").get("/finance/payment-terms").status_code == 403
