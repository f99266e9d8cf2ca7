"""Invoices (issue 24, 开票申请 → 数电发票 → 红字): the tax split per line, the account manager's request with the
buyer's details checked, finance recording the issued invoice and reversing it, who may do which, the plan's
instalments counted from the invoice, the API round trip and the pages."""
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from orderloop.core import clock
from orderloop.core.exceptions import InvalidInput, InvalidTransition, NotAllowed, NotFound
from orderloop.core.models import AuditEntry
from orderloop.finance.invoices import (default_rate, invoice_issue, invoice_red_letter, invoice_request, invoice_withdraw,
                                        open_amount, tax_split)
from orderloop.finance.models import Instalment, Invoice, InvoiceLine, InvoiceStatus
from orderloop.masterdata.models import Product
from orderloop.notifications.models import Notification
from tests.support.api_client import Api

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)
BLUE = "24110000000000000001"
RED = "24110000000000000002"


@pytest.fixture
def frozen():
    with clock.frozen_at(NOW):
        yield


def three_lines(product):
    return [{"product_id": product.pk, "quantity": "1", "unit_price": "333.33"} for _n in range(3)]


# --- the tax split -------------------------------------------------------------------------------------------

def test_the_tax_is_split_per_line_half_up_and_the_totals_are_the_lines_sums(orders, product, users, frozen):
    assert tax_split(Decimal("333.33"), Decimal("0.13")) == (Decimal("38.35"), Decimal("294.98"))
    order = orders.at("confirmed", lines=three_lines(product))
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    lines = list(invoice.lines.all())
    assert [line.tax for line in lines] == [Decimal("38.35")] * 3
    assert [line.net for line in lines] == [Decimal("294.98")] * 3
    assert (invoice.amount, invoice.tax, invoice.net) == (Decimal("999.99"), Decimal("115.05"), Decimal("884.94"))
    # taxing the total instead would give 115.04: the invoice shows the lines' sum, as a 数电 invoice does
    assert tax_split(Decimal("999.99"), Decimal("0.13"))[0] == Decimal("115.04")


def test_one_line_of_three_times_333_33_is_taxed_as_one_amount(orders, product, users, frozen):
    order = orders.at("confirmed", lines=[{"product_id": product.pk, "quantity": "3", "unit_price": "333.33"}])
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    (line,) = invoice.lines.all()
    assert (line.quantity, line.amount, line.tax, line.net) == (Decimal("3"), Decimal("999.99"), Decimal("115.04"), Decimal("884.95"))
    assert (invoice.amount, invoice.tax, invoice.net) == (Decimal("999.99"), Decimal("115.04"), Decimal("884.95"))


def test_services_default_to_6_percent_goods_to_13():
    assert default_rate("服务器A型", "台") == Decimal("0.13")  # 服务器 is goods
    assert default_rate("安装调试服务", "次") == Decimal("0.06")
    assert default_rate("年度维保服务", "套") == Decimal("0.06")
    assert default_rate("技术支持", "人天") == Decimal("0.06")


def test_the_rate_is_chosen_per_line_among_the_legal_ones(orders, product, users, frozen):
    service = Product.objects.create(name="安装调试服务", model="SV-01", unit="次", list_price=Decimal("500.00"))
    order = orders.at("confirmed", lines=[{"product_id": product.pk, "quantity": "2", "unit_price": "5000"},
                                          {"product_id": service.pk, "quantity": "1", "unit_price": "500"}])
    goods, work = order.lines.all()
    with pytest.raises(InvalidInput) as refused:
        invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "ordinary", "lines": [
            {"line_id": goods.pk, "tax_rate": "0.17"}]})
    assert list(refused.value.errors) == ["lines.0.tax_rate"]
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "ordinary", "lines": [
        {"line_id": goods.pk}, {"line_id": work.pk, "tax_rate": "0.03"}]})
    assert [line.tax_rate for line in invoice.lines.all()] == [Decimal("0.13"), Decimal("0.03")]
    assert [line.tax for line in invoice.lines.all()] == [Decimal("1150.44"), Decimal("14.56")]
    # the service line's default, had it not been changed: 6 %
    assert default_rate(work.product_name, work.unit) == Decimal("0.06")


# --- the request -----------------------------------------------------------------------------------------------

