"""The money API for receipts (/api/finance/…): open instalments, receipts recorded with their allocations, the rest
allocated later, a customer's balance, a bank statement uploaded; money as decimal strings, errors in the API's
format, finance alone writing."""
import io
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook

from orderloop.core import clock
from orderloop.finance.models import Instalment, Receipt
from tests.support.api_client import Api

NOW = datetime(2026, 3, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture(autouse=True)
def frozen():
    with clock.frozen_at(NOW):
        yield


def test_finance_records_a_receipt_allocates_the_rest_and_reads_the_balance(orders, users, customer):
    order = orders.at("confirmed", deposit_paid=False)
    api = Api("finance")
    listing = api.get("/finance/instalments", customer=customer.pk).json()
    assert listing["count"] == 2
    deposit, rest = listing["items"]
    assert deposit["holds"] is True and rest["holds"] is False
    assert (deposit["order_ref"], deposit["number"], deposit["condition"]) == (order.ref, 1, "确认订单时")
    assert (deposit["amount"], deposit["outstanding"], deposit["received"]) == ("15000.00", "15000.00", "0.00")

    response = api.post("/finance/receipts", {"customer_id": customer.pk, "received_on": "2026-03-02",
                                              "amount": "20000.00", "bank_reference": "B1",
                                              "allocations": [{"instalment_id": deposit["id"], "amount": "15000.00"}]})
    assert response.status_code == 201, response.content
    receipt = response.json()
    assert (receipt["payer"], receipt["amount"], receipt["allocated"], receipt["unallocated"]) == (
        "科技有限公司", "20000.00", "15000.00", "5000.00")
    assert receipt["allocations"][0]["order_ref"] == order.ref and receipt["allocations"][0]["amount"] == "15000.00"
    assert api.get("/finance/instalments", customer=customer.pk).json()["count"] == 1  # the deposit is paid

    balance = api.get(f"/finance/customers/{customer.pk}/balance").json()
    assert balance == {"customer_id": customer.pk, "customer_name": "科技有限公司", "received": "20000.00",
                       "allocated": "15000.00", "balance": "5000.00", "owed": "35000.00"}
    response = api.post(f"/finance/receipts/{receipt['id']}/allocations",
                        {"allocations": [{"instalment_id": rest["id"], "amount": "5000.00"}]})
    assert response.status_code == 200 and response.json()["unallocated"] == "0.00"
    page = api.get("/finance/receipts", open="true").json()
    assert page["count"] == 0
    assert api.get("/finance/receipts").json()["items"][0]["id"] == receipt["id"]


def test_refusals_are_in_the_apis_format(orders, users, customer):
    deposit = Instalment.objects.get(order=orders.at("confirmed", deposit_paid=False), number=1)
    api = Api("finance")
    response = api.post("/finance/receipts", {"customer_id": customer.pk, "received_on": "2026-03-02", "amount": "100.00",
                                              "allocations": [{"instalment_id": deposit.pk, "amount": "200.00"}]})
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid" and body["errors"] == {"allocations": ["核销合计 200.00 元超过该笔回款未核销的 100.00 元"]}
    assert api.post("/finance/receipts", {"customer_id": 999999, "received_on": "2026-03-02",
                                          "amount": "1.00"}).status_code == 404
    assert api.post("/finance/receipts/999999/allocations",
                    {"allocations": [{"instalment_id": deposit.pk, "amount": "1.00"}]}).status_code == 404
    assert Receipt.objects.count() == 0


@pytest.mark.parametrize("role", ["sales_manager", "account_manager", "admin", "warehouse"])
def test_only_finance_writes(orders, users, customer, role):
    api = Api(role)
    response = api.post("/finance/receipts", {"customer_id": customer.pk, "received_on": "2026-03-02", "amount": "1.00"})
    assert response.status_code == 403 and response.json()["detail"] == "您的角色不能执行此操作"
    assert api.upload("/finance/statements", file=SimpleUploadedFile("a.csv", b"x")).status_code == 403
    reads = api.get("/finance/instalments").status_code, api.get("/finance/receipts").status_code
    assert reads == ((403, 403) if role == "warehouse" else (200, 200))


def test_a_statement_uploaded_through_the_api(orders, users, customer):
    deposit = Instalment.objects.get(order=orders.at("confirmed", deposit_paid=False), number=1)
    book = Workbook()
    book.active.append(["交易日期", "付款方", "金额", "流水号", "备注"])
    book.active.append([date(2026, 3, 1), "科技有限公司", 15000, "S1", "预付款"])
    book.active.append([date(2026, 3, 1), "科技有限公司", "x", "S2", ""])
    buffer = io.BytesIO()
    book.save(buffer)
    api = Api("finance")
    response = api.upload("/finance/statements", file=SimpleUploadedFile("s.xlsx", buffer.getvalue()))
    assert response.status_code == 422 and response.json()["errors"] == {"第3行「金额」": ["第3行「金额」不是数字"]}
    book.active.delete_rows(3)
    buffer = io.BytesIO()
    book.save(buffer)
    response = api.upload("/finance/statements", file=SimpleUploadedFile("s.xlsx", buffer.getvalue()))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["imported"] == 1 and body["skipped"] == []
    (line,) = body["receipts"]
    assert line["receipt"]["source"] == "statement" and line["receipt"]["amount"] == "15000.00"
    assert [s["id"] for s in line["suggestions"]] == [deposit.pk] and line["suggestions"][0]["holds"] is True
