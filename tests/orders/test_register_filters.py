"""The filters, sorting and saved filters of the order list and the registers: bad dates named in Chinese, the
sort whitelist, saved filters per user, files with the page's filters, and the queries of a page."""
import csv
import io
from decimal import Decimal

from django.http import QueryDict
from django.test import Client

from orderloop.masterdata.models import Product
from orderloop.orders.models import SavedFilter
from orderloop.orders.registers import REGISTERS, parse_filters
from orderloop.orders.schemas import OrderCreate
from orderloop.orders.services import order_receive
from tests.support.orders import order_data


def _receive(users, customer, product, *, order_date="2024-05-10", lines=None, other=None):
    lines = lines or [{"product_id": product.pk, "quantity": "10", "unit_price": "5000"}]
    return order_receive(actor=users["sales_assistant"], data=OrderCreate(**order_data(customer, product, order_date=order_date,
                                                                                        lines=lines)))


def _logged_in(user):
    client = Client()
    client.force_login(user)
    return client


def _csv(response):
    return list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))


def test_a_bad_date_is_named_in_chinese_and_left_out_of_the_filter():
    filters, errors = parse_filters(QueryDict("date_from=2024-13-40&date_to=next+week&status=received"))
    assert filters.date_from is None and filters.date_to is None and filters.status == ("received",)
    assert errors == ["下单日期（从）：“2024-13-40”不是有效日期，请按 年-月-日 填写，例如 2024-05-10",
                      "下单日期（至）：“next week”不是有效日期，请按 年-月-日 填写，例如 2024-05-10"]
    _filters, errors = parse_filters(QueryDict("date_from=2024-06-01&date_to=2024-05-01"), date_label="反馈时间")
    assert errors == ["反馈时间：结束日期 2024-05-01 早于开始日期 2024-06-01，请调整日期范围"]
    filters, errors = parse_filters(QueryDict("customer=abc&product=-3&owner=+&sort=x"))
    assert errors == [] and filters.customer_id is None and filters.product_id is None and filters.owner is None


def test_a_page_with_a_bad_date_says_so_keeps_what_was_typed_and_a_file_is_not_made(client, users, customer, product):
    _receive(users, customer, product)
    client.force_login(users["sales_manager"])
    page = client.get("/registers/orders/", {"date_from": "2024-02-30"})
    assert page.status_code == 200
    text = page.content.decode()
    assert "下单日期（从）：“2024-02-30”不是有效日期" in text and 'value="2024-02-30"' in text
    assert len(page.context["rows"]) == 1  # the rest of the filter still applies, the bad date does not
    refused = client.get("/registers/orders.csv", {"date_from": "2024-02-30"})
    assert refused.status_code == 302 and refused["Location"].startswith("/registers/orders/?")
    assert "不是有效日期" in client.get(refused["Location"]).content.decode()
    listed = client.get("/orders/", {"date_to": "31/05/2024"})
    assert listed.status_code == 200 and "下单日期（至）：“31/05/2024”不是有效日期" in listed.content.decode()


def test_sorting_follows_the_whitelist_and_ignores_anything_else(client, users, customer, product):
    small = _receive(users, customer, product, order_date="2024-05-12",
                     lines=[{"product_id": product.pk, "quantity": "1", "unit_price": "100"}])
    large = _receive(users, customer, product, order_date="2024-05-11")
    client.force_login(users["sales_manager"])

    def refs(query):
        return [row[0] for row in client.get("/registers/orders/", query).context["rows"]]

    assert refs({"sort": "amount"}) == [small.ref, large.ref]
    assert refs({"sort": "-amount"}) == [large.ref, small.ref]
    assert refs({"sort": "order_date"}) == [large.ref, small.ref]
    page = client.get("/registers/orders/", {"sort": "-order_date"}).content.decode()
    assert 'aria-sort="descending"' in page and "aria-sort=\"ascending\"" not in page
    for unknown in ("contact_phone", "order__customer__uscc", "-password", "id;drop"):  # not a sort key: entry order
        response = client.get("/registers/orders/", {"sort": unknown})
        assert response.status_code == 200 and [r[0] for r in response.context["rows"]] == [small.ref, large.ref]
        assert "aria-sort" not in response.content.decode()
    assert REGISTERS["orders"].ordering("order__customer__owner__password") == REGISTERS["orders"].default_order
    listed = client.get("/orders/", {"sort": "total_amount"}).content.decode()
    assert listed.index(f">{small.ref}</a>") < listed.index(f">{large.ref}</a>")  # newest first without the sort
    assert client.get("/orders/", {"sort": "customer__owner__password"}).status_code == 200


def test_filters_by_date_range_status_product_and_owner(client, users, customer, product):
    other = Product.objects.create(name="交换机B型", model="N-002", unit="台", list_price=Decimal("1200.00"),
                                   cost_price=Decimal("900.00"))
    may = _receive(users, customer, product, order_date="2024-05-10",
                   lines=[{"product_id": product.pk, "quantity": "1", "unit_price": "5000"},
                          {"product_id": other.pk, "quantity": "2", "unit_price": "1200"}])
    june = _receive(users, customer, product, order_date="2024-06-03")
    client.force_login(users["sales_manager"])

    def rows(query, name="orders"):
        return [row[0] for row in client.get(f"/registers/{name}/", query).context["rows"]]

    assert rows({"date_from": "2024-06-01"}) == [june.ref]
    assert rows({"date_from": "2024-05-10", "date_to": "2024-05-10"}) == [may.ref, may.ref]
    assert rows({"product": other.pk}) == [may.ref]  # register 1: the lines of that product
    assert rows({"status": "received"}) == [may.ref, may.ref, june.ref]
    assert rows({"status": "closed"}) == []
    assert rows({"owner": "account_manager"}) == [may.ref, may.ref, june.ref]  # the customer's account manager
    assert rows({"owner": "sales_assistant"}) == []
    listed = client.get("/orders/", {"date_to": "2024-05-31", "product": product.pk}).context["page"]
    assert [o.ref for o in listed] == [may.ref]