def test_the_request_takes_the_customers_details_and_tells_finance(orders, users, customer, frozen):
    order = orders.at("confirmed")
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    assert invoice.status == InvoiceStatus.REQUESTED
    assert (invoice.buyer_name, invoice.buyer_tax_id, invoice.buyer_address_phone) == (
        customer.name, customer.uscc, customer.address)
    assert invoice.amount == Decimal("50000.00")
    told = Notification.objects.filter(event="invoice_requested", recipient=users["finance"])
    assert told.exists() and order.ref in told.first().subject
    assert AuditEntry.objects.filter(object_type="finance.invoice", object_id=str(invoice.pk),
                                     operation="invoice_requested").exists()


def test_the_next_request_takes_the_customers_last_invoice_details(orders, users, frozen):
    order = orders.at("confirmed")
    line = order.lines.get()
    invoice_request(order_id=order.pk, actor=users["account_manager"], data={
        "kind": "ordinary", "buyer_bank_account": "工商银行北京分行 0200001234", "buyer_address_phone": "北京市海淀区路1号 010-1234",
        "lines": [{"line_id": line.pk, "quantity": "2", "amount": "10000.00"}]})
    second = invoice_request(order_id=order.pk, actor=users["account_manager"], data={
        "kind": "ordinary", "lines": [{"line_id": line.pk, "quantity": "1"}]})
    assert second.buyer_bank_account == "工商银行北京分行 0200001234"
    assert second.buyer_address_phone == "北京市海淀区路1号 010-1234"
    assert second.amount == Decimal("5000.00")  # a quantity without an amount: at the unit price
    assert open_amount(order) == Decimal("35000.00")


def test_a_bad_tax_id_is_named_by_its_field_and_nothing_is_stored(orders, users, frozen):
    order = orders.at("confirmed")
    with pytest.raises(InvalidInput) as refused:
        invoice_request(order_id=order.pk, actor=users["account_manager"], data={
            "kind": "special", "buyer_tax_id": "91310115MA1FL5C15X", "buyer_name": " "})
    assert set(refused.value.errors) == {"buyer_tax_id", "buyer_name"}
    assert "纳税人识别号" in refused.value.errors["buyer_tax_id"][0]
    assert "校验位" in refused.value.errors["buyer_tax_id"][0]
    assert not Invoice.objects.exists()
    with pytest.raises(InvalidInput) as refused:
        invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "paper"})
    assert list(refused.value.errors) == ["kind"]


def test_more_than_is_not_yet_invoiced_is_refused_with_the_figures(orders, users, frozen):
    order = orders.at("confirmed")
    line = order.lines.get()
    invoice_request(order_id=order.pk, actor=users["account_manager"], data={
        "kind": "special", "lines": [{"line_id": line.pk, "amount": "30000.00", "quantity": "6"}]})
    with pytest.raises(InvalidInput) as refused:
        invoice_request(order_id=order.pk, actor=users["account_manager"], data={
            "kind": "special", "lines": [{"line_id": line.pk, "amount": "20000.01", "quantity": "4"}]})
    assert "超过订单尚未开票的 20,000.00 元" in refused.value.errors["lines"][0]
    assert "已申请或已开票 30,000.00 元" in refused.value.message
    assert Invoice.objects.count() == 1


def test_an_order_not_yet_confirmed_or_cancelled_is_not_invoiced(orders, users, frozen):
    for state in ("pending_approval", "cancelled"):
        order = orders.at(state)
        with pytest.raises(InvalidTransition):
            invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})


def test_a_consignment_is_invoiced_for_what_it_shipped(orders, users, frozen):
    order = orders.at("shipped")
    shipment = order.shipments.get()
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special", "shipment": 1})
    assert invoice.shipment_id == shipment.pk
    assert invoice.amount == Decimal("50000.00")
    with pytest.raises(InvalidInput) as refused:
        invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special", "shipment": 2})
    assert "shipment" in refused.value.errors


# --- who may ---------------------------------------------------------------------------------------------------

def test_who_may_request_and_who_may_issue(orders, users, frozen):
    order = orders.at("confirmed")
    for role in ("finance", "warehouse", "sales_manager"):
        with pytest.raises(NotAllowed):
            invoice_request(order_id=order.pk, actor=users[role], data={"kind": "special"})
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    for role in ("account_manager", "warehouse", "sales_director"):
        with pytest.raises(NotAllowed):
            invoice_issue(invoice_id=invoice.pk, number=BLUE, issued_on=date(2026, 12, 1), actor=users[role])
        with pytest.raises(NotAllowed):
            invoice_red_letter(invoice_id=invoice.pk, number=RED, issued_on=date(2026, 12, 1), reason="开错", actor=users[role])
    invoice_issue(invoice_id=invoice.pk, number=BLUE, issued_on=date(2026, 12, 1), actor=users["finance"])


