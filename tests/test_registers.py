"""Register 2 (订单跟进进度表): the seed's headers, one row per progress record, Chinese intact in Excel."""
import csv
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
    book = load_workbook(io.BytesIO(client.get("/registers/progress.xlsx").content))
    rows = [[c.value for c in row] for row in book.active.iter_rows()]
    assert rows[0] == SEED_HEADERS
    assert ["202405-001", "生产备货", "周*", "2024-05-20", "2024-05-20", "已完成生产,质检合格", "无", "无",
            "5月21日安排发货"] in rows
    assert ["202405-002", "客户验收", "陈*", "2024-05-26", None, "已联系客户确认明日送达", "客户临时要求增加1台",
            "协调仓库紧急备货,同步更新订单数量", "5月26日现场交付并验收"] in rows
    assert len(rows) == 1 + 5  # the demo's five progress records
    assert book.active.freeze_panes == "A2" and book.active["A2"].number_format == "@"


def test_register_2_as_csv_opens_in_excel_with_chinese_intact(db):
    content = manager(db).get("/registers/progress.csv").content
    assert content.startswith(b"\xef\xbb\xbf")  # UTF-8 with BOM for Excel and WPS
    rows = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert rows[0] == SEED_HEADERS and len(rows) == 6
    assert ["202405-001", "客户希望提前至5月23日交付"] in [row[0:6:5] for row in rows]


def test_register_2_on_screen_only_shows_visible_orders(db):
    client = manager(db)
    assert "已联系客户确认明日送达" in client.get("/registers/progress/").content.decode()
    other = Client()
    other.force_login(User.objects.get(username="account_manager2"))
    assert "已联系客户确认明日送达" not in other.get("/registers/progress/").content.decode()
