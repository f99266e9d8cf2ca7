"""orderloop import, export and report (SPEC section 7), run through Django's call_command with real files: the
import takes what the web's 批量导入 takes and refuses what it refuses (row and column named, nothing written,
exit code 1); export writes the register page's files; report prints the review page's figures."""
import csv
import io
import json
import subprocess
import sys
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from openpyxl import load_workbook

from orderloop.accounts.models import User
from orderloop.core.models import AuditEntry
from orderloop.orders.models import SalesOrder
from orderloop.orders.registers import REGISTER_1, REGISTER_2
from tests.support.shared_db import kept_for_the_scope
from tests.support.workbooks import row, workbook

MAY = "2024-05"


@pytest.fixture(scope="module")
def _demo_loaded(django_db_setup, django_db_blocker):
    """The demo, loaded once for the module's tests that ask it (those after the imports'; none of the later ones
    goes without it), and what each changes is rolled back before the next (tests/support/shared_db.py)."""
    with kept_for_the_scope(django_db_blocker):
        with django_db_blocker.unblock():
            call_command("demo", force=True)
        yield


@pytest.fixture
def demo(_demo_loaded, db):
    """The demo as loaded, each test's changes undone."""


def page(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def run(*args, **options) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO(), **options)
    return out.getvalue()


# --- import -----------------------------------------------------------------------------------------------