def test_an_order_the_requester_does_not_see_is_not_found(orders, users, frozen):
    from tests.support.users import make_user

    stranger = make_user("am2", "account_manager")
    order = orders.at("confirmed")
    with pytest.raises(NotFound):
        invoice_request(order_id=order.pk, actor=stranger, data={"kind": "special"})


# --- issuing and reversing --------------------------------------------------------------------------------------

def test_finance_records_the_number_and_date_checked(orders, users, frozen):
    order = orders.at("confirmed")
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    finance = users["finance"]
    for number, issued_on, field in [("2411000000000000000", date(2026, 12, 1), "number"),
                                     ("2411000000000000000A", date(2026, 12, 1), "number"),
                                     (BLUE, date(2026, 12, 3), "issued_on"), (BLUE, "", "issued_on")]:
        with pytest.raises(InvalidInput) as refused:
            invoice_issue(invoice_id=invoice.pk, number=number, issued_on=issued_on, actor=finance)
        assert list(refused.value.errors) == [field]
    issued = invoice_issue(invoice_id=invoice.pk, number=f" {BLUE} ", issued_on="2026-12-01", actor=finance)
    assert (issued.status, issued.number, issued.issued_on, issued.issued_by) == (
        InvoiceStatus.ISSUED, BLUE, date(2026, 12, 1), finance)
    with pytest.raises(InvalidTransition):
        invoice_issue(invoice_id=invoice.pk, number=RED, issued_on=date(2026, 12, 1), actor=finance)


def test_a_number_recorded_twice_is_refused_saying_where(orders, users, frozen):
    order = orders.at("confirmed")
    line = order.lines.get()
    first, second = (invoice_request(order_id=order.pk, actor=users["account_manager"], data={
        "kind": "special", "lines": [{"line_id": line.pk, "quantity": "5"}]}) for _n in range(2))
    invoice_issue(invoice_id=first.pk, number=BLUE, issued_on=date(2026, 12, 1), actor=users["finance"])
    with pytest.raises(InvalidInput) as refused:
        invoice_issue(invoice_id=second.pk, number=BLUE, issued_on=date(2026, 12, 1), actor=users["finance"])
    assert refused.value.errors["number"] == [f"发票号码 {BLUE} 已登记（订单 {order.ref}）"]
    assert Invoice.objects.get(pk=second.pk).status == InvoiceStatus.REQUESTED


def test_a_red_letter_invoice_negates_the_blue_one_and_frees_its_amount(orders, product, users, frozen):
    order = orders.at("confirmed", lines=three_lines(product))
    blue = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    with pytest.raises(InvalidTransition):  # not issued yet
        invoice_red_letter(invoice_id=blue.pk, number=RED, issued_on=date(2026, 12, 2), reason="开错", actor=users["finance"])
    invoice_issue(invoice_id=blue.pk, number=BLUE, issued_on=date(2026, 12, 1), actor=users["finance"])
    assert open_amount(order) == Decimal("0.00")
    with pytest.raises(InvalidInput) as refused:
        invoice_red_letter(invoice_id=blue.pk, number=RED, issued_on=date(2026, 11, 30), reason="", actor=users["finance"])
    assert set(refused.value.errors) == {"reason", "issued_on"}
    red = invoice_red_letter(invoice_id=blue.pk, number=RED, issued_on=date(2026, 12, 2), reason="购买方名称有误",
                             actor=users["finance"])
    assert (red.red_of_id, red.status, red.number) == (blue.pk, InvoiceStatus.ISSUED, RED)
    assert (red.amount, red.tax, red.net) == (Decimal("-999.99"), Decimal("-115.05"), Decimal("-884.94"))
    assert [line.tax for line in red.lines.all()] == [Decimal("-38.35")] * 3
    assert Invoice.objects.get(pk=blue.pk).status == InvoiceStatus.REVERSED
    assert open_amount(order) == Decimal("999.99")
    assert InvoiceLine.objects.filter(invoice__order=order).count() == 6
    for again in (blue, red):
        with pytest.raises(InvalidTransition):
            invoice_red_letter(invoice_id=again.pk, number="24110000000000000003", issued_on=date(2026, 12, 2), reason="再冲",
                               actor=users["finance"])
    operations = set(AuditEntry.objects.filter(object_type="finance.invoice").values_list("operation", flat=True))
    assert operations == {"invoice_requested", "invoice_issued", "invoice_reversed"}
    # the amount is open again: a corrected invoice may be requested
    again = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special", "buyer_name": "科技有限公司"})
    assert again.amount == Decimal("999.99")


