"""Reading a company's own sheet (issue #25): a title row and blank rows above the header, headers written with
full-width brackets or spaces, columns in any order, columns that are not imported named in the preview, a long
number a .csv keeps as ="…" — and every problem named by the row the user sees in the sheet."""
import io

import pytest
from openpyxl import Workbook

from orderloop.golive.services import import_apply, import_preview
from orderloop.masterdata.models import Product

pytestmark = pytest.mark.django_db


def test_a_title_row_full_width_headers_and_extra_columns(users):
    book = Workbook()
    sheet = book.active
    sheet.append(["XX公司产品目录（2026年12月）"])  # row 1: a title
    sheet.append([])                                # row 2: blank
    sheet.append(["序号", "规格型号 ", "产品/服务名称", "单价（元）", "库位"])  # row 3: the header
    sheet.append([1, "S-002", "服务器B型", 8000, "A-01"])
    sheet.append([2, "S-003", "服务器C型", "八千", "A-02"])
    buffer = io.BytesIO()
    book.save(buffer)
    run = import_preview(actor=users["admin"], kind="products", content=buffer.getvalue(), filename="目录.xlsx")
    assert run.summary["errors"] == {"第5行 单价(元)(D)": ["请输入金额（数字）"]}
    assert run.summary["notes"][0] == "这些列未导入（不是产品导入的列，请核对表头）：序号、库位"


def test_a_csv_with_a_long_number_kept_as_text(users):
    content = '产品/服务名称,规格型号,单价(元)\r\n服务器,="123456789012345678",100\r\n'.encode("utf-8-sig")
    run = import_apply(actor=users["admin"], run_id=import_preview(
        actor=users["admin"], kind="products", content=content, filename="产品.csv").pk)
    assert run.summary["errors"] == {}
    assert Product.objects.get().model == "123456789012345678"


def test_a_file_whose_preview_no_longer_holds_is_not_imported(users):
    content = '产品/服务名称,规格型号,单价(元)\r\n服务器,S-010,100\r\n'.encode("utf-8-sig")
    run = import_preview(actor=users["admin"], kind="products", content=content, filename="产品.csv")
    Product.objects.create(name="服务器", model="S-010", list_price=90)  # a colleague, meanwhile
    run = import_apply(actor=users["admin"], run_id=run.pk)
    assert run.state == run.State.REFUSED
    assert run.summary["errors"] == {"文件": [
        "预览之后系统中的数据有变化：预览时将新建 1、更新 0、跳过 0，现在将新建 0、更新 1、跳过 0。未导入任何内容，请重新上传查看新的预览"]}
    assert Product.objects.get().list_price == 90
