"""Opening stock (issue #25): the sheet's figure becomes the level's on hand, each change kept as an adjustment
(期初库存导入, who, when); what is already there is skipped; a figure below what orders hold is refused, like a
model orderloop does not know — the whole file, each problem by row and column."""
from datetime import datetime
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from orderloop.core import clock
from orderloop.core.exceptions import NotAllowed
from orderloop.golive.models import ImportRun
from orderloop.golive.services import import_apply, import_preview, import_template
from orderloop.golive.stock import COLUMNS
from orderloop.masterdata.models import Product, StockAdjustment, StockLevel
from tests.support.workbooks import workbook

pytestmark = pytest.mark.django_db

MOMENT = timezone.make_aware(datetime(2026, 3, 2, 9, 30))


def sheet(rows, header=("规格型号", "仓库", "在库数量")) -> bytes:
    return workbook([list(row) for row in rows], header=list(header))


def imported(admin, content, filename="期初库存.xlsx") -> ImportRun:
    run = import_preview(actor=admin, kind="stock", content=content, filename=filename)
    return import_apply(actor=admin, run_id=run.pk) if run.state == ImportRun.State.PREVIEWED else run


def counts(run) -> tuple:
    return run.summary["create"], run.summary["update"], run.summary["skip"]


@pytest.fixture
def second(db):
    return Product.objects.create(name="服务器B型", model="S-002", list_price=Decimal("8000.00"))


def test_the_sheet_sets_on_hand_and_records_each_change(users, product, second):
    admin = users["admin"]
    StockLevel.objects.create(product=product, warehouse="主仓库", on_hand=Decimal("3"))
    rows = [["S-001", "", 12], ["S-002", "上海仓", "4.5"], ["S-002", "", 0]]
    run = import_preview(actor=admin, kind="stock", content=sheet(rows), filename="期初库存.xlsx")
    assert counts(run) == (1, 1, 1)
    assert run.summary["update_rows"] == ["第2行 S-001 服务器A型 @ 主仓库: 12"]
    assert StockAdjustment.objects.count() == 0
    with clock.frozen_at(MOMENT):
        run = import_apply(actor=admin, run_id=run.pk)
    assert run.state == ImportRun.State.APPLIED
    levels = {(s.product.model, s.warehouse): s.on_hand for s in StockLevel.objects.select_related("product")}
    assert levels == {("S-001", "主仓库"): Decimal("12"), ("S-002", "上海仓"): Decimal("4.5")}
    assert sorted((a.stock.product.model, a.on_hand_change, a.reason, a.actor, a.at) for a in StockAdjustment.objects.all()) == [
        ("S-001", Decimal("9"), "期初库存导入", admin, MOMENT), ("S-002", Decimal("4.5"), "期初库存导入", admin, MOMENT)]

    again = imported(admin, sheet(rows))
    assert counts(again) == (0, 0, 3)
    assert StockAdjustment.objects.count() == 2

    run = imported(admin, sheet([["S-001", "主仓库", 10]]))
    assert counts(run) == (0, 1, 0)
    assert StockLevel.objects.get(product=product).on_hand == Decimal("10")
    assert StockAdjustment.objects.filter(on_hand_change=Decimal("-2")).count() == 1


def test_a_figure_below_what_orders_hold_or_an_unknown_model_refuses_the_whole_file(users, product, second):
    StockLevel.objects.create(product=product, warehouse="主仓库", on_hand=Decimal("10"), reserved=Decimal("6"))
    rows = [["S-002", "", 8], ["S-001", "主仓库", 5], ["X-404", "", 1], ["S-002", "", "2.5件"], ["S-002", "主仓库", "-1"],
            ["S-001", "上海仓", "1.2345"]]
    run = imported(users["admin"], sheet(rows))
    assert run.state == ImportRun.State.REFUSED
    assert run.summary["errors"] == {
        "第3行 在库数量(C)": ["不能少于订单已预留的 6（系统中在库 10）"],
        "第4行 规格型号(A)": ["系统中没有该规格型号：X-404（请先导入产品）"],
        "第5行 在库数量(C)": ["请输入数量（数字）"],
        "第5行 规格型号(A)": ["与第2行重复：S-002 @ 主仓库"],
        "第6行 规格型号(A)": ["与第2行重复：S-002 @ 主仓库"], "第6行 在库数量(C)": ["不能小于 0"],
        "第7行 在库数量(C)": ["最多三位小数"]}
    assert StockLevel.objects.get().on_hand == Decimal("10")
    assert StockLevel.objects.count() == 1 and StockAdjustment.objects.count() == 0


def test_the_template_and_a_csv_in_gbk_are_read(users, product):
    admin = users["admin"]
    Product.objects.create(name="安装调试服务", model="SV-INSTALL", list_price=Decimal("800.00"))
    run = imported(admin, import_template("stock"), filename="模板.xlsx")
    assert (run.state, counts(run)) == (ImportRun.State.APPLIED, (1, 0, 1))
    csv = "规格型号,产品/服务名称,在库数量\r\nS-001,服务器A型,20\r\n".encode("gb18030")
    run = imported(admin, csv, filename="期初库存.csv")
    assert counts(run) == (0, 1, 0)
    assert StockLevel.objects.get(product=product).on_hand == Decimal("20")
    assert COLUMNS == ["规格型号", "产品/服务名称", "仓库", "在库数量"]


def test_only_an_administrator_imports_stock(users, product):
    with pytest.raises(NotAllowed):
        import_preview(actor=users["warehouse"], kind="stock", content=sheet([["S-001", "", 1]]), filename="库存.xlsx")


def test_the_command_line_imports_opening_stock(users, product, tmp_path, capsys):
    path = tmp_path / "期初库存.xlsx"
    path.write_bytes(sheet([["S-001", "", 7]]))
    call_command("import", "stock", str(path))
    assert "已导入（admin）：新建 1，更新 0，跳过 0" in capsys.readouterr().out
    assert StockLevel.objects.get().on_hand == Decimal("7")
    path.write_bytes(sheet([["S-404", "", 7]]))
    with pytest.raises(CommandError, match=r"第2行 规格型号\(A\): 系统中没有该规格型号：S-404"):
        call_command("import", "stock", str(path))
