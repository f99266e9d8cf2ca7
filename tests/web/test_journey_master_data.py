"""Master data in the app, in a real browser (issue 22, done-when 3): the account manager creates a customer with
its contacts, payment terms and qualification papers in one form — no Django admin — and sees it 待审核 on its page;
the sales manager finds it 合格; the admin creates a product and the warehouse records its stock; the product is
then choosable for a new order (the product list and ``GET /api/products``). The Django admin stays closed to the
account manager."""
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from orderloop.core.models import AuditEntry
from orderloop.masterdata.models import Customer, Product, Qualification, StockAdjustment
from orderloop.setup.demo import LICENCE_SCAN
from tests.support.api_client import Api
from tests.support.browser import ARTIFACTS, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

AT = datetime(2026, 12, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def screenshot(page, name):
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, f"{name}.png"), full_page=True)


def test_customer_and_product_are_created_in_the_app_not_the_admin(browser, web_server, users, tmp_path):
    licence = tmp_path / "营业执照.png"
    licence.write_bytes(LICENCE_SCAN)
    report = tmp_path / "征信报告.pdf"
    report.write_bytes(b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
    with web_server.frozen_at(AT):
        # the account manager creates the customer from the customer list, with two contacts and the papers
        page = log_in(browser, web_server, "account_manager")
        page.get_by_role("navigation").get_by_role("link", name="客户", exact=True).click()
        page.locator("#customer-new").click()
        form = page.locator("#customer-form")
        form.get_by_label("客户名称").fill("新星贸易有限公司")
        form.get_by_label("客户编码").fill("C-0099")
        form.get_by_label("统一社会信用代码").fill("91310115MA1FL5C15C")
        form.get_by_label("付款方式", exact=True).fill("30%预付,余款到付")
        form.get_by_label("地址").fill("上海市浦东新区世纪大道1号")
        rows = page.locator("#contact-rows tr")
        rows.nth(0).get_by_label("联系人", exact=True).fill("王经理")
        rows.nth(0).get_by_label("联系方式").fill("13900002222")
        rows.nth(0).get_by_label("邮箱").fill("wang@example.com")
        rows.nth(0).get_by_label("主要联系人").check()
        page.get_by_role("button", name="添加联系人").click()
        expect(rows).to_have_count(3)
        rows.nth(2).get_by_label("联系人", exact=True).fill("赵会计")
        rows.nth(2).get_by_label("联系方式").fill("13900003333")
        papers = page.locator("#papers")
        papers.get_by_label("营业执照（PDF/图片）").set_input_files(str(licence))
        papers.get_by_label("营业执照有效期至").fill("2031-06-30")
        papers.get_by_label("信用记录（征信情况、逾期与诉讼等）").fill("人行征信无逾期，无涉诉记录")
        papers.get_by_label("征信报告（PDF/图片，可选）").set_input_files(str(report))
        page.get_by_role("button", name="新建客户").click()
        expect(page.get_by_text("客户「新星贸易有限公司」已新建，资质资料已提交，等待销售经理审核")).to_be_visible()
        expect(page.locator("#qualification-state")).to_have_text("待审核")
        expect(page.locator("#payment-terms")).to_have_text("30%预付,余款到付")
        expect(page.locator("#customer-code")).to_have_text("C-0099")
        expect(page.locator("#contacts")).to_contain_text("王经理")
        expect(page.locator("#contacts")).to_contain_text("赵会计")
        expect(page.locator("#licence-link")).to_be_visible()
        expect(page.locator("#credit-report-link")).to_be_visible()
        screenshot(page, "master-data-customer-created")
        customer = Customer.objects.get(name="新星贸易有限公司")
        assert customer.owner == users["account_manager"] and customer.qualification == Qualification.PENDING
        assert [(c.name, c.is_primary) for c in customer.contacts.all()] == [("王经理", True), ("赵会计", False)]

        # …the search finds it by phone; the Django admin is not theirs, and nothing links there
        page.get_by_role("navigation").get_by_role("link", name="客户", exact=True).click()
        page.get_by_label("搜索").fill("13900003333")
        page.get_by_role("button", name="筛选").click()
        expect(page.locator("#customers tbody tr")).to_have_count(1)
        expect(page.locator("#customers")).to_contain_text("新星贸易有限公司")
        assert page.locator("a[href^='/admin']").count() == 0
        page.goto(f"{web_server.url}/admin/masterdata/customer/add/")
        assert "/admin/login/" in page.url
        assert page.locator("#customer_form").count() == 0

        # the sales manager finds the papers complete: 合格
        desk = log_in(browser, web_server, "sales_manager")
        desk.goto(f"{web_server.url}/customers/{customer.pk}/")
        decision = desk.locator("#qualification-decision")
        decision.get_by_label("合格", exact=True).check()
        decision.get_by_role("button", name="提交审核结论").click()
        expect(desk.locator("#qualification-state")).to_have_text("合格")
        customer.refresh_from_db()
        assert customer.qualification == Qualification.QUALIFIED

        # the admin creates a product in the app
        admin = log_in(browser, web_server, "admin")
        admin.get_by_role("navigation").get_by_role("link", name="产品", exact=True).click()
        admin.locator("#product-new").click()
        product_form = admin.locator("#product-form")
        product_form.get_by_label("产品/服务名称").fill("服务器C型")
        product_form.get_by_label("规格型号").fill("S-003")
        product_form.get_by_label("单位").fill("台")
        product_form.get_by_label("单价(元)").fill("7200")
        product_form.get_by_label("成本价(元)").fill("5600")
        admin.get_by_role("button", name="新建产品").click()
        expect(admin.get_by_text("产品「服务器C型 S-003」已新建")).to_be_visible()
        product = Product.objects.get(model="S-003")
        assert product.is_active and product.cost_price == 5600

        # the warehouse records its stock, with the reason
        store = log_in(browser, web_server, "warehouse")
        store.get_by_role("navigation").get_by_role("link", name="产品", exact=True).click()
        store.get_by_label("搜索").fill("S-003")
        store.get_by_role("button", name="筛选").click()
        store.locator("#products").get_by_role("link", name="S-003").click()
        assert store.locator("#cost-price").count() == 0  # the cost price is not the warehouse's
        adjust = store.locator("#stock-adjust")
        adjust.get_by_label("在库变动").fill("20")
        adjust.get_by_label("原因").fill("采购入库")
        adjust.get_by_role("button", name="保存调整").click()
        expect(store.get_by_text("库存已调整：S-003 在主仓库 现有 20，可用 20")).to_be_visible()
        expect(store.locator("#stock tr[data-warehouse='主仓库'] .available")).to_have_text("20")
        assert StockAdjustment.objects.get(stock__product=product).actor == users["warehouse"]

        # now the account manager can choose it for a new order
        page.goto(f"{web_server.url}/today/")
        page.get_by_role("navigation").get_by_role("link", name="产品", exact=True).click()
        page.get_by_label("搜索").fill("服务器C")
        page.get_by_role("button", name="筛选").click()
        row = page.locator(f"#products tr[data-product='{product.pk}']")
        expect(row).to_contain_text("服务器C型")
        expect(row).to_contain_text("7200.00")
        expect(row).not_to_contain_text("5600")
    offered = Api("account_manager").get("/products", q="S-003").json()
    assert [(p["model"], p["list_price"]) for p in offered] == [("S-003", "7200.00")]
    assert AuditEntry.objects.filter(object_type="masterdata.product", object_id=str(product.pk),
                                     operation="created", actor=users["admin"]).exists()
