"""Finance's pages for money coming in (issue #24, "Receipts"): 待收款 with the instalments holding an order first,
登记回款 prefilled from the queue and recorded with its allocations in one transaction (errors on the form, nothing
saved), the receipts with their balance and the rest allocated later; navigation, 今日 and the phone's labels."""
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest

from orderloop.core import clock
from orderloop.finance.models import Instalment, Receipt
from orderloop.finance.receipts import Share, receipt_record
from orderloop.notifications.models import Notification
from orderloop.orders.lifecycle.engine import available_actions

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


@pytest.fixture
def finance(client, users):
    client.force_login(users["finance"])
    return client


def rows_of(page: str, table_id: str) -> list[str]:
    body = page.split(f'id="{table_id}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr data-\w+=\"\d+\".*?</tr>", body, flags=re.S)


def test_the_queue_lists_open_instalments_holding_ones_first(finance, orders, users):
    delivered = orders.at("delivered")  # deposit paid; its balance due on delivery, open
    held = orders.at("confirmed", deposit_paid=False)
    page = finance.get("/finance/").content.decode()
    rows = rows_of(page, "collection-queue")
    assert len(rows) == 3  # the held order's deposit and balance, the delivered order's balance
    first = rows[0]
    assert held.ref in first and "第1期" in first and "确认订单时" in first and "暂停备货/生产" in first
    assert "15,000.00" in first and f'/finance/receipts/new/?instalment={Instalment.objects.get(order=held, number=1).pk}' in first
    assert f'href="/orders/{held.ref}/"' in first
    assert any(delivered.ref in row and "35,000.00" in row and "暂停" not in row for row in rows[1:])
    assert 'data-label="未收金额(元)"' in first  # the phone shows each cell with its heading
    assert 'id="money-link"' in page and 'href="/finance/"' in page  # finance's entry in the navigation


def test_finance_records_a_deposit_from_its_queue_and_production_may_start(finance, orders, users, customer):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = Instalment.objects.get(order=order, number=1)
    form = finance.get(f"/finance/receipts/new/?instalment={deposit.pk}").content.decode()
    assert 'name="amount" inputmode="decimal" value="15000.00"' in form
    assert f'name="alloc-{deposit.pk}" inputmode="decimal" value="15000.00"' in form
    assert f'name="payer" value="{customer.name}"' in form and 'value="2026-03-02"' in form
    response = finance.post("/finance/receipts/new/", {
        "customer": customer.pk, "instalment": deposit.pk, "received_on": "2026-03-02", "payer": customer.name,
        "amount": "15,000.00", "bank_reference": "B0302-1", "remark": "预付款", f"alloc-{deposit.pk}": "15000.00"})
    receipt = Receipt.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/finance/receipts/{receipt.pk}/"
    assert (receipt.amount, receipt.allocated, receipt.bank_reference) == (Decimal("15000.00"), Decimal("15000.00"), "B0302-1")
    assert "start_fulfillment" in available_actions(order, users["production"])
    assert Notification.objects.filter(recipient=users["production"], subject__contains="预付款已到账").exists()
    page = finance.get(response["Location"]).content.decode()
    assert "已登记回款 15,000.00 元" in page and order.ref in page


def test_a_wrong_receipt_is_shown_on_the_form_in_chinese_and_nothing_is_saved(finance, orders, customer):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = Instalment.objects.get(order=order, number=1)
    response = finance.post("/finance/receipts/new/", {
        "customer": customer.pk, "received_on": "2026-03-02", "payer": customer.name, "amount": "10000",
        f"alloc-{deposit.pk}": "16000"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "超过该期未收金额 15,000.00 元" in page and "未保存任何内容" in page
    assert 'name="amount" inputmode="decimal" value="10000"' in page  # what was typed stays
    response = finance.post("/finance/receipts/new/", {"customer": customer.pk, "received_on": "2026-13-45",
                                                       "payer": "", "amount": "abc"})
    page = response.content.decode()
    assert response.status_code == 422
    assert "到账日期格式应为 YYYY-MM-DD" in page and "请填写付款方" in page and "金额不是数字" in page
    assert Receipt.objects.count() == 0


def test_a_receipt_chooses_its_customer_first(finance, customer):
    page = finance.get("/finance/receipts/new/").content.decode()
    assert f'<option value="{customer.pk}">{customer.name}</option>' in page
    page = finance.get(f"/finance/receipts/new/?customer={customer.pk}").content.decode()
    assert "该客户没有未结清的分期" in page
    assert finance.get("/finance/receipts/new/?customer=999999").status_code == 404


def test_the_rest_of_a_receipt_is_allocated_later_from_the_receipts_list(finance, orders, users, customer):
    order = orders.at("confirmed", deposit_paid=False)
    deposit, rest = Instalment.objects.filter(order=order).order_by("number")
    receipt = receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="科技有限公司", amount="20000.00",
                             actor=users["finance"], allocations=[Share(deposit.pk, Decimal("15000.00"))])
    listing = finance.get("/finance/receipts/?open=1").content.decode()
    (row,) = rows_of(listing, "receipts")
    assert "20,000.00" in row and "<strong>5,000.00</strong>" in row and "核销余额" in row
    page = finance.get(f"/finance/receipts/{receipt.pk}/").content.decode()
    assert f'name="alloc-{rest.pk}"' in page and f'name="alloc-{deposit.pk}"' not in page  # only what is open
    response = finance.post(f"/finance/receipts/{receipt.pk}/allocate/", {f"alloc-{rest.pk}": "6000"})
    assert response.status_code == 422 and "超过该笔回款未核销的 5,000.00 元" in response.content.decode()
    response = finance.post(f"/finance/receipts/{receipt.pk}/allocate/", {f"alloc-{rest.pk}": "5000"})
    assert response.status_code == 302
    receipt.refresh_from_db()
    rest.refresh_from_db()
    assert receipt.unallocated == 0 and rest.received == Decimal("5000.00")
    assert rows_of(finance.get("/finance/receipts/?open=1").content.decode(), "receipts") == []


def test_today_offers_finance_the_receipt_of_a_deposit_holding_production(finance, orders):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = Instalment.objects.get(order=order, number=1)
    page = finance.get("/today/").content.decode()
    card = page.split('id="overdue-receivables"', 1)[1].split("</section>", 1)[0]
    assert order.ref in card and f'href="/finance/receipts/new/?instalment={deposit.pk}">登记回款</a>' in card


@pytest.mark.parametrize("role", ["sales_assistant", "account_manager", "sales_manager", "sales_director", "admin"])
def test_sales_read_the_queue_and_receipts_but_record_nothing(client, users, orders, customer, role):
    order = orders.at("confirmed", deposit_paid=False)
    receipt = receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="x", amount="1.00",
                             actor=users["finance"])
    client.force_login(users[role])
    queue = client.get("/finance/").content.decode()
    assert order.ref in queue and "登记回款" not in queue
    assert client.get("/finance/receipts/").status_code == 200
    assert "核销余额" not in client.get(f"/finance/receipts/{receipt.pk}/").content.decode()
    for method, path in (("get", "/finance/receipts/new/"), ("post", "/finance/receipts/new/"),
                         ("post", f"/finance/receipts/{receipt.pk}/allocate/"), ("get", "/finance/statements/import/")):
        response = getattr(client, method)(path)
        assert response.status_code == 403, path
        assert "只有财务可以登记回款、核销和导入银行流水" in response.content.decode()


@pytest.mark.parametrize("role", ["warehouse", "production", "logistics", "after_sales"])
def test_the_operations_see_no_money(client, users, role):
    client.force_login(users[role])
    response = client.get("/finance/")
    assert response.status_code == 403 and "您的角色不能查看应收与回款" in response.content.decode()
    assert 'id="money-link"' not in client.get("/today/").content.decode()