def test_import_takes_orders_in_as_the_web_does(orders, tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(workbook([row("A-1"), row("A-1", quantity=2), row("B-7", quantity=3)]))
    output = run("import", str(path), user="sales_assistant")
    created = list(SalesOrder.objects.order_by("created_at"))
    assert len(created) == 2 and {o.status for o in created} == {"received"}
    assert f"已导入 2 个订单：{created[0].ref}、{created[1].ref}" in output
    assert [line.quantity for line in created[0].lines.order_by("position")] == [10, 2]
    # the import's orders are in register 1 as the page shows it, which export writes
    export = tmp_path / "register.csv"
    run("export", "orders", user="sales_assistant", output=str(export))
    rows = list(csv.reader(io.StringIO(export.read_bytes().decode("utf-8-sig"))))
    assert rows[0] == REGISTER_1 and len(rows) == 1 + 3


def test_a_bad_file_is_refused_with_row_and_column_and_nothing_is_written(orders, tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(workbook([row("A-1"), row("A-2", quantity=0), row("A-3", customer="没有这个客户", model="X-9")]))
    with pytest.raises(CommandError) as refused:
        run("import", str(path), user="sales_assistant")
    message = str(refused.value)
    assert "文件有误，未导入任何订单（3 处）" in message
    assert "第3行 数量(H): 必须大于 0" in message
    assert "第4行 客户名称(B): 客户不存在：没有这个客户" in message
    assert "第4行 规格型号(G): 产品不存在或已停售：X-9" in message
    assert not SalesOrder.objects.exists()


def test_a_dry_run_checks_everything_and_writes_nothing(orders, tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(workbook([row("A-1"), row("B-1")]))
    assert "检查通过（试运行，未写入）：可导入 2 个订单" in run("import", str(path), "--dry-run", user="sales_assistant")
    assert not SalesOrder.objects.exists()
    path.write_bytes(workbook([row("A-1", order_date=date(2026, 3, 2), requested=date(2026, 2, 1))]))
    with pytest.raises(CommandError, match="第2行 交付日期"):
        run("import", str(path), "--dry-run", user="sales_assistant")


def test_import_refuses_who_may_not_take_orders_in_and_what_is_no_workbook(orders, tmp_path):
    path = tmp_path / "orders.xlsx"
    path.write_bytes(workbook([row("A-1")]))
    with pytest.raises(CommandError, match="只有销售助理或客户经理可以导入订单"):
        run("import", str(path), user="warehouse")
    with pytest.raises(CommandError, match="用户不存在或已停用：nobody"):
        run("import", str(path), user="nobody")
    (tmp_path / "notes.xlsx").write_text("not a workbook")
    with pytest.raises(CommandError, match="请上传 .xlsx 文件"):
        run("import", str(tmp_path / "notes.xlsx"), user="sales_assistant")
    assert not SalesOrder.objects.exists()


def test_a_refused_import_exits_with_a_non_zero_code(tmp_path):
    result = subprocess.run([sys.executable, "-m", "orderloop.cli", "import", str(tmp_path / "missing.xlsx"), "--user", "x"],
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert "文件不存在" in result.stderr


# --- export -----------------------------------------------------------------------------------------------

def _sheet(content: bytes) -> list[list]:
    return [[c.value for c in r] for r in load_workbook(io.BytesIO(content)).active.iter_rows()]


@pytest.mark.parametrize("name", ["orders", "progress", "feedback"])
def test_export_writes_the_register_pages_files(demo, tmp_path, name):
    client = page("sales_manager")
    run("export", name, user="sales_manager", output=str(tmp_path / f"{name}.xlsx"))
    assert _sheet((tmp_path / f"{name}.xlsx").read_bytes()) == _sheet(client.get(f"/registers/{name}.xlsx").getvalue())
    shown = client.get(f"/registers/{name}.csv").getvalue().decode("utf-8-sig")
    assert run("export", name, user="sales_manager", format="csv") == shown  # standard output
    run("export", name, user="sales_manager", output=str(tmp_path / f"{name}.csv"))
    assert (tmp_path / f"{name}.csv").read_bytes().decode("utf-8-sig") == shown  # CRLF kept, as Excel writes


def test_export_takes_the_pages_filters_and_the_users_scope(demo, tmp_path):
    client = page("sales_manager")
    shown = client.get("/registers/progress.csv?date_from=2024-05-20&date_to=2024-05-31").getvalue().decode("utf-8-sig")
    printed = run("export", "progress", "--from", "2024-05-20", "--to", "2024-05-31", user="sales_manager")
    assert printed == shown
    rows = list(csv.reader(io.StringIO(printed)))
    assert rows[0] == REGISTER_2 and 0 < len(rows) - 1 < 5
    closed = list(csv.reader(io.StringIO(run("export", "orders", "--status", "closed", user="sales_manager"))))
    assert {r[0] for r in closed[1:]} == {"202405-001", "202405-003"}
    outsider = list(csv.reader(io.StringIO(run("export", "orders", user="account_manager2"))))
    assert not {r[0] for r in outsider[1:]} & {"202405-001", "202405-002", "202405-003"}


def test_export_is_logged_and_refuses_what_it_cannot_write(demo, tmp_path):
    run("export", "feedback", user="sales_manager", output=str(tmp_path / "feedback.xlsx"))
    entry = AuditEntry.objects.filter(operation="downloaded").order_by("-id").first()
    assert entry.actor.username == "sales_manager" and entry.changes["what"] == "客户反馈与售后记录表.xlsx"
    assert entry.changes["rows"] == len(_sheet((tmp_path / "feedback.xlsx").read_bytes())) - 1
    with pytest.raises(CommandError, match="标准输出不能写入 .xlsx"):
        run("export", "orders", user="sales_manager", format="xlsx")
    with pytest.raises(CommandError, match="无法从文件名判断格式"):
        run("export", "orders", user="sales_manager", output=str(tmp_path / "orders.txt"))
    with pytest.raises(CommandError, match="日期格式应为 YYYY-MM-DD"):
        run("export", "orders", "--from", "May", user="sales_manager")


# --- report -----------------------------------------------------------------------------------------------

def _without_time(figures: dict) -> dict:
    return {key: value for key, value in figures.items() if key != "computed_at"}


@pytest.mark.parametrize("username", ["sales_manager", "sales_manager2", "sales_director"])
def test_report_prints_the_review_pages_figures(demo, username):
    shown = page(username).get(f"/reviews/{MAY}/").context["figures"]
    data = json.loads(run("report", MAY, "--json", user=username))
    assert _without_time(data["figures"]) == _without_time(shown)
    assert data["scope"] == ("company" if username == "sales_director" else "teams")
    text = run("report", MAY, user=username)
    assert text.startswith(f"{MAY} 订单复盘报告")
    assert f"订单数量\t{shown['orders']['count']}" in text
    assert f"订单金额(元)\t{shown['orders']['amount']}" in text
    assert "【各阶段用时】" in text
    for phase in shown["phases"]:
        assert phase["label"] in text


def test_report_refuses_who_does_not_read_reviews_and_months_not_begun(demo):
    with pytest.raises(CommandError, match="不能查看订单复盘"):
        run("report", MAY, user="warehouse")
    with pytest.raises(CommandError, match="该月尚未开始"):
        run("report", "2999-01", user="sales_director")
    with pytest.raises(CommandError, match="月份格式应为 YYYY-MM"):
        run("report", "2024-13", user="sales_director")
