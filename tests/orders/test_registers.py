"""Register 2 (订单跟进进度表): the seed's headers, one row per progress record, Chinese intact in Excel."""
import csv
from datetime import datetime
import io

from django.core.management import call_command
from django.test import Client
from openpyxl import load_workbook

from orderloop.accounts.models import User
from orderloop.orders.registers import REGISTER_2

SEED_HEADERS = ["订单编号", "当前阶段", "负责人", "计划完成时间", "实际完成时间", "跟进记录", "存在问题", "解决措施", "下一步计划"]


def manager(db):
    call_command("demo", force=True)
    client = Client()
    client.force_login(User.objects.get(username="sales_manager"))
    return client


def test_register_2_has_exactly_the_seeds_headers_and_rows(db):
    assert REGISTER_2 == SEED_HEADERS
    client = manager(db)
    book = load_workbook(io.BytesIO(client.get("/registers/progress.xlsx").getvalue()))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    assert rows[0] == SEED_HEADERS
    assert ["202405-001", "生产备货", "周*", "2024-05-20", "2024-05-20", "已完成生产,质检合格", "无", "无",
            "5月21日安排发货"] in rows
    assert ["202405-002", "客户验收", "张*", "2024-05-26", None, "已联系客户确认明日送达", "客户临时要求增加1台",
            "协调仓库紧急备货,同步更新订单数量", "5月26日现场交付并验收"] in rows
    assert len(rows) == 1 + 6  # the demo's six progress records
    assert book.active.freeze_panes == "A2" and book.active["A2"].number_format == "@"


def test_register_2_as_csv_opens_in_excel_with_chinese_intact(db):
    content = manager(db).get("/registers/progress.csv").getvalue()
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel and WPS
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == SEED_HEADERS and len(rows) == 1 + 6
    assert ["202405-001", "客户希望提前至5月23日交付"] in [row[0:6:5] for row in rows]


def test_register_2_on_screen_only_shows_visible_orders(db):
    client = manager(db)
    assert "已联系客户确认明日送达" in client.get("/registers/progress/").content.decode()
    other = Client()
    other.force_login(User.objects.get(username="account_manager2"))
    assert "已联系客户确认明日送达" not in other.get("/registers/progress/").content.decode()


# --- register 1 (销售订单基本信息表) ------------------------------------------------------------------------

from datetime import date  # noqa: E402
from decimal import Decimal  # noqa: E402

import pytest  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from orderloop.accounts.models import Team  # noqa: E402
from orderloop.core.models import AuditEntry  # noqa: E402
from orderloop.masterdata.models import Customer, Product, Qualification  # noqa: E402
from orderloop.orders.importing import orders_import  # noqa: E402
from orderloop.orders.models import SalesOrder  # noqa: E402
from orderloop.orders.registers import REGISTER_1  # noqa: E402
from orderloop.orders.schemas import OrderCreate  # noqa: E402
from orderloop.orders.services import order_receive  # noqa: E402
from tests.support.orders import order_data  # noqa: E402
from tests.support.users import make_user  # noqa: E402

SEED_REGISTER_1 = ["订单编号", "客户名称", "联系人", "联系方式", "下单日期", "产品/服务名称", "规格型号", "数量", "单价(元)",
                   "总金额(元)", "付款方式", "交付地址", "交付日期", "销售负责人", "备注"]


def _sheet(response):
    assert response.status_code == 200
    return [[c.value for c in row] for row in load_workbook(io.BytesIO(response.getvalue())).active.iter_rows()]


