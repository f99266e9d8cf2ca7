"""The intake page (录入订单) as the server sees it: the customer and product searches, any number of lines,
every problem named at the top, and the review's verdict not contradicting its checklist."""
from decimal import Decimal

from django.test import Client

from orderloop.core.money import rmb_capitals
from orderloop.masterdata.models import Customer, Qualification
from orderloop.masterdata.search import customer_search, product_search
from orderloop.orders.forms import action_form
from orderloop.orders.models import SalesOrder
from tests.support.customers import make_customer
from tests.support.intake import demo_products
from tests.support.users import make_user


def client_of(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def names(found) -> list[str]:
    return [c.name for c in found]


def test_a_customer_is_found_by_name_code_credit_code_phone_or_pinyin_initials(users, customer):
    customer.code = "C001"
    customer.save()
    assert customer.initials == "kjyxgs"
    assistant = users["sales_assistant"]
    for text in ("科技", "c001", "91310115", "13800001111", "kj", "KJYX"):
        assert names(customer_search(assistant, text)) == ["科技有限公司"], text
    assert customer_search(assistant, "zz") == [] and customer_search(assistant, "  ") == []


def test_the_search_offers_only_active_customers_the_user_may_see_and_keeps_the_unqualified(users, customer):
    other_team = make_user("far_manager", "account_manager")
    make_customer("远方科技公司", owner=other_team, uscc="")
    make_customer("停用科技公司", owner=users["account_manager"], uscc="", is_active=False)
    make_customer("待审科技公司", owner=users["account_manager"], uscc="", qualification=Qualification.PENDING)
    assert names(customer_search(users["sales_assistant"], "科技")) == ["待审科技公司", "科技有限公司"]
    # the intake endpoint says the qualification is pending: intake takes the order, the review does not pass it
    results = client_of(users["sales_assistant"]).get("/orders/new/customers.json", {"q": "科技"}).json()["results"]
    assert [r["name"] for r in results] == ["待审科技公司", "科技有限公司"]
    assert "资质：待审核" in results[0]["detail"]


def test_the_customer_search_gives_what_choosing_it_fills_in(users, customer):
    Customer.objects.filter(pk=customer.pk).update(payment_terms="30%预付,余款到付", code="C001")
    (found,) = client_of(users["account_manager"]).get("/orders/new/customers.json", {"q": "kj"}).json()["results"]
    assert found["id"] == customer.pk and "C001" in found["detail"]
    assert found["fill"] == {"contact_name": "李*", "contact_phone": "13800001111",
                             "delivery_address": "北京市海淀区路1号", "payment_terms": "30%预付,余款到付"}


def test_the_searches_are_for_order_entry_only(users, customer, client):
    assert client.get("/orders/new/customers.json", {"q": "kj"}).status_code == 302  # to the login
    for role in ("warehouse", "sales_director"):
        assert client_of(users[role]).get("/orders/new/customers.json", {"q": "kj"}).status_code == 403
        assert client_of(users[role]).get("/orders/new/products.json", {"q": "s"}).status_code == 403


def test_a_product_is_found_by_name_model_or_initials_with_its_list_price(users):
    products = demo_products()
    assert [p.model for p in product_search("jhj")] == ["N-100"]
    assert [p.model for p in product_search("s-00")] == ["S-001", "S-002"]
    assert [p.model for p in product_search("服务器")] == ["S-001", "S-002"]
    products["S-002"].is_active = False
    products["S-002"].save()
    (found,) = client_of(users["sales_assistant"]).get("/orders/new/products.json", {"q": "fwq"}).json()["results"]
    assert found == {"id": products["S-001"].pk, "name": "服务器A型 S-001", "detail": "5000.00/台", "price": "5000.00"}


def test_any_number_of_lines_is_taken_and_the_total_recomputed(users, customer):
    products = demo_products()
    form = {"customer_id": customer.pk, "order_date": "2024-05-10"}
    for index, (model, quantity) in enumerate([("S-001", "10"), ("N-100", "4"), ("SV-01", "2"), ("S-002", "1"),
                                               ("N-100", "3"), ("SV-01", "5"), ("S-001", "2")]):
        form[f"lines.{index * 3}.product_id"] = products[model].pk  # the page numbers rows as it adds them
        form[f"lines.{index * 3}.quantity"] = quantity
    form["lines.30.quantity"] = ""  # a blank row
    response = client_of(users["sales_assistant"]).post("/orders/new/", form)
    assert response.status_code == 302
    order = SalesOrder.objects.get()
    assert [(line.model, line.quantity) for line in order.lines.order_by("position")] == [
        ("S-001", 10), ("N-100", 4), ("SV-01", 2), ("S-002", 1), ("N-100", 3), ("SV-01", 5), ("S-001", 2)]
    assert order.total_amount == Decimal("79900.00")


def test_without_javascript_add_a_line_keeps_everything_and_saves_nothing(users, customer):
    products = demo_products()
    form = {"customer_id": customer.pk, "contact_name": "李*", "add_line": "1"}
    for index in range(3):
        form[f"lines.{index}.product_id"] = products["N-100"].pk
        form[f"lines.{index}.quantity"] = "2"
    page = client_of(users["sales_assistant"]).post("/orders/new/", form)
    assert page.status_code == 200 and SalesOrder.objects.count() == 0
    html = page.content.decode()
    assert 'name="lines.3.quantity"' in html and 'name="lines.4.quantity"' not in html
    assert 'value="李*"' in html and html.count(f'<option value="{products["N-100"].pk}" data-price="1200.00"') >= 3
    assert ">7,200.00<" in html and rmb_capitals(Decimal("7200")) in html  # the total of the lines so far


def test_every_problem_is_named_at_the_top_with_its_line(users, customer):
    products = demo_products()
    page = client_of(users["sales_assistant"]).post("/orders/new/", {
        "contact_phone": "12345", "lines.0.product_id": products["S-001"].pk, "lines.0.quantity": "1",
        "lines.1.product_id": products["N-100"].pk, "lines.1.quantity": "-2", "lines.².quantity": "1"})
    assert page.status_code == 422
    problems = [p["text"] for p in page.context["problems"]]
    assert "客户名称：必填" in problems and "第 2 行 数量：必须大于 0" in problems
    html = page.content.decode()
    assert 'id="intake-errors"' in html and 'href="#f-lines.1.quantity"' in html
    assert 'id="f-lines.1.quantity" value="-2"' in html and html.count('aria-invalid="true"') == 2


def test_the_review_suggests_pass_only_when_the_checklist_has_nothing_against_it(orders):
    complete = orders.received()
    assert action_form("review", complete)["fields"][0]["value"] == "pass"
    missing_date = orders.received(requested_date=None)
    verdict, missing = action_form("review", missing_date)["fields"][:2]
    assert verdict["value"] == "needs_info" and missing["value"] == ["缺少交付日期"]


def test_junk_amounts_show_no_total_and_break_nothing(users, customer):
    products = demo_products()
    client = client_of(users["sales_assistant"])
    for quantity, price in [("1e30", ""), ("2", "NaN"), ("Infinity", "1"), ("9" * 40, "9" * 40), ("-sNaN", "x")]:
        form = {"customer_id": customer.pk, "lines.0.product_id": products["S-001"].pk, "lines.0.quantity": quantity,
                "lines.0.unit_price": price}
        assert client.post("/orders/new/", form).status_code == 422, (quantity, price)
        assert client.get("/orders/new/duplicates", form).status_code == 200
    assert SalesOrder.objects.count() == 0