def test_register_1_total_is_the_orders_total_on_each_of_its_lines(client, users, customer, product):
    order = _receive(users, customer, product, lines=[{"product_id": product.pk, "quantity": "2", "unit_price": "5000"},
                                                      {"product_id": product.pk, "quantity": "1", "unit_price": "1234.5"}])
    client.force_login(users["sales_manager"])
    rows = client.get("/registers/orders/").context["rows"]
    assert [row[9] for row in rows] == [Decimal("11234.5"), Decimal("11234.5")] and order.total_amount == Decimal("11234.50")
    page = client.get("/registers/orders/").content.decode()
    assert "¥11,234.50" in page and "¥1,234.50" in page  # 总金额 and 单价 with separators, two decimals
    assert f'<a href="/orders/{order.ref}/">{order.ref}</a>' in page
    exported = _csv(client.get("/registers/orders.csv"))
    assert [row[9] for row in exported[1:]] == ["11234.5", "11234.5"]
    assert "¥11,234.50" in client.get("/orders/").content.decode()


def test_files_hold_the_rows_of_the_pages_filters_in_its_order(client, users, customer, product):
    first = _receive(users, customer, product, order_date="2024-05-10")
    second = _receive(users, customer, product, order_date="2024-05-20",
                      lines=[{"product_id": product.pk, "quantity": "3", "unit_price": "10"}])
    third = _receive(users, customer, product, order_date="2024-06-20")
    client.force_login(users["sales_manager"])
    query = {"date_from": "2024-05-01", "date_to": "2024-05-31", "sort": "amount"}
    page = client.get("/registers/orders/", query).content.decode()
    assert "/registers/orders.csv?date_from=2024-05-01&amp;date_to=2024-05-31&amp;sort=amount" in page
    assert [row[0] for row in _csv(client.get("/registers/orders.csv", query))[1:]] == [second.ref, first.ref]
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(client.get("/registers/orders.xlsx", query).getvalue())).active
    assert [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)] == [second.ref, first.ref]
    assert third.ref not in {row[0] for row in _csv(client.get("/registers/orders.csv", query))}


def test_saved_filters_belong_to_their_user_and_page(client, users, customer, product):
    _receive(users, customer, product)
    manager, director = _logged_in(users["sales_manager"]), _logged_in(users["sales_director"])
    saved = manager.post("/lists/orders/saved-filters/", {"name": "五月已接收",
                                                          "query": "status=received&date_from=2024-05-01&page=3&evil=1"})
    assert saved.status_code == 302 and saved["Location"] == "/registers/orders/?status=received&date_from=2024-05-01"
    page = manager.get(saved["Location"]).content.decode()
    assert "已保存筛选「五月已接收」" in page
    assert 'href="/registers/orders/?status=received&amp;date_from=2024-05-01">五月已接收</a>' in page
    assert "五月已接收" not in director.get("/registers/orders/").content.decode()  # another user's
    assert "五月已接收" not in manager.get("/registers/progress/").content.decode()  # another page's
    again = manager.post("/lists/orders/saved-filters/", {"name": "五月已接收", "query": "status=closed"})
    assert again.status_code == 302
    assert list(SavedFilter.objects.values_list("user__username", "name", "query")) == [
        ("sales_manager", "五月已接收", "status=closed")]  # the same name replaces it
    unnamed = manager.post("/lists/list/saved-filters/", {"name": " ", "query": "status=closed"}, follow=True)
    assert "请填写筛选名称" in unnamed.content.decode() and SavedFilter.objects.count() == 1
    mine = SavedFilter.objects.get()
    director.post(f"/lists/orders/saved-filters/{mine.pk}/delete/")
    assert SavedFilter.objects.count() == 1  # not the director's to delete
    manager.post(f"/lists/orders/saved-filters/{mine.pk}/delete/")
    assert SavedFilter.objects.count() == 0
    assert manager.post("/lists/nothing/saved-filters/", {"name": "x"}).status_code == 404


def test_register_1_with_30_orders_takes_a_bounded_number_of_queries(client, users, customer, product,
                                                                      django_assert_max_num_queries):
    for i in range(30):
        _receive(users, customer, product, lines=[{"product_id": product.pk, "quantity": str(1 + j), "unit_price": "5000"}
                                                  for j in range(1 + i % 3)])
    client.force_login(users["sales_director"])
    client.get("/registers/orders/")
    with django_assert_max_num_queries(15):
        response = client.get("/registers/orders/", {"sort": "-amount", "status": "received", "date_from": "2024-01-01"})
    assert len(response.context["rows"]) == 60
    with django_assert_max_num_queries(15):
        client.get("/orders/", {"sort": "customer_name", "date_from": "2024-01-01"})