def test_register_1_has_exactly_the_seeds_headers_and_one_row_per_order_line(db):
    assert REGISTER_1 == SEED_REGISTER_1
    client = manager(db)
    response = client.get("/registers/orders.xlsx")
    book = load_workbook(io.BytesIO(response.getvalue()))
    sheet = book.active
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    assert rows[0] == SEED_REGISTER_1
    assert sheet.freeze_panes == "A2" and sheet["A1"].font.b and sheet.auto_filter.ref == f"A1:O{len(rows)}"
    assert sheet["A2"].number_format == "@" and sheet["E2"].is_date
    assert sheet.column_dimensions["B"].width >= 14  # 客户名称 and the names under it
    visible = SalesOrder.objects.filter(pk__in=[o.pk for o in order_list_of("sales_manager")])
    assert len(rows) - 1 == sum(o.lines.count() for o in visible)
    first = next(row for row in rows if row[0] == "202405-001")
    assert first[1:3] == ["科技有限公司", "李*"] and first[4] == datetime(2024, 5, 10)
    assert first[5:8] == ["服务器A型", "S-001", 10] and first[8:10] == [5000, 50000]
    assert first[10:12] == ["30%预付,余款到付", "北京市海淀区路1号"] and first[14] == "需定制logo"
    entry = AuditEntry.objects.filter(operation="downloaded").latest("id")
    assert entry.changes["rows"] == len(rows) - 1 and entry.changes["what"] == "销售订单基本信息表.xlsx"
    content = client.get("/registers/orders.csv").getvalue()
    assert content.startswith(b"\xef\xbb\xbf")
    assert list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))[0] == SEED_REGISTER_1
    page = client.get("/registers/orders/").content.decode()
    assert "销售订单基本信息表" in page and "202405-001" in page and "2024-05-10" in page
    assert 'href="/registers/orders/"' in client.get("/orders/").content.decode()  # from the order list


def order_list_of(username):
    from orderloop.orders.selectors import order_list

    return order_list(user=User.objects.get(username=username), archived=True)


def _snapshot():
    """The orders as register 1 sees them, without their numbers (an import gives new ones)."""
    return sorted(
        (o.customer_id, o.contact_name, o.contact_phone, o.order_date, o.payment_terms, o.delivery_address,
         o.requested_date, o.owner_id, o.remarks, o.total_amount,
         tuple((li.product_id, li.product_name, li.model, li.quantity, li.unit_price, li.amount) for li in o.lines.all()))
        for o in SalesOrder.objects.prefetch_related("lines"))


def test_register_1_exported_imports_again_into_an_empty_database_as_the_same_orders(client, users, customer, product):
    other = Product.objects.create(name="交换机B型", model="N-002", unit="台", list_price=Decimal("1200.00"),
                                   cost_price=Decimal("900.00"))
    assistant = users["sales_assistant"]
    order_receive(actor=assistant, data=OrderCreate(**order_data(customer, product)))
    order_receive(actor=assistant, data=OrderCreate(**order_data(
        customer, product, contact_phone="", remarks="", payment_terms="月结30天", requested_date=None, order_date="2024-06-03",
        lines=[{"product_id": product.pk, "quantity": "2.5", "unit_price": "4999.99"},
               {"product_id": other.pk, "quantity": "3", "unit_price": None},
               {"product_id": other.pk, "quantity": "1", "unit_price": "0"}])))
    order_receive(actor=assistant, data=OrderCreate(**order_data(customer, other, contact_name="王*",
                                                                 contact_phone="010-62345678")), owner=users["account_manager"])
    before = _snapshot()
    client.force_login(assistant)
    exported = client.get("/registers/orders.xlsx").getvalue()
    assert len(_sheet_rows(exported)) == 1 + 5
    SalesOrder.objects.all().delete()
    result = orders_import(actor=assistant, content=exported)
    assert result.errors == {} and len(result.created) == 3
    assert _snapshot() == before
    assert set(SalesOrder.objects.values_list("channel", flat=True)) == {"import"}


def _sheet_rows(content):
    return list(load_workbook(io.BytesIO(content)).active.iter_rows(values_only=True))


def _other_team_order(product):
    team = Team.objects.create(name="华东销售二组")
    manager2 = make_user("am_east", "account_manager", team=team)
    far = Customer.objects.create(name="远方贸易有限公司", uscc="91310115MA1FL5C16A", owner=manager2,
                                  qualification=Qualification.QUALIFIED, address="上海市浦东新区路2号",
                                  licence_expiry=date(2099, 12, 31))
    return order_receive(actor=manager2, data=OrderCreate(**order_data(far, product, contact_name="远方联系人")))


@pytest.mark.parametrize("fmt", ["xlsx", "csv", "html"])
def test_register_1_holds_only_orders_the_user_may_see(client, users, customer, product, fmt):
    mine = order_receive(actor=users["sales_assistant"], data=OrderCreate(**order_data(customer, product)))
    theirs = _other_team_order(product)
    client.force_login(users["sales_manager"])
    url = {"xlsx": "/registers/orders.xlsx", "csv": "/registers/orders.csv", "html": "/registers/orders/"}[fmt]
    response = client.get(url)
    text = response.content.decode() if fmt == "html" else (
        str(_sheet_rows(response.getvalue())) if fmt == "xlsx" else response.getvalue().decode("utf-8-sig"))
    assert mine.ref in text and "科技有限公司" in text
    assert theirs.ref not in text and "远方贸易有限公司" not in text and "远方联系人" not in text


