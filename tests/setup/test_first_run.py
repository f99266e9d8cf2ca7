"""The first-run guide: a fresh installation, no account, walked by its admin to the point where a sales
assistant enters the first real order; and the guide's rules on their own."""
import os
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.core import mail

from orderloop.accounts.models import User
from orderloop.core.exceptions import InvalidInput, NotAllowed
from orderloop.core.models import AuditEntry, CalendarOverride
from orderloop.masterdata.models import Customer, Qualification
from orderloop.orders.models import ApprovalPolicy, SalesOrder
from orderloop.setup import services
from orderloop.setup.models import CompanyProfile
from tests.support.browser import ARTIFACTS, accept_dialog, log_in
from tests.support.intake import choose_customer, choose_product
from tests.support.robot_server import RobotServer


# The walk happens on one working day of a year whose holidays ship with the product: the company's day off
# is entered for the last day of that year, the first order asks for delivery in the spring after it.
FIRST_RUN_AT = datetime(2026, 11, 2, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def first_run_day(web_server):
    with web_server.frozen_at(FIRST_RUN_AT) as moment:
        yield moment


def step_done(page, code) -> bool:
    return page.locator(f"#setup-steps li[data-step={code}]").get_attribute("class") == "done"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_fresh_install_is_walked_to_its_first_order(browser, web_server, first_run_day):
    assert not User.objects.exists()
    robot = RobotServer()
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    page.on("dialog", accept_dialog)
    url = web_server.url

    # no account yet: the address leads to creating the system administrator
    page.goto(url + "/")
    page.wait_for_url(url + "/setup/")
    page.get_by_label("用户名").fill("it")
    page.get_by_label("姓名").fill("王*")
    page.get_by_label("邮箱").fill("it@example.com")
    page.get_by_label("密码", exact=True).fill("short")
    page.get_by_label("再次输入密码").fill("short")
    page.get_by_role("button", name="创建系统管理员").click()
    assert "密码" in page.locator(".field-error").first.inner_text()  # too short: said, nothing created
    assert page.get_by_label("用户名").input_value() == "it"  # the input is kept
    assert not User.objects.exists()
    page.get_by_label("密码", exact=True).fill("Orderloop-2026!")
    page.get_by_label("再次输入密码").fill("Orderloop-2026!")
    page.get_by_role("button", name="创建系统管理员").click()
    page.wait_for_selector("#setup-steps")
    assert User.objects.get(username="it").roles == {"admin"}
    assert page.locator("#setup-pending").is_visible()

    # 公司信息: a bad credit code is named, then saved
    page.get_by_role("link", name="公司信息").click()
    page.get_by_label("公司名称").fill("华星精密机械有限公司")
    page.get_by_label("统一社会信用代码").fill("91110108MA01A2B3C4")
    page.get_by_label("地址").fill("苏州市工业园区星湖街1号")
    page.get_by_label("电话").fill("0512-66668888")
    page.get_by_role("button", name="保存").click()
    assert "校验位" in page.locator(".field-error").inner_text()
    assert page.get_by_label("公司名称").input_value() == "华星精密机械有限公司"
    page.get_by_label("统一社会信用代码").fill("91110108MA01A2B3CF")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("#setup-steps")
    assert step_done(page, "company")

    # 销售团队, then 用户与角色: the people who enter, approve and carry an order
    page.get_by_role("link", name="销售团队").click()
    page.get_by_label("团队名称").fill("华东销售部")
    page.get_by_role("button", name="添加").click()
    page.wait_for_selector("#setup-rows >> text=华东销售部")
    page.get_by_role("link", name="返回首次设置向导").click()
    page.get_by_role("link", name="用户与角色").click()
    for username, name, role_label in [("chen", "陈*", "销售助理"), ("zhang", "张*", "客户经理"), ("liu", "刘*", "销售经理"),
                                       ("sun", "孙*", "仓储")]:
        page.get_by_label("用户名").fill(username)
        page.get_by_label("姓名").fill(name)
        page.get_by_label("邮箱").fill(f"{username}@example.com")
        page.get_by_label("所属团队").select_option(label="华东销售部")
        page.get_by_label(role_label, exact=True).check()
        page.get_by_label("初始密码").fill("Orderloop-2026!")
        page.get_by_role("button", name="添加").click()
        page.wait_for_selector(f"#setup-rows >> text={name}")
    assert User.objects.get(username="liu").roles == {"sales_manager"}
    os.makedirs(ARTIFACTS, exist_ok=True)
    page.screenshot(path=os.path.join(ARTIFACTS, "first-run-users.png"), full_page=True)
    page.get_by_role("link", name="返回首次设置向导").click()
    assert step_done(page, "users") and step_done(page, "teams")
    assert "尚无人担任" in page.locator("#setup-steps li[data-step=users]").inner_text()  # production, logistics, …

    # 审批规则: the director's threshold
    page.get_by_role("link", name="审批规则").click()
    page.get_by_label("总监审批金额（超过，元）").fill("200000")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector("#setup-steps")
    assert ApprovalPolicy.current().director_threshold == 200000

    # 工作日历: the company's own day off
    page.get_by_role("link", name="工作日历").click()
    page.get_by_label("日期").fill("2026-12-31")
    page.get_by_label("当天").select_option(label="放假")
    page.get_by_label("说明").fill("年会")
    page.get_by_role("button", name="添加").click()
    page.wait_for_selector("#setup-rows >> text=年会")
    assert CalendarOverride.objects.get(date="2026-12-31").is_workday is False

    # 群机器人: added and tested against a local stand-in for WeCom
    page.goto(url + "/setup/robots/")
    page.get_by_label("名称").fill("华东销售群")
    page.get_by_label("类型").select_option(label="企业微信")
    page.get_by_label("Webhook 地址").fill(f"{robot.url}/cgi-bin/webhook/send?key=k1")
    page.get_by_role("button", name="添加").click()
    page.get_by_role("button", name="发送测试消息").click()
    page.wait_for_selector(".messages >> text=测试消息已发送")
    assert "测试消息" in robot.requests[0]["body"]["text"]["content"]

    # 邮件: a test mail to the admin
    page.goto(url + "/setup/mail/")
    page.get_by_role("button", name="发送测试邮件到 it@example.com").click()
    page.wait_for_selector(".messages >> text=测试邮件已发送")
    assert [m.to for m in mail.outbox] == [["it@example.com"]]

    # 客户与产品 in the admin, reached from the guide
    page.goto(url + "/setup/masterdata/")
    page.get_by_role("link", name="添加产品").click()
    page.get_by_label("产品/服务名称").fill("数控车床")
    page.get_by_label("规格型号").fill("CK6150")
    page.get_by_label("单价(元)").fill("86000")
    page.get_by_label("成本价(元)").fill("70000")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_selector(".messagelist")
    page.goto(url + "/setup/masterdata/")
    page.get_by_role("link", name="添加客户").click()
    page.get_by_label("客户名称").fill("苏州恒达机电有限公司")
    page.get_by_label("资质状态").select_option(label="合格")
    page.get_by_label("客户经理").select_option(label="张*")
    page.locator("input[name=contacts-0-name]").fill("何*")
    page.locator("input[name=contacts-0-phone]").fill("13912345678")
    page.get_by_role("button", name="保存", exact=True).click()
    page.wait_for_selector(".messagelist")
    page.goto(url + "/setup/")
    assert page.locator("#setup-ready").is_visible()
    assert all(step_done(page, code) for code in ("company", "teams", "users", "approval", "masterdata", "robots", "mail"))
    page.screenshot(path=os.path.join(ARTIFACTS, "journey-admin-first-run.png"), full_page=True)
    page.close()

    # the sales assistant enters the first real order
    page = log_in(browser, web_server, "chen", password="Orderloop-2026!")
    page.get_by_role("link", name="录入订单").click()
    choose_customer(page, "恒达", "苏州恒达机电有限公司")
    page.get_by_label("联系人").fill("何*")
    page.get_by_label("联系方式").fill("13912345678")
    page.get_by_label("交付日期").fill("2027-03-31")
    page.get_by_label("付款方式").fill("30%预付,余款到付")
    page.get_by_label("交付地址").fill("苏州市吴中区东吴北路9号")
    choose_product(page, 1, "CK6150", "数控车床 CK6150")
    page.get_by_label("数量 1", exact=True).fill("2")
    page.get_by_role("button", name="提交订单").click()
    page.wait_for_selector("#order-status")
    assert page.locator("#order-status").inner_text() == "已接收"
    order = SalesOrder.objects.get()
    assert (order.customer.name, order.total_amount, order.owner.username) == ("苏州恒达机电有限公司", 172000, "zhang")
    robot.close()


def test_the_first_admin_can_be_created_once(db):
    services.first_admin_create(username="it", display_name="王*", email="it@example.com", password="Orderloop-2026!")
    with pytest.raises(NotAllowed):
        services.first_admin_create(username="it2", display_name="李*", email="x@example.com", password="Orderloop-2026!")
    assert list(User.objects.values_list("username", flat=True)) == ["it"]


def test_the_guide_is_for_the_admin_alone(client, users):
    client.force_login(users["sales_manager"])
    assert client.get("/setup/").status_code == 403
    assert client.post("/setup/company/", {"name": "X"}).status_code == 403
    assert not CompanyProfile.objects.exists()
    client.logout()
    assert client.get("/setup/").status_code == 302  # accounts exist: sign in first


def test_a_user_is_refused_with_every_reason_and_nothing_is_created(users):
    with pytest.raises(InvalidInput) as refused:
        services.user_create(actor=users["admin"], username="sales_assistant", roles=[], password="1")
    assert set(refused.value.errors) == {"username", "roles", "password"}
    assert User.objects.count() == len(users)


def test_ready_needs_company_team_people_rules_customer_and_product(users, customer, product):
    admin = users["admin"]
    steps = {step.code: step for step in services.setup_steps()}
    assert not steps["company"].done and not steps["approval"].done
    assert steps["teams"].done and steps["users"].done and steps["masterdata"].done
    assert not services.ready_for_first_order()
    services.company_save(actor=admin, data={"name": "华星精密机械有限公司"})
    services.approval_policy_save(actor=admin, data={"director_threshold": 10000, "margin_floor": "0.1",
                                                     "special_terms_need_director": True,
                                                     "credit_limit_needs_director": True})
    assert services.ready_for_first_order()
    Customer.objects.update(qualification=Qualification.PENDING)
    assert not services.ready_for_first_order()
    assert AuditEntry.objects.filter(object_type="setup.companyprofile", operation="created").exists()


def test_a_failed_test_mail_is_said_and_not_recorded(users, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2  # nothing listens there
    from orderloop.core.exceptions import DomainError

    with pytest.raises(DomainError, match="测试邮件未发出"):
        services.mail_test(actor=users["admin"])
    assert not AuditEntry.objects.filter(operation=services.MAIL_TESTED).exists()


def test_the_confirmation_names_the_seller(client, orders, users):
    import io

    from pypdf import PdfReader

    services.company_save(actor=users["admin"], data={"name": "华星精密机械有限公司", "phone": "0512-66668888"})
    order = orders.at("pending_stock_check")
    client.force_login(users["sales_manager"])
    response = client.get(f"/orders/{order.number}/documents/confirmation.pdf")
    text = PdfReader(io.BytesIO(b"".join(response))).pages[0].extract_text()
    assert "供方：华星精密机械有限公司" in text and "0512-66668888" in text
