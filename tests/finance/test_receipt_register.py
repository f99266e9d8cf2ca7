"""《回款登记表》: the receipts a user may see, each with its allocations (订单编号 第N期 金额), on screen with a date
range and a customer filter, and as .xlsx and .csv — every file taken out in the audit log."""
import csv
import io
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.test import Client
from openpyxl import load_workbook

from orderloop.accounts.models import Team
from orderloop.core import clock
from orderloop.core.models import AuditEntry
from orderloop.finance.models import Instalment
from orderloop.finance.receipts import Share, receipt_record
from tests.support.customers import make_customer
from tests.support.users import make_user

SH = ZoneInfo("Asia/Shanghai")


def at(day: str, hm: str = "10:00") -> datetime:
    return datetime.fromisoformat(f"{day} {hm}").replace(tzinfo=SH)


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def receipts(orders, users, customer):
    """科技有限公司's order confirmed on 2024-05-10, its deposit (15,000.00) paid that day with bank reference
    CMB001 and 1,000.00 more on 2024-05-20 left unallocated; and another team's customer's receipt."""
    with clock.frozen_at(at("2024-05-10")):
        order = orders.at("confirmed", deposit_paid=False)
        deposit = Instalment.objects.get(order=order, number=1)
        first = receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="科技有限公司", amount="15000.00",
                               bank_reference="CMB001", actor=users["finance"], allocations=[Share(deposit.pk, Decimal("15000.00"))])
    with clock.frozen_at(at("2024-05-20")):
        second = receipt_record(customer_id=customer.pk, received_on=clock.today(), payer="=科技有限公司", amount="1000.00",
                                bank_reference="CMB002", actor=users["finance"], remark="预付")
    east = Team.objects.create(name="华东销售二组")
    other_manager = make_user("account_manager2", "account_manager", team=east)
    other = make_customer("华东制造有限公司", owner=other_manager, uscc="91110000600037341L")
    with clock.frozen_at(at("2024-05-15")):
        theirs = receipt_record(customer_id=other.pk, received_on=clock.today(), payer="华东制造有限公司", amount="800.00",
                                bank_reference="ICBC9", actor=users["finance"])
    return {"order": order, "first": first, "second": second, "theirs": theirs, "other": other}


def test_finance_sees_every_receipt_with_its_allocations(receipts, users):
    page = client_of(users["finance"]).get("/finance/receipts/register/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "回款登记表" in text and "CMB001" in text and "CMB002" in text and "ICBC9" in text
    assert f"{receipts['order'].ref} 第1期 15,000.00" in text
    assert "16,800.00" in text  # the total of the three


def test_the_sales_staff_see_their_customers_receipts_only(receipts, users):
    text = client_of(users["account_manager"]).get("/finance/receipts/register/").content.decode()
    assert "CMB001" in text and "ICBC9" not in text
    assert "华东制造有限公司" not in text  # not even in the customer filter
    for role in ("warehouse", "production", "logistics", "after_sales"):
        assert client_of(users[role]).get("/finance/receipts/register/").status_code == 403, role
        assert client_of(users[role]).get("/finance/receipts/register.xlsx").status_code == 403, role


def test_the_date_range_and_the_customer_narrow_it(receipts, users, customer):
    client = client_of(users["finance"])
    text = client.get("/finance/receipts/register/?date_from=2024-05-12&date_to=2024-05-31").content.decode()
    assert "CMB001" not in text and "CMB002" in text and "ICBC9" in text
    text = client.get(f"/finance/receipts/register/?customer={receipts['other'].pk}").content.decode()
    assert "CMB001" not in text and "ICBC9" in text
    bad = client.get("/finance/receipts/register/?date_from=2024-13-01").content.decode()
    assert "不是有效日期" in bad


def test_the_workbook_and_the_csv_hold_the_rows_and_each_download_is_audited(receipts, users, customer):
    client = client_of(users["finance"])
    response = client.get(f"/finance/receipts/register.xlsx?customer={customer.pk}")
    assert response.status_code == 200
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    rows = list(book.active.iter_rows(values_only=True))
    assert rows[0] == ("到账日期", "客户名称", "付款方", "金额(元)", "银行流水号", "已核销金额(元)", "未核销金额(元)",
                       "核销明细", "登记人", "备注")
    assert rows[1][1:] == ("科技有限公司", "科技有限公司", 15000, "CMB001", 15000, 0,
                           f"{receipts['order'].ref} 第1期 15,000.00", "finance", None)
    assert rows[1][0].date().isoformat() == "2024-05-10"
    assert rows[2][2] == "=科技有限公司" and rows[2][5:7] == (0, 1000) and len(rows) == 3  # a payer typed as a formula stays text
    csv_response = client.get("/finance/receipts/register.csv?date_from=2024-05-20")
    lines = list(csv.reader(io.StringIO(b"".join(csv_response.streaming_content).decode("utf-8-sig"))))
    assert lines[0][0] == "到账日期" and len(lines) == 2
    assert lines[1][:5] == ["2024-05-20", "科技有限公司", "'=科技有限公司", "1000.00", "CMB002"]
    downloads = list(AuditEntry.objects.filter(operation="downloaded").order_by("id").values_list("changes", flat=True))
    assert [(d["what"], d["rows"]) for d in downloads] == [("回款登记表.xlsx", 2), ("回款登记表.csv", 1)]
    assert downloads[0]["path"] == f"/finance/receipts/register.xlsx?customer={customer.pk}"