def test_register_1_phone_is_masked_for_those_who_do_not_see_contacts(client, users, customer, product):
    order_receive(actor=users["sales_assistant"], data=OrderCreate(**order_data(customer, product)))
    client.force_login(users["warehouse"])
    rows = _sheet_rows(client.get("/registers/orders.xlsx").getvalue())
    assert "13800001111" not in str(rows) and "138 0000 1111" not in str(rows)
    client.force_login(users["sales_manager"])
    assert _sheet_rows(client.get("/registers/orders.xlsx").getvalue())[1][3] == "138 0000 1111"


def _receive(users, customer, product, lines=1):
    data = order_data(customer, product, lines=[{"product_id": product.pk, "quantity": str(i + 1), "unit_price": "5000"}
                                                for i in range(lines)])
    return order_receive(actor=users["sales_assistant"], data=OrderCreate(**data))


def _queries(client, url):
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
        rows = _sheet_rows(response.getvalue())
    return len(ctx), len(rows) - 1


@pytest.mark.parametrize("name", ["orders", "progress", "feedback", "logistics"])
def test_register_exports_make_the_same_queries_for_one_order_and_for_fifty(client, users, customer, product, name):
    _receive(users, customer, product)
    client.force_login(users["sales_manager"])
    one, rows_one = _queries(client, f"/registers/{name}.xlsx")
    for i in range(49):
        _receive(users, customer, product, lines=1 + i % 4)
    fifty, rows_fifty = _queries(client, f"/registers/{name}.xlsx")
    assert one == fifty
    if name == "orders":
        assert (rows_one, rows_fifty) == (1, 1 + sum(1 + i % 4 for i in range(49)))


def test_register_pages_show_100_rows_a_page(client, users, customer, product):
    for _ in range(30):
        _receive(users, customer, product, lines=4)
    client.force_login(users["sales_manager"])
    first = client.get("/registers/orders/")
    assert len(first.context["rows"]) == 100 and first.context["page"].paginator.count == 120
    page = first.content.decode()
    assert "第 1 / 2 页，共 120 条" in page and 'href="?&page=2"' in page
    second = client.get("/registers/orders/", {"page": 2})
    assert len(second.context["rows"]) == 20
    assert len(_sheet_rows(client.get("/registers/orders.xlsx").getvalue())) == 1 + 120  # the file holds them all
    with CaptureQueriesContext(connection) as ctx:
        client.get("/registers/orders/", {"page": 2})
    assert len(ctx) < 15


def test_the_streamed_xlsx_keeps_awkward_text_numbers_and_dates_as_written():
    from orderloop.orders.registers import xlsx_bytes

    rows = [["A&B <1>", " 前后空格 ", "控制\x01字符", None, "", Decimal("2.5"), 7, date(2024, 2, 29), "0012"],
            ["'引号'\"", "x" * 100, "换行\n第二行", True, 1.25, Decimal("0"), -3, datetime(2024, 5, 10, 8, 30), "13800001111"]]
    headers = [f"列{i}" for i in range(9)]
    book = load_workbook(io.BytesIO(xlsx_bytes("测试 & <表>", headers, rows, text_columns=(0, 8))))
    sheet = book.active
    assert sheet.title == "测试 & <表>" and sheet.freeze_panes == "A2" and sheet.auto_filter.ref == "A1:I3"
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0] == headers
    assert values[1] == ["A&B <1>", " 前后空格 ", "控制字符", None, None, 2.5, 7, datetime(2024, 2, 29), "0012"]
    assert values[2] == ["'引号'\"", "x" * 100, "换行\n第二行", True, 1.25, 0, -3, datetime(2024, 5, 10), "13800001111"]
    assert sheet["I3"].number_format == "@" and sheet["H2"].number_format == "yyyy-mm-dd"
    assert sheet.column_dimensions["B"].width == 60  # capped
    read_only = load_workbook(io.BytesIO(xlsx_bytes("t", headers, rows)), read_only=True)  # as the import reads
    assert [r[0] for r in read_only.active.iter_rows(values_only=True)] == ["列0", "A&B <1>", "'引号'\""]