def test_instalments_counted_from_the_invoice_fall_due_when_it_is_issued(orders, users, frozen):
    order = orders.at("confirmed", payment_terms="月结30天")
    row = Instalment.objects.get(order=order)
    assert (row.trigger, row.due_date) == ("days_after_invoice", None)
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    invoice_issue(invoice_id=invoice.pk, number=BLUE, issued_on=date(2026, 11, 20), actor=users["finance"])
    assert Instalment.objects.get(order=order).due_date == date(2026, 12, 20)
    assert AuditEntry.objects.filter(object_type="orders.salesorder", object_id=str(order.pk), operation="plan_changed").exists()
    # reversed, with no other invoice standing: no longer due; the corrected invoice's date counts
    invoice_red_letter(invoice_id=invoice.pk, number=RED, issued_on=date(2026, 11, 25), reason="税率有误", actor=users["finance"])
    assert Instalment.objects.get(order=order).due_date is None
    corrected = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    invoice_issue(invoice_id=corrected.pk, number="24110000000000000003", issued_on=date(2026, 11, 26), actor=users["finance"])
    assert Instalment.objects.get(order=order).due_date == date(2026, 12, 26)


# --- the API ---------------------------------------------------------------------------------------------------

def test_the_api_round_trip(orders, users, product, frozen):
    order = orders.at("confirmed", lines=three_lines(product))
    manager, finance = Api("account_manager"), Api("finance")
    assert manager.post(f"/finance/orders/{order.ref}/invoices", {}).json()["errors"] == {"kind": ["必填"]}
    bad = manager.post(f"/finance/orders/{order.ref}/invoices", {"kind": "special", "buyer_tax_id": "123"})
    assert bad.status_code == 422 and list(bad.json()["errors"]) == ["buyer_tax_id"]
    assert finance.post(f"/finance/orders/{order.ref}/invoices", {"kind": "special"}).status_code == 403
    created = manager.post(f"/finance/orders/{order.ref}/invoices", {"kind": "special"})
    assert created.status_code == 201, created.content
    body = created.json()
    assert (body["amount"], body["tax"], body["net"], body["status"]) == ("999.99", "115.05", "884.94", "requested")
    assert [line["tax"] for line in body["lines"]] == ["38.35"] * 3
    queue = finance.get("/finance/invoices", status="requested").json()
    assert [item["id"] for item in queue["items"]] == [body["id"]]
    assert manager.post(f"/finance/invoices/{body['id']}/issue", {"number": BLUE, "issued_on": "2026-12-01"}).status_code == 403
    issued = finance.post(f"/finance/invoices/{body['id']}/issue", {"number": BLUE, "issued_on": "2026-12-01"})
    assert issued.status_code == 200 and issued.json()["number"] == BLUE
    duplicate = finance.post(f"/finance/invoices/{body['id']}/issue", {"number": BLUE, "issued_on": "2026-12-01"})
    assert duplicate.status_code == 422 and "number" in duplicate.json()["errors"]
    red = finance.post(f"/finance/invoices/{body['id']}/red-letter", {"number": RED, "issued_on": "2026-12-02", "reason": "开错"})
    assert red.status_code == 201 and red.json()["amount"] == "-999.99" and red.json()["red_of"] == body["id"]
    listed = manager.get(f"/finance/orders/{order.ref}/invoices").json()
    assert [(item["status"], item["red_letter"]) for item in listed] == [("reversed", red.json()["id"]), ("issued", None)]
    assert Api("warehouse").get("/finance/invoices").status_code == 403
    assert finance.post("/finance/invoices/999999/issue", {"number": RED, "issued_on": "2026-12-01"}).status_code == 404


# --- the pages -------------------------------------------------------------------------------------------------

def _client(user):
    client = Client()
    client.force_login(user)
    return client


def test_the_order_page_lists_invoices_and_offers_the_request(orders, users, frozen):
    order = orders.at("confirmed")
    page = _client(users["account_manager"]).get(f"/orders/{order.ref}/").content.decode()
    assert 'id="invoices"' in page and 'id="invoice-request-link"' in page
    page = _client(users["finance"]).get(f"/orders/{order.ref}/").content.decode()
    assert 'id="invoices"' in page and 'id="invoice-request-link"' not in page
    page = _client(users["warehouse"]).get(f"/orders/{order.ref}/").content.decode()
    assert 'id="invoices"' not in page


