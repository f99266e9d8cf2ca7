"""Exports for the accountant's system (issue 25): 销售订单 (one row per line of each confirmed order, the tax split
per line to the fen as an invoice does) and 收款单 (one row per allocation and one for the unallocated rest) as
.xlsx for a date range — last month unless asked — with codes as text, amounts as numbers to the fen and dates as
dates; finance and the admin only, every download audited."""
import io
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from orderloop.core import clock
from orderloop.core.models import AuditEntry
from orderloop.finance.models import Instalment
from orderloop.finance.receipts import Share, receipt_record

pytestmark = pytest.mark.django_db
SHANGHAI = ZoneInfo("Asia/Shanghai")
NOVEMBER = datetime(2026, 11, 10, 10, 0, tzinfo=SHANGHAI)
DECEMBER = datetime(2026, 12, 2, 10, 0, tzinfo=SHANGHAI)  # "last month" is November

ORDER_HEADERS = ["单据日期", "单据编号", "客户编码", "客户名称", "统一社会信用代码", "存货编码", "存货名称", "单位", "数量",
                 "含税单价", "价税合计", "税率(%)", "不含税金额", "税额", "业务员", "备注"]
RECEIPT_HEADERS = ["收款日期", "收款单号", "客户编码", "客户名称", "付款人", "金额", "结算方式/银行流水号", "核销订单号",
                   "核销金额"]


def three_lines(product):
    return [{"product_id": product.pk, "quantity": "1", "unit_price": "333.33"} for _n in range(3)]


@pytest.fixture
def books(users, customer, product, orders):
    """In November: an order of 3 × 333.33 confirmed (its 30 % deposit paid), a receipt paying its balance with
    money left over; an order still waiting for approval, one cancelled; an October order and receipt."""
    customer.code = "000123"  # a code with leading zeros: kept as typed
    customer.save()
    with clock.frozen_at(NOVEMBER):
        confirmed = orders.at("confirmed", lines=three_lines(product), order_date="2026-11-05", remarks="月底发货")
        waiting = orders.at("pending_approval", lines=three_lines(product), order_date="2026-11-06")
        cancelled = orders.at("cancelled", lines=three_lines(product), order_date="2026-11-07")
        october = orders.at("confirmed", lines=three_lines(product), order_date="2026-10-20", deposit_paid=False)
        balance = Instalment.objects.get(order=confirmed, is_open=True)
        receipt = receipt_record(customer_id=customer.pk, received_on=date(2026, 11, 9), payer="科技有限公司财务部",
                                 amount=Decimal("1000.00"), bank_reference="6222020200112233445", actor=users["finance"],
                                 allocations=[Share(balance.pk, balance.outstanding)])
        early = receipt_record(customer_id=customer.pk, received_on=date(2026, 10, 31), payer="科技有限公司",
                               amount=Decimal("50.00"), actor=users["finance"])
    return {"confirmed": confirmed, "waiting": waiting, "cancelled": cancelled, "october": october,
            "receipt": receipt, "balance": balance, "early": early}


def download(user, name, status=200, **query):
    client = Client()
    client.force_login(user)
    with clock.frozen_at(DECEMBER):
        response = client.get(reverse("golive:accounting_file", args=[name]), query)
    assert response.status_code == status
    return response


def sheet_of(response):
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return book.active


def values(sheet) -> list[list]:
    return [[cell.value for cell in row] for row in sheet.iter_rows()]


