"""Products from the company's product list (issue #25): the preview says what would be created, updated and
skipped and writes nothing; the apply writes it in one go; a file with any problem is refused whole, each problem
named by row and column."""
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command

from orderloop.core.exceptions import InvalidTransition, NotAllowed
from orderloop.core.models import AuditEntry
from orderloop.golive.models import ImportRun
from orderloop.golive.services import import_apply, import_preview, import_template
from orderloop.masterdata.models import Product
from tests.support.workbooks import workbook as rows_workbook

pytestmark = pytest.mark.django_db


PRODUCT_COLUMNS = ["产品/服务名称", "规格型号", "单位", "单价(元)", "成本价(元)", "在售"]


def workbook(rows, header=PRODUCT_COLUMNS) -> bytes:
    return rows_workbook([list(row) for row in rows], header=list(header))


def test_the_preview_writes_nothing_and_the_apply_creates_updates_and_skips(users, product):
    admin = users["admin"]
    content = workbook([["服务器A型", "S-001", "台", 5000, 4000, "是"],          # as it is: skipped
                        ["服务器B型", "S-002", "台", "8,800.50", "", ""],       # new
                        ["服务器A型", "S-001X", "台", 5200, 4100, "否"]])       # new, off sale
    run = import_preview(actor=admin, kind="products", content=content, filename="产品.xlsx")
    assert run.state == ImportRun.State.PREVIEWED
    assert (run.summary["create"], run.summary["update"], run.summary["skip"]) == (2, 0, 1)
    assert run.summary["create_rows"] == ["第3行 S-002 服务器B型", "第4行 S-001X 服务器A型"]
    assert Product.objects.count() == 1

    run = import_apply(actor=admin, run_id=run.pk)
    assert run.state == ImportRun.State.APPLIED
    new = Product.objects.get(model="S-002")
    assert (new.list_price, new.cost_price, new.unit, new.is_active, new.initials) == (
        Decimal("8800.50"), Decimal("0.00"), "台", True, "fwqbx")
    assert Product.objects.get(model="S-001X").is_active is False

    changed = workbook([["服务器A型", "S-001", "台", 5100, 4000, "是"]])
    run = import_apply(actor=admin, run_id=import_preview(actor=admin, kind="products", content=changed,
                                                          filename="产品.xlsx").pk)
    assert (run.summary["create"], run.summary["update"], run.summary["skip"]) == (0, 1, 0)
    assert run.summary["update_rows"] == ["第2行 S-001 服务器A型：单价(元) 5000.00 → 5100.00"]
    product.refresh_from_db()
    assert product.list_price == Decimal("5100.00")


def test_a_file_with_problems_is_refused_whole_naming_row_and_column(users):
    content = workbook([["服务器B型", "S-002", "台", 100, 50, "是"],
                        ["", "S-003", "台", "一百", -1, "也许"],
                        ["服务器D型", "S-002", "台", "1.234", "", ""]])
    run = import_preview(actor=users["admin"], kind="products", content=content, filename="产品.xlsx")
    assert run.state == ImportRun.State.REFUSED
    assert run.summary["errors"] == {
        "第3行 产品/服务名称(A)": ["必填"], "第3行 单价(元)(D)": ["请输入金额（数字）"], "第3行 成本价(元)(E)": ["不能小于 0"],
        "第3行 在售(F)": ["请填写“是”或“否”"], "第4行 规格型号(B)": ["与第2行的规格型号重复：S-002"],
        "第4行 单价(元)(D)": ["最多两位小数"]}
    assert Product.objects.count() == 0


def test_a_sheet_without_its_columns_is_refused_at_the_header(users):
    run = import_preview(actor=users["admin"], kind="products", content=workbook([["x", "y"]], header=("名称", "型号")),
                         filename="产品.xlsx")
    assert run.summary["errors"] == {"第1行 表头": ["缺少必填列：产品/服务名称、规格型号、单价(元)（请使用导入模板）"]}