def test_the_request_page_renders_the_defaults_and_posts(orders, users, customer, frozen):
    order = orders.at("confirmed")
    client = _client(users["account_manager"])
    page = client.get(f"/finance/orders/{order.ref}/invoice/")
    assert page.status_code == 200
    html = page.content.decode()
    assert customer.uscc in html and 'name="line-0-tax_rate"' in html and 'value="0.13" selected' in html
    form = {"kind": "special", "buyer_name": customer.name, "buyer_tax_id": "91310115MA1FL5C15X", "buyer_address_phone": "",
            "buyer_bank_account": "", "remark": "", "line-0-include": "1", "line-0-description": "服务器A型",
            "line-0-quantity": "10", "line-0-amount": "50000.00", "line-0-tax_rate": "0.13"}
    refused = client.post(f"/finance/orders/{order.ref}/invoice/", form)
    assert refused.status_code == 422 and "纳税人识别号有误" in refused.content.decode()
    form["buyer_tax_id"] = customer.uscc
    form["line-0-amount"] = "60000.00"
    refused = client.post(f"/finance/orders/{order.ref}/invoice/", form)
    assert refused.status_code == 422 and "第 1 行开票金额超过该行尚未开票的 50,000.00 元" in refused.content.decode()
    form["line-0-amount"] = "50000.00"
    done = client.post(f"/finance/orders/{order.ref}/invoice/", form)
    assert done.status_code == 302 and done["Location"] == f"/orders/{order.ref}/"
    assert Invoice.objects.get().amount == Decimal("50000.00")
    assert _client(users["finance"]).get(f"/finance/orders/{order.ref}/invoice/").status_code == 403
    assert _client(users["warehouse"]).post(f"/finance/orders/{order.ref}/invoice/", form).status_code == 403


def test_finance_records_and_reverses_on_the_queue_page(orders, users, frozen):
    order = orders.at("confirmed")
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    finance = _client(users["finance"])
    queue = finance.get("/finance/invoices/?status=requested")
    assert queue.status_code == 200 and f'id="issue-{invoice.pk}"' in queue.content.decode()
    refused = finance.post(f"/finance/invoices/{invoice.pk}/issue/", {"number": "123", "issued_on": "2026-12-01", "status": "requested"})
    assert refused.status_code == 422 and "20位数字" in refused.content.decode()
    done = finance.post(f"/finance/invoices/{invoice.pk}/issue/", {"number": BLUE, "issued_on": "2026-12-01", "status": "requested"})
    assert done.status_code == 302
    issued = finance.get("/finance/invoices/?status=issued").content.decode()
    assert f'id="red-{invoice.pk}"' in issued and BLUE in issued
    done = finance.post(f"/finance/invoices/{invoice.pk}/red-letter/", {"number": RED, "issued_on": "2026-12-02", "reason": "开错"})
    assert done.status_code == 302 and Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.REVERSED
    assert _client(users["account_manager"]).get("/finance/invoices/").status_code == 200
    assert _client(users["account_manager"]).post(f"/finance/invoices/{invoice.pk}/issue/", {}).status_code == 403
    assert _client(users["warehouse"]).get("/finance/invoices/").status_code == 403


# --- withdrawing a request ---------------------------------------------------------------------------------------

def test_a_request_withdrawn_with_a_reason_frees_its_amount_and_is_audited(orders, users, frozen):
    order = orders.at("confirmed")
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    assert open_amount(order) == Decimal("0.00")
    with pytest.raises(InvalidInput) as refused:
        invoice_withdraw(invoice_id=invoice.pk, reason="  ", actor=users["account_manager"])
    assert refused.value.errors == {"reason": ["请填写原因"]}
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.REQUESTED
    invoice_withdraw(invoice_id=invoice.pk, reason="客户要改开普通发票", actor=users["account_manager"])
    invoice.refresh_from_db()
    assert (invoice.status, invoice.reason) == (InvoiceStatus.WITHDRAWN, "客户要改开普通发票")
    assert open_amount(order) == order.total_amount
    entry = AuditEntry.objects.get(object_type="finance.invoice", object_id=str(invoice.pk), operation="invoice_withdrawn")
    assert entry.actor == users["account_manager"] and entry.changes["reason"] == [None, "客户要改开普通发票"]
    again = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "ordinary"})
    assert again.amount == order.total_amount
    assert Notification.objects.filter(event="invoice_returned").count() == 0  # withdrawn by its requester: nobody told
    with pytest.raises(InvalidTransition, match="只有待开票的申请可以撤回"):
        invoice_withdraw(invoice_id=invoice.pk, reason="再撤", actor=users["account_manager"])
    invoice_issue(invoice_id=again.pk, number=BLUE, issued_on=date(2026, 12, 1), actor=users["finance"])
    with pytest.raises(InvalidTransition, match="发票已开票"):
        invoice_withdraw(invoice_id=again.pk, reason="开错了", actor=users["finance"])


