"""Order to cash in the browser (issue 24, Done-when 7): production waits for the 30% deposit; finance records it from
its 待收款 queue and production is offered 开始备货/生产; the account manager raises an invoice request; finance
records the issued invoice's number; the customer's 《对账单》 lists the invoice and the receipt."""
import io
import re

import pytest
from playwright.sync_api import expect
from pypdf import PdfReader

from orderloop.core import clock
from orderloop.finance.models import Invoice, InvoiceStatus, Receipt
from orderloop.orders.models import SalesOrder
from tests.support.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

NUMBER = "26317000000012345678"  # a 数电 invoice's 20 digits


def test_finance_records_the_deposit_then_production_starts_and_the_statement_lists_invoice_and_receipt(
        browser, web_server, users, orders):
    order = orders.at("confirmed", deposit_paid=False)
    today = clock.today().isoformat()

    # production sees why it cannot start yet
    page = log_in(browser, web_server, "production")
    page.goto(f"{web_server.url}/orders/{order.number}/")
    expect(page.locator("#payment-hold")).to_contain_text("预付款未到账（第1期 15,000.00 元尚欠 15,000.00 元）")
    expect(page.locator("#actions").get_by_text("开始备货/生产", exact=True)).to_have_count(0)
    page.close()

    # finance: the held deposit is first in the queue; 登记回款 comes filled in for it
    page = log_in(browser, web_server, "finance")
    page.goto(f"{web_server.url}/finance/")
    held = page.locator("#collection-queue tbody tr").first
    expect(held).to_contain_text(order.number)
    expect(held).to_contain_text("暂停备货/生产")
    expect(held).to_contain_text("15,000.00")
    held.get_by_role("link", name="登记回款").click()
    form = page.locator("#receipt-form")
    assert form.locator('[name="payer"]').input_value() == order.customer.name
    form.locator('[name="received_on"]').fill(today)
    form.locator('[name="amount"]').fill("15000.00")
    form.locator('[name="bank_reference"]').fill("CMB20261202001")
    form.get_by_role("button", name="登记回款").click()
    expect(page.locator(".messages .success")).to_be_visible()
    page.close()
    receipt = Receipt.objects.get(customer=order.customer)
    assert (receipt.amount, receipt.allocated, receipt.bank_reference) == (15000, 15000, "CMB20261202001")

    # production is now offered the start
    page = log_in(browser, web_server, "production")
    page.goto(f"{web_server.url}/orders/{order.number}/")
    expect(page.locator("#payment-hold")).to_have_count(0)
    expect(page.locator("#actions").get_by_text("开始备货/生产", exact=True)).to_be_visible()
    page.close()

    # the account manager raises the invoice request from the order page, the buyer's details filled in
    page = log_in(browser, web_server, "account_manager")
    page.goto(f"{web_server.url}/orders/{order.number}/")
    page.locator("#invoice-request-link").click()
    form = page.locator("#invoice-request-form")
    assert form.locator('[name="buyer_name"]').input_value() == order.customer.name
    assert form.locator('[name="buyer_tax_id"]').input_value() == order.customer.uscc
    form.get_by_role("button", name="提交开票申请").click()
    expect(page.locator(".messages .success")).to_be_visible()
    page.close()
    invoice = Invoice.objects.get(order=order)
    assert (invoice.status, invoice.amount) == (InvoiceStatus.REQUESTED, order.total_amount)

    # finance records the issued invoice's number and date
    page = log_in(browser, web_server, "finance")
    page.goto(f"{web_server.url}/finance/invoices/")
    issue = page.locator(f"#issue-{invoice.pk}")
    issue.locator('[name="number"]').fill(NUMBER)
    issue.locator('[name="issued_on"]').fill(today)
    issue.get_by_role("button", name="登记发票").click()
    expect(page.locator(".messages .success")).to_contain_text(NUMBER)
    invoice.refresh_from_db()
    assert (invoice.status, invoice.number) == (InvoiceStatus.ISSUED, NUMBER)

    # the customer's statement of account, from the customer page, lists both
    page.goto(f"{web_server.url}/customers/{order.customer.pk}/")
    statement = page.locator("#statement-form")
    expect(statement).to_be_visible()
    action = statement.get_attribute("action")
    start, end = (statement.locator(f'[name="{name}"]').input_value() for name in ("from", "to"))
    response = page.request.get(f"{web_server.url}{action}?from={start}&to={end}")
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(response.body())).pages)
    assert "对账单" in text and NUMBER in text
    assert "CMB20261202001" in text and "15,000.00" in text
    assert re.search(r"50,000\.00", text)  # the invoice's 价税合计
    page.close()
    assert SalesOrder.objects.get(pk=order.pk).status == "confirmed"