def test_the_template_imports_as_it_is_and_a_csv_from_excel_in_gbk_too(users):
    admin = users["admin"]
    run = import_apply(actor=admin, run_id=import_preview(actor=admin, kind="products",
                                                          content=import_template("products"), filename="模板.xlsx").pk)
    assert run.state == ImportRun.State.APPLIED and run.summary["create"] == 2
    csv = "产品/服务名称,规格型号,单价(元)\r\n监控摄像头,CAM-01,\"1,299.00\"\r\n".encode("gb18030")
    run = import_apply(actor=admin, run_id=import_preview(actor=admin, kind="products", content=csv,
                                                          filename="产品.csv").pk)
    assert Product.objects.get(model="CAM-01").list_price == Decimal("1299.00")


def test_only_an_administrator_imports(users):
    with pytest.raises(NotAllowed):
        import_preview(actor=users["sales_manager"], kind="products", content=workbook([]), filename="产品.xlsx")


def test_an_applied_file_is_not_applied_twice(users):
    admin = users["admin"]
    run = import_preview(actor=admin, kind="products", content=workbook([["服务器B型", "S-002", "台", 100, 50, "是"]]),
                         filename="产品.xlsx")
    import_apply(actor=admin, run_id=run.pk)
    with pytest.raises(InvalidTransition, match="已导入"):
        import_apply(actor=admin, run_id=run.pk)
    assert Product.objects.count() == 1


def test_the_command_line_dry_run_writes_nothing_and_the_import_does(users, tmp_path, capsys):
    path = tmp_path / "产品.xlsx"
    path.write_bytes(workbook([["服务器B型", "S-002", "台", 100, 50, "是"]]))
    call_command("import", "products", str(path), "--dry-run")
    assert "检查通过（试运行，未写入）：将新建 1，更新 0，跳过 0" in capsys.readouterr().out
    assert Product.objects.count() == 0
    call_command("import", "products", str(path))
    assert "已导入（admin）：新建 1，更新 0，跳过 0" in capsys.readouterr().out
    path.write_bytes(workbook([["服务器B型", "S-002", "台", "x", 50, "是"]]))
    with pytest.raises(CommandError, match=r"第2行 单价\(元\)\(D\): 请输入金额（数字）"):
        call_command("import", "products", str(path))


def test_a_blank_cell_keeps_what_an_existing_product_has(users, product):
    product.unit, product.is_active = "套", False  # discontinued
    product.save()
    admin = users["admin"]
    run = import_preview(actor=admin, kind="products", filename="产品.xlsx",
                         content=workbook([["服务器A型", "S-001", "", 5000, "", ""]]))
    assert (run.summary["create"], run.summary["update"], run.summary["skip"]) == (0, 0, 1)
    run = import_apply(actor=admin, run_id=import_preview(
        actor=admin, kind="products", filename="产品.xlsx", content=workbook([["服务器A型", "S-001", "", 5100, "", ""],
                                                                            ["服务器B型", "S-002", "", 800, "", ""]])).pk)
    assert run.summary["update_rows"] == ["第2行 S-001 服务器A型：单价(元) 5000.00 → 5100.00"]
    product.refresh_from_db()
    assert (product.unit, product.list_price, product.cost_price, product.is_active) == (
        "套", Decimal("5100.00"), Decimal("4000.00"), False)
    new = Product.objects.get(model="S-002")  # a new product takes the defaults
    assert (new.unit, new.cost_price, new.is_active) == ("台", Decimal("0.00"), True)


def test_created_products_are_audited_as_updated_ones_are(users, product):
    admin = users["admin"]
    import_apply(actor=admin, run_id=import_preview(
        actor=admin, kind="products", filename="产品.xlsx", content=workbook([["服务器A型", "S-001", "台", 5100, 4000, "是"],
                                                                            ["服务器B型", "S-002", "套", 800, 600, "否"]])).pk)
    entries = AuditEntry.objects.filter(object_type="masterdata.product", operation="imported", actor=admin)
    assert {entry.object_repr: entry.changes for entry in entries} == {
        "服务器A型 S-001": {"list_price": ["5000.00", "5100.00"]},
        "服务器B型 S-002": {"name": [None, "服务器B型"], "model": [None, "S-002"], "unit": [None, "套"],
                         "list_price": [None, "800.00"], "cost_price": [None, "600.00"], "is_active": [None, False]}}
