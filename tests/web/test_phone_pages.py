"""The pages of the people who work away from a desk, on a 390×844 phone, each as the role that uses it: the
account manager at the customer's, logistics and the warehouse at the dock, production on the floor, the
manager approving on the road, after-sales, and the customer on a signed link. No page scrolls sideways or has
an element running past the screen's right edge, no text is squeezed into a column narrower than two
characters (what made 订单编号 read one character per line), and the buttons, fields and links of forms and cards
are at least 44 px high. Every folded part of a page (the action forms, the
timeline) is opened before it is measured, and the 菜单 is measured open too."""
import os

import pytest

from orderloop.accounts.models import User
from orderloop.aftersales.models import Ticket
from orderloop.masterdata.models import Customer, Product
from orderloop.orders.links import rating_token, receipt_token
from orderloop.orders.models import SalesOrder
from tests.support.browser import ARTIFACTS, PHONE, open_menu
from tests.support.matrix import CRAWL_AT
from tests.support.orders import OrderBuilder, act
from tests.support.phone import MEASURE, measured
from tests.support.users import ROLES

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True, serialized_rollback=True)]






def test_every_page_a_phone_role_uses_fits_the_phone(browser, web_server):
    from orderloop.setup.demo import load_demo

    with web_server.frozen_at(CRAWL_AT):
        load_demo()
        users = {role: User.objects.get(username=role) for role in ROLES}
        builder = OrderBuilder(users, Customer.objects.get(name="科技有限公司"), Product.objects.get(model="S-001"))
        to_ship = builder.at("ready_to_ship")         # logistics ships it at the dock
        to_prepare = builder.at("in_fulfillment")      # production tracks it, then the warehouse prepares it
        to_prepare = act(to_prepare, "track", users["production"], stage="生产", record="生产完成", actual_date="2024-05-19")
        in_production = builder.at("in_fulfillment")  # production's stage still open
        delivered = builder.at("delivered")           # the customer's rating link waits for a score
        shipped = SalesOrder.objects.get(number="202405-002")  # at 客户验收, its receipt not yet signed
        ticket = Ticket.objects.get(order__number="202405-003")
        url = web_server.url
        pages = {
            "account_manager": ["/today/", "/work/", "/orders/", f"/orders/{shipped.ref}/", "/registers/progress/",
                                "/registers/logistics/", "/tickets/?state=all", f"/tickets/{ticket.pk}/",
                                f"/orders/{shipped.ref}/acceptance/", f"/orders/{delivered.ref}/", "/inbox/",
                                f"/finance/orders/{shipped.ref}/invoice/"],
            "sales_manager": ["/today/", "/approvals/", "/work/", "/orders/"],
            "logistics": ["/today/", "/work/", f"/orders/{to_ship.ref}/", "/registers/logistics/",
                          f"/orders/{shipped.ref}/acceptance/", "/inbox/"],
            "warehouse": ["/today/", "/work/", f"/orders/{to_prepare.ref}/", "/registers/progress/"],
            "production": ["/today/", "/work/", f"/orders/{in_production.ref}/", "/registers/progress/"],
            "after_sales": ["/today/", "/tickets/", f"/tickets/{ticket.pk}/", "/registers/feedback/"],
        }
        problems = {}
        for role, paths in pages.items():
            context = browser.new_context(**PHONE)
            page = context.new_page()
            page.goto(f"{url}/login/")
            assert page.evaluate(MEASURE, PHONE['viewport']['width']) == []  # the login page, before anyone is known
            page.get_by_label("用户名").fill(role)
            page.get_by_label("密码").fill("orderloop")
            page.get_by_role("button", name="登录").click()
            page.wait_for_url(f"{url}/today/")
            # the header is one short line; 菜单 opens the navigation and the session links
            assert page.locator("header").bounding_box()["height"] <= 60
            assert not page.get_by_role("link", name="订单列表").is_visible()
            open_menu(page)
            assert page.locator("#menu").get_by_role("link", name="订单列表").is_visible()
            found = page.evaluate(MEASURE, PHONE['viewport']['width'])
            if found:
                problems[f"{role} 菜单"] = found
            page.screenshot(path=os.path.join(ARTIFACTS, f"phone-{role}-menu.png"))
            for path in paths:
                measured(page, url + path, problems, role)
            context.close()

        # the customer, on the signed links sent by SMS or e-mail, logged in nowhere
        context = browser.new_context(**PHONE)
        page = context.new_page()
        measured(page, f"{url}/receipt/{receipt_token(shipped.shipments.get(position=1))}/", problems, "customer")
        assert page.get_by_role("button", name="确认签收").is_visible()
        measured(page, f"{url}/rating/{rating_token(delivered.visit)}/", problems, "customer")
        assert page.get_by_role("button", name="提交评价").is_visible()
        context.close()
    assert problems == {}, '\n'.join(f'{where}: {found}' for where, found in problems.items())


def test_the_measure_sees_a_page_that_scrolls_sideways_a_squeezed_column_and_a_small_target(browser, web_server):
    page = browser.new_page(**PHONE)
    page.goto(f"{web_server.url}/login/")
    assert page.evaluate(MEASURE, PHONE['viewport']['width']) == []
    page.evaluate("""() => {
        const main = document.querySelector('main');
        const wide = document.createElement('p'); wide.style.width = '600px'; wide.textContent = '很宽的一段'; main.append(wide);
        const narrow = document.createElement('p'); narrow.id = 'narrow'; narrow.style.width = '12px'; narrow.textContent = '订单编号';
        main.append(narrow);
        const tiny = document.createElement('button'); tiny.id = 'tiny'; tiny.textContent = '提交'; tiny.style.minHeight = '0';
        tiny.style.height = '20px'; main.append(tiny);
    }""")
    found = page.evaluate(MEASURE, PHONE['viewport']['width'])
    assert any("scrolls sideways" in p for p in found) and any("runs past the right edge" in p for p in found)
    assert any(p.startswith("p#narrow: «订单编号» is") for p in found)
    assert "button#tiny «提交» is a 20 px target" in found
    page.close()


def test_the_menu_opens_without_script(browser, web_server, users):
    context = browser.new_context(**PHONE, java_script_enabled=False)
    page = context.new_page()
    page.goto(f"{web_server.url}/login/")
    page.get_by_label("用户名").fill("logistics")
    page.get_by_label("密码").fill("orderloop")
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(f"{web_server.url}/today/")
    menu = page.locator("#menu")
    assert not menu.get_by_role("link", name="物流跟踪表").is_visible()
    page.get_by_role("link", name="菜单").click()
    menu.get_by_role("link", name="物流跟踪表").click()
    page.wait_for_url(f"{web_server.url}/registers/logistics/")
    assert not page.locator("#menu").get_by_role("link", name="今日").is_visible()  # folded again on the next page
    open_menu(page)
    page.get_by_role("link", name="收起菜单").click()
    assert not page.locator("#menu").get_by_role("button", name="退出").is_visible()
    context.close()
