"""数据质量 (issue 25, go-live in a day): after an import the admin (or the director) sees what the data still lacks —
customers without contacts, qualification or owner, products without cost, open orders whose stage has nobody
active to take the next step — each row a link to the page where it is fixed, the fine ones not listed; the page is
a fixed number of queries whatever the rows."""
import re
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from orderloop.core import clock
from orderloop.masterdata.models import Product, Qualification
from tests.support.customers import make_customer

pytestmark = pytest.mark.django_db
NOW = datetime(2026, 11, 10, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def frozen():
    with clock.frozen_at(NOW):
        yield


def page(user, status=200) -> str:
    client = Client()
    client.force_login(user)
    response = client.get(reverse("golive:quality"))
    assert response.status_code == status
    return response.content.decode()


def section(html: str, key: str) -> str:
    found = re.search(rf'<section class="card" id="quality-{key}">(.*?)</section>', html, re.S)
    assert found, key
    return found.group(1)


def count(html: str, key: str) -> int:
    return int(re.search(rf'id="count-{key}">(\d+)<', html).group(1))


def deactivate(*users):
    for user in users:
        user.is_active = False
        user.save()


def test_each_list_names_what_is_missing_with_a_link_to_fix_it(users, customer, product, orders, frozen):
    lonely = make_customer("无联系人贸易有限公司", owner=users["account_manager"], contact=None)
    pending = make_customer("待审核科技有限公司", owner=users["account_manager"], qualification=Qualification.PENDING,
                            licence=False)
    orphan = make_customer("无人负责有限公司", owner=None)
    costless = Product.objects.create(name="配件包", model="P-000", unit="套", list_price=Decimal("100.00"))
    at_stock_check = orders.at("pending_stock_check")
    at_approval = orders.at("pending_approval")  # its team's sales manager is active: fine
    deactivate(users["warehouse"], users["production"])  # nobody left to confirm stock

    html = page(users["admin"])

    contacts = section(html, "contacts")
    assert reverse("masterdata:customer_edit", args=[lonely.pk]) in contacts and "无联系人贸易有限公司" in contacts
    assert reverse("masterdata:customer_edit", args=[customer.pk]) not in contacts
    assert count(html, "contacts") == 1

    qualification = section(html, "qualification")
    assert reverse("masterdata:customer", args=[pending.pk]) in qualification
    assert "缺少营业执照扫描件" in qualification  # masterdata's own words for what is missing
    assert reverse("masterdata:customer", args=[customer.pk]) + '"' not in qualification

    owners = section(html, "customer_owner")
    assert reverse("masterdata:customer_edit", args=[orphan.pk]) in owners and "未指定客户经理" in owners
    assert reverse("masterdata:customer_edit", args=[customer.pk]) not in owners

    cost = section(html, "cost")
    assert reverse("products:edit", args=[costless.pk]) in cost and "P-000" in cost
    assert reverse("products:edit", args=[product.pk]) not in cost
    assert count(html, "cost") == 1

    stages = section(html, "orders")
    assert reverse("orders:detail", args=[at_stock_check.ref]) in stages
    assert "确认库存" in stages and "仓储" in stages  # the action and who may take it, from the lifecycle table
    assert reverse("orders:detail", args=[at_approval.ref]) not in stages
    assert count(html, "orders") == 1


def test_who_can_act_comes_from_the_lifecycle_table(users, customer, orders, frozen):
    """Production confirms stock too (the table's row): with the warehouse gone, nobody is missing at 待确认库存; at
    备货/生产中 only the warehouse prepares the shipment. An order whose 销售负责人 left is listed whatever its stage."""
    at_stock_check = orders.at("pending_stock_check")
    in_fulfillment = orders.at("in_fulfillment")
    deactivate(users["warehouse"])
    stages = section(page(users["sales_director"]), "orders")
    assert reverse("orders:detail", args=[at_stock_check.ref]) not in stages
    assert reverse("orders:detail", args=[in_fulfillment.ref]) in stages

    at_approval = orders.at("pending_approval")
    deactivate(users["sales_manager"])  # the team's manager: nobody approves its orders (the director approves after)
    owner = at_stock_check.owner
    deactivate(owner)
    stages = section(page(users["sales_director"]), "orders")
    assert reverse("orders:detail", args=[at_approval.ref]) in stages
    assert reverse("orders:detail", args=[at_stock_check.ref]) in stages
    assert f"销售负责人「{owner}」已停用" in stages


def test_only_the_admin_and_the_director_see_it(users, frozen):
    for role in ("sales_manager", "finance", "account_manager", "warehouse"):
        page(users[role], status=403)
    page(users["sales_director"])
    page(users["admin"])


def test_the_page_is_a_fixed_number_of_queries_whatever_the_rows(users, customer, orders, frozen):
    assistant, manager = users["sales_assistant"], users["account_manager"]

    def add(n, start):
        for i in range(start, start + n):
            make_customer(f"客户{i:03d}有限公司", owner=manager, contact=None, licence=False,
                          qualification=Qualification.PENDING)
            Product.objects.create(name=f"配件{i}", model=f"P-{i:03d}", list_price=Decimal("10.00"))
            orders.received()

    def queries() -> int:
        client = Client()
        client.force_login(users["admin"])
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse("golive:quality")).status_code == 200
        return len(captured)

    add(2, 0)
    deactivate(assistant, manager)  # nobody left to review the orders received, nor to own the customers
    few = queries()
    for user in (assistant, manager):
        user.is_active = True
        user.save()
    add(8, 2)
    deactivate(assistant, manager)
    many = queries()
    assert many == few
    html = page(users["admin"])
    assert count(html, "contacts") == 10 and count(html, "cost") == 10 and count(html, "orders") == 10


def test_the_import_pages_lead_to_it(users, frozen):
    from orderloop.golive.models import ImportKind, ImportRun

    client = Client()
    client.force_login(users["admin"])
    index = client.get(reverse("golive:index")).content.decode()
    assert reverse("golive:quality") in index and reverse("golive:accounting") in index
    run = ImportRun.objects.create(kind=ImportKind.values[0], filename="客户.xlsx", state=ImportRun.State.APPLIED,
                                   summary={"create": 1, "update": 0, "skip": 0}, uploaded_by=users["admin"],
                                   uploaded_at=clock.now(), applied_at=clock.now())
    assert reverse("golive:quality") in client.get(reverse("golive:run", args=[run.pk])).content.decode()
    run.state = ImportRun.State.PREVIEWED
    run.save()
    assert reverse("golive:quality") not in client.get(reverse("golive:run", args=[run.pk])).content.decode()