def test_the_sales_orders_of_last_month_one_row_per_line_taxed_per_line(users, customer, books):
    response = download(users["finance"], "orders")
    assert "%E9%94%80%E5%94%AE%E8%AE%A2%E5%8D%95_2026-11-01_2026-11-30.xlsx" in response["Content-Disposition"]
    sheet = sheet_of(response)
    rows = values(sheet)
    assert rows[0] == ORDER_HEADERS
    order = books["confirmed"]
    assert len(rows) == 1 + 3  # only the confirmed November order: not the one waiting, cancelled or of October
    for row in rows[1:]:
        assert row == [datetime(2026, 11, 5), order.number, "000123", "科技有限公司", "91310115MA1FL5C15C", "S-001",
                       "服务器A型", "台", 1, 333.33, 333.33, 13, 294.98, 38.35, str(order.owner), "月底发货"]
    # to the fen, as the invoice would split it: 3 × 38.35 = 115.05 (taxing the total would give 115.04)
    assert sum(Decimal(str(row[13])) for row in rows[1:]) == Decimal("115.05")
    assert sum(Decimal(str(row[12])) for row in rows[1:]) == Decimal("884.94")
    first = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    for index in (1, 2, 4, 5, 6, 7, 14, 15):  # codes, numbers, the credit code: text
        assert first[index].data_type == "s" and first[index].number_format == "@", ORDER_HEADERS[index]
    for index in (9, 10, 12, 13):
        assert first[index].data_type == "n" and first[index].number_format == "#,##0.00", ORDER_HEADERS[index]
    assert first[0].is_date


def test_the_receipts_one_row_per_allocation_and_one_for_the_rest(users, customer, books):
    sheet = sheet_of(download(users["admin"], "receipts"))
    rows = values(sheet)
    assert rows[0] == RECEIPT_HEADERS
    deposit = books["confirmed"].instalments.get(number=1)
    (paid,) = deposit.allocations.all()
    number = books["confirmed"].number
    balance = books["balance"].amount  # 999.99 less the deposit
    receipt = books["receipt"]
    assert rows[1:] == [  # by 到账日期
        [datetime(2026, 11, 9), f"SK{receipt.pk:08d}", "000123", "科技有限公司", "科技有限公司财务部", 1000.0,
         "6222020200112233445", number, float(balance)],
        [datetime(2026, 11, 9), f"SK{receipt.pk:08d}", "000123", "科技有限公司", "科技有限公司财务部", 1000.0,
         "6222020200112233445", None, float(Decimal("1000.00") - balance)],
        [datetime(2026, 11, 10), f"SK{paid.receipt_id:08d}", "000123", "科技有限公司", "科技有限公司",
         float(deposit.amount), None, number, float(deposit.amount)],
    ]
    assert deposit.amount + balance == Decimal("999.99")
    second = list(sheet.iter_rows(min_row=2, max_row=2))[0]
    assert second[6].data_type == "s" and second[6].number_format == "@"  # 19 digits stay as typed
    assert second[5].number_format == second[8].number_format == "#,##0.00"


def test_a_range_asked_for_and_every_download_audited(users, books):
    rows = values(sheet_of(download(users["finance"], "receipts", date_from="2026-10-01", date_to="2026-10-31")))
    assert [row[5] for row in rows[1:]] == [50.0]  # the October receipt, nothing allocated: one row for the rest
    rows = values(sheet_of(download(users["finance"], "orders", date_from="2026-10-01", date_to="2026-10-31")))
    assert {row[1] for row in rows[1:]} == {books["october"].number}
    entries = AuditEntry.objects.filter(operation="downloaded", actor=users["finance"]).order_by("id")
    assert [(e.changes["what"], e.changes["rows"]) for e in entries] == [
        ("收款单_2026-10-01_2026-10-31.xlsx", 1), ("销售订单_2026-10-01_2026-10-31.xlsx", 3)]
    bad = download(users["finance"], "orders", status=302, date_from="2026-13-01")
    assert bad["Location"].startswith(reverse("golive:accounting"))


def test_only_finance_and_the_admin_export(users):
    for role in ("sales_director", "sales_manager", "account_manager", "warehouse"):
        download(users[role], "orders", status=403)
        download(users[role], "receipts", status=403)
        client = Client()
        client.force_login(users[role])
        assert client.get(reverse("golive:accounting")).status_code == 403


def test_finance_finds_the_exports_from_its_pages(users):
    client = Client()
    client.force_login(users["finance"])
    with clock.frozen_at(DECEMBER):
        for page in ("finance:queue", "finance:receipts", "finance:receipt_register"):
            assert reverse("golive:accounting") in client.get(reverse(page)).content.decode(), page
        html = client.get(reverse("golive:accounting")).content.decode()
    assert 'value="2026-11-01"' in html and 'value="2026-11-30"' in html  # last month
    assert reverse("golive:accounting_file", args=["orders"]) + "?date_from=2026-11-01&amp;date_to=2026-11-30" in html
