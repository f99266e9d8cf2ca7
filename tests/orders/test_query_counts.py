"""The order list, search and detail, as pages and through the API, make as many queries for 50 orders as for
one: nothing is fetched per order shown (select_related / prefetch_related), so a page of a million-order
database costs a fixed number of round trips."""
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from orderloop.accounts.services import api_token_issue
from orderloop.masterdata.models import Customer
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive
from tests.support.orders import order_data


def _receive(users, customer, product, lines=1, **overrides):
    data = order_data(customer, product, lines=[{"product_id": product.pk, "quantity": str(i + 1), "unit_price": "5000"}
                                                for i in range(lines)], **overrides)
    return order_receive(actor=users["sales_assistant"], data=OrderCreate(**data))


def _count(client, url, **headers) -> int:
    client.get(url, **headers)  # caches filled on a first request (content types, translations) do not count
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, **headers)
    assert response.status_code == 200, (url, response.status_code)
    return len(ctx)


def _headers(client, users, role, api):
    if api:
        return {"HTTP_AUTHORIZATION": f"Bearer {api_token_issue(username=role, password='orderloop')}"}
    client.force_login(users[role])
    return {}


LISTS = ["/orders/", "/orders/?q=李", "/orders/?status=received&sort=-total_amount", "/api/orders",
         "/api/orders?q=S-001", "/api/orders?status=received&page_size=50"]


@pytest.mark.parametrize("role", ["sales_manager", "sales_director", "account_manager"])
@pytest.mark.parametrize("url", LISTS)
def test_lists_make_the_same_queries_for_one_order_and_for_fifty(client, users, customer, product, role, url):
    _receive(users, customer, product)
    headers = _headers(client, users, role, url.startswith("/api/"))
    one = _count(client, url, **headers)
    for i in range(49):
        _receive(users, customer, product, lines=1 + i % 4)
    response = client.get(url, **headers)
    shown = response.json()["items"] if url.startswith("/api/") else response.context["page"].object_list
    assert len(shown) == 50
    assert _count(client, url, **headers) == one


@pytest.mark.parametrize("role", ["sales_manager", "sales_director", "sales_assistant"])
@pytest.mark.parametrize("api", [False, True], ids=["page", "api"])
def test_detail_makes_the_same_queries_whatever_the_orders_and_lines(client, users, customer, product, role, api):
    first = _receive(users, customer, product)
    headers = _headers(client, users, role, api)
    url = f"/api/orders/{first.ref}" if api else f"/orders/{first.ref}/"
    alone = _count(client, url, **headers)
    other = Customer.objects.create(name="贸易公司", uscc=customer.uscc, owner=customer.owner, address=customer.address,
                                    qualification=customer.qualification, licence_expiry=customer.licence_expiry,
                                    credit_record=customer.credit_record, business_licence=customer.business_licence.name)
    for _ in range(49):  # of another customer: the reviewer's duplicate check looks at the same customer's orders
        _receive(users, other, product)
    assert _count(client, url, **headers) == alone  # 50 orders in the database
    third = Customer.objects.create(name="华东制造有限公司", uscc=customer.uscc, owner=customer.owner, address=customer.address,
                                    qualification=customer.qualification, licence_expiry=customer.licence_expiry,
                                    credit_record=customer.credit_record, business_licence=customer.business_licence.name)
    many = _receive(users, third, product, lines=50)
    url = f"/api/orders/{many.ref}" if api else f"/orders/{many.ref}/"
    assert _count(client, url, **headers) == alone  # 50 lines


def test_the_customer_filter_offers_the_customers_or_points_to_search(client, users, customer, monkeypatch):
    from orderloop.orders import views

    client.force_login(users["sales_director"])
    page = client.get("/orders/").content.decode()
    assert f'<option value="{customer.pk}">科技有限公司</option>' in page
    monkeypatch.setattr(views, "PICKER_MAX", 0)  # more customers than a picker should list
    page = client.get(f"/orders/?customer={customer.pk}").content.decode()
    assert f'<option value="{customer.pk}" selected>科技有限公司</option>' in page
    assert '<option value="" disabled>客户较多：请在搜索框输入客户名称</option>' in page


def test_the_customer_filter_offers_only_the_customers_the_user_sees(client, users, customer, monkeypatch):
    """A sales manager's picker lists their team's customers, not another team's; a user who sees no customer gets
    no options and no pointer to the search (there is nothing to find); the director's picker tells a long list
    from an empty one."""
    from orderloop.accounts.models import Team
    from orderloop.orders import views
    from tests.support.customers import make_customer
    from tests.support.users import make_user

    other_team = Team.objects.create(name="华南销售组")
    stranger = make_customer("远方贸易公司", owner=make_user("south_am", "account_manager", team=other_team),
                             uscc="91440300MA5FXXXX1X")
    client.force_login(users["sales_manager"])
    page = client.get("/orders/").content.decode()
    assert f'<option value="{customer.pk}">科技有限公司</option>' in page
    assert "远方贸易公司" not in page and "客户较多" not in page
    client.force_login(users["warehouse"])
    page = client.get("/orders/").content.decode()
    assert "科技有限公司" not in page and "客户较多" not in page
    monkeypatch.setattr(views, "PICKER_MAX", 1)  # the director sees two customers: more than a picker lists
    client.force_login(users["sales_director"])
    page = client.get("/orders/").content.decode()
    assert "客户较多：请在搜索框输入客户名称" in page and "远方贸易公司" not in page
    page = client.get(f"/orders/?customer={stranger.pk}").content.decode()
    assert f'<option value="{stranger.pk}" selected>远方贸易公司</option>' in page


