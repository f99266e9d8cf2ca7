"""Invoices in a real browser, on a phone: the account manager requests an invoice from the order page, finance
records its number from 待开票 and reverses it; every page fits the phone (the phone pages' measure)."""
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from orderloop.finance.models import Invoice, InvoiceStatus
from tests.support.browser import log_in, open_menu
from tests.support.orders import OrderBuilder
from tests.support.browser import PHONE
from tests.support.phone import MEASURE

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]
AT = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def fits(page) -> list:
    page.evaluate("() => document.querySelectorAll('main details').forEach(d => { d.open = true; })")
    return page.evaluate(MEASURE, PHONE["viewport"]["width"])


def test_request_record_and_reverse_an_invoice_on_a_phone(browser, web_server, users, customer, product):
    with web_server.frozen_at(AT):
        order = OrderBuilder(users, customer, product).at("shipped")
        url = web_server.url
        manager = log_in(browser, web_server, "account_manager", phone=True)
        manager.goto(f"{url}/orders/{order.ref}/")
        with manager.expect_navigation():  # measured on the page the link opens, not while it loads
            manager.locator("#invoice-request-link").click()
        assert fits(manager) == []
        manager.locator('select[name="line-0-tax_rate"]').select_option("0.13")
        manager.get_by_role("button", name="提交开票申请").click()
        manager.wait_for_url(f"{url}/orders/{order.ref}/")
        assert "已提交开票申请" in manager.locator(".messages").inner_text()
        assert "待开票" in manager.locator("#invoices").inner_text()
        invoice = Invoice.objects.get()

        finance = log_in(browser, web_server, "finance", phone=True)
        open_menu(finance)
        with finance.expect_navigation():
            finance.locator("#invoices-link").click()
        assert fits(finance) == []
        form = finance.locator(f"#issue-{invoice.pk}")
        form.get_by_label("发票号码").fill("24110000000000000001")
        form.get_by_label("开票日期").fill("2026-12-01")
        form.get_by_role("button", name="登记发票").click()
        assert "已登记发票 24110000000000000001" in finance.locator(".messages").inner_text()
        finance.goto(f"{url}/finance/invoices/?status=issued")
        finance.locator(f'tr[data-invoice="{invoice.pk}"] summary').click()  # 红冲 unfolds its form
        assert fits(finance) == []
        form = finance.locator(f"#red-{invoice.pk}")
        form.get_by_label("红字发票号码").fill("24110000000000000002")
        form.get_by_label("开票日期").fill("2026-12-02")
        form.get_by_label("红冲原因").fill("购买方名称有误")
        form.get_by_role("button", name="登记红字发票").click()
        assert "已红冲" in finance.locator(".messages").inner_text()
        assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.REVERSED