def test_finance_returning_a_request_tells_the_requester(orders, users, frozen):
    order = orders.at("confirmed")
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    invoice_withdraw(invoice_id=invoice.pk, reason="纳税人识别号与营业执照不符", actor=users["finance"])
    notice = Notification.objects.get(event="invoice_returned", channel="inapp")
    assert notice.recipient == users["account_manager"]
    assert "开票申请被退回" in notice.subject and "纳税人识别号与营业执照不符" in notice.body
    assert notice.url == f"/finance/orders/{order.ref}/invoice/"


def test_who_may_withdraw(orders, users, frozen):
    from tests.support.users import make_user

    order = orders.at("confirmed")
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    for role in ("warehouse", "sales_director"):
        with pytest.raises(NotAllowed):
            invoice_withdraw(invoice_id=invoice.pk, reason="不要了", actor=users[role])
    with pytest.raises(NotFound):
        invoice_withdraw(invoice_id=invoice.pk, reason="不要了", actor=make_user("am2", "account_manager"))
    with pytest.raises(NotFound):
        invoice_withdraw(invoice_id=999999, reason="不要了", actor=users["finance"])
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.REQUESTED


def test_withdrawing_through_the_api(orders, users, frozen):
    order = orders.at("confirmed")
    invoice = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    assert Api("warehouse").post(f"/finance/invoices/{invoice.pk}/withdraw", {"reason": "x"}).status_code == 403
    done = Api("account_manager").post(f"/finance/invoices/{invoice.pk}/withdraw", {"reason": "开错类型"})
    assert done.status_code == 200 and (done.json()["status"], done.json()["reason"]) == ("withdrawn", "开错类型")
    again = Api("finance").post(f"/finance/invoices/{invoice.pk}/withdraw", {"reason": "开错类型"})
    assert again.status_code == 409


def test_withdrawing_from_the_order_page_and_returning_from_the_queue(orders, users, frozen):
    order = orders.at("confirmed")
    first = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "special"})
    manager = _client(users["account_manager"])
    page = manager.get(f"/orders/{order.ref}/").content.decode()
    assert f'id="withdraw-{first.pk}"' in page and "撤回开票申请" in page
    refused = manager.post(f"/finance/invoices/{first.pk}/withdraw/", {"reason": "", "back": "order"})
    assert refused.status_code == 422 and "请填写原因" in refused.content.decode()
    done = manager.post(f"/finance/invoices/{first.pk}/withdraw/", {"reason": "客户要改开普通发票", "back": "order"})
    assert done.status_code == 302 and done["Location"] == f"/orders/{order.ref}/#invoices"
    page = manager.get(f"/orders/{order.ref}/").content.decode()
    assert "已撤回" in page and "撤回原因：客户要改开普通发票" in page and 'id="invoice-request-link"' in page
    second = invoice_request(order_id=order.pk, actor=users["account_manager"], data={"kind": "ordinary"})
    finance = _client(users["finance"])
    queue = finance.get("/finance/invoices/?status=requested").content.decode()
    assert f'id="withdraw-{second.pk}"' in queue and "退回申请" in queue
    done = finance.post(f"/finance/invoices/{second.pk}/withdraw/", {"reason": "购买方名称有误", "status": "requested"})
    assert done.status_code == 302 and done["Location"] == "/finance/invoices/?status=requested"
    assert Invoice.objects.get(pk=second.pk).status == InvoiceStatus.WITHDRAWN
    withdrawn = finance.get("/finance/invoices/?status=withdrawn").content.decode()
    assert "购买方名称有误" in withdrawn
    assert _client(users["warehouse"]).post(f"/finance/invoices/{second.pk}/withdraw/", {"reason": "x"}).status_code == 403
