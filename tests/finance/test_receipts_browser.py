"""Receipts in a real browser (issue #24, done-when 7, finance's part): finance records a deposit from its queue
(待收款 → 登记回款), and production's order page then offers 开始备货/生产; a bank statement imported and its
suggestion confirmed. Finance's pages fit a 390×844 phone as the other roles' pages do (tests/support/phone.py)."""
import io
from datetime import date

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from orderloop.finance.models import Instalment, Receipt
from tests.support.browser import PHONE, log_in, open_menu
from tests.support.phone import MEASURE

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def measured(page, url, problems, who):
    page.goto(url)
    found = page.evaluate(MEASURE, PHONE["viewport"]["width"])
    if found:
        problems[f"{who} {url.split('/', 3)[-1]}"] = found


def test_finance_records_a_deposit_from_its_queue_and_production_may_start(browser, web_server, orders, users):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = Instalment.objects.get(order=order, number=1)

    page = log_in(browser, web_server, "production")
    page.goto(f"{web_server.url}/orders/{order.ref}/")
    expect(page.locator("#actions")).not_to_contain_text("提交：开始备货/生产")
    page.close()

    page = log_in(browser, web_server, "finance")
    expect(page.locator("#overdue-receivables")).to_contain_text(order.ref)  # 今日: the order waiting for its deposit
    open_menu(page)
    page.locator("#money-link").click()
    row = page.locator(f"#collection-queue tr[data-instalment='{deposit.pk}']")
    expect(row).to_contain_text("暂停备货/生产")
    row.get_by_role("link", name="登记回款").click()
    expect(page.locator("input[name=amount]")).to_have_value("15000.00")
    expect(page.locator(f"input[name=alloc-{deposit.pk}]")).to_have_value("15000.00")
    page.locator("input[name=bank_reference]").fill("B20260302001")
    page.get_by_role("button", name="登记回款").click()
    expect(page.locator(".messages .success")).to_contain_text("已登记回款 15,000.00 元")
    expect(page.locator("#receipt-allocations")).to_contain_text(order.ref)
    page.close()
    assert Receipt.objects.get().allocated == deposit.amount

    page = log_in(browser, web_server, "production")
    page.goto(f"{web_server.url}/orders/{order.ref}/")
    expect(page.locator("#actions").get_by_text("开始备货/生产", exact=True)).to_be_visible()
    expect(page.locator("#inbox-link")).to_contain_text("消息")
    page.close()


def test_finances_pages_fit_a_phone(browser, web_server, orders, users, customer):
    order = orders.at("confirmed", deposit_paid=False)
    deposit = Instalment.objects.get(order=order, number=1)
    book = Workbook()
    book.active.append(["交易日期", "对方户名", "贷方金额", "交易流水号", "摘要"])
    book.active.append([date(2026, 3, 1), customer.name, 15000, "P1", "预付款"])
    book.active.append([date(2026, 3, 1), customer.name, 1234.56, "P2", "货款"])
    buffer = io.BytesIO()
    book.save(buffer)

    context = browser.new_context(**PHONE)
    page = context.new_page()
    page.goto(f"{web_server.url}/login/")
    page.get_by_label("用户名").fill("finance")
    page.get_by_label("密码").fill("orderloop")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{web_server.url}/today/")
    problems = {}
    url = web_server.url
    measured(page, f"{url}/finance/statements/import/", problems, "finance")
    page.locator("input[type=file]").set_input_files(files=[{
        "name": "流水.xlsx", "buffer": buffer.getvalue(),
        "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}])
    page.get_by_role("button", name="导入").click()
    expect(page.locator(".messages .success")).to_contain_text("已导入 2 笔回款")
    statement_url = page.url
    receipt = Receipt.objects.get(bank_reference="P1")
    for path in ("/today/", "/finance/", f"/finance/receipts/new/?instalment={deposit.pk}", "/finance/receipts/",
                 f"/finance/receipts/{Receipt.objects.get(bank_reference='P2').pk}/"):
        measured(page, url + path, problems, "finance")
    measured(page, statement_url, problems, "finance")
    checkbox = page.locator(f"input[name=match][value='{receipt.pk}:{deposit.pk}']")
    expect(checkbox).to_be_checked()
    page.get_by_role("button", name="确认核销").click()
    expect(page.locator(".messages .success")).to_contain_text("已确认 1 笔核销")
    context.close()
    deposit.refresh_from_db()
    assert not deposit.is_open
    assert problems == {}, "\n".join(f"{where}: {found}" for where, found in problems.items())
