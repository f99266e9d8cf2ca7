"""Bulk intake from .xlsx (register 1): all or nothing, every bad cell named."""
import io
from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from openpyxl import load_workbook

from orderloop.orders.importing import import_template, orders_import
from orderloop.orders.models import OrderEvent, SalesOrder
from orderloop.orders.registers import REGISTER_1
from tests.support.api_client import Api
from tests.support.workbooks import row, workbook


def test_the_template_has_the_registers_headers_and_instructions(users):
    book = load_workbook(io.BytesIO(import_template()))
    assert [c.value for c in book.worksheets[0][1]] == REGISTER_1
    assert book.sheetnames == ["销售订单基本信息表", "填写说明"]
    client = Client()
    client.force_login(users["sales_assistant"])
    response = client.get("/orders/import/template.xlsx")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")


def test_a_clean_file_imports_orders_at_received(users, customer, product):
    content = workbook([row("A-1"), row("A-1", quantity=2, amount=10000), row("B-7", quantity=1, price=None)])
    result = orders_import(actor=users["sales_assistant"], content=content)
    assert result.errors == {}
    assert [o.status for o in result.created] == ["received", "received"]
    first, second = result.created
    assert first.lines.count() == 2 and first.total_amount == 60000 and first.channel == "import"
    assert first.contact_phone == "+8613800001111" and first.requested_date == date(2026, 3, 20)
    assert second.total_amount == 5000  # the list price where the sheet leaves it empty


def test_any_bad_cell_imports_nothing_and_every_one_is_reported(users, customer, product):
    content = workbook([
        row("A-1"),
        row("A-2", customer="不存在的公司", quantity=-1),
        row("A-3", model="X-9", phone="12345", amount=1),
        row("A-4", quantity="十", order_date="2026-13-01"),
        row("A-5", requested=date(2026, 3, 1)),
        row("A-1", phone="13900002222"),
    ])
    result = orders_import(actor=users["sales_assistant"], content=content)
    assert result.created == []
    assert result.errors == {
        "第3行 客户名称(B)": ["客户不存在：不存在的公司"],
        "第3行 数量(H)": ["必须大于 0"],
        "第4行 规格型号(G)": ["产品不存在或已停售：X-9"],
        "第4行 总金额(元)(J)": ["应等于 数量 × 单价 = 50000.00"],
        "第4行 联系方式(D)": ["联系方式格式不正确：12345"],
        "第5行 数量(H)": ["请输入数字"],
        "第5行 下单日期(E)": ["日期格式应为 YYYY-MM-DD"],
        "第6行 交付日期(M)": ["交付日期早于下单日期"],
        "第7行 联系方式(D)": ["与同一订单第2行不一致"],
    }
    assert SalesOrder.objects.count() == 0 and OrderEvent.objects.count() == 0


def test_a_wrong_total_is_reported(users, customer, product):
    result = orders_import(actor=users["sales_assistant"], content=workbook([row(amount=49999)]))
    assert result.errors == {"第2行 总金额(元)(J)": ["应等于 数量 × 单价 = 50000.00"]}


def test_a_file_with_other_headers_or_not_xlsx_is_refused(users, customer, product):
    result = orders_import(actor=users["sales_assistant"], content=workbook([row()], header=["编号", "客户"]))
    assert list(result.errors) == ["第1行 表头"]
    response = Api("sales_assistant").client.post(
        "/api/orders/import", {"file": SimpleUploadedFile("orders.xlsx", b"not a workbook")},
        HTTP_AUTHORIZATION=f"Bearer {Api('sales_assistant').token}")
    assert response.status_code == 422 and response.json()["errors"] == {"file": ["不是有效的 .xlsx 文件"]}


def test_a_thousand_rows_import_in_one_go(users, customer, product):
    rows = [row(f"N-{i // 2}", quantity=1 + i % 3) for i in range(1000)]
    result = orders_import(actor=users["sales_assistant"], content=workbook(rows))
    assert result.errors == {} and len(result.created) == 500
    assert SalesOrder.objects.filter(status="received", channel="import").count() == 500


def test_an_import_does_not_make_a_query_per_order(users, customer, product):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def queries(orders):
        content = workbook([row(f"Q{orders}-{i}") for i in range(orders)])
        with CaptureQueriesContext(connection) as captured:
            assert orders_import(actor=users["sales_assistant"], content=content).errors == {}
        return len(captured)

    # Rows go in by the batch the database takes parameters for (SQLite: 999, about 33 orders): 60 orders may
    # cost one more INSERT per table than 3, never one per order.
    queries(1)  # warm: what is kept per process (the calendar, the notification routes) is read once
    assert queries(60) <= queries(3) + 4
    assert SalesOrder.objects.count() == 64
    assert OrderEvent.objects.filter(type="received").count() == 64
    assert all(order.lines.count() == 1 for order in SalesOrder.objects.all())


def test_import_page_lists_the_errors(users, customer, product):
    client = Client()
    client.force_login(users["sales_assistant"])
    upload = SimpleUploadedFile("orders.xlsx", workbook([row(customer="无此客户")]))
    response = client.post("/orders/import/", {"file": upload})
    assert response.status_code == 422
    assert "第2行 客户名称(B)" in response.content.decode() and "客户不存在：无此客户" in response.content.decode()
    ok = client.post("/orders/import/", {"file": SimpleUploadedFile("orders.xlsx", workbook([row()]))})
    assert ok.status_code == 302 and SalesOrder.objects.count() == 1


def test_import_through_the_api(users, customer, product):
    api = Api("sales_assistant")
    response = api.client.post("/api/orders/import", {"file": SimpleUploadedFile("o.xlsx", workbook([row(), row("B")]))},
                               HTTP_AUTHORIZATION=f"Bearer {api.token}")
    assert response.status_code == 200 and len(response.json()["created"]) == 2


def test_a_damaged_workbook_is_refused_with_a_message(users, customer, product):
    import zipfile

    import pytest

    from orderloop.core.exceptions import InvalidInput

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    with pytest.raises(InvalidInput) as refused:
        orders_import(actor=users["sales_assistant"], content=buffer.getvalue())
    assert refused.value.message == "无法读取该 .xlsx 文件"
    assert SalesOrder.objects.count() == 0