def test_the_product_filter_offers_the_active_products_or_only_the_one_chosen(client, users, product):
    from decimal import Decimal

    from orderloop.masterdata.models import Product
    from orderloop.orders.views import PICKER_MAX

    client.force_login(users["sales_director"])
    Product.objects.create(name="旧型号", model="S-000", list_price=Decimal("1.00"), is_active=False)
    page = client.get("/orders/").content.decode()
    assert f'<option value="{product.pk}">S-001 服务器A型</option>' in page
    assert "S-000" not in page  # no longer sold
    Product.objects.bulk_create(Product(name="配件", model=f"P-{i:04d}", list_price=Decimal("1.00"))
                                for i in range(PICKER_MAX))  # one more than a picker lists
    page = client.get("/orders/").content.decode()
    assert "S-001" not in page and "P-0000" not in page  # the search box finds a product by model or name
    page = client.get(f"/orders/?product={product.pk}").content.decode()
    assert f'<option value="{product.pk}" selected>S-001 服务器A型</option>' in page
    assert "P-0000" not in page


def test_the_filter_form_reads_its_three_lists_in_one_statement(client, users, customer, product):
    """销售负责人, 客户名称 and 产品 (orders.pickers): one statement for the three, each list in its order."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(users["sales_manager"])
    with CaptureQueriesContext(connection) as read:
        page = client.get("/orders/").content.decode()
    lists = [q["sql"] for q in read.captured_queries if 'FROM "masterdata_product"' in q["sql"]]
    assert len(lists) == 1 and 'FROM "masterdata_customer"' in lists[0] and 'FROM "accounts_user"' in lists[0], lists
    assert f'<option value="{customer.pk}">科技有限公司</option>' in page
    assert f'<option value="{product.pk}">S-001 服务器A型</option>' in page
    assert f'<option value="{users["account_manager"].username}">' in page


def test_an_order_page_opened_again_reads_its_events_ids_only_and_a_new_event_in_full(client, users, orders):
    """The first look at an order's page reads its events in full, each with who took it, and draws the timeline;
    the next looks read only the events' ids (the timeline drawn is kept for them) and show the same timeline; after
    a new event the page reads the events in full once more and shows it."""
    from tests.support.orders import act

    order = orders.at("pending_approval")
    client.force_login(users["sales_manager"])
    read = []

    def spy(execute, sql, params, many, context):
        if 'FROM "orders_orderevent"' in sql:
            read.append("full" if '"orders_orderevent"."payload"' in sql and '"accounts_user"' in sql else
                        "ids" if sql.startswith('SELECT "orders_orderevent"."id" FROM') else sql)
        return execute(sql, params, many, context)

    def look() -> tuple[list, str]:
        read.clear()
        with connection.execute_wrapper(spy):
            response = client.get(f"/orders/{order.ref}/")
        assert response.status_code == 200
        html = response.content.decode()
        return list(read), html[html.index('id="timeline"'):]

    first, timeline = look()
    assert first == ["full"] and "初步审核" in timeline
    again, same = look()
    assert again == ["ids"] and same == timeline
    act(order, "approve", users["sales_manager"], comment="同意，尽快安排")
    after, changed = look()
    assert after == ["ids", "full"] and "同意，尽快安排" in changed
    assert look()[0] == ["ids"]


def test_the_order_page_reads_each_set_of_rows_it_shows_once_after_the_order_in_one_round_trip_on_postgresql(
        client, users, orders):
    """The order page's lines, deadlines, events, consignments and their lines, 回访, stages and payment plan are each
    read once, by the order's key, after the order; on PostgreSQL sent together in one pipeline, one wait for the
    server instead of eight (SQLite, in the process, runs them one after another); and the page shows them."""
    order = orders.at("closed")
    client.force_login(users["sales_manager"])
    client.get(f"/orders/{order.ref}/")
    read = []  # (the table of the first column read, whether it went in a pipeline)

    def spy(execute, sql, params, many, context):
        table = re.match(r'SELECT (?:DISTINCT )?"(\w+)"\.', sql)  # of the first column read
        raw = context["connection"].connection
        read.append((table and table[1], connection.vendor == "postgresql" and bool(raw.pgconn.pipeline_status)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        page = client.get(f"/orders/{order.ref}/")
    rows = ["finance_instalment", "orders_followupvisit", "orders_fulfillmentstage", "orders_orderevent",
            "orders_orderline", "orders_ordertimer", "orders_shipment", "orders_shipmentline"]
    tables = [table for table, _piped in read]
    after_order = tables[tables.index("orders_salesorder") + 1:]
    assert sorted(after_order[:8]) == rows and not set(after_order[8:]) & set(rows), tables
    piped = sorted(table for table, in_pipeline in read if in_pipeline)
    assert piped == (rows if connection.vendor == "postgresql" else []), read
    html = page.content.decode()
    shipment, stage = order.shipments.get(), order.stages.first()
    assert shipment.tracking_number in html and stage.name in html and 'id="visit"' in html
    assert html.count("<tr data-batch=") == 1 and ("已收齐" in html or "待收款" in html)  # a stored plan's 状态
