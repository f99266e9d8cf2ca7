"""Going live in a real browser (issue #25, done-when 4): the administrator opens 数据导入, downloads nothing but
uploads the company's product list, reads the preview (what will be created, updated, skipped — nothing written
yet), confirms, and sees it done; a file with mistakes shows each by row and column and imports nothing."""
import io

import pytest
from openpyxl import Workbook
from playwright.sync_api import expect

from orderloop.masterdata.models import Product
from tests.support.browser import log_in, open_menu

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sheet(rows) -> bytes:
    book = Workbook()
    book.active.append(["产品/服务名称", "规格型号", "单位", "单价(元)", "成本价(元)"])
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def test_the_administrator_uploads_previews_and_imports_the_product_list(browser, web_server, users, product,
                                                                        tmp_path):
    page = log_in(browser, web_server, "admin")
    open_menu(page)
    page.locator("#golive-link").click()
    expect(page.get_by_role("heading", name="数据导入", exact=True)).to_be_visible()

    bad = tmp_path / "产品-有误.xlsx"
    bad.write_bytes(sheet([["服务器B型", "S-002", "台", "八千", 6000]]))
    card = page.locator("#golive-products")
    card.locator("input[type=file]").set_input_files(str(bad))
    card.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-state")).to_have_text("有误，未导入")
    expect(page.locator("#import-errors")).to_contain_text("第2行 单价(元)(D)")
    expect(page.locator("#import-errors")).to_contain_text("请输入金额（数字）")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)

    good = tmp_path / "产品.xlsx"
    good.write_bytes(sheet([["服务器A型", "S-001", "台", 5000, 4000], ["服务器B型", "S-002", "台", 8000, 6000],
                            ["服务器C型", "S-003", "台", 9000, ""]]))
    page.get_by_role("link", name="修改文件后重新上传").click()
    card = page.locator("#golive-products")
    card.locator("input[type=file]").set_input_files(str(good))
    card.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-state")).to_have_text("待确认")
    expect(page.locator("#count-create")).to_have_text("2")
    expect(page.locator("#count-skip")).to_have_text("1")
    expect(page.locator("#import-rows")).to_contain_text("第3行 S-002 服务器B型")
    assert Product.objects.count() == 1  # nothing written before the confirmation

    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".messages .success")).to_contain_text("已导入：新建 2，更新 0，跳过 1")
    expect(page.locator("#import-state")).to_have_text("已导入")
    expect(page.get_by_role("button", name="确认导入")).to_have_count(0)
    assert sorted(Product.objects.values_list("model", flat=True)) == ["S-001", "S-002", "S-003"]
    page.close()
