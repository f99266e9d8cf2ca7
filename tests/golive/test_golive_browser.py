"""Going live in a real browser (issue #25, done-when 4): the administrator opens 数据导入, uploads the company's
customer list and reads the preview — what will be created, the look-alike customer to check, nothing written yet
— and confirms; then the product list: a file with a mistake shows it by row and column and imports nothing, the
corrected one is previewed (created, skipped) and imported."""

import pytest
from playwright.sync_api import expect

from orderloop.masterdata.models import Customer, Product
from tests.support.browser import log_in, open_menu
from tests.support.workbooks import workbook

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def sheet(rows, header=("产品/服务名称", "规格型号", "单位", "单价(元)", "成本价(元)")) -> bytes:
    return workbook(rows, header=list(header))


def test_the_administrator_uploads_previews_and_imports_customers_and_products(browser, web_server, users, customer,
                                                                              product, tmp_path):
    page = log_in(browser, web_server, "admin")
    open_menu(page)
    page.locator("#golive-link").click()
    expect(page.get_by_role("heading", name="数据导入", exact=True)).to_be_visible()

    customers = tmp_path / "客户.xlsx"  # 科技 looks like the 科技有限公司 already there, with another credit code
    customers.write_bytes(sheet([["科技", "91110108MA01ABCD1E", "张*", "13900001111", "account_manager"],
                                 ["北京云栈科技有限公司", "", "王*", "13800002222", "account_manager"]],
                                header=("客户名称", "统一社会信用代码", "联系人", "联系方式", "客户经理")))
    card = page.locator("#golive-customers")
    card.locator("input[type=file]").set_input_files(str(customers))
    card.get_by_role("button", name="上传并预览").click()
    expect(page.locator("#import-state")).to_have_text("待确认")
    expect(page.locator("#count-create")).to_have_text("2")
    expect(page.locator("#import-notes")).to_contain_text("疑似重复，请核对：第2行“科技”")
    assert Customer.objects.count() == 1
    page.get_by_role("button", name="确认导入").click()
    expect(page.locator(".messages .success")).to_contain_text("已导入：新建 2，更新 0，跳过 0")
    assert sorted(Customer.objects.values_list("name", flat=True)) == ["北京云栈科技有限公司", "科技", "科技有限公司"]
    page.get_by_role("link", name="← 数据导入").click()

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
